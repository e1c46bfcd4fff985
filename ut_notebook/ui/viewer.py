"""``ut.show_session(session_id)``: a session's video, transcript, tasks and clips together.

The viewer is an `anywidget <https://anywidget.dev>`_ widget: a few lines of ESM
(``viewer.js``) and CSS (``viewer.css``) shipped inside the package, with no front-end
build, so it renders in JupyterLab, Notebook 7, VS Code and Voilà alike.

* the video plays from its signed download URL (:func:`~ut_notebook.video_url`), and
  the URL is fetched again when it has expired (the browser asks for it on a failed
  load, a seek or play past the expiry);
* the transcript's cues are listed beside it; the cue being spoken is highlighted and
  scrolled into view while the video plays;
* the task timeline under it has one segment per task (green success, orange failure,
  grey unknown) and the clips as markers; clicking a cue, task or clip seeks there;
* ``viewer.current_time`` follows the video (seconds), ``viewer.seek(s)`` moves it,
  ``viewer.show(other_session_id)`` switches session.

>>> viewer = ut.show_session(SESSION_ID, task=3)   # opens where task 3 starts  # doctest: +SKIP
>>> viewer.current_time                                                    # doctest: +SKIP
502.3

What the browser receives (every synced trait) is the session id, the signed media URL
and its expiry, and the cues, tasks and clips as plain numbers and text: never the API
token or the client's credentials.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import traitlets

from ..api.client import Client
from ..api.connect import require_client
from ..errors import NotFoundError, UTError
from ..ids import parse_uuid
from ..loaders.video import VideoURL, video_url

__all__ = ["SessionViewer", "show_session"]

_HERE = Path(__file__).resolve().parent


def _seconds(value: Any) -> float | None:
    """Seconds as a float (rounded to the millisecond), or None for a missing value."""
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, (int, float)):
        return round(float(value), 3)
    return round(pd.Timedelta(value).total_seconds(), 3)


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _of_session(frame: Any, sid: str) -> pd.DataFrame | None:
    """The rows of ``frame`` for session ``sid``; None when the frame does not cover it."""
    if frame is None:
        return None
    frame = getattr(frame, "tasks", frame)  # a SessionDetails gives its tasks
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a DataFrame, not {type(frame).__name__}")
    if "sessionId" in frame.columns:
        rows = frame[frame["sessionId"].astype("string").str.lower().eq(sid).fillna(False)]
        return rows if len(rows) else None
    # One session's frame (load_transcript): it names its session in attrs, if at all.
    named = frame.attrs.get("sessionId")
    return frame if named is None or str(named).lower() == sid else None


def _cue_records(cues: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in cues.sort_values("start", kind="stable").itertuples(index=False):
        start, end = _seconds(row.start), _seconds(row.end)
        if start is None:
            continue
        records.append(
            {
                "start": start,
                "end": end if end is not None else start,
                "speaker": _text(getattr(row, "speaker", None)),
                "text": _text(row.text) or "",
            }
        )
    return records


def _task_records(tasks: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    ordered = tasks.sort_values("position", kind="stable") if "position" in tasks else tasks
    for row in ordered.to_dict("records"):
        start, end = _seconds(row.get("startOffset")), _seconds(row.get("endOffset"))
        if start is None or end is None:
            continue  # not reached: nothing to show on the timeline
        success = row.get("success")
        position = row.get("position")
        records.append(
            {
                "position": None if position is None or pd.isna(position) else int(position),
                "taskId": _text(row.get("taskId")),
                "type": _text(row.get("type")),
                "text": _text(row.get("text")) or "",
                "start": start,
                "end": end,
                "success": None if success is None or success is pd.NA else bool(success),
            }
        )
    return records


def _clip_records(clips: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in clips.sort_values("start", kind="stable").to_dict("records"):
        start, end = _seconds(row.get("start")), _seconds(row.get("end"))
        if start is None:
            continue
        records.append(
            {
                "clipId": _text(row.get("clipId")),
                "name": _text(row.get("name")) or "",
                "start": start,
                "end": end if end is not None else start,
            }
        )
    return records


class SessionViewer(anywidget.AnyWidget):
    """A session's video with its transcript, task timeline and clips (see the module).

    Build it with :func:`show_session`. Synced state: ``session_id``, ``current_time``
    (seconds from the start of the video: the browser reports it while the video plays;
    ``seek`` sets it), ``cues``/``tasks``/``clips`` (what is drawn, times in seconds),
    ``notes`` (what is missing, e.g. "No transcript"), ``video_src`` and
    ``video_expires`` (the signed URL and its expiry in ms since the epoch).

    >>> viewer = ut.show_session(SESSION_ID)                               # doctest: +SKIP
    >>> viewer.seek(75)                       # the video jumps to 1:15   # doctest: +SKIP
    >>> viewer.show(OTHER_SESSION_ID)                                      # doctest: +SKIP
    """

    _esm = _HERE / "viewer.js"
    _css = _HERE / "viewer.css"

    session_id = traitlets.Unicode("").tag(sync=True)
    current_time = traitlets.Float(0.0).tag(sync=True)
    video_src = traitlets.Unicode("").tag(sync=True)
    video_expires = traitlets.Float(0.0).tag(sync=True)
    cues = traitlets.List(traitlets.Dict()).tag(sync=True)
    tasks = traitlets.List(traitlets.Dict()).tag(sync=True)
    clips = traitlets.List(traitlets.Dict()).tag(sync=True)
    notes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # A seek request: the id changes each time, so seeking twice to one time still fires.
    _seek = traitlets.Dict({}).tag(sync=True)

    def __init__(
        self,
        session_id: str,
        *,
        at: Any = None,
        task: Any = None,
        cues: pd.DataFrame | None = None,
        details: Any = None,
        clips: pd.DataFrame | None = None,
        client: Client | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # Kept in Python only: the client (its token) never becomes a synced trait.
        self._client = require_client(client)
        self._given = {"cues": cues, "details": details, "clips": clips}
        self._video: VideoURL | None = None
        self._seeks = itertools.count(1)
        self.on_msg(self._on_message)
        self.show(session_id, at=at, task=task)

    # -- public ---------------------------------------------------------------------------

    @property
    def video(self) -> VideoURL | None:
        """The session's video URL (fetched again first if it has expired), or None."""
        if self._video is not None and self._video.expired:
            self.refresh_video()
        return self._video

    def show(self, session_id: str, *, at: Any = None, task: Any = None) -> SessionViewer:
        """Switch to another session (frames given at construction are used again when
        they hold it); ``at`` (seconds or a Timedelta) or ``task`` (a position or a
        ``taskId``) says where to start. Returns the viewer."""
        sid = parse_uuid(session_id, "session id")
        notes: list[str] = []
        video = self._fetch_video(sid, notes)
        cues = self._load_cues(sid, notes)
        tasks = self._load_tasks(sid, notes)
        clips = self._load_clips(sid, notes)
        start = self._start(at, task, tasks)
        self._video = video
        with self.hold_sync():  # one message: the browser redraws once
            self.session_id = sid
            self.video_src = video.url if video else ""
            self.video_expires = video.expires_at.timestamp() * 1000 if video else 0.0
            self.cues = cues
            self.tasks = tasks
            self.clips = clips
            self.notes = notes
            self.current_time = start
            self._seek = {"time": start, "id": next(self._seeks)}
        return self

    def seek(self, seconds: Any) -> None:
        """Move the video (and the highlighted cue) to ``seconds`` (or a Timedelta)."""
        t = _seconds(seconds)
        if t is None or t < 0:
            raise ValueError(f"seek(): a time of 0 s or more, not {seconds!r}")
        with self.hold_sync():
            self.current_time = t
            self._seek = {"time": t, "id": next(self._seeks)}

    def refresh_video(self) -> VideoURL | None:
        """Fetch a new signed URL for the video (the browser asks for one on expiry)."""
        notes: list[str] = []
        video = self._fetch_video(self.session_id, notes)
        self._video = video
        with self.hold_sync():
            self.video_src = video.url if video else ""
            self.video_expires = video.expires_at.timestamp() * 1000 if video else 0.0
            if notes:
                self.notes = [*self.notes, *notes]
        return video

    def __repr__(self) -> str:
        return (
            f"SessionViewer(session_id={self.session_id!r}, cues={len(self.cues)}, "
            f"tasks={len(self.tasks)}, clips={len(self.clips)}, "
            f"video={'yes' if self.video_src else 'no'})"
        )

    # -- loading --------------------------------------------------------------------------

    def _fetch_video(self, sid: str, notes: list[str]) -> VideoURL | None:
        try:
            return video_url(sid, client=self._client)
        except NotFoundError:
            notes.append("No video: this session has none (surveys are not recorded).")
        except UTError as exc:  # the message is scrubbed of secrets (errors.py)
            notes.append(f"The video could not be loaded: {exc}")
        return None

    def _load_cues(self, sid: str, notes: list[str]) -> list[dict[str, Any]]:
        frame = _of_session(self._given["cues"], sid)
        if frame is None:
            from ..loaders.transcripts import load_transcript

            try:
                frame = load_transcript(sid, client=self._client)
            except NotFoundError:
                notes.append("No transcript: this session has none.")
                return []
            except UTError as exc:
                notes.append(f"The transcript could not be loaded: {exc}")
                return []
        return _cue_records(frame)

    def _load_tasks(self, sid: str, notes: list[str]) -> list[dict[str, Any]]:
        frame = _of_session(self._given["details"], sid)
        if frame is None:
            from ..loaders.details import load_session_details

            try:
                frame = load_session_details([sid], client=self._client, progress=False).tasks
            except UTError as exc:
                notes.append(f"The tasks could not be loaded: {exc}")
                return []
        records = _task_records(frame)
        if not records:
            notes.append("No task times for this session.")
        return records

    def _load_clips(self, sid: str, notes: list[str]) -> list[dict[str, Any]]:
        frame = _of_session(self._given["clips"], sid)
        if frame is None:
            try:  # load_clips arrived with the clips loader; older installs have none
                from ..loaders.clips import load_clips
            except ImportError:
                return []
            try:
                frame = load_clips([sid], client=self._client, progress=False)
            except UTError as exc:
                notes.append(f"The clips could not be loaded: {exc}")
                return []
        return _clip_records(frame)

    @staticmethod
    def _start(at: Any, task: Any, tasks: list[dict[str, Any]]) -> float:
        if at is not None and task is not None:
            raise ValueError("give at= or task=, not both")
        if task is not None:
            for record in tasks:
                if str(task) in (str(record["position"]), str(record["taskId"])):
                    return float(record["start"])
            have = ", ".join(str(r["position"]) for r in tasks) or "none with times"
            raise ValueError(f"no task {task!r} with times in this session (tasks: {have})")
        t = _seconds(at) if at is not None else 0.0
        if t is None or t < 0:
            raise ValueError(f"at=: a time of 0 s or more, not {at!r}")
        return t

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        # The browser asks for a new URL when the signed one expired or failed to load.
        if isinstance(content, dict) and content.get("type") == "refresh_video":
            self.refresh_video()


def show_session(
    session_id: str,
    *,
    at: Any = None,
    task: Any = None,
    cues: pd.DataFrame | None = None,
    details: Any = None,
    clips: pd.DataFrame | None = None,
    client: Client | None = None,
) -> SessionViewer:
    """A :class:`SessionViewer` of one session: video, transcript, task timeline, clips.

    Args:
        session_id: the session to show.
        at: where to start, in seconds or as a Timedelta (default 0).
        task: start at this task instead (its ``position`` or ``taskId``).
        cues, details, clips: frames you already loaded (``load_transcripts``,
            ``load_session_details``, ``load_clips``), for this and other sessions:
            their rows of the session are used instead of a request.
        client: the connection (default: the current one).

    Sessions without a video or transcript (surveys, or not transcribed yet) show what
    they have and say what is missing. Requests: the video URL, and the transcript,
    details and clips that were not given (cached ones cost none).

    >>> viewer = ut.show_session(SESSION_ID, task=3)                       # doctest: +SKIP
    >>> viewer.current_time, viewer.session_id                             # doctest: +SKIP
    """
    return SessionViewer(
        session_id, at=at, task=task, cues=cues, details=details, clips=clips, client=client
    )
