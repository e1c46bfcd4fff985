"""Download session videos, clips and highlight reels into a folder, resumably.

Each file is named after what it is (``session-<id>.webm``, ``clip-<id>.webm``,
``reel-<id>.webm``; the extension is the link's). A file with that name is complete (see
:mod:`ut_notebook.api.download`): running the same cell again skips it **without a
request**, and continues a ``.part`` file left by an interrupted run.

>>> files = ut.download_clips(clips.head(2), "downloads")                 # doctest: +SKIP
>>> files[["id", "path", "size", "status"]]                               # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..api.client import Client
from ..api.connect import require_client
from ..api.download import Downloaded, DownloadError, download
from ..errors import NotFoundError
from ..frames import typed_frame
from ..ids import parse_uuid
from ..ui.progress import LoadBar
from .clips import clip_url
from .paginate import partial_on_error
from .per_session import resolve_sessions
from .reels import highlight_reel_url
from .sessions import load_sessions
from .video import video_url

__all__ = ["DOWNLOAD_SCHEMA", "download_clips", "download_videos"]

DOWNLOAD_SCHEMA = {
    "kind": "category",  # video, clip or reel
    "id": "string",  # the session's, clip's or reel's id
    "sessionId": "string",
    "path": "string",
    "size": "Int64",  # bytes
    "status": "category",  # downloaded, resumed, redone, skipped, no video
}
_DEFAULT_EXT = ".mp4"


def _folder(folder: str | os.PathLike[str]) -> Path:
    """The download folder, created if need be; a clear error before any request."""
    if not isinstance(folder, (str, os.PathLike)) or not str(folder).strip():
        raise DownloadError(f"folder must be a path (such as 'downloads'), not {folder!r}.")
    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise DownloadError(
            f"{str(path)!r} is a file, not a folder: pass a folder to download into."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"Cannot create the folder {str(path)!r} ({exc.strerror or exc}): pass a folder you "
            "can write to."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DownloadError(f"Cannot write into {str(path)!r}: pass a folder you can write to.")
    return path


def _existing(folder: Path, stem: str) -> Path | None:
    """The complete file of ``stem`` from an earlier run, whatever its extension."""
    for candidate in sorted(folder.glob(f"{stem}.*")):
        if candidate.is_file() and not candidate.name.endswith(".part"):
            return candidate
    return None


def _target(folder: Path, stem: str, url: str) -> Path:
    suffix = Path(url.split("?", 1)[0].split("#", 1)[0]).suffix
    if not suffix or len(suffix) > 6 or not suffix[1:].isalnum():
        suffix = _DEFAULT_EXT
    return folder / f"{stem}{suffix.lower()}"


def _frame(rows: list[dict[str, Any]], folder: Path, partial: bool) -> pd.DataFrame:
    df = typed_frame(rows, DOWNLOAD_SCHEMA)
    df.attrs.update(
        {"folder": str(folder), "partial": partial, "bytes": int(df["size"].fillna(0).sum())}
    )
    return df


def _row(kind: str, id: str, sid: str | None, done: Downloaded) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": id,
        "sessionId": sid,
        "path": str(done.path),
        "size": done.size,
        "status": done.status,
    }


def _bytes_postfix(bar: LoadBar, name: str) -> Callable[[int, int | None], None]:
    def show(done: int, total: int | None) -> None:
        of = f"/{total / 1e6:.1f}" if total else ""
        bar.postfix(f"{name}: {done / 1e6:.1f}{of} MB")

    return show


def _run(
    jobs: list[tuple[str, str, str | None, Callable[[bool], str]]],
    folder: Path,
    *,
    resume: bool,
    progress: bool | None,
    what: str,
) -> pd.DataFrame:
    """Download each ``(kind, id, session id, link(fresh))``: skip complete files, else
    ask for a link and stream it (a fresh link when the first has expired)."""
    rows: list[dict[str, Any]] = []
    with (
        partial_on_error(lambda: _frame(rows, folder, True)),
        LoadBar(progress, what, unit="file") as bar,
    ):
        bar.start(len(jobs))
        for kind, id, sid, link in jobs:
            stem = f"{'session' if kind == 'video' else kind}-{id}"
            have = _existing(folder, stem) if resume else None
            if have is not None:  # complete from an earlier run: no request at all
                rows.append(_row(kind, id, sid, Downloaded(have, have.stat().st_size, "skipped")))
                bar.advance()
                continue
            try:
                url = link(False)
            except NotFoundError:
                if kind != "video":
                    raise
                rows.append({"kind": kind, "id": id, "sessionId": sid, "status": "no video"})
                bar.advance()
                continue
            done = download(
                url,
                _target(folder, stem, url),
                resume=resume,
                progress=_bytes_postfix(bar, stem),
                renew=lambda link=link: link(True),
            )
            rows.append(_row(kind, id, sid, done))
            bar.advance(postfix=f"{len(rows):,} files")
        return _frame(rows, folder, False)


def download_videos(
    sessions: Any,
    folder: str | os.PathLike[str],
    *,
    client: Client | None = None,
    resume: bool = True,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Download session videos into ``folder`` (``session-<id>.webm``…).

    ``sessions`` is a test id, a ``load_sessions`` frame or session ids. Each video's
    link comes from ``GET …/videoDownloadUrl`` (one request, only for files not yet
    complete); a link that expires during the download is fetched again. Sessions
    without video (surveys) get the status ``"no video"``.

    Returns:
        One row per session: ``kind``, ``id``, ``sessionId``, ``path``, ``size``
        (bytes) and ``status`` (downloaded, resumed, redone, skipped, no video).

    Raises:
        ValueError: an id is not a UUID (before any request).
        DownloadError: ``folder`` cannot be used (before any request), or a download
            failed (run again to resume); ``err.partial`` lists what was downloaded.

    >>> ut.download_videos(sessions.head(3), "videos")                     # doctest: +SKIP
    """
    test_id, items = resolve_sessions(sessions, what="download_videos")
    path = _folder(folder)
    client = require_client(client)
    if items is None:
        assert test_id is not None
        ids = list(load_sessions(test_id, client=client, progress=progress)["sessionId"])
    else:
        ids = [item.id for item in items]

    def link(sid: str) -> Callable[[bool], str]:
        return lambda fresh: video_url(sid, client=client).url  # never cached: always fresh

    jobs = [("video", sid, sid, link(sid)) for sid in ids]
    return _run(jobs, path, resume=resume, progress=progress, what="videos")


def download_clips(
    clips: Any,
    folder: str | os.PathLike[str],
    *,
    client: Client | None = None,
    resume: bool = True,
    progress: bool | None = None,
    max_wait: float = 300.0,
    poll_interval: float | None = None,
) -> pd.DataFrame:
    """Download clips, or highlight reels, into ``folder`` (``clip-<id>.webm``…).

    ``clips`` is a ``load_clips`` frame (its ``sessionId`` and ``clipId``) or a
    ``load_highlight_reels`` frame (its ``reelId``; the test from its attrs). Each link
    is polled until generated (as :func:`~ut_notebook.clip_url` does, up to ``max_wait``
    seconds) and fetched again if it expires during the download.

    Returns:
        One row per clip or reel: ``kind``, ``id``, ``sessionId``, ``path``, ``size``,
        ``status``.

    Raises:
        ValueError: not such a frame, or an id is not a UUID (before any request).
        DownloadError: ``folder`` cannot be used (before any request), or a download
            failed (run again to resume); ``err.partial`` lists what was downloaded.

    >>> ut.download_clips(clips.head(2), "clips")                          # doctest: +SKIP
    >>> ut.download_clips(reels.head(1), "reels")                          # doctest: +SKIP
    """
    if not isinstance(clips, pd.DataFrame):
        raise TypeError(
            "download_clips takes a DataFrame from ut.load_clips() or "
            f"ut.load_highlight_reels(), not {type(clips).__name__}."
        )
    poll = {"max_wait": max_wait, "poll_interval": poll_interval}
    jobs: list[tuple[str, str, str | None, Callable[[bool], str]]] = []
    if {"sessionId", "clipId"} <= set(clips.columns):
        pairs = [
            (parse_uuid(s, "session id"), parse_uuid(c, "clip id"))
            for s, c in zip(clips["sessionId"], clips["clipId"], strict=True)
        ]
        path = _folder(folder)
        client = require_client(client)
        for sid, cid in dict.fromkeys(pairs):
            jobs.append(("clip", cid, sid, _clip_link(sid, cid, client, poll)))
        what = "clips"
    elif "reelId" in clips.columns:
        test_id = clips.attrs.get("testId")
        if "testId" in clips.columns and len(clips):
            test_id = clips["testId"].iloc[0]
        if not test_id:
            raise ValueError(
                "download_clips: this reels frame does not say its test (attrs['testId']); "
                "pass ut.load_highlight_reels(test_id) unchanged."
            )
        tid = parse_uuid(test_id, "test id")
        rids = [parse_uuid(r, "highlight reel id") for r in clips["reelId"]]
        path = _folder(folder)
        client = require_client(client)
        for rid in dict.fromkeys(rids):
            jobs.append(("reel", rid, None, _reel_link(tid, rid, client, poll)))
        what = "highlight reels"
    else:
        raise ValueError(
            "download_clips: the DataFrame has neither 'sessionId' and 'clipId' columns "
            "(ut.load_clips) nor a 'reelId' column (ut.load_highlight_reels)."
        )
    return _run(jobs, path, resume=resume, progress=progress, what=what)


def _clip_link(sid: str, cid: str, client: Client, poll: dict[str, Any]) -> Callable[[bool], str]:
    return lambda fresh: str(clip_url(sid, cid, client=client, refresh=fresh, **poll))


def _reel_link(tid: str, rid: str, client: Client, poll: dict[str, Any]) -> Callable[[bool], str]:
    return lambda fresh: str(highlight_reel_url(tid, rid, client=client, refresh=fresh, **poll))
