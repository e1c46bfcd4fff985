"""``ut.video_url(session_id)``: a short-lived download link for a session's video.

>>> link = ut.video_url(SESSION_ID)                                       # doctest: +SKIP
>>> link.expires_at, link.expired                                         # doctest: +SKIP
(Timestamp('2026-11-29 04:25:59+0000', tz='UTC'), False)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pandas as pd

from ..api.client import Client
from ..api.connect import require_client
from ..api.settings import is_loopback
from ..errors import APIError
from ..ids import parse_uuid

__all__ = ["VideoURL", "video_url"]

VIDEO_PATH = "/api/v2/sessionResults/{}/videoDownloadUrl"


@dataclass(frozen=True)
class VideoURL:
    """A pre-signed video download URL and when it stops working (about an hour).

    Anyone with the URL can download the video until it expires: share it with care.
    Its ``repr`` shortens the URL (the signature is not shown).
    """

    session_id: str
    url: str
    expires_at: pd.Timestamp

    @property
    def expired(self) -> bool:
        return pd.Timestamp(datetime.now(timezone.utc)) >= self.expires_at

    @property
    def expires_in(self) -> pd.Timedelta:
        """Time left (negative once expired)."""
        return self.expires_at - pd.Timestamp(datetime.now(timezone.utc))

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        shown = self.url.split("?", 1)[0] + ("?…" if "?" in self.url else "")
        return (
            f"VideoURL(session_id={self.session_id!r}, url={shown!r}, "
            f"expires_at={self.expires_at.isoformat()!r})"
        )

    @property
    def linkable(self) -> bool:
        """True for an ``https:`` URL, or ``http:`` to loopback (the simulator's): only
        those are rendered as links -- a ``javascript:``, ``data:`` or plain-http URL from
        a hostile answer never becomes something a click would run or leak."""
        return _linkable(self.url)

    def _repr_html_(self) -> str:
        import html

        expires = f"(link expires {self.expires_at:%Y-%m-%d %H:%M} UTC)"
        sid = html.escape(self.session_id)
        if not self.linkable:
            return f"video of session {sid}: not an https link, not shown {expires}"
        return (
            f'<a href="{html.escape(self.url)}" target="_blank" rel="noopener">video of session '
            f"{sid}</a> {expires}"
        )


def _linkable(url: str) -> bool:
    parts = urlsplit(url)
    # Exactly what the browser will parse: no spaces or controls for it to strip first.
    if url != url.strip() or any(ord(c) < 33 or c == "\\" for c in url):
        return False
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and is_loopback(parts.hostname)


def video_url(
    session_id: str, *, client: Client | None = None, session: Client | None = None
) -> VideoURL:
    """The download URL of a session's video and its expiry (never cached: it expires).

    Raises:
        ValueError: ``session_id`` is not a UUID (before any request).
        NotFoundError: the session has no video (e.g. a survey session).
    """
    sid = parse_uuid(session_id, "session id")
    client = require_client(client, session)
    body = client.get_json(
        VIDEO_PATH.format(sid),
        not_found=(
            f"No video for session {sid} (HTTP 404): surveys have none, and the session must "
            "be in one of your workspaces."
        ),
    )
    try:
        url = body["videoUrl"]
        expires = pd.Timestamp(body["expiresAt"])
        if not isinstance(url, str) or not url:
            raise TypeError("videoUrl is not a string")
    except (KeyError, TypeError, ValueError) as exc:
        raise APIError(
            f"Unexpected answer for the video of session {sid}: {exc}. "
            "The API may have changed; please report this."
        ) from None
    expires = expires.tz_localize("UTC") if expires.tzinfo is None else expires.tz_convert("UTC")
    return VideoURL(sid, url, expires)
