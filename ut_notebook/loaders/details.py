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

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import pandas as pd

from ..api.client import Client
from ..api.scheduler import WaitCallback
from ..frames import DURATION, typed_frame
from ..jobs import Job, LoadStatus
from .answers import ANSWER_SCHEMA, normalise_answer
from .per_session import (
    BadAnswer,
    MissingSessionsWarning,
    PerSessionLoad,
    Resource,
    load_per_session,
)

__all__ = [
    "DEMOGRAPHICS_SCHEMA",
    "PARTICIPANT_SCHEMA",
    "TASK_GROUP_SCHEMA",
    "TASK_SCHEMA",
    "MissingSessionsWarning",
    "SessionDetails",
    "build_details",
    "load_session_details",
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
    return sorted(labels, key=_category_key)


def _ordered(series: pd.Series) -> pd.Series:
    """A categorical whose categories are in natural order (unordered comparison)."""
    return series.astype(pd.CategoricalDtype(natural_categories(series.dropna())))


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
            normalised per type (see :mod:`ut_notebook.loaders.answers`) and ``rawAnswer``.
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


def _ms(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def build_details(
    ids: Iterable[str], raw: Mapping[str, Mapping[str, Any]], *, attrs: Mapping[str, Any] = ()
) -> SessionDetails:
    """The four frames from v3 session detail answers, sessions in the order of ``ids``
    (ids without an answer in ``raw`` are skipped)."""
    participants: list[dict[str, Any]] = []
    demographics: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    codes: dict[str, str] = {}  # code -> type, in order of first appearance
    kept: dict[str, dict[str, Any]] = {}
    for sid in ids:
        body = raw.get(sid)
        if body is None:
            continue
        kept[sid] = dict(body)
        participant = body.get("sessionParticipant") or {}
        row: dict[str, Any] = {
            "sessionId": sid,
            "participantId": participant.get("participantId"),
            "audienceId": body.get("audienceId"),
            "testPlanId": body.get("testPlanId"),
        }
        for item in participant.get("demographicsInfo") or []:
            if not isinstance(item, Mapping):
                continue
            code = item.get("code") or item.get("id") or "UNKNOWN"
            kind = item.get("type")
            value = item.get("value")
            codes.setdefault(code, kind)
            row[code] = value
            values: list[Any] = [value]
            if kind == MULTIPLE and isinstance(value, str):
                values = [part.strip() for part in value.split(",") if part.strip()] or [None]
            for one in values:
                demographics.append(
                    {
                        "sessionId": sid,
                        "code": code,
                        "label": item.get("label"),
                        "value": one,
                        "type": kind,
                    }
                )
        participants.append(row)
        for position, task in enumerate(body.get("tasks") or [], start=1):
            if not isinstance(task, Mapping):
                continue
            response = task.get("response")
            record: dict[str, Any] = {
                "sessionId": sid,
                "taskId": task.get("uuid"),
                "position": position,
                "text": task.get("text"),
                "type": task.get("type"),
                "reached": isinstance(response, Mapping),
            }
            if isinstance(response, Mapping):
                record["skipped"] = response.get("skipped")
                record["startOffset"] = _ms(response.get("startTimeMs"))
                record["endOffset"] = _ms(response.get("endTimeMs"))
                record.update(normalise_answer(task.get("type"), response.get("answer")))
            tasks.append(record)
        for position, group in enumerate(body.get("taskGroups") or [], start=1):
            if not isinstance(group, Mapping):
                continue
            response = group.get("response")
            record = {
                "sessionId": sid,
                "taskGroupId": group.get("uuid"),
                "position": position,
                "type": group.get("type"),
            }
            if isinstance(response, Mapping):
                score = response.get("score")
                if isinstance(score, (int, float)) and not isinstance(score, bool):
                    record["qxScore"] = float(score)
                sequence = response.get("sequence")
                record["sequence"] = sequence if isinstance(sequence, str) else None
                record["rawResponse"] = json.dumps(response, ensure_ascii=False)
            groups.append(record)

    schema = dict(PARTICIPANT_SCHEMA)
    for code, kind in codes.items():
        if code not in schema:
            # Single-choice answers repeat: categories. Multi-select combinations rarely
            # repeat: the raw string (see the long demographics frame for each value).
            schema[code] = "string" if kind == MULTIPLE else "category"
    people = typed_frame(participants, schema)
    for code, dtype in schema.items():
        if dtype == "category":
            people[code] = _ordered(people[code])

    demo = typed_frame(demographics, DEMOGRAPHICS_SCHEMA)
    demo["value"] = _ordered(demo["value"])
    demo["code"] = demo["code"].cat.set_categories(list(codes))

    task_frame = typed_frame(
        tasks, {**TASK_SCHEMA, "startOffset": "Float64", "endOffset": "Float64"}
    )
    for name in ("startOffset", "endOffset"):
        task_frame[name] = pd.to_timedelta(task_frame[name].astype("float64"), unit="ms").astype(
            DURATION
        )
    task_frame["duration"] = (task_frame["endOffset"] - task_frame["startOffset"]).astype(DURATION)
    for name in ("text", "type"):
        # Categories in plan order (first appearance), not alphabetical.
        seen = list(dict.fromkeys(v for v in task_frame[name].dropna()))
        task_frame[name] = task_frame[name].cat.set_categories(seen)

    group_frame = typed_frame(groups, TASK_GROUP_SCHEMA)
    details = SessionDetails(people, demo, task_frame, group_frame, raw=kept)
    details.attrs.update(attrs)
    test_id = details.attrs.get("testId")
    if test_id:  # so that charts can say which test a frame is from
        for frame in details.frames().values():
            frame.attrs["testId"] = test_id
    details.attrs.setdefault("sessions", len(people))
    return details


def empty_details(**attrs: Any) -> SessionDetails:
    return build_details([], {}, attrs=attrs)


# -- the loader ---------------------------------------------------------------------------


def _decode(body: str) -> dict[str, Any]:
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
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
    if not isinstance(body, dict):
        raise BadAnswer("the answer is not a JSON object (not a details document)")
    return body, json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _build(load: PerSessionLoad[dict[str, Any], SessionDetails], partial: bool) -> SessionDetails:
    """The frames of what is loaded now, sessions in the requested order."""
    values = dict(load.values)  # a snapshot: the worker thread may be adding to it
    details = build_details(load.ids, values, attrs=load.attrs(partial))
    details.missing = list(load.missing)
    return details


DETAILS: Resource[dict[str, Any], SessionDetails] = Resource(
    kind="details", what="session details", fetch=_fetch, decode=_decode, build=_build
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
