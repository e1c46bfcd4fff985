"""Clips: the moments researchers cut from session videos, and links to watch them.

* :func:`load_clips` — ``GET /api/v2/sessionResults/{id}/clips`` for each session, through
  the generic per-session loader (cache, rate limit, progress, background, partial).
* :func:`clip_url` — ``GET …/clips/{clipUuid}``: the clip's download link once the API
  has generated it (``wait=True`` polls until then).

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> clips = ut.load_clips(ut.demo.TESTS["think_out_loud"], progress=False)
>>> list(clips.columns)[:4]
['sessionId', 'clipId', 'name', 'description']
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, overload
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from ..api.download import shown_url
from ..api.scheduler import WaitCallback, current_context
from ..errors import NotFoundError, UTError
from ..frames import DURATION, typed_frame
from ..ids import parse_uuid
from ..jobs import Job, LoadStatus
from .paginate import unexpected
from .per_session import BadAnswer, PerSessionLoad, Resource, cache_scope, load_per_session

__all__ = [
    "CLIPS_SCHEMA",
    "MediaURL",
    "clip_url",
    "clips_by_task",
    "load_clips",
]

CLIPS_PATH = "/api/v2/sessionResults/{}/clips"
CLIP_PATH = "/api/v2/sessionResults/{}/clips/{}"

CLIPS_SCHEMA = {
    "sessionId": "string",
    "clipId": "string",
    "name": "string",
    "description": "string",
    "start": DURATION,  # from the start of the session's video
    "end": DURATION,
    "duration": DURATION,
    "videoUuid": "string",
    "hasAudio": "boolean",
    "hasCamera": "boolean",
    "mainStream": "category",
    "pipPosition": "category",
    "pipState": "category",
}

# What the cache stores for a session whose product type has no clips (the API's 404
# "Session video or clips not found"): a COMPLETE survey session never gets any.
_NO_CLIPS = '{"clips": [], "noClips": true}'


# -- the clips of many sessions -------------------------------------------------------------


@dataclass(frozen=True)
class _Clips:
    rows: list[dict[str, Any]]
    regions: dict[str, Any] | None
    no_clips: bool = False


def _ms(value: Any) -> pd.Timedelta | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return pd.Timedelta(milliseconds=value)


def parse_clips(body: str) -> _Clips:
    """The clips of one session's answer; ``ValueError`` if it is not one."""
    data = json.loads(body)
    if not isinstance(data, Mapping) or not isinstance(data.get("clips"), list):
        raise ValueError("no 'clips' list")
    rows = []
    for clip in data["clips"]:
        if not isinstance(clip, Mapping):
            continue
        layout = clip.get("layout") if isinstance(clip.get("layout"), Mapping) else {}
        start, end = _ms(clip.get("timeStartMs")), _ms(clip.get("timeEndMs"))
        rows.append(
            {
                "clipId": clip.get("uuid"),
                "name": clip.get("name"),
                "description": clip.get("description"),
                "start": start,
                "end": end,
                "duration": end - start if start is not None and end is not None else None,
                "videoUuid": clip.get("videoUuid"),
                "hasAudio": clip.get("hasAudio"),
                "hasCamera": clip.get("hasCamera"),
                **{k: layout.get(k) for k in ("mainStream", "pipPosition", "pipState")},
            }
        )
    regions = data.get("videoRegions")
    return _Clips(
        rows, dict(regions) if isinstance(regions, Mapping) else None, bool(data.get("noClips"))
    )


def _no_clips(err: NotFoundError) -> bool:
    """The 404 of a session whose product type has no clips (a survey) — not of a
    session that does not exist: the API names the video or the clips then."""
    text = f"{err.body or ''}".lower()
    return "clip" in text or "video" in text


def _fetch(client: Client, sid: str, on_wait: WaitCallback) -> tuple[_Clips, str]:
    try:
        body = client.get_text(
            CLIPS_PATH.format(sid),
            not_found=f"Session {sid} was not found (HTTP 404): check the id, and that it "
            "belongs to one of your workspaces.",
            on_wait=on_wait,
        )
    except NotFoundError as err:
        if _no_clips(err):
            return parse_clips(_NO_CLIPS), _NO_CLIPS
        raise
    try:
        return parse_clips(body), body
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadAnswer(f"the clips answer is not a clips list ({exc})") from None


def _build(load: PerSessionLoad[_Clips, pd.DataFrame], partial: bool) -> pd.DataFrame:
    values = dict(load.values)
    rows = [
        {"sessionId": sid, **row} for sid in load.ids if sid in values for row in values[sid].rows
    ]
    df = typed_frame(rows, CLIPS_SCHEMA)
    df.attrs.update(load.attrs(partial))
    df.attrs["testTitle"] = known_tests.title_of(load.test_id)
    df.attrs["videoRegions"] = {
        sid: values[sid].regions for sid in load.ids if sid in values and values[sid].regions
    }
    df.attrs["without_clips"] = [sid for sid in load.ids if sid in values and values[sid].no_clips]
    df.attrs["missing"] = list(load.missing)
    return df


CLIPS: Resource[_Clips, pd.DataFrame] = Resource(
    kind="clips",
    what="clips",
    fetch=_fetch,
    decode=parse_clips,
    build=_build,
    missing_raises=True,  # "no clips" is an empty answer (above); a 404 is a wrong id
)


@overload
def load_clips(
    test_id_or_sessions: Any,
    *,
    client: Client | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def load_clips(
    test_id_or_sessions: Any,
    *,
    client: Client | None = ...,
    progress: bool | Callable[[LoadStatus], None] | None = ...,
    refresh: bool = ...,
    background: Literal[True],
) -> Job[pd.DataFrame]: ...


def load_clips(
    test_id_or_sessions: Any,
    *,
    client: Client | None = None,
    progress: bool | Callable[[LoadStatus], None] | None = None,
    refresh: bool = False,
    background: bool = False,
) -> pd.DataFrame | Job[pd.DataFrame]:
    """Every clip of a test's sessions (or of the sessions given), one row per clip.

    Takes a test id, a ``load_sessions`` frame or session ids, like
    :func:`~ut_notebook.load_session_details`, with the same cache (clips of COMPLETE
    sessions are stored), progress, ``refresh`` and ``background`` options.

    Columns: ``sessionId``, ``clipId``, ``name``, ``description``, ``start``/``end``
    (Timedelta from the start of the session's video), ``duration``, ``videoUuid``,
    ``hasAudio``, ``hasCamera`` and the layout's ``mainStream``, ``pipPosition``,
    ``pipState``. ``df.attrs["videoRegions"]`` maps each session to its screen and
    camera regions; sessions of a product type without clips (surveys) are no error:
    they add no row and are listed in ``df.attrs["without_clips"]``.

    Raises:
        ValueError: an id is not a UUID (before any request).
        NotFoundError: a session does not exist (after the others were loaded: they
            are on ``err.partial``).
        UTError: the API failed; ``err.partial`` holds the clips loaded so far.

    >>> clips = ut.load_clips(TEST_ID)                                     # doctest: +SKIP
    >>> clips.groupby("sessionId")["duration"].sum()                       # doctest: +SKIP
    """
    return load_per_session(
        CLIPS,
        test_id_or_sessions,
        name="load_clips",
        client=client,
        session=None,
        progress=progress,
        refresh=refresh,
        background=background,
    )


def clips_by_task(clips: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """``clips`` with the task each one starts in: ``taskId``, ``position``, ``text``,
    ``type`` from ``load_session_details(...).tasks`` (NA where no task matches).

    >>> per_task = ut.loaders.clips.clips_by_task(clips, details.tasks)  # doctest: +SKIP
    >>> per_task.groupby("text", observed=True)["clipId"].count()          # doctest: +SKIP
    """
    keep = ["sessionId", "taskId", "position", "text", "type", "startOffset", "endOffset"]
    spans = tasks[keep].dropna(subset=["startOffset", "endOffset"])
    merged = clips.reset_index(drop=True).reset_index().merge(spans, on="sessionId", how="left")
    inside = (merged["startOffset"] <= merged["start"]) & (merged["start"] < merged["endOffset"])
    found = merged[inside.fillna(False).to_numpy()].drop_duplicates("index").set_index("index")
    out = clips.reset_index(drop=True).copy()
    for column in ("taskId", "position", "text", "type"):
        out[column] = found[column].reindex(out.index).astype(tasks[column].dtype)
    out.attrs = dict(clips.attrs)
    return out


# -- links: clips and highlight reels -------------------------------------------------------


Status = Literal["GENERATING", "GENERATED", "ERROR"]


@dataclass(frozen=True)
class MediaURL:
    """A clip's or highlight reel's generation status and, once ``GENERATED``, its
    pre-signed link (valid about 15 minutes: anyone with it can watch).

    Its ``repr`` hides the link's signature; in a notebook it shows as a ``<video>``
    player (:meth:`video_html`).
    """

    kind: Literal["clip", "reel"]
    id: str
    parent: str  # the session (clips) or test (reels) it belongs to
    status: str
    url: str | None
    expires_at: pd.Timestamp | None
    polls: int = 1

    @property
    def ready(self) -> bool:
        return self.status == "GENERATED" and bool(self.url)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and _utcnow() >= self.expires_at

    def __str__(self) -> str:
        return self.url or ""

    def __repr__(self) -> str:
        shown = shown_url(self.url) if self.url else None
        expires = self.expires_at.isoformat() if self.expires_at is not None else None
        return (
            f"MediaURL(kind={self.kind!r}, id={self.id!r}, status={self.status!r}, "
            f"url={shown!r}, expires_at={expires!r})"
        )

    def video_html(self, *, width: int = 480) -> str:
        """An HTML ``<video>`` element playing the link (a note while generating)."""
        if not self.ready:
            return f"<p>The {self.kind} {html.escape(self.id)} is {html.escape(self.status)}.</p>"
        return (
            f'<video controls preload="metadata" width="{int(width)}" '
            f'src="{html.escape(str(self.url))}"></video>'
        )

    def _repr_html_(self) -> str:
        return self.video_html()


def _utcnow() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(timezone.utc))


def _expiry(url: str, fallback_seconds: float = 900) -> pd.Timestamp:
    """When a pre-signed link stops working: ``X-Amz-Date`` + ``X-Amz-Expires`` when the
    link says so, else ``fallback_seconds`` from now (the documented 15 minutes)."""
    query = parse_qs(urlsplit(url).query)
    try:
        stamp = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
        seconds = int(query["X-Amz-Expires"][0])
        return pd.Timestamp(stamp, tz="UTC") + pd.Timedelta(seconds=seconds)
    except (KeyError, IndexError, ValueError):
        return _utcnow() + pd.Timedelta(seconds=fallback_seconds)


# GENERATED links, kept in memory (never on disk: a live link is a credential) until a
# minute before they expire; keyed by the client's cache scope, so two accounts never
# share one.
_LINKS: dict[tuple[str, str, str], MediaURL] = {}
_LINKS_LOCK = threading.Lock()
_MARGIN = pd.Timedelta(seconds=60)


def _remembered(client: Client, kind: str, key: str) -> MediaURL | None:
    if not client.settings.cache:
        return None
    with _LINKS_LOCK:
        link = _LINKS.get((cache_scope(client), kind, key))
    if link is not None and link.expires_at is not None and _utcnow() < link.expires_at - _MARGIN:
        return link
    return None


def _remember(client: Client, kind: str, key: str, link: MediaURL) -> None:
    if link.ready and client.settings.cache:
        with _LINKS_LOCK:
            _LINKS[(cache_scope(client), kind, key)] = link


def poll_link(
    client: Client,
    *,
    kind: Literal["clip", "reel"],
    path: str,
    key: str,
    ids: tuple[str, str],
    url_field: str,
    not_found: str,
    wait: bool,
    max_wait: float,
    poll_interval: float | None,
    refresh: bool,
) -> MediaURL:
    """Ask ``path`` for a link until it is GENERATED (``wait``) or ``max_wait`` passes."""
    if not refresh:
        link = _remembered(client, kind, key)
        if link is not None:
            return link
    started = time.monotonic()
    polls = 0
    while True:
        body = client.get_json(path, not_found=not_found)
        polls += 1
        if not isinstance(body, Mapping) or not isinstance(body.get("status"), str):
            raise unexpected(f"the {kind} {ids[0]}", "no 'status'")
        status = body["status"]
        url = body.get(url_field) if isinstance(body.get(url_field), str) else None
        if status == "GENERATED" and not url:
            raise unexpected(f"the {kind} {ids[0]}", f"GENERATED without a {url_field}")
        link = MediaURL(kind, ids[0], ids[1], status, url, _expiry(url) if url else None, polls)
        if link.ready:
            _remember(client, kind, key, link)
            return link
        if status not in ("GENERATING", "PENDING", "QUEUED"):
            err = UTError(
                f"The API could not generate the {kind} {ids[0]} (status {status}). Try again "
                "later, or regenerate it in UserTesting."
            )
            err.partial = link
            raise err
        if not wait:
            return link
        pause = _pace(client, poll_interval)
        if time.monotonic() - started + pause > max_wait:
            err = UTError(
                f"The {kind} {ids[0]} was still {status} after {polls} polls "
                f"(max_wait={max_wait:g}s). Call again later, or with a larger max_wait."
            )
            err.partial = link
            raise err
        (current_context().sleep or time.sleep)(pause)


def _pace(client: Client, poll_interval: float | None) -> float:
    """Seconds between polls: ``poll_interval``, else the rate limit's own pace (one
    request per ``window / limit``: 6 s at 10 a minute), so that polling never spends
    the budget faster than it comes back."""
    if poll_interval is not None:
        return max(0.0, float(poll_interval))
    snap = client.rate_snapshot()
    if snap.limit and snap.window:
        return snap.window / snap.limit
    return 6.0


def clip_url(
    session_id: str,
    clip_id: str,
    *,
    wait: bool = True,
    max_wait: float = 300.0,
    poll_interval: float | None = None,
    refresh: bool = False,
    client: Client | None = None,
) -> MediaURL:
    """A clip's link: ``GET /api/v2/sessionResults/{session}/clips/{clip}``.

    The API prepares a clip's file on demand: the first answers say ``GENERATING``.
    With ``wait=True`` this polls — one request per ``window / limit`` seconds of the
    rate limit, or every ``poll_interval`` seconds — until ``GENERATED`` or ``max_wait``
    seconds passed (then a :class:`~ut_notebook.UTError` whose ``.partial`` is the last
    status). A GENERATED link is reused until a minute before it expires (in this
    kernel's memory only); ``refresh=True`` asks again.

    Raises:
        ValueError: an id is not a UUID (before any request).
        NotFoundError: no such clip in that session (or a session without clips).

    >>> link = ut.clip_url(clips["sessionId"][0], clips["clipId"][0])      # doctest: +SKIP
    >>> link                      # a <video> player in a notebook          # doctest: +SKIP
    """
    sid = parse_uuid(session_id, "session id")
    cid = parse_uuid(clip_id, "clip id")
    client = require_client(client)
    return poll_link(
        client,
        kind="clip",
        path=CLIP_PATH.format(sid, cid),
        key=cid,
        ids=(cid, sid),
        url_field="clipUrl",
        not_found=f"Clip {cid} of session {sid} was not found (HTTP 404): check both ids "
        "(ut.load_clips lists them).",
        wait=wait,
        max_wait=max_wait,
        poll_interval=poll_interval,
        refresh=refresh,
    )
