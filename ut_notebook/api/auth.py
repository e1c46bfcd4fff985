"""OAuth2 client-credentials tokens: fetch one, keep it in memory, renew it in time.

The token never leaves this process: it is held in a :class:`~ut_notebook.api.settings.Secret`,
masked in every repr, and registered so that error messages are scrubbed of it.

>>> manager = TokenManager(lambda: fetch_token(http, settings))   # doctest: +SKIP
>>> manager.get().info.scope                                         # doctest: +SKIP
'public_api.read'
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests
from requests.auth import AuthBase

from ..errors import AuthError
from .settings import Secret, Settings, check_transport

__all__ = ["FALLBACK_ERRORS", "Token", "TokenAuth", "TokenInfo", "TokenManager", "fetch_token"]

log = logging.getLogger(__name__)

# Refresh this long before expiry, so a token never expires between our check and the
# server's (clock skew, slow networks). Capped at a quarter of the lifetime for short tokens.
REFRESH_MARGIN = 60.0

# What a token may look like to be sent in a header: visible ASCII (RFC 6750's b64token
# and JWTs are). Anything else is refused before it reaches requests, whose own error
# would quote the whole token.
_TOKEN_CHARS = re.compile(r"[!-~]{1,8192}")

# Refusals that mean "wrong endpoint or scope for these credentials", worth one try of
# the other documented token endpoint (see Settings.token_endpoints).
FALLBACK_ERRORS = ("invalid_scope", "invalid_client", "not_found")


class TokenAuth(AuthBase):
    """Puts the token on a request: both headers, since the authorization page sends
    ``token`` and the current docs send ``Authorization: Bearer``. As a requests
    ``auth=``, it also keeps a ``~/.netrc`` entry from replacing the token."""

    def __init__(self, token: Token) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        value = self.token.access_token.reveal()
        request.headers["token"] = value
        request.headers["Authorization"] = f"Bearer {value}"
        return request

    def __repr__(self) -> str:
        return "<TokenAuth ***>"


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: everything except the token itself."""

    token_type: str
    scope: str
    expires_in: float
    obtained_at: datetime
    expires_at: datetime
    token_url: str = ""  # the endpoint that gave it (one of the documented two)

    @property
    def seconds_left(self) -> float:
        return (self.expires_at - datetime.now(timezone.utc)).total_seconds()


@dataclass(frozen=True)
class Token:
    """An access token with its metadata. ``repr`` shows no secret."""

    access_token: Secret = field(repr=False)
    info: TokenInfo
    # monotonic clock deadline: immune to wall-clock jumps (laptops sleeping, NTP).
    deadline: float = field(repr=False)

    def needs_refresh(self, margin: float = REFRESH_MARGIN) -> bool:
        margin = min(margin, 0.25 * self.info.expires_in)
        return time.monotonic() >= self.deadline - margin


def _oauth_error(resp: requests.Response) -> tuple[str, str]:
    try:
        body = resp.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error", "")), str(body.get("error_description", ""))


def _unreachable(exc: requests.RequestException) -> str:
    """Why a request got no answer, in words (a class name means nothing to a reader)."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "its TLS certificate was not accepted"
    if isinstance(exc, requests.Timeout):
        return "it did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "no connection could be made"
    return "the request failed"


def fetch_token(
    http: requests.Session,
    settings: Settings,
    *,
    timeout: float = 30.0,
    endpoint: tuple[str, str] | None = None,
) -> Token:
    """POST the client-credentials form to the token endpoint and return the token.

    ``endpoint`` is a ``(token_url, scope)`` pair (default: the settings'). Raises
    :class:`AuthError` naming the setting to check when the endpoint refuses or cannot
    be reached; ``err.oauth_error`` is the OAuth error code (``invalid_client``, …, or
    ``not_found`` for a 404). The secret is only ever sent over https, or http to
    loopback.
    """
    if not settings.has_credentials:
        raise AuthError(
            "No client credentials: pass client_id and client_secret to ut.connect(), or set "
            "UT_CLIENT_ID and UT_CLIENT_SECRET (in the environment or a .env file). "
            "ut.connect(demo=True) uses the built-in demo data instead."
        )
    url, scope = endpoint or (settings.token_url, settings.scope)
    check_transport(url, "UT_TOKEN_URL")
    assert settings.client_secret is not None
    form = {
        "client_id": settings.client_id,
        "client_secret": settings.client_secret.reveal(),
        "grant_type": "client_credentials",
        "scope": scope,
    }
    # The token's life starts no later than this moment: counting from the answer's
    # arrival instead would outlive the server's own expiry by the round trip.
    sent = time.monotonic()
    try:
        resp = http.post(
            url,
            data=form,
            headers={"Accept": "application/json"},
            timeout=timeout,
            # A redirect could carry the form somewhere we never checked.
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise AuthError(
            f"Could not reach the token endpoint {url}: {_unreachable(exc)}. "
            "Check UT_TOKEN_URL and your network connection."
        ) from None
    if resp.status_code != 200:
        error, description = _oauth_error(resp)
        # The server's sentence keeps its words, not its full stop: "(…: bad secret)."
        description = description.strip().rstrip(".").strip()
        detail = f" ({error}: {description})" if error and description else ""
        detail = detail or (f" ({error})" if error else "")
        if error == "invalid_client" or resp.status_code == 401:
            hint = "Check UT_CLIENT_ID and UT_CLIENT_SECRET."
        elif error == "invalid_scope":
            hint = (
                f"Check UT_SCOPE ({scope!r} was refused): the endpoint "
                ".../oauth2/default/v1/token takes 'public_api.read', the endpoint "
                ".../oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token takes 'studies:read'."
            )
        elif resp.status_code in (404, 405) or 300 <= resp.status_code < 400:
            hint = "Check UT_TOKEN_URL: no token endpoint answers there."
        else:
            hint = "Check UT_TOKEN_URL, UT_CLIENT_ID, UT_CLIENT_SECRET and UT_SCOPE."
        err = AuthError(
            f"The token endpoint refused the request: HTTP {resp.status_code}{detail}. {hint}",
            status=resp.status_code,
            url=url,
        )
        err.oauth_error = "not_found" if resp.status_code == 404 else error
        raise err
    try:
        body = resp.json()
        access_token = body["access_token"]
        expires_in = float(body.get("expires_in") or 3600)
        if not isinstance(access_token, str) or not math.isfinite(expires_in):
            raise TypeError("not a token")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise AuthError(
            f"The token endpoint {url} answered without an access token. Check UT_TOKEN_URL.",
            status=resp.status_code,
            url=url,
        ) from None
    if not _TOKEN_CHARS.fullmatch(access_token):
        # Never quote it: a token that cannot be sent is still a token.
        raise AuthError(
            f"The token endpoint {url} answered with an access token that cannot be sent in "
            "an HTTP header (control or non-ASCII characters). Check UT_TOKEN_URL.",
            status=resp.status_code,
            url=url,
        )
    expires_in = min(max(expires_in, 1.0), 86400.0 * 366)
    now = datetime.now(timezone.utc)
    info = TokenInfo(
        token_type=str(body.get("token_type", "Bearer")),
        scope=str(body.get("scope", scope)),
        expires_in=expires_in,
        obtained_at=now,
        expires_at=now + timedelta(seconds=expires_in),
        token_url=url,
    )
    log.info("obtained a token for scope %r, valid %ss", info.scope, math.floor(expires_in))
    return Token(Secret(access_token), info, sent + expires_in)


TokenListener = Callable[["TokenInfo | None"], None]


class TokenManager:
    """Hands out a valid token, renewing it before it expires, one refresh at a time.

    Threads that need a token while another is refreshing wait for that refresh
    instead of starting their own (a single-flight lock).
    """

    def __init__(self, fetch: Callable[[], Token], margin: float = REFRESH_MARGIN) -> None:
        self._fetch = fetch
        self._margin = margin
        self._token: Token | None = None
        self._lock = threading.Lock()
        self._listeners: list[TokenListener] = []
        self.refreshes = 0

    def __repr__(self) -> str:
        state = "no token" if self._token is None else f"expires {self._token.info.expires_at}"
        return f"<TokenManager {state}>"

    @property
    def info(self) -> TokenInfo | None:
        token = self._token
        return token.info if token else None

    def get(self) -> Token:
        """A token that is valid for at least the refresh margin."""
        token = self._token
        if token is not None and not token.needs_refresh(self._margin):
            return token
        with self._lock:
            token = self._token  # another thread may have refreshed while we waited
            if token is None or token.needs_refresh(self._margin):
                token = self._fetch()
                self._token = token
                self.refreshes += 1
                self._notify(token.info)
            return token

    def invalidate(self, token: Token) -> None:
        """Forget ``token`` (the server refused it). A no-op if it was already replaced."""
        with self._lock:
            if self._token is token:
                self._token = None

    def clear(self) -> None:
        with self._lock:
            self._token = None
        self._notify(None)

    def add_listener(self, listener: TokenListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: TokenListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, info: TokenInfo | None) -> None:
        for listener in list(self._listeners):
            try:
                listener(info)
            except Exception:  # a broken listener (a closed widget) must not break a load
                log.exception("token listener failed")
