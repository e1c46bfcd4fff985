"""``ut.load_session_details(...)``: who the participants were and what they answered.

One ``GET /api/v3/sessionResults/{sessionId}`` per session, at the rate the API allows,
with COMPLETE sessions cached on disk (they never change): the second load of a test
makes no request for them, and a load after new sessions arrived fetches only those.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> details = ut.load_session_details(ut.demo.TESTS["think_out_loud"], progress=False)
>>> sorted(details.frames())
['demographics', 'participants', 'task_groups', 'tasks']
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from ..api.client import Client
from ..api.scheduler import WaitCallback
from ..frames import DURATION, natural_order, typed_columns, typed_frame
from ..jobs import Job, LoadStatus
from .answers import ANSWER_KEYS, ANSWER_SCHEMA, read_answer
from .per_session import (
    BadAnswer,
    Derived,
    MissingSessionsWarning,
    PerSessionLoad,
    Resource,
    Snapshot,
    load_per_session,
)
from .quality import REPORT_WHERE, MalformedValuesWarning, OddValues, UnreadAnswersWarning
from .snapshot import SnapshotError, decode_frames, encode_frames, read_meta

__all__ = [
    "ANSWER_REPORT_SCHEMA",
    "DEMOGRAPHICS_SCHEMA",
    "PARTICIPANT_SCHEMA",
    "TASK_GROUP_SCHEMA",
    "TASK_SCHEMA",
    "MalformedValuesWarning",
    "MissingSessionsWarning",
    "SessionDetails",
    "UnreadAnswersWarning",
    "build_details",
    "load_session_details",
    "validate_details",
]

DETAILS_PATH = "/api/v3/sessionResults/{}"

PARTICIPANT_SCHEMA = {
    "sessionId": "string",
    "participantId": "string",
    "audienceId": "string",
    "testPlanId": "string",
}
DEMOGRAPHICS_SCHEMA = {
    "sessionId": "string",
    "code": "category",
    "label": "category",
    "value": "category",
    "type": "category",
}
TASK_SCHEMA = {
    "sessionId": "string",
    "taskId": "string",
    "position": "Int64",
    "text": "category",
    "type": "category",
    "reached": "boolean",
    "skipped": "boolean",
    "startOffset": DURATION,
    "endOffset": DURATION,
    "duration": DURATION,
    **ANSWER_SCHEMA,
}
TASK_GROUP_SCHEMA = {
    "sessionId": "string",
    "taskGroupId": "string",
    "position": "Int64",
    "type": "category",
    "qxScore": "Float64",
    "sequence": "category",
    "rawResponse": "string",
}
ANSWER_REPORT_SCHEMA = {
    "type": "string",
    "answers": "Int64",
    "typed": "Int64",
    "rawOnly": "Int64",
    "keys": "string",
}
MULTIPLE = "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE"

# Catch-all answers sort after the real ones in categories (and so in charts).
_LAST = ("prefer not", "none of these", "other", "not applicable", "n/a")
_BELOW = ("less than", "under", "below", "up to", "<")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _category_key(label: str) -> tuple[int, float, str]:
    lower = label.lower()
    if any(lower.startswith(prefix) for prefix in _LAST):
        return (2, 0.0, lower)
    number = _NUMBER.search(label)
    if number:
        value = float(number.group().replace(",", ""))
        if lower.startswith(_BELOW):  # "Less than $25,000" comes before "$25,000 - ..."
            value -= 0.5
        return (0, value, lower)
    return (1, 0.0, lower)


def natural_categories(values: Iterable[Any]) -> list[str]:
    """Distinct labels in a reading order: numeric ranges by their first number
    ("Under $25,000" before "$100,000 or more"), then words, catch-alls last.

    >>> natural_categories(["$100,000 or more", "Prefer not to say", "Under $25,000", "Male"])
    ['Under $25,000', '$100,000 or more', 'Male', 'Prefer not to say']
    """
    labels = {str(v) for v in values if v is not None and not pd.isna(v)}
    # Words of a known scale (Beginner → Expert) by rank, other words alphabetically.
    return natural_order(sorted(labels, key=_category_key))


def _ordered(series: pd.Series) -> pd.Series:
    """A categorical whose categories are in natural order (unordered comparison)."""
    return series.astype(pd.CategoricalDtype(natural_categories(series.dropna().unique())))


@dataclass(eq=False)
class SessionDetails:
    """Tidy frames of session details. Returned by :func:`load_session_details`.

    Attributes:
        participants: one row per session -- ``sessionId``, ``participantId``,
            ``audienceId``, ``testPlanId`` and one column per demographic code
            (``GENDER``, ``AGE_GROUP``, ...; multi-select answers as the API's
            comma-separated string).
        demographics: long -- ``sessionId``, ``code``, ``label``, ``value``, ``type``;
            one row per selected value of multi-select questions.
        tasks: long -- one row per session and task: ``taskId``, ``position``,
            ``text``, ``type``, ``reached``, ``skipped``, ``startOffset``/``endOffset``
            (since the session started) and ``duration`` (Timedelta), the answer
            normalised per type (see :mod:`ut_notebook.loaders.answers`; the documented
            ``multiSelect``, ``randomizedOptions``, ``maxLimit``, ``prototypeUrl``,
            ``figmaPrototypeTitle``, ``figmaPrototypeDisplaySetting`` included) and
            ``rawAnswer``. Types the spec lacks (``VERBAL``, ``SKIPPED``, ...) keep
            their rows; :meth:`answer_report` says what could be read.
        task_groups: ``sessionId``, ``taskGroupId``, ``position``, ``type``
            (QX_SCORE, BALANCED_COMPARISON...), ``qxScore``, ``sequence`` and
            ``rawResponse``.
        missing: session ids the API did not find (404).
        raw: the API's answer per session id (what the cache stores).
        attrs: ``testId``, ``sessions``, ``cached``, ``fetched``, ``requests``,
            ``fetched_at``, ``partial``.
    """

    participants: pd.DataFrame
    demographics: pd.DataFrame
    tasks: pd.DataFrame
    task_groups: pd.DataFrame
    missing: list[str] = field(default_factory=list)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    attrs: dict[str, Any] = field(default_factory=dict)
    # Per task type: how its answers were read (see answer_report()).
    answers_read: dict[str, Any] = field(default_factory=dict, repr=False)

    FRAMES = ("participants", "demographics", "tasks", "task_groups")

    def frames(self) -> dict[str, pd.DataFrame]:
        """The four frames by name."""
        return {name: getattr(self, name) for name in self.FRAMES}

    def __len__(self) -> int:
        return len(self.participants)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}={len(f):,} rows" for n, f in self.frames().items())
        extra = f", {len(self.missing)} missing" if self.missing else ""
        partial = " PARTIAL" if self.attrs.get("partial") else ""
        test = self.attrs.get("testId")
        of = f" of test {test}" if test else ""
        return f"<SessionDetails{partial}{of}: {len(self):,} sessions ({shapes}{extra})>"

    def equals(self, other: SessionDetails) -> bool:
        """True when all four frames are equal (values, dtypes, order)."""
        return all(
            getattr(self, name).equals(getattr(other, name))
            and list(getattr(self, name).dtypes) == list(getattr(other, name).dtypes)
            for name in self.FRAMES
        )

    def answer_report(self) -> pd.DataFrame:
        """Per task type, how the answers were read: ``answers`` (tasks with an
        answer), ``typed`` (read into typed columns), ``rawOnly`` (shape not understood:
        only in ``rawAnswer``) and ``keys`` (the inner keys seen, as ``container.key``).

        Most inner keys of the API's answers are not documented (docs/API_FIDELITY.md):
        a ``rawOnly`` count above 0 means the API sends a shape this version does not
        read -- please report the row (it holds no participant data).

        >>> details.answer_report()                                     # doctest: +SKIP
                   type  answers  typed  rawOnly                  keys
        0           NPS       36     36        0             nps.score
        """
        rows = [
            {
                "type": kind,
                "answers": stat.answers,
                "typed": stat.typed,
                "rawOnly": stat.raw,
                "keys": ", ".join(sorted(stat.keys)),
            }
            for kind, stat in self.answers_read.items()
        ]
        return typed_frame(rows, ANSWER_REPORT_SCHEMA)

    # -- export ---------------------------------------------------------------------------

    def to_parquet(self, folder: str | Path, **kwargs: Any) -> dict[str, Path]:
        """Write one Parquet file per frame (``participants.parquet``, ...) into
        ``folder`` (created if needed). Needs pyarrow: ``pip install 'ut-notebook[parquet]'``.
        Returns the paths by frame name."""
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "details.to_parquet() needs pyarrow: pip install 'ut-notebook[parquet]' "
                "(or pip install pyarrow). details.to_csv() works without it."
            ) from exc
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, frame in self.frames().items():
            path = out / f"{name}.parquet"
            frame.to_parquet(path, index=False, engine="pyarrow", **kwargs)
            paths[name] = path
        return paths

    def to_csv(self, folder: str | Path, **kwargs: Any) -> dict[str, Path]:
        """Write one UTF-8 CSV file per frame into ``folder`` (created if needed).

        CSV has no types: lists (``options``, ``selected``...) are written as JSON,
        and Timedelta columns as seconds in a column named ``<name>_seconds``.
        Returns the paths by frame name."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, frame in self.frames().items():
            path = out / f"{name}.csv"
            _csv_ready(frame).to_csv(path, index=False, encoding="utf-8", **kwargs)
            paths[name] = path
        return paths

    def to_excel(
        self,
        path: str | Path,
        *,
        codebook: Any = None,
        client: Client | None = None,
    ) -> Path:
        """Write one Excel workbook: a sheet per frame and a ``codebook`` sheet.

        The codebook is the test plan (one row per task: position, type, text, choices,
        scale ends) from ``codebook=`` (a :class:`~ut_notebook.TestInfo` or a frame),
        else from ``ut.load_test`` for this test when connected (one request), else the
        tasks seen in these sessions. Like :meth:`to_csv`, lists are written as JSON and
        Timedelta columns as seconds (``<name>_seconds``); times are in UTC (Excel has
        no time zones). Needs openpyxl: ``pip install 'ut-notebook[report]'``.

        >>> details.to_excel("exports/survey.xlsx")                    # doctest: +SKIP
        PosixPath('exports/survey.xlsx')
        """
        try:
            import openpyxl  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "to_excel() needs openpyxl: pip install 'ut-notebook[report]' "
                "(or pip install openpyxl). details.to_csv() works without it."
            ) from exc
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        sheets = {**self.frames(), "codebook": self._codebook(codebook, client)}
        with pd.ExcelWriter(out, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                _excel_ready(frame).to_excel(writer, sheet_name=name, index=False)
        return out

    def _codebook(self, codebook: Any, client: Client | None) -> pd.DataFrame:
        """The plan as a frame: given, else ``load_test``, else the tasks seen."""
        if codebook is not None:
            plan = getattr(codebook, "tasks", codebook)
            if not isinstance(plan, pd.DataFrame):
                raise TypeError("codebook= must be a TestInfo (ut.load_test) or a DataFrame")
            return plan
        test_id = self.attrs.get("testId")
        if test_id:
            from ..api.connect import current_client
            from ..errors import UTError
            from .studies import load_test

            if client is not None or current_client() is not None:
                try:
                    return load_test(test_id, client=client).tasks
                except (UTError, ValueError):
                    pass  # not a test the plan can be read for: fall back to what was seen
        seen = self.tasks
        if seen.empty:
            return pd.DataFrame(columns=["position", "type", "text"])
        # One row per task as the sessions saw it: enough to read the columns by.
        return (
            seen.groupby("position", observed=True, sort=True)
            .agg(type=("type", "first"), text=("text", "first"))
            .reset_index()
        )


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV-ready (JSON lists, seconds), with UTC times made naive: Excel has no zones."""
    out = _csv_ready(frame)
    for name in list(out.columns):
        column = out[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            out[name] = column.dt.tz_convert("UTC").dt.tz_localize(None)
        elif isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = column.astype(object)
    return out


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in list(out.columns):
        column = out[name]
        if pd.api.types.is_timedelta64_dtype(column.dtype):
            out[name] = column.dt.total_seconds()
            out = out.rename(columns={name: f"{name}_seconds"})
        elif column.dtype == object:
            out[name] = column.map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
            )
    return out


# -- frames from API answers ------------------------------------------------------------------

# Task types the help centre lists but the OpenAPI enum lacks. A SKIPPED task with a
# response counts as skipped whatever its flag says (skip_rates counts it).
HELP_CENTRE_TASK_TYPES = ("VERBAL", "SKIPPED")
# Beyond ~31 years a task "time" is garbage (and would overflow a Timedelta).
_MAX_MS = 10**12
# Keys that name dates: if the API ever adds some, they must be ISO 8601.
_DATE_KEY = re.compile(r"(?:At|Date)$")


def _ms(value: Any, odd: OddValues, name: str) -> float | None:
    """Milliseconds as a float; odd values (not a number, infinite, absurd) count in
    ``odd`` and read as missing."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) <= _MAX_MS:
            return float(value)
    elif isinstance(value, float) and math.isfinite(value) and abs(value) <= _MAX_MS:
        return value
    odd.add(name)
    return None


def _text(value: Any, odd: OddValues, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    odd.add(name)
    return None


def _flag(value: Any, odd: OddValues, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    odd.add(name)
    return None


def _list(value: Any, odd: OddValues, name: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    odd.add(name)
    return []


@dataclass
class _AnswerStats:
    answers: int = 0
    typed: int = 0
    raw: int = 0
    keys: set[str] = field(default_factory=set)


def _demographic_column(code: str) -> str:
    # A code that is also a participants column (say "sessionId") must not overwrite it.
    return f"{code} (demographic)" if code in PARTICIPANT_SCHEMA else code


def build_details(
    ids: Iterable[str], raw: Mapping[str, Any], *, attrs: Mapping[str, Any] = ()
) -> SessionDetails:
    """The four frames from v3 session detail answers, sessions in the order of ``ids``
    (ids without an answer in ``raw`` are skipped).

    Never raises on odd values: a value of the wrong type or out of range reads as
    NaT/``<NA>``, and ONE :class:`MalformedValuesWarning` names each field and how many
    rows. Answers whose shape is not understood keep only ``rawAnswer``, and ONE
    :class:`UnreadAnswersWarning` names their task types (see
    :meth:`SessionDetails.answer_report`). Neither warns for a partial snapshot
    (``attrs["partial"]``): the final result does.

    >>> doc = {"tasks": [{"uuid": "t", "type": "NPS", "text": "Recommend?",
    ...        "response": {"startTimeMs": 1000, "endTimeMs": 4500.5, "skipped": False,
    ...                     "answer": {"nps": {"score": 9}}}}]}
    >>> details = build_details(["s1"], {"s1": doc})
    >>> int(details.tasks.loc[0, "nps"]), details.tasks.loc[0, "duration"]
    (9, Timedelta('0 days 00:00:03.500500'))
    """
    ids = [sid for sid in ids if raw.get(sid) is not None]
    parsed = {sid: parse_session(sid, raw[sid]) for sid in ids}
    details = assemble_details(ids, parsed, attrs=attrs)
    details.raw = {sid: dict(raw[sid]) for sid in ids if isinstance(raw[sid], Mapping)}
    return details


def parse_session(sid: str, body: Any) -> dict[str, Any]:
    """One session's v3 answer read into plain columns, JSON-ready: what the cache keeps
    of it (``details-v3``), so a reload needs no parsing, only a column-wise assembly.

    Keys: ``participant`` (one row), ``codes`` (demographic column -> type),
    ``demographics``/``tasks``/``groups`` (column name -> values), ``stats`` (task type
    -> [answers, typed, rawOnly, keys]) and ``odd`` (field -> rows read as missing).

    >>> parse_session("s1", {"tasks": []})["tasks"]
    {'#': 0, 'shared': '[]'}
    """
    odd = OddValues("session details")
    codes: dict[str, str | None] = {}
    demographics: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    stats: dict[str, _AnswerStats] = {}
    if not isinstance(body, Mapping):
        odd.add("(body is not an object)")
        body = {}
    participant = body.get("sessionParticipant")
    if participant is not None and not isinstance(participant, Mapping):
        odd.add("sessionParticipant")
    if not isinstance(participant, Mapping):
        participant = {}
    row: dict[str, Any] = {
        "sessionId": sid,
        "participantId": _text(participant.get("participantId"), odd, "participantId"),
        "audienceId": _text(body.get("audienceId"), odd, "audienceId"),
        "testPlanId": _text(body.get("testPlanId"), odd, "testPlanId"),
    }
    for item in _list(participant.get("demographicsInfo"), odd, "demographicsInfo"):
        if not isinstance(item, Mapping):
            odd.add("demographicsInfo[]")
            continue
        code = _text(item.get("code"), odd, "demographicsInfo[].code")
        code = code or _text(item.get("id"), odd, "demographicsInfo[].id") or "UNKNOWN"
        kind = _text(item.get("type"), odd, "demographicsInfo[].type")
        value = _text(item.get("value"), odd, "demographicsInfo[].value")
        column = _demographic_column(code)
        if column not in codes or kind == MULTIPLE:
            codes[column] = kind  # one MULTIPLE answer makes the column multi-select
        row[column] = value
        values: list[Any] = [value]
        if kind == MULTIPLE and isinstance(value, str):
            values = [part.strip() for part in value.split(",") if part.strip()] or [None]
        label = _text(item.get("label"), odd, "demographicsInfo[].label")
        for one in values:
            demographics.append(
                {"sessionId": sid, "code": column, "label": label, "value": one, "type": kind}
            )
    for position, task in enumerate(_list(body.get("tasks"), odd, "tasks"), start=1):
        if not isinstance(task, Mapping):
            odd.add("tasks[]")
            continue
        tasks.append(_task_record(sid, position, task, odd, stats))
    for position, group in enumerate(_list(body.get("taskGroups"), odd, "taskGroups"), 1):
        if not isinstance(group, Mapping):
            odd.add("taskGroups[]")
            continue
        groups.append(_group_record(sid, position, group, odd))
    return {
        "participant": row,
        "codes": codes,
        "demographics": _shared_columns("demographics", demographics),
        "tasks": _shared_columns("tasks", tasks),
        "groups": _columns(groups),
        "stats": {k: [s.answers, s.typed, s.raw, sorted(s.keys)] for k, s in stats.items()},
        "odd": dict(odd.counts),
    }


def _columns(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows to columns (every key any row has; ``None`` where a row lacks it), and the
    row count under ``"#"``; ``sessionId``, the same in every row, is left out."""
    names = dict.fromkeys(name for record in records for name in record)
    names.pop("sessionId", None)
    columns: dict[str, Any] = {name: [record.get(name) for record in records] for name in names}
    columns["#"] = len(records)
    return columns


# Columns that repeat for every session of a test (the plan; the demographic
# questions): kept as one JSON string per session, decoded once per distinct string
# when sessions are assembled. A cached reload then makes far fewer Python objects.
_SHARED = {"tasks": ("taskId", "text", "type"), "demographics": ("code", "label", "type")}


def _shared_columns(part: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    names = _SHARED[part]
    shared = [[record.get(name) for name in names] for record in records]
    rest = [{k: v for k, v in record.items() if k not in names} for record in records]
    columns = _columns(rest)
    columns["shared"] = json.dumps(shared, ensure_ascii=False)
    return columns


def _task_record(
    sid: str, position: int, task: Mapping[str, Any], odd: OddValues, stats: dict[str, Any]
) -> dict[str, Any]:
    kind = _text(task.get("type"), odd, "tasks[].type")
    response = task.get("response")
    if response is not None and not isinstance(response, Mapping):
        odd.add("tasks[].response")
        response = None
    record: dict[str, Any] = {
        "sessionId": sid,
        "taskId": _text(task.get("uuid"), odd, "tasks[].uuid"),
        "position": position,
        "text": _text(task.get("text"), odd, "tasks[].text"),
        "type": kind,
        "reached": response is not None,
    }
    if response is not None:
        record["skipped"] = _flag(response.get("skipped"), odd, "tasks[].response.skipped")
        record["startOffset"] = _ms(
            response.get("startTimeMs"), odd, "tasks[].response.startTimeMs"
        )
        record["endOffset"] = _ms(response.get("endTimeMs"), odd, "tasks[].response.endTimeMs")
        answer = response.get("answer")
        if answer is not None and not isinstance(answer, Mapping):
            odd.add("tasks[].response.answer")
        reading = read_answer(kind, answer)
        record.update(reading.columns)
        if reading.status is not None:
            stat = stats.setdefault(kind or "(no type)", _AnswerStats())
            stat.answers += 1
            stat.typed += reading.status == "typed"
            stat.raw += reading.status == "raw"
            stat.keys.update(reading.keys)
        if kind == "SKIPPED":
            # The help centre's SKIPPED type: reached, and skipped whatever the flag says.
            record["skipped"] = True
    return record


def _group_record(
    sid: str, position: int, group: Mapping[str, Any], odd: OddValues
) -> dict[str, Any]:
    response = group.get("response")
    record: dict[str, Any] = {
        "sessionId": sid,
        "taskGroupId": _text(group.get("uuid"), odd, "taskGroups[].uuid"),
        "position": position,
        "type": _text(group.get("type"), odd, "taskGroups[].type"),
    }
    if isinstance(response, Mapping):
        score = response.get("score")
        if isinstance(score, int) and not isinstance(score, bool) and abs(score) < 2**53:
            record["qxScore"] = float(score)
        elif isinstance(score, float) and math.isfinite(score):
            record["qxScore"] = score
        elif score is not None:
            odd.add("taskGroups[].response.score")
        record["sequence"] = _text(response.get("sequence"), odd, "taskGroups[].response.sequence")
        record["rawResponse"] = json.dumps(response, ensure_ascii=False, default=str)
    elif response is not None:
        odd.add("taskGroups[].response")
    return record


def _stack(
    sessions: list[Mapping[str, Any]], part: str, names: Iterable[str]
) -> tuple[dict[str, list[Any]], int]:
    """The sessions' ``part`` columns end to end: every named column some session has
    (``None`` where one lacks it), ``sessionId`` repeated from each participant row, and
    the shared columns from each distinct string (decoded once). Columns no session has
    are left out: :func:`typed_columns` fills them."""
    parts = [one[part] for one in sessions]
    lengths = [piece.get("#", 0) for piece in parts]
    present = {name for piece in parts for name in piece}
    out: dict[str, list[Any]] = {
        "sessionId": [
            sid
            for one, n in zip(sessions, lengths, strict=True)
            for sid in [one["participant"]["sessionId"]] * n
        ]
    }
    if "shared" in present:
        names_shared = _SHARED[part]
        decoded: dict[str, list[list[Any]]] = {}
        for name in names_shared:
            out[name] = []
        for piece in parts:
            text = piece.get("shared") or "[]"
            if text not in decoded:
                rows = json.loads(text)
                decoded[text] = [[row[i] for row in rows] for i in range(len(names_shared))]
            for name, values in zip(names_shared, decoded[text], strict=True):
                out[name].extend(values)
    for name in names:
        if name in out or name not in present:
            continue
        column: list[Any] = []
        extend = column.extend
        for piece, n in zip(parts, lengths, strict=True):
            values = piece.get(name)
            extend(values if values is not None else [None] * n)
        out[name] = column
    return out, sum(lengths)


def assemble_details(
    ids: Iterable[str], parsed: Mapping[str, Mapping[str, Any]], *, attrs: Mapping[str, Any] = ()
) -> SessionDetails:
    """The four frames from sessions read by :func:`parse_session`, in ``ids`` order:
    column-wise (lists joined end to end, then one conversion per column)."""
    sessions = [parsed[sid] for sid in ids if sid in parsed]
    codes: dict[str, str | None] = {}
    odd = OddValues("session details")
    stats: dict[str, _AnswerStats] = {}
    for one in sessions:
        for column, kind in one["codes"].items():
            if column not in codes or kind == MULTIPLE:
                codes[column] = kind
        for field_name, count in one["odd"].items():
            odd.add(field_name, count)
        for kind, (answers, typed, raw_only, keys) in one["stats"].items():
            stat = stats.setdefault(kind, _AnswerStats())
            stat.answers += answers
            stat.typed += typed
            stat.raw += raw_only
            stat.keys.update(keys)

    schema = dict(PARTICIPANT_SCHEMA)
    for code, kind in codes.items():
        if code not in schema:
            # Single-choice answers repeat: categories. Multi-select combinations rarely
            # repeat: the raw string (see the long demographics frame for each value).
            schema[code] = "string" if kind == MULTIPLE else "category"
    rows = [one["participant"] for one in sessions]
    people = typed_columns(
        {name: [row.get(name) for row in rows] for name in schema}, len(rows), schema
    )
    for code, dtype in schema.items():
        if dtype == "category":
            people[code] = _ordered(people[code])

    columns, n = _stack(sessions, "demographics", DEMOGRAPHICS_SCHEMA)
    demo = typed_columns(columns, n, DEMOGRAPHICS_SCHEMA)
    demo["value"] = _ordered(demo["value"])
    demo["code"] = demo["code"].cat.set_categories(list(codes))

    task_schema = {**TASK_SCHEMA, "startOffset": "Float64", "endOffset": "Float64"}
    columns, n = _stack(sessions, "tasks", task_schema)
    task_frame = typed_columns(columns, n, task_schema)
    for name in ("startOffset", "endOffset"):
        task_frame[name] = pd.to_timedelta(task_frame[name].astype("float64"), unit="ms").astype(
            DURATION
        )
    task_frame["duration"] = (task_frame["endOffset"] - task_frame["startOffset"]).astype(DURATION)
    for name in ("text", "type"):
        # Categories in plan order (first appearance), not alphabetical.
        seen = list(task_frame[name].dropna().unique())  # in order of appearance
        task_frame[name] = task_frame[name].cat.set_categories(seen)

    columns, n = _stack(sessions, "groups", TASK_GROUP_SCHEMA)
    group_frame = typed_columns(columns, n, TASK_GROUP_SCHEMA)
    details = SessionDetails(people, demo, task_frame, group_frame)
    details.answers_read = stats
    details.attrs.update(attrs)
    test_id = details.attrs.get("testId")
    if test_id:  # so that charts can say which test a frame is from
        for frame in details.frames().values():
            frame.attrs["testId"] = test_id
    details.attrs.setdefault("sessions", len(people))
    if not details.attrs.get("partial"):
        odd.warn(stacklevel=3)
        _warn_unread(stats)
    return details


def _warn_unread(stats: Mapping[str, _AnswerStats]) -> None:
    unread = {kind: stat for kind, stat in stats.items() if stat.raw}
    if not unread:
        return
    named = ", ".join(f"{kind} ({s.raw:,} of {s.answers:,})" for kind, s in unread.items())
    warnings.warn(
        f"Answers of {named} had a shape ut-notebook does not understand: their typed "
        "columns are <NA> and each answer is kept in the rawAnswer column. "
        f"details.answer_report() shows the inner keys seen; {REPORT_WHERE}.",
        UnreadAnswersWarning,
        stacklevel=3,
    )


def _valid_time(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= _MAX_MS
    return math.isfinite(value) and abs(value) <= _MAX_MS


def _check_dates(obj: Mapping[str, Any], where: str) -> None:
    for key, value in obj.items():
        if isinstance(key, str) and _DATE_KEY.search(key) and value is not None:
            try:
                if not isinstance(value, str):
                    raise ValueError
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{where}{key} is not an ISO 8601 date: {value!r:.60}") from None


def _check_strings(obj: Mapping[str, Any], names: Iterable[str], where: str) -> None:
    for name in names:
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}{name} is not a string or null: {value!r:.60}")


def _check_list(obj: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}{name} is not a list: {value!r:.60}")
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}{name}[{index}] is not an object: {item!r:.60}")
    return value


def validate_details(doc: Any) -> None:
    """Raise ``ValueError`` (with the reason) if ``doc`` is not shaped like a v3 session
    details answer (``SessionResultsV3ResponseDto``); return ``None`` if it is.

    Meant to run BEFORE a body is cached: a cached body is never fetched again, so one
    that is badly shaped must not get there. It checks the documented structure (objects,
    lists, strings, numbers, booleans, nulls where the spec allows them), not the
    undocumented keys inside answers (those are read tolerantly).

    >>> validate_details({"tasks": [], "taskGroups": []})
    >>> validate_details({"sessionParticipant": "oops"})
    Traceback (most recent call last):
    ...
    ValueError: sessionParticipant is not an object or null: 'oops'
    """
    if not isinstance(doc, Mapping):
        raise ValueError(f"the session details are not a JSON object: {doc!r:.60}")
    _check_strings(doc, ("sessionId", "audienceId", "testPlanId"), "")
    _check_dates(doc, "")
    participant = doc.get("sessionParticipant")
    if participant is not None:
        if not isinstance(participant, Mapping):
            raise ValueError(f"sessionParticipant is not an object or null: {participant!r:.60}")
        _check_strings(participant, ("participantId",), "sessionParticipant.")
        items = _check_list(participant, "demographicsInfo", "sessionParticipant.")
        for index, item in enumerate(items):
            where = f"sessionParticipant.demographicsInfo[{index}]."
            _check_strings(item, ("id", "code", "label", "value", "type"), where)
    for index, group in enumerate(_check_list(doc, "taskGroups", "")):
        where = f"taskGroups[{index}]."
        _check_strings(group, ("uuid", "type"), where)
        response = group.get("response")
        if response is None:
            continue
        if not isinstance(response, Mapping):
            raise ValueError(f"{where}response is not an object or null: {response!r:.60}")
        score = response.get("score")
        if score is not None and not _valid_time(score):  # a finite number
            raise ValueError(f"{where}response.score is not a number: {score!r:.60}")
        _check_strings(response, ("sequence",), f"{where}response.")
    for index, task in enumerate(_check_list(doc, "tasks", "")):
        where = f"tasks[{index}]."
        _check_strings(task, ("uuid", "text", "type"), where)
        _check_dates(task, where)
        response = task.get("response")
        if response is None:
            continue
        if not isinstance(response, Mapping):
            raise ValueError(f"{where}response is not an object or null: {response!r:.60}")
        _check_dates(response, f"{where}response.")
        for name in ("startTimeMs", "endTimeMs"):
            value = response.get(name)
            if value is not None and not _valid_time(value):
                raise ValueError(
                    f"{where}response.{name} is not a number of milliseconds: {value!r:.60}"
                )
        skipped = response.get("skipped")
        if skipped is not None and not isinstance(skipped, bool):
            raise ValueError(f"{where}response.skipped is not a boolean: {skipped!r:.60}")
        answer = response.get("answer")
        if answer is None:
            continue
        if not isinstance(answer, Mapping):
            raise ValueError(f"{where}response.answer is not an object or null: {answer!r:.60}")
        for container in ANSWER_KEYS.values():
            payload = answer.get(container)
            if payload is not None and not isinstance(payload, Mapping):
                raise ValueError(
                    f"{where}response.answer.{container} is not an object or null: {payload!r:.60}"
                )


def empty_details(**attrs: Any) -> SessionDetails:
    return build_details([], {}, attrs=attrs)


# -- the loader ---------------------------------------------------------------------------


def _decode(body: str) -> dict[str, Any]:
    """A cached answer, parsed (when its quick form is missing or outdated)."""
    doc = json.loads(body)
    validate_details(doc)  # an entry that no longer parses is dropped and re-fetched
    return parse_session(str(doc.get("sessionId") or ""), doc)


# The parsed columns of a session, cached beside its answer: reloading a test is then
# one json.loads per session and a column-wise assembly, no parsing. Bump the version
# when parse_session's output changes: old entries are then rebuilt from the answers.
PARSED_KIND = "details-v3"  # (cache.KINDS lists it)
_PARSED_KEYS = ("participant", "codes", "demographics", "tasks", "groups", "stats", "odd")


try:  # orjson decodes the cached columns about 3x faster; json is the fallback
    from orjson import loads as _loads_fast
except ImportError:  # pragma: no cover - orjson is a dependency, but optional in spirit
    _loads_fast = json.loads


def _decode_parsed(text: str) -> dict[str, Any]:
    value = _loads_fast(text)
    if not isinstance(value, dict) or any(key not in value for key in _PARSED_KEYS):
        raise ValueError("not a parsed session")
    return value


def _fetch(client: Client, sid: str, on_wait: WaitCallback) -> tuple[dict[str, Any], str]:
    body = client.get_json(
        DETAILS_PATH.format(sid),
        not_found=(
            f"Session {sid} was not found (HTTP 404): check the id, and that its test is in "
            "one of your workspaces."
        ),
        on_wait=on_wait,
    )
    try:
        validate_details(body)  # validate, then cache: never store what cannot be read
    except ValueError as exc:
        raise BadAnswer(f"not a details document: {exc}") from None
    return parse_session(sid, body), json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class _CachedAnswers(Mapping[str, dict[str, Any]]):
    """``details.raw``: the API's answers, read from the cache only when asked for
    (a reload does not need them: it assembles the parsed columns)."""

    def __init__(self, load: PerSessionLoad[Any, Any], ids: list[str]) -> None:
        self._load, self._ids, self._docs = load, ids, None

    def _all(self) -> dict[str, dict[str, Any]]:
        if self._docs is None:
            load = self._load
            bodies = {sid: load.bodies[sid] for sid in self._ids if sid in load.bodies}
            rest = [sid for sid in self._ids if sid not in bodies]
            bodies.update(load.cache.get_many(load.scope, "details", rest))
            self._docs = {sid: json.loads(bodies[sid]) for sid in self._ids if sid in bodies}
        return self._docs

    def __getitem__(self, sid: str) -> dict[str, Any]:
        return self._all()[sid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _build(load: PerSessionLoad[dict[str, Any], SessionDetails], partial: bool) -> SessionDetails:
    """The frames of what is loaded now, sessions in the requested order."""
    values = dict(load.values)  # a snapshot: the worker thread may be adding to it
    ids = [sid for sid in load.ids if sid in values]
    details = assemble_details(ids, values, attrs=load.attrs(partial))
    details.missing = list(load.missing)
    details.raw = _CachedAnswers(load, ids)  # type: ignore[assignment]
    return details


# A test's assembled frames, kept whole (Arrow IPC) once every session of a load is
# cached: reloading the same sessions -- re-running a notebook -- then reads four
# frames instead of assembling them from 2,000 parsed sessions. Keyed by test id; valid
# for exactly the sessions (in order), parser and pandas it was written with.
FRAMES_KIND = "details-frames-v1"  # (cache.KINDS lists it)


def _snapshot_key(load: PerSessionLoad[Any, Any]) -> str:
    ids = "\n".join(load.ids).encode()
    return f"{PARSED_KIND} pandas {pd.__version__} {hashlib.sha256(ids).hexdigest()}"


def _write_snapshot(load: PerSessionLoad[Any, Any], details: SessionDetails) -> bytes:
    odd: Counter[str] = Counter()
    for sid in load.ids:
        odd.update(load.values[sid]["odd"])
    meta = {
        "key": _snapshot_key(load),
        "stats": {
            kind: [s.answers, s.typed, s.raw, sorted(s.keys)]
            for kind, s in details.answers_read.items()
        },
        "odd": dict(odd),
    }
    return encode_frames(details.frames(), meta)


def _read_snapshot(load: PerSessionLoad[Any, Any], blob: bytes) -> SessionDetails | None:
    if read_meta(blob).get("key") != _snapshot_key(load):
        return None  # of other sessions: assembled as usual, then rewritten
    frames, meta = decode_frames(blob)
    if frames["participants"]["sessionId"].tolist() != load.ids:
        raise SnapshotError("the snapshot's sessions are not those of its key")
    details = SessionDetails(**frames)
    details.answers_read = {
        kind: _AnswerStats(answers, typed, raw, set(keys))
        for kind, (answers, typed, raw, keys) in meta["stats"].items()
    }
    n = len(load.ids)
    details.attrs.update(load.attrs(False), sessions=n, cached=n, fetched=0)
    details.raw = _CachedAnswers(load, load.ids)  # type: ignore[assignment]
    if load.test_id:
        for frame in details.frames().values():
            frame.attrs["testId"] = load.test_id
    odd = OddValues("session details")  # the same warnings as the load that wrote it
    for name, count in meta["odd"].items():
        odd.add(name, int(count))
    odd.warn(stacklevel=6)
    _warn_unread(details.answers_read)
    return details


DETAILS: Resource[dict[str, Any], SessionDetails] = Resource(
    kind="details",
    what="session details",
    fetch=_fetch,
    decode=_decode,
    build=_build,
    derived=Derived(
        PARSED_KIND, lambda value: json.dumps(value, ensure_ascii=False), _decode_parsed
    ),
    snapshot=Snapshot(FRAMES_KIND, _read_snapshot, _write_snapshot),
)


@overload
def load_session_details(
    test_id_or_sessions: Any,
    *,
    client: Client | None = ...,
    session: Client | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[False] = ...,
) -> SessionDetails: ...


@overload
def load_session_details(
    test_id_or_sessions: Any,
    *,
    client: Client | None = ...,
    session: Client | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[True],
) -> Job[SessionDetails]: ...


def load_session_details(
    test_id_or_sessions: Any,
    *,
    client: Client | None = None,
    session: Client | None = None,
    progress: bool | Callable[[LoadStatus], None] | None = None,
    refresh: bool = False,
    background: bool = False,
) -> SessionDetails | Job[SessionDetails]:
    """Demographics, tasks, answers and task groups of sessions, as tidy frames.

    Reads ``GET /api/v3/sessionResults/{sessionId}`` once per session that is not in the
    cache, one after the other at exactly the rate the API allows (no 429s), and
    caches each COMPLETE session as soon as its answer has been read.

    Args:
        test_id_or_sessions: a test id (its sessions are listed first with
            :func:`~ut_notebook.load_sessions`), a frame from ``load_sessions`` (filter it
            first to load only some sessions), or a list of session ids. Sessions
            given as bare ids are read from the cache when there, but only stored when
            their COMPLETE status is known (from a ``load_sessions`` frame or a test id).
        client: a :class:`~ut_notebook.Client`; default: the current one
            (``session=`` is its deprecated name).
        progress: ``None`` shows a bar (with an ETA that accounts for the rate limit)
            when more than one request is needed; ``True``/``False`` force it on/off;
            a callable is called with a :class:`~ut_notebook.jobs.LoadStatus` after each
            session instead (raise from it to stop the load).
        refresh: ignore the cache and fetch everything again (and rewrite the cache).
        background: return a :class:`~ut_notebook.Job` at once and load on the client's
            background workers; display the job for a live progress widget,
            ``job.result()`` waits.

    Returns:
        A :class:`SessionDetails` (or a job that makes one). Sessions the API does not
        know (404) are in ``details.missing``; sessions whose answer could not be read
        are in ``details.attrs["failed"]`` with the reason (each with a warning).

    Raises:
        ValueError: a test or session id is not a UUID (before any request).
        NotConnectedError: no client given and none current.
        UTError: the API failed; ``err.partial`` is a :class:`SessionDetails` of what was
            loaded, all of it already in the cache. A ``KeyboardInterrupt`` (kernel
            interrupt) or a job's cancel carries the same ``.partial``.

    >>> details = ut.load_session_details(TEST_ID)                      # doctest: +SKIP
    >>> details.tasks.query("type == 'NPS'")["nps"].mean()              # doctest: +SKIP
    """
    return load_per_session(
        DETAILS,
        test_id_or_sessions,
        name="load_session_details",
        client=client,
        session=session,
        progress=progress,
        refresh=refresh,
        background=background,
    )
