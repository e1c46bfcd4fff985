"""Download a media file (session video, clip, highlight reel) from its pre-signed URL.

The URL *is* the credential (an S3-style signature that expires), so the request
carries nothing else: it goes through its own plain :class:`requests.Session`, never the
API client's, and so never the API token. The file is streamed to ``<name>.part`` and
renamed only once its length matches what the server announced (``Content-Length`` or
``Content-Range``): a file with the final name is always complete, and a ``.part`` file
is continued with an HTTP ``Range`` request next time (or redone, if the server does not
honour the range). A link that expires during a download (HTTP 403) is replaced through
``renew()`` and the download goes on from where it stopped.

>>> done = download(url, "videos/session.webm", renew=lambda: video_url(sid).url)  # doctest: +SKIP
>>> done.status, done.size                                                          # doctest: +SKIP
('downloaded', 146253)
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .._version import __version__
from ..errors import UTError
from .scheduler import current_context
from .settings import is_loopback

__all__ = ["DownloadError", "Downloaded", "download", "part_path", "shown_url"]

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
# Tries after a dropped connection or a 5xx; each continues from the .part file.
MAX_TRIES = 4
# Fresh links asked for after a 403: one is normal (expired), more means refused.
MAX_RENEWALS = 2
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)

ProgressCallback = Callable[[int, "int | None"], None]


class DownloadError(UTError):
    """A media download failed; the message says whether running it again resumes it.
    Messages and ``url`` never show a link's signature (only its path)."""


@dataclass(frozen=True)
class Downloaded:
    """What :func:`download` did: ``status`` is ``"downloaded"``, ``"resumed"`` (a
    ``.part`` file was continued), ``"redone"`` (a ``.part`` file could not be
    continued and was fetched again from the start) or ``"skipped"`` (the complete
    file was already there: no request). ``requests`` counts the media requests and
    ``renewed`` the fresh links asked for."""

    path: Path
    size: int
    status: str
    requests: int = 0
    renewed: int = 0


def part_path(path: str | os.PathLike[str]) -> Path:
    """Where an unfinished download of ``path`` is kept."""
    path = Path(path)
    return path.with_name(path.name + ".part")


def shown_url(url: str) -> str:
    """``url`` without its query (the signature) for messages and reprs.

    >>> shown_url("https://s3.example/v/a.webm?X-Amz-Signature=abc")
    'https://s3.example/v/a.webm?…'
    """
    base = url.split("?", 1)[0].split("#", 1)[0]
    return base + ("?…" if "?" in url else "")


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return  # the simulator
    raise DownloadError(
        f"Refusing to download {shown_url(url)}: a media link must be an https:// URL "
        "(the link itself is the credential)."
    )


def _media_session() -> requests.Session:
    # A session of its own: no auth, no API headers, so the API token can never reach
    # the media host (requests strips Authorization on redirects, but not every header).
    http = requests.Session()
    http.headers["User-Agent"] = f"ut-notebook/{__version__} python-requests/{requests.__version__}"
    return http


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) of a Content-Range header; ``None`` where unknown."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None, None
    first = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return first, total


def _length(resp: requests.Response) -> int | None:
    try:
        value = int(resp.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def download(
    url: str,
    path: str | os.PathLike[str],
    *,
    resume: bool = True,
    progress: ProgressCallback | None = None,
    renew: Callable[[], str] | None = None,
    http: requests.Session | None = None,
    timeout: tuple[float, float] = (10.0, 60.0),
) -> Downloaded:
    """Stream ``url`` to ``path`` (through ``path.part``), resumably.

    Args:
        url: a pre-signed media URL (https, or http to this machine).
        path: the final file; its folder must exist.
        resume: ``True``: a complete ``path`` is kept (no request) and a ``.part`` file
            is continued; ``False``: both are fetched again.
        progress: ``progress(bytes_done, total_or_None)`` after each chunk.
        renew: returns a fresh URL when the current one is refused (expired, HTTP 403).
        http: a ``requests.Session`` without credentials (default: a new one).
        timeout: connect and read timeouts in seconds.

    Raises:
        DownloadError: the link was refused or not found, the server kept failing, or
            the file stayed shorter than announced (run again to resume it).
    """
    path = Path(path)
    part = part_path(path)
    if resume and path.is_file():
        return Downloaded(path, path.stat().st_size, "skipped")
    if not resume:
        part.unlink(missing_ok=True)
    _check_url(url)
    own = http is None
    session = http or _media_session()
    status = "resumed" if part.is_file() and part.stat().st_size > 0 else "downloaded"
    requests_made = renewed = tries = 0
    try:
        while True:
            offset = part.stat().st_size if part.is_file() else 0
            headers = {"Accept-Encoding": "identity"}  # lengths are the file's bytes
            if offset:
                headers["Range"] = f"bytes={offset}-"
            try:
                resp = session.get(url, headers=headers, stream=True, timeout=timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                tries += 1
                if tries >= MAX_TRIES:
                    raise _incomplete(
                        path,
                        part,
                        None,
                        f"the media host could not be reached ({type(exc).__name__})",
                    ) from None
                _pause(tries)
                continue
            requests_made += 1
            with resp:
                code = resp.status_code
                if code == 403 and renew is not None and renewed < MAX_RENEWALS:
                    url = renew()  # expired (or about to be): ask the API for a new link
                    _check_url(url)
                    renewed += 1
                    continue
                if code == 416:  # the range starts at or past the end
                    _, total = _content_range(resp.headers.get("Content-Range"))
                    if total is not None and offset == total:
                        break  # the .part file was already complete
                    part.unlink(missing_ok=True)
                    status = "redone"
                    continue
                if code >= 500 or code == 429:
                    tries += 1
                    if tries >= MAX_TRIES:
                        raise _incomplete(
                            path, part, None, f"the media host kept answering HTTP {code}"
                        )
                    _pause(tries)
                    continue
                if code not in (200, 206):
                    raise _refused(code, url, path)
                if code == 206:
                    first, total = _content_range(resp.headers.get("Content-Range"))
                    if first != offset:  # not the range asked for: start over
                        part.unlink(missing_ok=True)
                        status = "redone"
                        continue
                    mode, done = "ab", offset
                else:
                    total = _length(resp)
                    if offset:
                        status = "redone"  # the server ignored Range: whole file again
                    mode, done = "wb", 0
                expected = _length(resp)  # of this body
                try:
                    with part.open(mode) as out:
                        for chunk in resp.iter_content(CHUNK):
                            out.write(chunk)
                            done += len(chunk)
                            if progress is not None:
                                progress(done, total)
                except (
                    requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError,
                    requests.Timeout,
                ) as exc:
                    log.info("download of %s dropped (%s): continuing", path.name, exc)
                    tries += 1
                    if tries >= MAX_TRIES:
                        raise _incomplete(
                            path, part, total, "the connection kept dropping"
                        ) from None
                    status = "resumed"
                    continue
                written = done - (offset if mode == "ab" else 0)
                if (expected is not None and written < expected) or (
                    total is not None and done < total
                ):
                    tries += 1  # short body: continue from what arrived
                    if tries >= MAX_TRIES:
                        raise _incomplete(path, part, total, "the body was shorter than announced")
                    status = "resumed"
                    continue
                if total is not None and done > total:
                    part.unlink(missing_ok=True)
                    raise _incomplete(path, part, total, "the file grew past its announced size")
                break
        os.replace(part, path)  # atomic: the final name only ever holds a whole file
    finally:
        if own:
            session.close()
    return Downloaded(path, path.stat().st_size, status, requests_made, renewed)


def _pause(tries: int) -> None:
    # A short backoff; a job's cancel cuts it short (its context provides sleep).
    (current_context().sleep or time.sleep)(min(4.0, 0.25 * 2 ** (tries - 1)))


def _incomplete(path: Path, part: Path, total: int | None, why: str) -> DownloadError:
    have = part.stat().st_size if part.is_file() else 0
    of = f" of {total:,}" if total is not None else ""
    return DownloadError(
        f"Could not finish downloading {path.name}: {why}. {have:,}{of} bytes are in "
        f"{part.name}; run the download again to continue from there."
    )


def _refused(code: int, url: str, path: Path) -> DownloadError:
    if code == 403:
        why = (
            "the link was refused (HTTP 403): it expired or its signature does not match. "
            "Ask the API for a new link (run the download again)."
        )
    elif code == 404:
        why = "the media host does not have it (HTTP 404). Ask the API for a new link."
    else:
        why = f"the media host answered HTTP {code}."
    return DownloadError(f"Could not download {path.name}: {why}", status=code, url=shown_url(url))
