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

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, Literal, overload

import pandas as pd

from ..api.client import Session
from ..api.connect import require_session
from ..cache import Cache
from ..frames import typed_frame
from ..ids import parse_uuid
from ..jobs import Control, Job, LoadStatus
from .per_session import Item, PerSessionLoad, cache_key, resolve_sessions, run_load
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
    session_id: str, *, session: Session | None = None, refresh: bool = False
) -> pd.DataFrame:
    """The transcript of one session as cues (see :func:`parse_webvtt`).

    Read from the cache when there; stored in it when the session is known to be
    COMPLETE (its details or transcript were cached by an earlier load of its test).

    Raises:
        ValueError: ``session_id`` is not a UUID (before any request).
        NotFoundError: the session has no transcript (e.g. a survey session).

    >>> cues = ut.load_transcript(SESSION_ID)                          # doctest: +SKIP
    >>> cues.groupby("speaker", observed=True)["text"].count()          # doctest: +SKIP
    """
    sid = parse_uuid(session_id, "session id")
    client = require_session(session)
    cache = Cache.from_environment()
    api = cache_key(client)
    if not refresh:
        body = cache.get(api, "transcript", sid)
        if body is not None:
            return _frame(body, sid)
    known_complete = cache.has_any(api, sid)
    body = client.get_text(TRANSCRIPT_PATH.format(sid), not_found=_not_found(sid))
    frame = _frame(body, sid)  # parse before storing: never cache what we cannot read
    if known_complete:
        cache.put(api, "transcript", sid, body)
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


class TranscriptsLoad:
    """One load of transcripts; runs in the foreground or in a :class:`Job`."""

    def __init__(
        self, client: Session, test_id: str | None, items: list[Item] | None, *, refresh: bool
    ) -> None:
        self.client = client
        self.test_id = test_id
        self.items = items
        self.fetched_at = pd.Timestamp(datetime.now(timezone.utc))
        self.batch = PerSessionLoad(
            client,
            kind="transcript",
            what="transcripts",
            fetch=self._fetch,
            decode=parse_webvtt,
            cache=Cache.from_environment(),
            refresh=refresh,
        )

    def _fetch(self, sid: str, on_wait: Callable[[float], None]) -> tuple[Any, str]:
        body = self.client.get_text(
            TRANSCRIPT_PATH.format(sid), not_found=_not_found(sid), on_wait=on_wait
        )
        return parse_webvtt(body), body

    def run(self, control: Control, progress: bool | None) -> pd.DataFrame:
        desc = f"transcripts of {self.test_id[:8]}…" if self.test_id else "transcripts"
        run_load(self, control, progress, status=LoadStatus("transcripts"), desc=desc)
        return self.result(partial=False)

    def result(self, *, partial: bool) -> pd.DataFrame:
        ids = [item.id for item in self.items or []]
        values = dict(self.batch.values)
        out = stack_transcripts(ids, values)
        out.attrs.update(
            {
                "testId": self.test_id,
                "sessions": len(values),
                "without_transcript": list(self.batch.missing),
                "cached": len(self.batch.cached_ids),
                "requests": self.batch.requests,
                "fetched_at": self.fetched_at,
                "partial": partial,
            }
        )
        return out


@overload
def load_transcripts(
    test_id_or_sessions: Any,
    *,
    session: Session | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def load_transcripts(
    test_id_or_sessions: Any,
    *,
    session: Session | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[True],
) -> Job[pd.DataFrame]: ...


def load_transcripts(
    test_id_or_sessions: Any,
    *,
    session: Session | None = None,
    progress: bool | Callable[[LoadStatus], None] | None = None,
    refresh: bool = False,
    background: bool = False,
) -> pd.DataFrame | Job[pd.DataFrame]:
    """The transcripts of many sessions stacked into one frame of cues, with ``sessionId``.

    Takes the same inputs and options as :func:`~ut_notebook.load_session_details`
    (a test id, a ``load_sessions`` frame or session ids; cache, progress, refresh,
    background). Sessions without a transcript (HTTP 404: surveys, or not transcribed
    yet) are skipped and listed in ``df.attrs["without_transcript"]``.

    >>> cues = ut.load_transcripts(ut.demo.TESTS["think_out_loud"])     # doctest: +SKIP
    >>> cues[cues["text"].str.contains("confus", case=False)]            # doctest: +SKIP
    """
    test_id, items = resolve_sessions(test_id_or_sessions, what="load_transcripts")
    client = require_session(session)
    load = TranscriptsLoad(client, test_id, items, refresh=refresh)
    listeners = (progress,) if callable(progress) else ()
    if background:
        name = (
            f"transcripts of {test_id}"
            if test_id
            else f"transcripts of {len(items or [])} sessions"
        )

        def run(control: Control) -> pd.DataFrame:
            control.listeners.extend(listeners)
            return load.run(control, progress=False)

        status = (
            LoadStatus("transcripts")
            if items is None
            else LoadStatus("transcripts", stage="loading", total=len(items))
        )
        return Job(name, run, lambda: load.result(partial=True), status)
    if callable(progress):
        return load.run(Control(listeners=listeners), progress=False)
    return load.run(Control(), progress=progress)
