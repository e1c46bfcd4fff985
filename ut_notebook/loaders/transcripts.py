"""Transcripts: WebVTT parsed into cues, for one session or stacked for many.

>>> cues = parse_webvtt('''WEBVTT
...
... 1
... 00:01:09.004 --> 00:01:15.364
... <v Participant>Um, I'd search by recipe.
... ''')
>>> cues.loc[0, "start"], cues.loc[0, "speaker"], cues.loc[0, "text"]
(Timedelta('0 days 00:01:09.004000'), 'Participant', "Um, I'd search by recipe.")
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any, Literal, overload

import pandas as pd

from ..api.client import Client
from ..api.connect import require_client
from ..api.scheduler import WaitCallback
from ..cache import Cache
from ..frames import typed_frame
from ..ids import parse_uuid
from ..jobs import Job, LoadStatus
from .paginate import unexpected
from .per_session import BadAnswer, PerSessionLoad, Resource, cache_scope, load_per_session
from .webvtt import CUE_SCHEMA, parse_webvtt  # parsing lives in webvtt.py

__all__ = [
    "CUE_SCHEMA",
    "TRANSCRIPTS_SCHEMA",
    "load_transcript",
    "load_transcripts",
    "parse_webvtt",
]

TRANSCRIPT_PATH = "/api/v2/sessionResults/{}/transcript"

TRANSCRIPTS_SCHEMA = {"sessionId": "string", **CUE_SCHEMA}


def _not_found(sid: str) -> str:
    return (
        f"No transcript for session {sid} (HTTP 404): transcripts exist for think-out-loud "
        "sessions with audio, and may take a while after the session ends."
    )


def load_transcript(
    session_id: str,
    *,
    client: Client | None = None,
    session: Client | None = None,
    refresh: bool = False,
) -> pd.DataFrame:
    """The transcript of one session as cues (see :func:`parse_webvtt`).

    Read from the cache when there; stored in it when the session is known to be
    COMPLETE (its details or transcript were cached by an earlier load of its test).

    Raises:
        ValueError: ``session_id`` is not a UUID (before any request).
        NotFoundError: the session has no transcript (e.g. a survey session).
        APIError: the answer is not WebVTT.

    >>> cues = ut.load_transcript(SESSION_ID)                          # doctest: +SKIP
    >>> cues.groupby("speaker", observed=True)["text"].count()          # doctest: +SKIP
    """
    sid = parse_uuid(session_id, "session id")
    client = require_client(client, session)
    cache = Cache.from_settings(client.settings)
    scope = cache_scope(client)
    if not refresh:
        body = cache.get(scope, "transcript", sid)
        if body is not None:
            try:
                return _frame(body, sid)
            except ValueError:  # no longer readable: drop it and ask the API
                cache.discard(scope, "transcript", [sid])
                warnings.warn(
                    f"The cached transcript of session {sid} could not be read any more; "
                    "it was dropped from the cache and is fetched again.",
                    UserWarning,
                    stacklevel=2,
                )
    known_complete = cache.has_any(scope, sid)
    body = client.get_text(TRANSCRIPT_PATH.format(sid), not_found=_not_found(sid))
    try:
        frame = _frame(body, sid)  # parse before storing: never cache what we cannot read
    except ValueError as exc:
        raise unexpected(f"the transcript of session {sid}", str(exc)) from None
    if known_complete:
        cache.put(scope, "transcript", sid, body)
    return frame


def _frame(body: str, sid: str) -> pd.DataFrame:
    cues = parse_webvtt(body)
    cues.attrs["sessionId"] = sid
    return cues


def stack_transcripts(ids: Iterable[str], cues: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame of the cues of ``ids`` (in that order), with a ``sessionId`` column."""
    parts = []
    for sid in ids:
        frame = cues.get(sid)
        if frame is not None and len(frame):
            part = frame.copy()
            part.insert(0, "sessionId", sid)
            parts.append(part)
    if not parts:
        return typed_frame([], TRANSCRIPTS_SCHEMA)
    out = pd.concat(parts, ignore_index=True)
    out["sessionId"] = out["sessionId"].astype("string")
    speakers = list(dict.fromkeys(s for s in out["speaker"].dropna()))
    out["speaker"] = out["speaker"].astype("string").astype(pd.CategoricalDtype(speakers))
    return out


def _fetch(client: Client, sid: str, on_wait: WaitCallback) -> tuple[pd.DataFrame, str]:
    body = client.get_text(TRANSCRIPT_PATH.format(sid), not_found=_not_found(sid), on_wait=on_wait)
    try:
        return parse_webvtt(body), body
    except ValueError as exc:
        raise BadAnswer(f"the transcript is not WebVTT ({exc})") from None


def _build(load: PerSessionLoad[pd.DataFrame, pd.DataFrame], partial: bool) -> pd.DataFrame:
    out = stack_transcripts(load.ids, dict(load.values))
    out.attrs.update(load.attrs(partial))
    out.attrs["without_transcript"] = list(load.missing)
    return out


TRANSCRIPTS: Resource[pd.DataFrame, pd.DataFrame] = Resource(
    kind="transcript",
    what="transcripts",
    fetch=_fetch,
    decode=parse_webvtt,
    build=_build,
    missing_ok=True,  # a session without a transcript (a survey) is no surprise
)


@overload
def load_transcripts(
    test_id_or_sessions: Any,
    *,
    client: Client | None = ...,
    session: Client | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def load_transcripts(
    test_id_or_sessions: Any,
    *,
    client: Client | None = ...,
    session: Client | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[True],
) -> Job[pd.DataFrame]: ...


def load_transcripts(
    test_id_or_sessions: Any,
    *,
    client: Client | None = None,
    session: Client | None = None,
    progress: bool | Callable[[LoadStatus], None] | None = None,
    refresh: bool = False,
    background: bool = False,
) -> pd.DataFrame | Job[pd.DataFrame]:
    """The transcripts of many sessions stacked into one frame of cues, with ``sessionId``.

    Takes the same inputs and options as :func:`~ut_notebook.load_session_details`
    (a test id, a ``load_sessions`` frame or session ids; client, cache, progress,
    refresh, background). Sessions without a transcript (HTTP 404: surveys, or not
    transcribed yet) are skipped and listed in ``df.attrs["without_transcript"]``; an
    answer that is not WebVTT is skipped with a warning and its reason is in
    ``df.attrs["failed"]``.

    >>> cues = ut.load_transcripts(ut.demo.TESTS["think_out_loud"])     # doctest: +SKIP
    >>> cues[cues["text"].str.contains("confus", case=False)]            # doctest: +SKIP
    """
    return load_per_session(
        TRANSCRIPTS,
        test_id_or_sessions,
        name="load_transcripts",
        client=client,
        session=session,
        progress=progress,
        refresh=refresh,
        background=background,
    )
