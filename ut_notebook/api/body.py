"""Reading a response body within bounds: a size cap and a total deadline.

Shared by the API client and the token request, so that neither a gzip bomb nor a
server trickling a few bytes per second can hold a load or fill memory.
"""

from __future__ import annotations

import time

import requests
import urllib3

__all__ = ["CHUNK", "TooLarge", "TooSlow", "read_body"]

# Bodies are read in pieces this large (decompressed pieces stay near this size too,
# so a gzip bomb is stopped at the cap, not after inflating).
CHUNK = 16 * 1024


class TooSlow(Exception):
    """A body arrived slower than the request deadline allows."""


class TooLarge(Exception):
    """A body is larger than the cap (``RetryPolicy.max_body``)."""


def read_body(resp: requests.Response, *, max_body: int, deadline: float, started: float) -> None:
    """Read the whole body of a ``stream=True`` response into ``resp`` with a size cap
    (counted after decompression) and a total deadline counted from ``started``.

    ``read1`` returns what one read of the socket gave, so the deadline is checked
    after every few bytes, not after every full chunk (which a trickle never fills).
    Raises :class:`TooLarge`, :class:`TooSlow`, or requests' ``ContentDecodingError`` /
    ``ChunkedEncodingError``; the connection is closed on any failure."""
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            try:
                chunk = resp.raw.read1(CHUNK, decode_content=True)
            except urllib3.exceptions.DecodeError as exc:
                raise requests.exceptions.ContentDecodingError(str(exc)) from None
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError):
                raise requests.exceptions.ChunkedEncodingError("connection broken") from None
            if not chunk:
                break
            size += len(chunk)
            if size > max_body:
                raise TooLarge()
            if time.monotonic() - started > deadline:
                raise TooSlow()
            chunks.append(chunk)
    except BaseException:
        resp.close()
        raise
    resp._content = b"".join(chunks)  # what resp.content / .text / .json() then read
    resp._content_consumed = True
