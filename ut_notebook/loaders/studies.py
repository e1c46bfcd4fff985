"""The legacy v1 API: a test's plan, classic tests' sessions, notes, clips and reels.

* :func:`load_test` — ``GET /studies/{uuid}``: title, session count, who ordered it, the
  task plan (a codebook: every task's text, type, choices and scale labels) and NPS.
* :func:`load_completed_sessions` — ``GET /studies/{uuid}/completed-sessions``: the
  sessions of a *classic* test (the Results API only knows STUDYV2 tests).
* :func:`load_session_notes`, :func:`load_clip`, :func:`load_highlight_reel` —
  ``/session``, ``/clip``, ``/highlightreel``: notes, note tags, sentiment, share URLs.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> info = ut.load_test(ut.demo.TESTS["think_out_loud"])
>>> info.title
'Mobile app first impressions (think-out-loud)'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from ..frames import DURATION, UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from ..ui.progress import LoadBar
from .catalog import LEGACY
from .paginate import cursor_pages, partial_on_error, unexpected

__all__ = [
    "COMPLETED_SESSION_SCHEMA",
    "LEGACY_TASK_TYPES",
    "NPS_SCHEMA",
    "PLAN_SCHEMA",
    "TestInfo",
    "load_clip",
    "load_completed_sessions",
    "load_highlight_reel",
    "load_session_notes",
    "load_test",
]

PAGE_SIZE = 50  # v1's fixed page size
MAX_PAGES = 1000

# v1 task types -> the Results API's names (the `type` of load_session_details tasks),
# so the plan joins the answers.
LEGACY_TASK_TYPES = {
    "blank": "BLANK",
    "rating_scale": "RATING_SCALE",
    "multiple_choice": "MULTIPLE_CHOICE",
    "image": "IMAGE",
    "net_promoter_score": "NPS",
    "launch_url": "URL",
    "rank_order": "RANK_ORDER",
    "written_response": "WRITTEN",
    "figma_prototype": "FIGMA",
    "matrix": "MATRIX",
    "verbal_response": "VERBAL",
    "skipped": "SKIPPED",
}

PLAN_SCHEMA = {
    "position": "Int64",
    "text": "string",
    "type": "category",  # the Results API's task type (RATING_SCALE, NPS, ...)
    "taskType": "category",  # v1's own (rating_scale, net_promoter_score, ...)
    "resultType": "category",
    "choices": "object",  # options (multiple choice, rank order) or columns (matrix)
    "multipleAnswers": "boolean",
    "scaleMinimum": "Int64",
    "scaleMaximum": "Int64",
    "lowerEndpoint": "string",
    "upperEndpoint": "string",
    "launchUrl": "string",
    "grouping": "category",
    "taskGroupId": "string",
    "taskGroupType": "category",
    "blurPII": "boolean",
}
NPS_SCHEMA = {
    "score": "Int64",
    "promoterPercentage": "Int64",
    "passivePercentage": "Int64",
    "detractorPercentage": "Int64",
}
COMPLETED_SESSION_SCHEMA = {
    # typed like load_sessions
    "sessionId": "string",
    "audienceId": "string",
    "status": "category",
    "startTime": UTC_DATETIME,
    "finishTime": UTC_DATETIME,
    "duration": DURATION,
    # classic tests' own
    "legacySessionId": "string",
    "state": "category",
    "formFactor": "category",
    "taskOrderingCondition": "category",
    "age": "category",
    "gender": "category",
    "country": "category",
    "income": "category",
    "employmentStatus": "category",
    "webExpertise": "category",
}
SESSION_NOTES_SCHEMA = {
    "sessionId": "string",
    "legacySessionId": "string",
    "title": "string",
    "sequenceNumber": "Int64",
    "duration": DURATION,
    "notes": "string",
    "stateUpdatedAt": UTC_DATETIME,
    "posterUrl": "string",
}
CLIP_NOTE_SCHEMA = {
    "clipId": "string",
    "studyTitle": "string",
    "createdAt": UTC_DATETIME,
    "duration": DURATION,
    "isImportant": "boolean",
    "note": "string",
    "noteTags": "object",
    "sentimentTag": "category",
    "embeddableUrl": "string",
    "posterUrl": "string",
}
REEL_CLIP_SCHEMA = {
    "reelToken": "string",
    "reelTitle": "string",
    "clipId": "string",
    "duration": DURATION,
    "url": "string",
    "posterUrl": "string",
}

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(timezone.utc))


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seconds(value: Any) -> pd.Timedelta | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return pd.Timedelta(seconds=value)


# -- the test plan --------------------------------------------------------------------------


@dataclass(frozen=True)
class TestInfo:
    """What v1 ``GET /studies/{uuid}`` says about a test.

    Attributes:
        testId: the test's UUID.
        title: its title.
        sessionCount: sessions so far (all statuses).
        orderedBy: the name of who ordered it (``orderedByEmail`` the address).
        testPlan: the plan's flags (``{"shortTest": False}``).
        tasks: one row per task, in plan order (see ``PLAN_SCHEMA``): the codebook.
        nps: the Net Promoter Score of the COMPLETE sessions (empty without an NPS task).
        raw: the answer as received.

    >>> info = ut.load_test(TEST_ID)                                       # doctest: +SKIP
    >>> info.tasks[["position", "type", "text"]]                           # doctest: +SKIP
    """

    __test__ = False  # not a pytest test class, despite its name

    testId: str
    title: str | None
    sessionCount: int | None
    orderedBy: str | None
    orderedByEmail: str | None
    testPlan: dict[str, Any]
    tasks: pd.DataFrame = field(repr=False)
    nps: pd.DataFrame = field(repr=False)
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"<TestInfo {self.title!r} ({self.testId}): {self.sessionCount} sessions, "
            f"{len(self.tasks)} tasks>"
        )

    def endpoints(self) -> dict[str, tuple[str | None, str | None]]:
        """Rating and NPS tasks' text -> (lower, upper) end labels."""
        rated = self.tasks[
            self.tasks["lowerEndpoint"].notna() | self.tasks["upperEndpoint"].notna()
        ]
        return {
            str(text).strip(): (_text(low), _text(high))
            for text, low, high in zip(
                rated["text"], rated["lowerEndpoint"], rated["upperEndpoint"], strict=True
            )
            if isinstance(text, str)
        }


def _text(value: Any) -> str | None:
    return None if value is None or value is pd.NA or pd.isna(value) else str(value)


def _plan_row(task: Mapping[str, Any]) -> dict[str, Any]:
    group = _map(task.get("taskGroup"))
    choices = task.get("choices")
    return {
        **{k: task.get(k) for k in PLAN_SCHEMA},
        "type": LEGACY_TASK_TYPES.get(str(task.get("taskType")), str(task.get("taskType")).upper()),
        "resultType": task.get("resultType") or None,
        "choices": list(choices) if isinstance(choices, list) else None,
        "taskGroupId": group.get("id"),
        "taskGroupType": group.get("type"),
    }


def load_test(test_id: str, *, client: Client | None = None) -> TestInfo:
    """A test's title, session count, orderer, task plan and NPS (v1 ``/studies``).

    Works for STUDYV2 and classic tests. What it learns is remembered in this kernel:
    charts then show the test's title, and ``ut.charts.rating_scales`` labels a scale's
    ends with the plan's endpoint labels.

    Raises:
        ValueError: ``test_id`` is not a UUID (before any request).
        NotFoundError: no such test in your workspaces.

    >>> info = ut.load_test(ut.demo.TESTS["survey"])                       # doctest: +SKIP
    >>> info.nps                                                           # doctest: +SKIP
    """
    tid = parse_uuid(test_id, "test id")
    client = require_client(client)
    body = client.get_json(
        f"{LEGACY}/studies/{tid}",
        not_found=f"Test {tid} was not found (HTTP 404): check the id, and that the test is "
        "in one of your workspaces (ut.list_tests() lists them).",
    )
    if not isinstance(body, Mapping):
        raise unexpected(f"test {tid}", "not an object")
    tasks = body.get("tasks") if isinstance(body.get("tasks"), list) else []
    plan = typed_frame([_plan_row(t) for t in tasks if isinstance(t, Mapping)], PLAN_SCHEMA)
    plan = plan.sort_values("position", kind="stable", na_position="last").reset_index(drop=True)
    nps = typed_frame(
        [n for n in body.get("netPromoterScores") or [] if isinstance(n, Mapping)], NPS_SCHEMA
    )
    count = body.get("sessionCount")
    ordered = _map(body.get("orderedBy"))
    info = TestInfo(
        testId=tid,
        title=body.get("title") if isinstance(body.get("title"), str) else None,
        sessionCount=count if isinstance(count, int) and not isinstance(count, bool) else None,
        orderedBy=ordered.get("name"),
        orderedByEmail=ordered.get("email"),
        testPlan=dict(_map(body.get("testPlan"))),
        tasks=plan,
        nps=nps,
        raw=dict(body),
    )
    for frame in (plan, nps):
        frame.attrs.update({"testId": tid, "testTitle": info.title})
    known_tests.remember(
        tid, title=info.title, endpoints=info.endpoints(), sessions=info.sessionCount
    )
    return info


# -- classic tests' sessions ----------------------------------------------------------------


def _completed_row(item: Mapping[str, Any]) -> dict[str, Any]:
    answers = [a for a in item.get("answers") or [] if isinstance(a, Mapping)]
    # v1 gives no start time: the last task's end (seconds from the start) is the
    # length of the session, so start = completion - that.
    ends = [
        a["time"] + a["duration"]
        for a in answers
        if all(isinstance(a.get(k), (int, float)) for k in ("time", "duration"))
    ]
    finish = pd.to_datetime(item.get("completedDateTime"), utc=True, errors="coerce")
    duration = pd.Timedelta(seconds=max(ends)) if ends else None
    person = _map(_map(item.get("participant")).get("demographics"))
    state = item.get("state")
    return {
        "sessionId": item.get("sessionUuid"),
        "audienceId": None,
        "status": "COMPLETE" if state == "completed" else (str(state).upper() if state else None),
        "startTime": finish - duration if duration is not None and not pd.isna(finish) else None,
        "finishTime": None if pd.isna(finish) else finish,
        "duration": duration,
        "legacySessionId": None if item.get("sessionId") is None else str(item.get("sessionId")),
        "state": state,
        "formFactor": item.get("formFactorUsed"),
        "taskOrderingCondition": item.get("taskOrderingCondition"),
        **{k: person.get(k) for k in ("age", "gender", "country", "income")},
        "employmentStatus": person.get("employmentStatus"),
        "webExpertise": person.get("webExpertise"),
    }


def _completed_frame(rows: dict[str, dict[str, Any]], attrs: dict[str, Any]) -> pd.DataFrame:
    df = typed_frame(list(rows.values()), COMPLETED_SESSION_SCHEMA)
    df = df.sort_values("startTime", ascending=False, kind="stable", na_position="last")
    df = df.reset_index(drop=True)
    df.attrs.update(attrs)
    return df


def load_completed_sessions(
    test_id: str, *, client: Client | None = None, progress: bool | None = None
) -> pd.DataFrame:
    """The completed sessions of a classic test (v1), typed like ``load_sessions``.

    Columns: ``sessionId``, ``audienceId`` (always NA: v1 has none), ``status``
    (COMPLETE), ``startTime`` (the completion time minus the task times), ``finishTime``,
    ``duration``, then v1's ``legacySessionId``, ``state``, ``formFactor``,
    ``taskOrderingCondition`` and the participant's demographics. Newest first, so the
    session charts take it as they take ``load_sessions``.

    Raises:
        ValueError: ``test_id`` is not a UUID (before any request).
        NotFoundError: not a classic test (use ``ut.load_sessions``), or unknown.
        UTError: the API failed; ``err.partial`` holds the sessions read so far.

    >>> df = ut.load_completed_sessions(ut.demo.CLASSIC_TESTS["classic"])   # doctest: +SKIP
    >>> ut.charts.sessions_per_day(df)                                     # doctest: +SKIP
    """
    tid = parse_uuid(test_id, "test id")
    client = require_client(client)
    rows: dict[str, dict[str, Any]] = {}
    attrs: dict[str, Any] = {
        "testId": tid,
        "requests": 0,
        "completedSessionCount": None,
        "fetched_at": _now(),
        "testTitle": known_tests.title_of(tid),
    }
    with (
        partial_on_error(lambda: _completed_frame(rows, {**attrs, "partial": True})),
        LoadBar(progress, f"sessions of {known_tests.test_label(tid)}", unit="page") as bar,
    ):
        pages = cursor_pages(
            _Unwrap(client, attrs),
            f"{LEGACY}/studies/{tid}/completed-sessions",
            page_size=PAGE_SIZE,
            max_pages=MAX_PAGES,
            what=f"completed sessions of test {tid}",
            not_found=f"No completed sessions for test {tid} (HTTP 404): only classic tests "
            "have them; for other tests use ut.load_sessions(test_id).",
            bar=bar,
        )
        for page in pages:
            attrs["requests"] += 1
            if attrs["requests"] == 1 and attrs["completedSessionCount"]:
                bar.start(-(-attrs["completedSessionCount"] // PAGE_SIZE))
            for item in page:
                if isinstance(item, Mapping) and isinstance(item.get("sessionUuid"), str):
                    rows.setdefault(item["sessionUuid"], _completed_row(item))
            bar.advance(postfix=f"{len(rows):,} sessions")
        return _completed_frame(rows, {**attrs, "partial": False})


class _Unwrap:
    """The client as ``cursor_pages`` wants it: v1 wraps this list in an object
    (``{"completedSessionCount", "sessions"}``), so hand on its ``sessions``."""

    def __init__(self, client: Client, attrs: dict[str, Any]) -> None:
        self.client = client
        self.attrs = attrs

    def get_json(self, path: str, params: Any = None, **kwargs: Any) -> Any:
        body = self.client.get_json(path, params, **kwargs)
        if not isinstance(body, Mapping) or not isinstance(body.get("sessions"), list):
            raise unexpected("the completed sessions", "no 'sessions' list")
        count = body.get("completedSessionCount")
        if isinstance(count, int) and not isinstance(count, bool):
            self.attrs["completedSessionCount"] = count
        return body["sessions"]


# -- notes, clips and reels -----------------------------------------------------------------


def load_session_notes(session_id: str, *, client: Client | None = None) -> pd.DataFrame:
    """A session's title, notes, length and poster (v1 ``/session``), as a one-row frame.

    Raises:
        ValueError: ``session_id`` is not a UUID (before any request).
        NotFoundError: the session has no video (surveys) or does not exist.

    >>> ut.load_session_notes(SESSION_ID)["notes"].iloc[0]                 # doctest: +SKIP
    """
    sid = parse_uuid(session_id, "session id")
    client = require_client(client)
    body = client.get_json(
        f"{LEGACY}/session/{sid}",
        not_found=f"Session {sid} was not found (HTTP 404): only sessions with video have "
        "notes (not surveys), and it must be in one of your workspaces.",
    )
    if not isinstance(body, Mapping):
        raise unexpected(f"the notes of session {sid}", "not an object")
    row = {
        "sessionId": body.get("uid") or sid,
        "legacySessionId": None if body.get("sessionId") is None else str(body["sessionId"]),
        "title": body.get("title"),
        "sequenceNumber": body.get("sequenceNumber"),
        "duration": _seconds(body.get("duration")),
        "notes": body.get("notes"),
        "stateUpdatedAt": body.get("stateUpdatedAt"),
        "posterUrl": body.get("securePoster"),
    }
    df = typed_frame([row], SESSION_NOTES_SCHEMA)
    df.attrs.update({"fetched_at": _now()})
    return df


def load_clip(clip_id: str, *, client: Client | None = None) -> pd.DataFrame:
    """A clip's note, note tags, sentiment, length and share URLs (v1 ``/clip``).

    ``embeddableUrl`` is a signed link (about 15 minutes): anyone with it can watch.

    Raises:
        ValueError: ``clip_id`` is not a UUID (before any request).
        NotFoundError: no such clip.

    >>> ut.load_clip(clips["clipId"].iloc[0])[["note", "sentimentTag"]]    # doctest: +SKIP
    """
    cid = parse_uuid(clip_id, "clip id")
    client = require_client(client)
    body = client.get_json(
        f"{LEGACY}/clip/{cid}", not_found=f"Clip {cid} was not found (HTTP 404)."
    )
    if not isinstance(body, Mapping):
        raise unexpected(f"clip {cid}", "not an object")
    tags = body.get("noteTags")
    row = {
        "clipId": cid,
        "studyTitle": _map(body.get("study")).get("title"),
        "createdAt": body.get("createdAt"),
        "duration": _seconds(body.get("duration")),
        "isImportant": body.get("isImportant"),
        "note": body.get("note"),
        "noteTags": [str(t) for t in tags] if isinstance(tags, list) else [],
        "sentimentTag": body.get("sentimentTag"),
        "embeddableUrl": body.get("embeddableUrl"),
        "posterUrl": body.get("securePoster"),
    }
    df = typed_frame([row], CLIP_NOTE_SCHEMA)
    df.attrs.update({"fetched_at": _now(), "typeName": body.get("typeName")})
    return df


def load_highlight_reel(token: str, *, client: Client | None = None) -> pd.DataFrame:
    """A shared highlight reel (v1 ``/highlightreel/{token}``): one row per clip.

    ``token`` is the reel's share token (from its share link, not a UUID). ``df.attrs``
    holds the reel's ``title``, ``duration``, ``createdAt``, ``updatedAt``, ``shareUrl``,
    ``editUrlPath`` and ``totalCount``.

    Raises:
        ValueError: ``token`` is not a share token (before any request).
        NotFoundError: no such reel.

    >>> reel = ut.load_highlight_reel("3f9a0c1e5b7d2a4c6e8f")              # doctest: +SKIP
    >>> reel.attrs["shareUrl"]                                              # doctest: +SKIP
    """
    if not isinstance(token, str) or not _TOKEN.match(token.strip()):
        raise ValueError(
            f"{token!r} is not a highlight reel token: expected the letters and digits of "
            "the reel's share link (such as 3f9a0c1e5b7d2a4c6e8f)."
        )
    token = token.strip()
    client = require_client(client)
    body = client.get_json(
        f"{LEGACY}/highlightreel/{token}",
        not_found=f"Highlight reel {token} was not found (HTTP 404): check its share link.",
    )
    if not isinstance(body, Mapping):
        raise unexpected(f"highlight reel {token}", "not an object")
    clips = _map(body.get("clips"))
    nodes = [n for n in clips.get("nodes") or [] if isinstance(n, Mapping)]
    rows = [
        {
            "reelToken": token,
            "reelTitle": body.get("title"),
            "clipId": None if n.get("id") is None else str(n.get("id")),
            "duration": _seconds(n.get("duration")),
            "url": n.get("url"),
            "posterUrl": n.get("securePosterFullUrl"),
        }
        for n in nodes
    ]
    df = typed_frame(rows, REEL_CLIP_SCHEMA)
    df.attrs.update(
        {
            "token": token,
            "id": None if body.get("id") is None else str(body.get("id")),
            "title": body.get("title"),
            "duration": _seconds(body.get("duration")),
            "createdAt": pd.to_datetime(body.get("createdAt"), utc=True, errors="coerce"),
            "updatedAt": pd.to_datetime(body.get("updatedAt"), utc=True, errors="coerce"),
            "shareUrl": body.get("shareUrl"),
            "editUrlPath": body.get("editUrlPath"),
            "totalCount": clips.get("totalCount"),
            "fetched_at": _now(),
        }
    )
    return df
