"""The HTTP client: one connection pool, auth headers, retries, rate limit, errors.

A :class:`Session` is what ``ut.connect()`` returns. Loaders call :meth:`Session.get_json`;
it retries what is safe to retry (every call is a read-only GET), waits for the rate
limit, renews the token, and turns every failure into a :class:`~ut_notebook.UTError`.

>>> session = ut.connect(demo=True)                                       # doctest: +SKIP
>>> session.get_json("/api/v2/sessionResults", {"testId": ut.demo.TESTS["survey"]})
... # doctest: +SKIP
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from .._version import __version__
from ..errors import APIError, AuthError, NotFoundError, RateLimitError, UTError
from .auth import Token, TokenInfo, TokenListener, TokenManager, fetch_token
from .scheduler import RateLimiter, WaitCallback, parse_retry_after
from .settings import Settings, check_transport

__all__ = ["ClientStats", "RetryPolicy", "Session"]

log = logging.getLogger(__name__)

USER_AGENT = f"ut-notebook/{__version__} python-requests/{requests.__version__}"

# Network failures worth another try. ChunkedEncodingError is a connection dropped
# mid-body, which requests does not count as a ConnectionError.
_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The defaults suit the real API; tests shorten the backoff.

    Attributes:
        max_tries: attempts per request, the first included.
        backoff: first delay after a failure, doubled each time (with jitter).
        backoff_cap: the longest delay between two tries.
        max_wait: the longest the client will wait for the rate limit before raising
            :class:`RateLimitError` rather than sleeping silently for minutes.
        timeout: (connect, read) seconds for every request.
    """

    max_tries: int = 6
    backoff: float = 0.5
    backoff_cap: float = 8.0
    max_wait: float = 120.0
    timeout: tuple[float, float] = (10.0, 60.0)

    def delay(self, attempt: int) -> float:
        """Backoff before try ``attempt + 1``: exponential, capped, with "equal jitter"
        (half fixed, half random) so clients that failed together do not retry together."""
        base = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return base / 2 + random.uniform(0, base / 2)


@dataclass
class ClientStats:
    """Counters for benchmarks and curious users: ``session.stats``."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    waited: float = 0.0  # seconds slept for the rate limit or Retry-After
    by_status: dict[int, int] = field(default_factory=dict)


def _excerpt(resp: requests.Response, limit: int = 200) -> str:
    text = resp.text or ""
    if "html" in resp.headers.get("Content-Type", "") or text.lstrip().startswith("<"):
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        text = title.group(1) if title else re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Session:
    """A connection to the UserTesting API: settings, token, HTTP pool and rate limiter.

    Build it with :func:`ut_notebook.api.connect`. Nothing in its ``repr`` is secret.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        http: requests.Session | None = None,
    ) -> None:
        # Refuse plain http before anything is sent (loopback excepted, for the simulator).
        check_transport(settings.token_url, "UT_TOKEN_URL")
        check_transport(settings.api_url, "UT_API_URL")
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.http = http or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.limiter = RateLimiter()
        self.stats = ClientStats()
        self._stats_lock = threading.Lock()
        self.tokens = TokenManager(self._fetch_token)
        self.closed = False

    # -- identity ---------------------------------------------------------------------

    @property
    def demo(self) -> bool:
        """True when connected to the built-in simulator."""
        return self.settings.demo

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def token_info(self) -> TokenInfo | None:
        """Scope and expiry of the current token (never the token itself)."""
        return self.tokens.info

    def __repr__(self) -> str:
        info = self.token_info
        state = "closed" if self.closed else "no token"
        if info and not self.closed:
            state = f"token=*** scope={info.scope!r} expires={info.expires_at:%Y-%m-%d %H:%M:%S}Z"
        kind = " demo" if self.demo else ""
        return f"<ut_notebook.Session{kind} {self.api_url} client_id={self._client_hint()} {state}>"

    def _client_hint(self) -> str:
        cid = self.settings.client_id or ""
        return repr(cid[:4] + "…") if len(cid) > 4 else repr(cid)

    # -- token --------------------------------------------------------------------------

    def _fetch_token(self) -> Token:
        return fetch_token(self.http, self.settings, timeout=self.retry.timeout[1])

    def authenticate(self) -> TokenInfo:
        """Fetch a token now (``connect`` does this to fail fast on bad credentials)."""
        return self.tokens.get().info

    def on_token_change(self, listener: TokenListener) -> None:
        """Call ``listener(TokenInfo)`` after each refresh, ``listener(None)`` on close."""
        self.tokens.add_listener(listener)

    def remove_token_listener(self, listener: TokenListener) -> None:
        self.tokens.remove_listener(listener)

    def close(self) -> None:
        """Forget the token and close the connection pool."""
        self.closed = True
        self.tokens.clear()
        self.http.close()

    # -- requests -----------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.settings.api_url + "/" + path.lstrip("/")

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        not_found: str | None = None,
        on_wait: WaitCallback | None = None,
    ) -> Any:
        """GET ``path`` and return the decoded JSON body.

        ``not_found`` is the message of the :class:`NotFoundError` raised on a 404.
        """
        resp = self.get(path, params, not_found=not_found, on_wait=on_wait)
        try:
            return resp.json()
        except ValueError:
            raise APIError(
                f"The API answered {path} with a body that is not JSON "
                f"({resp.headers.get('Content-Type', 'no content type')}): {_excerpt(resp)!r}. "
                "This is usually a temporary proxy problem: try again in a minute.",
                status=resp.status_code,
                url=resp.url,
                body=_excerpt(resp),
            ) from None

    def get_text(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        not_found: str | None = None,
        on_wait: WaitCallback | None = None,
    ) -> str:
        """GET ``path`` and return the body as text (transcripts are WebVTT)."""
        resp = self.get(path, params, not_found=not_found, on_wait=on_wait)
        resp.encoding = resp.encoding or "utf-8"
        return resp.text

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        not_found: str | None = None,
        on_wait: WaitCallback | None = None,
    ) -> requests.Response:
        """GET with retries, rate limiting and token renewal; raise a UTError on failure."""
        if self.closed:
            raise UTError("This session was closed (ut.disconnect()). Run ut.login() again.")
        url = self.url(path)
        policy = self.retry
        refreshed = False
        attempt = 0
        failure: str = ""
        last: requests.Response | None = None
        while attempt < policy.max_tries:
            attempt += 1
            self._acquire(on_wait)
            token = self.tokens.get()
            try:
                resp = self.http.get(
                    url,
                    params=params,
                    headers=self._auth_headers(token),
                    timeout=policy.timeout,
                    # Never follow a redirect with the token headers: requests strips
                    # Authorization on a host change, but not our "token" header.
                    allow_redirects=False,
                )
            except _RETRYABLE_EXCEPTIONS as exc:
                failure = f"{type(exc).__name__}"
                self._count(None)
                self._backoff(attempt, f"{failure} on GET {path}")
                continue
            finally:
                self.limiter.release()
            self._count(resp.status_code)
            self.limiter.update(resp.headers)
            last = resp
            status = resp.status_code
            if status == 401 and not refreshed:
                # Expired or revoked early: renew once and try again (does not count).
                self.tokens.invalidate(token)
                refreshed = True
                attempt -= 1
                continue
            if status == 429:
                with self._stats_lock:
                    self.stats.rate_limited += 1
                wait = parse_retry_after(resp.headers)
                wait = policy.delay(attempt) if wait is None else wait
                if wait > policy.max_wait:
                    raise self._rate_limit_error(url, wait, resp)
                self.limiter.block_for(wait)
                log.warning("rate limited on %s: waiting %.1fs", path, wait)
                continue
            if status >= 500:
                failure = f"HTTP {status}"
                retry_after = parse_retry_after(resp.headers)
                self._backoff(attempt, f"{failure} on GET {path}", retry_after)
                continue
            if 200 <= status < 300:
                return resp
            raise self._error(resp, not_found)
        if last is not None and last.status_code == 429:
            raise self._rate_limit_error(url, None, last)
        if last is not None and last.status_code >= 500:
            raise APIError(
                f"The UserTesting API kept failing with HTTP {last.status_code} on {path} "
                f"({policy.max_tries} tries): {_excerpt(last)!r}. "
                "The service may be having trouble: try again in a few minutes.",
                status=last.status_code,
                url=last.url,
                body=_excerpt(last),
            )
        raise APIError(
            f"Could not reach the UserTesting API at {self.settings.api_url} "
            f"({failure}, {policy.max_tries} tries). Check your network connection and UT_API_URL.",
            url=url,
        )

    # -- helpers ------------------------------------------------------------------------

    def _auth_headers(self, token: Token) -> dict[str, str]:
        value = token.access_token.reveal()
        # Both: the authorization page sends "token", the current docs send a Bearer
        # header; sending both works with either server generation.
        return {"token": value, "Authorization": f"Bearer {value}", "Accept": "application/json"}

    def _acquire(self, on_wait: WaitCallback | None) -> None:
        try:
            waited = self.limiter.acquire(on_wait, self.retry.max_wait)
        except TimeoutError as exc:
            raise RateLimitError(
                f"The API's rate limit is used up and resets in {exc.args[0]:.0f}s, longer than "
                f"max_wait={self.retry.max_wait:.0f}s. Try again later, or connect with a larger "
                "RetryPolicy(max_wait=...)."
            ) from None
        if waited:
            with self._stats_lock:
                self.stats.waited += waited

    def _count(self, status: int | None) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            if status is not None:
                self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1

    def _backoff(self, attempt: int, what: str, retry_after: float | None = None) -> None:
        if attempt >= self.retry.max_tries:
            return
        delay = self.retry.delay(attempt) if retry_after is None else retry_after
        delay = min(delay, self.retry.max_wait)
        log.info("%s: retry %d/%d in %.2fs", what, attempt, self.retry.max_tries - 1, delay)
        with self._stats_lock:
            self.stats.retries += 1
            self.stats.waited += delay
        time.sleep(delay)

    def _rate_limit_error(
        self, url: str, wait: float | None, resp: requests.Response
    ) -> RateLimitError:
        when = f" The server asks to wait {wait:.0f}s." if wait is not None else ""
        return RateLimitError(
            f"The UserTesting API kept answering 429 Too Many Requests (10 requests per "
            f"minute per client).{when} Wait a minute and run the cell again; rows already "
            "fetched are on the error's .partial.",
            status=429,
            url=url,
            body=_excerpt(resp),
        )

    def _error(self, resp: requests.Response, not_found: str | None) -> UTError:
        status = resp.status_code
        body = _excerpt(resp)
        where = resp.request.path_url if resp.request is not None else resp.url
        if status == 401:
            return AuthError(
                "The API refused the access token even after renewing it (HTTP 401). "
                "Check UT_SCOPE and that your client credentials are allowed to use the "
                "Results API, then run ut.login() again.",
                status=status,
                url=resp.url,
                body=body,
            )
        if status == 403:
            return AuthError(
                f"Access denied to {where} (HTTP 403): your credentials lack permission for "
                "it. Check UT_SCOPE and the workspaces your account can see.",
                status=status,
                url=resp.url,
                body=body,
            )
        if status == 404:
            return NotFoundError(
                not_found
                or f"Not found: {where} (HTTP 404). Check the id, and that it belongs to one of "
                "your workspaces.",
                status=status,
                url=resp.url,
                body=body,
            )
        if 300 <= status < 400:
            return APIError(
                f"The API redirected {where} to {resp.headers.get('Location', '?')} (HTTP "
                f"{status}); ut-notebook does not follow redirects with your token. "
                "Check UT_API_URL.",
                status=status,
                url=resp.url,
                body=body,
            )
        return APIError(
            f"The API rejected {where} (HTTP {status}): {body!r}.",
            status=status,
            url=resp.url,
            body=body,
        )
