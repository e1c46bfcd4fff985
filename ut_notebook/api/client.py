"""The HTTP client: one connection pool, one token, one request scheduler.

A :class:`Client` is what ``ut.connect()`` returns. Loaders call :meth:`Client.get_json`
and :meth:`Client.get_text`; each request waits for a slot from the client's
:class:`~ut_notebook.api.scheduler.Scheduler`, carries the token through
:class:`~ut_notebook.api.auth.TokenAuth`, and ends in one of the decisions of
:func:`~ut_notebook.api.retry.decide` — the loop below only obeys them. Every failure is
a :class:`~ut_notebook.UTError` that says what to do.

>>> client = ut.connect(demo=True)                                        # doctest: +SKIP
>>> client.get_json("/api/v2/sessionResults", {"testId": ut.demo.TESTS["survey"]})
... # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import requests

from .._version import __version__
from ..errors import (
    APIConnectionError,
    APIError,
    AuthError,
    NotConnectedError,
    NotFoundError,
    RateLimitError,
    UTError,
    excerpt,
)
from .auth import FALLBACK_ERRORS, Token, TokenAuth, TokenInfo, TokenListener, TokenManager
from .auth import fetch_token as _fetch_token
from .body import TooLarge as _TooLarge
from .body import TooSlow as _TooSlow
from .body import read_body
from .retry import Action, Decision, RetryPolicy, decide
from .scheduler import RateLimitWait, RateSnapshot, Scheduler, WaitCallback, current_context
from .settings import Settings, check_transport

__all__ = ["Client", "ClientStats", "RetryPolicy"]

log = logging.getLogger(__name__)

USER_AGENT = f"ut-notebook/{__version__} python-requests/{requests.__version__}"

# Network failures worth another try. ChunkedEncodingError is a connection dropped
# mid-body, which requests does not count as a ConnectionError.
_RETRYABLE_EXCEPTIONS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


@dataclass
class ClientStats:
    """Counters for benchmarks and curious users: ``client.stats``."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    waited: float = 0.0  # seconds slept for the rate limit, Retry-After or backoff
    by_status: dict[int, int] = field(default_factory=dict)


class Client:
    """A connection to the UserTesting API: settings, token, HTTP pool and scheduler.

    Build it with :func:`ut_notebook.connect`. Nothing in its ``repr`` is secret.

    >>> client = ut.connect(demo=True)
    >>> client.rate_snapshot().in_flight
    0
    """

    def __init__(
        self,
        settings: Settings,
        *,
        retry: RetryPolicy | None = None,
        http: requests.Session | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        # Refuse plain http before anything is sent (loopback excepted, for the simulator).
        check_transport(settings.token_url, "UT_TOKEN_URL")
        check_transport(settings.api_url, "UT_API_URL")
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.http = http or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.scheduler = scheduler or Scheduler()
        self.stats = ClientStats()
        self._stats_lock = threading.Lock()
        self._endpoint: tuple[str, str] | None = None  # the token endpoint that worked
        self.tokens = TokenManager(self._fetch_token)
        self._executor: ThreadPoolExecutor | None = None
        self._io_pool: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        self.closed = False

    # -- identity -------------------------------------------------------------------------

    @property
    def demo(self) -> bool:
        """True when connected to the built-in simulator."""
        return self.settings.demo

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @property
    def token_info(self) -> TokenInfo | None:
        """Scope, endpoint and expiry of the current token (never the token itself)."""
        return self.tokens.info

    @property
    def limiter(self) -> Scheduler:
        """Deprecated name of :attr:`scheduler`."""
        return self.scheduler

    def __repr__(self) -> str:
        info = self.token_info
        state = "closed" if self.closed else "no token"
        if info and not self.closed:
            state = f"token=*** scope={info.scope!r} expires={info.expires_at:%Y-%m-%d %H:%M:%S}Z"
        kind = " demo" if self.demo else ""
        return f"<ut_notebook.Client{kind} {self.api_url} client_id={self._client_hint()} {state}>"

    def _client_hint(self) -> str:
        cid = self.settings.client_id or ""
        return repr(cid[:4] + "…") if len(cid) > 4 else repr(cid)

    def rate_snapshot(self) -> RateSnapshot:
        """The rate-limit window now: limit, remaining, reset, queued and in flight."""
        return self.scheduler.snapshot()

    # -- token ----------------------------------------------------------------------------

    def _fetch_token(self) -> Token:
        timeout = self.retry.timeout[1]
        deadline = self.retry.deadline
        if self._endpoint is not None:
            return _fetch_token(
                self.http, self.settings, timeout=timeout, endpoint=self._endpoint,
                deadline=deadline,
            )  # fmt: skip
        candidates = self.settings.token_endpoints()
        for index, endpoint in enumerate(candidates):
            try:
                token = _fetch_token(
                    self.http, self.settings, timeout=timeout, endpoint=endpoint,
                    deadline=deadline,
                )  # fmt: skip
            except AuthError as err:
                last = index == len(candidates) - 1
                if last or getattr(err, "oauth_error", "") not in FALLBACK_ERRORS:
                    raise
                log.info("token endpoint %s refused (%s); trying the other", *endpoint[:1], err)
                continue
            self._endpoint = endpoint
            return token
        raise AssertionError("unreachable")  # pragma: no cover

    def authenticate(self) -> TokenInfo:
        """Fetch a token now (``connect`` does this to fail fast on bad credentials)."""
        self._check_open()
        return self.tokens.get().info

    def on_token_change(self, listener: TokenListener) -> None:
        """Call ``listener(TokenInfo)`` after each refresh, ``listener(None)`` on close."""
        self.tokens.add_listener(listener)

    def remove_token_listener(self, listener: TokenListener) -> None:
        self.tokens.remove_listener(listener)

    def close(self) -> None:
        """Forget the token, stop taking background jobs and close the connection pool."""
        self.closed = True
        self.tokens.clear()
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
            if self._io_pool is not None:
                self._io_pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()

    def _check_open(self) -> None:
        if self.closed:
            raise NotConnectedError(
                "This client was closed (ut.disconnect()). Run ut.login() or ut.connect() "
                "again, then run the cell again."
            )

    # -- background work ------------------------------------------------------------------

    def submit(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the client's small pool of background workers; returns a Future.
        Their requests go through the same scheduler, after foreground ones."""
        self._check_open()
        with self._executor_lock:
            if self._executor is None:
                # Two workers: the rate limit, not threads, bounds the speed; a second
                # one lets a short job run beside a long one.
                self._executor = ThreadPoolExecutor(2, thread_name_prefix="ut-notebook-job")
            return self._executor.submit(fn)

    # -- requests -------------------------------------------------------------------------

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
            return json.loads(resp.content)
        except (ValueError, RecursionError):
            pass
        # Raised outside the except block: the JSONDecodeError would stay on the error's
        # __context__ (even with "from None") and its .doc is the whole body, which may
        # echo our token.
        raise APIError(
            f"The API answered {path} with a body that is not JSON "
            f"({resp.headers.get('Content-Type', 'no content type')}): "
            f"{_excerpt(resp)!r}. This is usually a temporary proxy problem: try again "
            "in a minute.",
            status=resp.status_code,
            url=resp.url,
            body=_excerpt(resp),
        )

    def get_text(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        not_found: str | None = None,
        on_wait: WaitCallback | None = None,
    ) -> str:
        """GET ``path`` and return the body as text: UTF-8 unless the server names
        another charset (transcripts are WebVTT, which is always UTF-8; requests would
        guess ISO-8859-1 for a bare ``text/vtt`` and turn "crème" into "crÃ¨me")."""
        resp = self.get(path, params, not_found=not_found, on_wait=on_wait)
        return _decode(resp)

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        not_found: str | None = None,
        on_wait: WaitCallback | None = None,
    ) -> requests.Response:
        """GET with the scheduler, retries and token renewal; raise a UTError on failure."""
        self._check_open()
        url = self.url(path)
        policy = self.retry
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._acquire(on_wait)
            # The token after the wait for a slot (it may have expired meanwhile); a
            # renewal that fails gives the slot back instead of leaking it.
            try:
                token = self.tokens.get()
            except BaseException:
                self.scheduler.give_back()
                raise
            resp, error = self._send(url, params, token)
            decision = decide(
                policy=policy,
                attempt=attempt,
                status=None if resp is None else resp.status_code,
                headers=None if resp is None else resp.headers,
                error=error,
                refreshed=refreshed,
            )
            if decision.action is Action.DONE:
                assert resp is not None
                return resp
            if decision.action is Action.REFRESH:
                # Expired or revoked early: renew once and try again (not a try).
                self.tokens.invalidate(token)
                refreshed = True
                attempt -= 1
            elif decision.action is Action.WAIT:
                self._count(rate_limited=1)
                log.warning("rate limited on %s: waiting %.1fs", path, decision.wait)
                self.scheduler.block_for(decision.wait)  # the next _acquire waits
            elif decision.action is Action.RETRY:
                log.info(
                    "%s on %s: retry %d in %.2fs", decision.reason, path, attempt, decision.wait
                )
                self._pause(decision.wait)
            else:
                raise self._failure(decision, resp, error, url, path, not_found, attempt)

    # -- the steps of one try -------------------------------------------------------------

    def _acquire(self, on_wait: WaitCallback | None) -> None:
        try:
            waited = self.scheduler.acquire(max_wait=self.retry.max_wait, on_wait=on_wait)
        except RateLimitWait as exc:
            err = RateLimitError(
                f"The API's rate limit is used up and resets in {exc.wait:.0f}s, longer than "
                f"max_wait={self.retry.max_wait:.0f}s. Try again later, or connect with a "
                "larger RetryPolicy(max_wait=...); rows already fetched are on the error's "
                ".partial."
            )
            err.wait = exc.wait
            raise err from None
        if waited:
            self._count(waited=waited)

    def _send(
        self, url: str, params: Mapping[str, Any] | None, token: Token
    ) -> tuple[requests.Response | None, BaseException | None]:
        """One request, its body read within the size cap and deadline. The scheduler
        learns from the answer *before* the slot is released.

        The request runs on an I/O worker and the caller waits at most ``deadline``:
        requests bounds each read of the socket, not the whole, so a server that
        trickles its status line or headers a byte at a time could otherwise hold the
        load for as long as it likes. A request past its deadline is abandoned (its
        worker ends when the socket's read timeout does)."""
        resp: requests.Response | None = None
        # The deadline counts from here: a server slow to send its headers spends it too.
        started = time.monotonic()
        try:
            future = self._io().submit(self._request, url, params, token, started)
            try:
                resp = future.result(timeout=self.retry.deadline)
            except FutureTimeout:
                raise _TooSlow() from None
            return resp, None
        except _RETRYABLE_EXCEPTIONS as exc:
            return None, exc
        except (_TooSlow, _TooLarge, requests.exceptions.ContentDecodingError) as exc:
            # Not worth another try: the same server would do the same again.
            resp = getattr(exc, "response", None) or resp  # headers came, the body did not
            raise self._body_error(exc, url, resp) from None
        finally:
            self.scheduler.complete(None if resp is None else resp.headers)
            self._count(status=None if resp is None else resp.status_code)

    def _request(
        self, url: str, params: Mapping[str, Any] | None, token: Token, started: float
    ) -> requests.Response:
        resp = self.http.get(
            url,
            params=params,
            auth=TokenAuth(token),
            headers={"Accept": "application/json"},
            timeout=self.retry.timeout,
            # Never follow a redirect with the token headers: requests strips
            # Authorization on a host change, but not our "token" header.
            allow_redirects=False,
            stream=True,
        )
        try:
            _read_body(resp, self.retry, started=started)
        except (_TooSlow, _TooLarge, requests.exceptions.ContentDecodingError) as exc:
            exc.response = resp  # type: ignore[attr-defined]  # for the status in the error
            raise
        return resp

    def _io(self) -> ThreadPoolExecutor:
        """The client's I/O workers (created on first use; a few: requests are paced by
        the scheduler, and an abandoned one may hold a worker until its read timeout)."""
        with self._executor_lock:
            if self._io_pool is None:
                self._io_pool = ThreadPoolExecutor(4, thread_name_prefix="ut-notebook-io")
            return self._io_pool

    def _pause(self, seconds: float) -> None:
        """Back off before another try; a job's cancel cuts it short."""
        if seconds <= 0:
            return
        self._count(retries=1, waited=seconds)
        (current_context().sleep or time.sleep)(seconds)

    def _count(
        self, *, status: int | bool | None = False, retries: int = 0, rate_limited: int = 0,
        waited: float = 0.0,
    ) -> None:  # fmt: skip
        with self._stats_lock:
            if status is not False:
                self.stats.requests += 1
                if status is not None:
                    by = self.stats.by_status
                    by[int(status)] = by.get(int(status), 0) + 1
            self.stats.retries += retries
            self.stats.rate_limited += rate_limited
            self.stats.waited += waited

    # -- errors ---------------------------------------------------------------------------

    def _body_error(self, exc: Exception, url: str, resp: requests.Response | None) -> UTError:
        status = None if resp is None else resp.status_code
        if isinstance(exc, _TooLarge):
            what = f"a body larger than {self.retry.max_body:,} bytes"
            advice = "This is not an answer the API gives: check UT_API_URL."
        elif isinstance(exc, _TooSlow):
            what = f"a body that took longer than {self.retry.deadline:.0f}s to arrive"
            advice = "The network or the service is very slow: try again later."
        else:
            what = "a compressed body that could not be decompressed"
            advice = "This is usually a temporary proxy problem: try again in a minute."
        message = f"The API answered {_path(url)} with {what}. {advice}"
        return APIError(message, status=status, url=url)

    def _failure(
        self,
        decision: Decision,
        resp: requests.Response | None,
        error: BaseException | None,
        url: str,
        path: str,
        not_found: str | None,
        attempt: int,
    ) -> UTError:
        if resp is None:
            return APIConnectionError(
                f"Could not reach the UserTesting API at {self.settings.api_url} "
                f"({decision.reason}, {attempt} tries). Check your network connection and "
                "UT_API_URL.",
                url=url,
            )
        if resp.status_code == 429:
            when = f" The server asks to wait {decision.wait:.0f}s." if decision.wait else ""
            limit = ""
            if decision.wait > self.retry.max_wait:
                limit = f", longer than max_wait={self.retry.max_wait:.0f}s"
            err = RateLimitError(
                f"The UserTesting API answered 429 Too Many Requests (10 requests per minute "
                f"per client){limit}.{when} Wait a minute and run the cell again; rows already "
                "fetched are on the error's .partial.",
                status=429,
                url=resp.url,
                body=_excerpt(resp),
            )
            err.wait = decision.wait or None
            return err
        if resp.status_code >= 500:
            return APIError(
                f"The UserTesting API kept failing with HTTP {resp.status_code} on {path} "
                f"({attempt} tries): {_excerpt(resp)!r}. The service may be having trouble: "
                "try again in a few minutes.",
                status=resp.status_code,
                url=resp.url,
                body=_excerpt(resp),
            )
        return _status_error(resp, not_found)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]


def _read_body(resp: requests.Response, policy: RetryPolicy, *, started: float) -> None:
    read_body(resp, max_body=policy.max_body, deadline=policy.deadline, started=started)


def _decode(resp: requests.Response) -> str:
    charset = requests.utils.get_encoding_from_headers(resp.headers)
    # requests answers ISO-8859-1 for any text/* without a charset: that is a default,
    # not the server's word, so it is not trusted.
    named = "charset" in resp.headers.get("Content-Type", "").lower()
    encoding = charset if named and charset else "utf-8"
    try:
        return resp.content.decode(encoding, errors="replace")
    except LookupError:  # a charset Python does not know
        return resp.content.decode("utf-8", errors="replace")


def _excerpt(resp: requests.Response) -> str:
    return excerpt(_decode(resp), html="html" in resp.headers.get("Content-Type", "").lower())


def _status_error(resp: requests.Response, not_found: str | None) -> UTError:
    """The error for a final 3xx/4xx answer, saying what to check."""
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
