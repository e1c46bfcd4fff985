"""The demo video behind every video, clip and reel URL: signing, expiry, Range requests.

The real API hands out pre-signed S3 URLs. The simulator hands out URLs of the same
shape (``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-Signature``) that point at itself,
under ``/media/``, so that a notebook can really play or download them. Every URL serves
the same small WebM file (``media/demo.webm``, committed: no ffmpeg at run time).

Like S3, the media route needs no access token and uses no API quota: the signature is
the credential. It answers ``Range`` requests (206) because a browser's ``<video>``
cannot seek without them, and sends ``Access-Control-Allow-Origin: *`` so that a
notebook served from another origin can play it.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import quote

from .api import Reply

__all__ = [
    "CLIP_LIFETIME",
    "MEDIA_PREFIX",
    "VIDEO_FILE",
    "VIDEO_LIFETIME",
    "Media",
    "video_bytes",
]

MEDIA_PREFIX = "/media/"
VIDEO_FILE = Path(__file__).with_name("media") / "demo.webm"
VIDEO_TYPE = "video/webm"
POSTER_FILE = Path(__file__).with_name("media") / "poster.jpg"
VIDEO_LIFETIME = 3600  # videoDownloadUrl: "valid for one hour"
CLIP_LIFETIME = 900  # clipUrl and reelUrl: "valid for 15 minutes"

# A fixed key keeps URLs reproducible for a given clock; it protects nothing real.
_KEY = hashlib.sha256(b"ut-demo:media-signing-key").digest()
_CREDENTIAL = "AKIADEMOEXAMPLE00000"
# The objects that exist: a session's video, a clip, a highlight reel.
_OBJECT = re.compile(
    r"^/media/(videos/[0-9a-f-]{36}/session|clips/[0-9a-f-]{36}|reels/[0-9a-f-]{36})\.webm$"
)
# Posters (v1 ``securePoster``) are one still of the video, unsigned like a CDN's.
_POSTER = re.compile(r"^/media/posters/[0-9a-f-]{36}\.jpg$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_STAMP = "%Y%m%dT%H%M%SZ"
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Accept-Ranges, Content-Length, Content-Range, ETag",
}


@cache
def video_bytes() -> bytes:
    """The demo video, read once per process."""
    return VIDEO_FILE.read_bytes()


@cache
def poster_bytes() -> bytes:
    return POSTER_FILE.read_bytes()


def _s3_error(status: int, code: str, message: str, **extra: str) -> Reply:
    """An S3-style XML error, as a pre-signed URL's host answers."""
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{fields}</Error>"
    )
    return Reply(status, body.encode(), "application/xml", dict(_CORS))


class Media:
    """Signs media URLs and serves them, for one server.

    ``clock`` is the wall clock (epoch seconds) that stamps and expires URLs; tests
    replace it to move time instead of sleeping. ``base_url`` is set when the server
    starts (``http://127.0.0.1:PORT``).
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.base_url = ""

    # -- minting -------------------------------------------------------------------------

    def sign(self, path: str, lifetime: int) -> tuple[str, int]:
        """A pre-signed-looking URL of ``path`` valid ``lifetime`` s from now, and its expiry."""
        now = int(self.clock())
        stamp = time.strftime(_STAMP, time.gmtime(now))
        credential = quote(f"{_CREDENTIAL}/{stamp[:8]}/us-east-2/s3/aws4_request", safe="")
        url = (
            f"{self.base_url}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential={credential}&X-Amz-Date={stamp}&X-Amz-Expires={lifetime}"
            f"&X-Amz-SignedHeaders=host&X-Amz-Signature={_signature(path, stamp, str(lifetime))}"
        )
        return url, now + lifetime

    def video_url(self, session_id: str) -> tuple[str, int]:
        return self.sign(f"{MEDIA_PREFIX}videos/{session_id}/session.webm", VIDEO_LIFETIME)

    def clip_url(self, clip_uuid: str) -> tuple[str, int]:
        return self.sign(f"{MEDIA_PREFIX}clips/{clip_uuid}.webm", CLIP_LIFETIME)

    def reel_url(self, reel_uuid: str) -> tuple[str, int]:
        return self.sign(f"{MEDIA_PREFIX}reels/{reel_uuid}.webm", CLIP_LIFETIME)

    # -- serving -------------------------------------------------------------------------

    def serve(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> Reply:
        """Answer a request under ``/media/``: 200, 206, 204 (preflight), 403, 404 or 416."""
        if method == "OPTIONS":  # a CORS preflight, e.g. fetch() with a multi-part Range
            return Reply(
                204,
                b"",
                VIDEO_TYPE,
                {
                    **_CORS,
                    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                    "Access-Control-Allow-Headers": "Range",
                    "Access-Control-Max-Age": "3600",
                },
            )
        if method not in ("GET", "HEAD"):
            return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed")
        if _POSTER.match(path):
            return _ranged(poster_bytes(), headers.get("range"), "image/jpeg")
        if not _OBJECT.match(path):
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=path[7:])
        denied = self._check(path, query)
        if denied is not None:
            return denied
        return _ranged(video_bytes(), headers.get("range"))

    def _check(self, path: str, query: dict[str, list[str]]) -> Reply | None:
        """``None`` if the URL's signature is good and unexpired, else S3's 403."""
        date = (query.get("X-Amz-Date") or [""])[-1]
        expires = (query.get("X-Amz-Expires") or [""])[-1]
        signature = (query.get("X-Amz-Signature") or [""])[-1]
        if not (date and expires and signature):
            return _s3_error(
                403,
                "AccessDenied",
                "Query-string authentication requires the Signature, Expires and "
                "Credential parameters",
            )
        if not hmac.compare_digest(signature, _signature(path, date, expires)):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        # The signature covers date and lifetime, so both parse: we wrote them.
        signed_at = calendar.timegm(time.strptime(date, _STAMP))
        now = int(self.clock())
        if now >= signed_at + int(expires):
            return _s3_error(
                403,
                "AccessDenied",
                "Request has expired",
                **{
                    "X-Amz-Expires": expires,
                    "Expires": _iso(signed_at + int(expires)),
                    "ServerTime": _iso(now),
                },
            )
        return None


def _iso(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def _signature(path: str, stamp: str, lifetime: str) -> str:
    return hmac.new(_KEY, f"{path}\n{stamp}\n{lifetime}".encode(), hashlib.sha256).hexdigest()


def _ranged(data: bytes, header: str | None, content_type: str = VIDEO_TYPE) -> Reply:
    """The whole file (200) or one byte range of it (206); 416 if the range is past the end.

    A header we cannot parse, or several ranges, is ignored and the whole file is sent,
    as RFC 9110 allows.
    """
    size = len(data)
    headers = {
        **_CORS,
        "Accept-Ranges": "bytes",
        "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
        "Cache-Control": "private, max-age=900",
    }
    match = _RANGE.match((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return Reply(200, data, content_type, headers)
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return Reply(200, data, content_type, headers)  # invalid: ignored
    else:  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last)), size - 1
        if int(last) == 0:
            start = size  # unsatisfiable
    if start >= size:
        return Reply(416, b"", content_type, {**headers, "Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Reply(206, data[start : end + 1], content_type, headers)
