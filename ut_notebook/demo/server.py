"""The HTTP server: token endpoints, auth, rate limit, faults, request log.

Order of checks on an API path (``/api/...`` and ``/usertesting/api/...``):

1. ``latency`` sleep;
2. fault draw (a fault replaces the answer and uses no quota);
3. auth: a missing, unknown, expired or revoked token gets 401 and uses no quota
   (the 401 still carries the x-ratelimit-* headers of the configured client, unchanged);
4. rate limit: the request counts against its client's window; past the limit, 429;
5. the endpoint itself (200, 400 or 404).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .api import Api, Reply, is_legacy, json_reply, legacy_error, nest_error
from .catalog import CATALOG
from .config import TOKEN_PATH, TOKEN_PATH_V2, TOKEN_SCOPES, SimulatorConfig
from .data import SessionStore
from .faults import BAD_GATEWAY_HTML, FaultInjector
from .media import MEDIA_PREFIX, Media
from .ratelimit import FixedWindowLimiter, Quota
from .tokens import TokenError, TokenStore, issue_token

__all__ = ["DemoServer", "RequestRecord", "demo_server"]

_API_HEADERS = {
    "Cache-Control": "private, no-store",
    "Pragma": "no-cache",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
_TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_DROP = -1  # Reply.status meaning "close the connection without answering"
LOG_LIMIT = 100_000  # requests kept in DemoServer.requests


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered (or dropped: ``status`` 0)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str]  # lower-cased names, as received
    time: float  # time.monotonic() when received


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 drops SYNs under parallel load: 1 s stalls

    def __init__(self, address, sim: DemoServer) -> None:
        self.sim = sim
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup that can hang.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def close_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this many seconds
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def version_string(self) -> str:
        return "ut-demo"

    def log_message(self, format: str, *args: object) -> None:
        pass  # silence: no line per request on stderr

    def _serve(self) -> None:
        self.server.sim._handle(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class DemoServer:
    """A UserTesting API simulator on 127.0.0.1, serving in a daemon thread.

    >>> with DemoServer(rate_window=1) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self, config: SimulatorConfig | None = None, *, port: int = 0, **overrides
    ) -> None:
        config = config if config is not None else SimulatorConfig()
        if overrides:
            config = replace(config, **overrides)
        self._lock = threading.Lock()
        self._config = config
        self._port = port
        self._store = SessionStore(config.seed)
        self._media = Media()
        self._api = Api(self._store, self._media)
        self._tokens = TokenStore()
        self._limiter = FixedWindowLimiter()
        self._faults = FaultInjector(config.seed)
        # Every request, oldest first; a long-running demo keeps only the newest ones.
        self._log: deque[RequestRecord] = deque(maxlen=LOG_LIMIT)
        self._authorized = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # -- configuration and lifecycle ---------------------------------------------------

    @property
    def config(self) -> SimulatorConfig:
        return self._config

    @config.setter
    def config(self, value: SimulatorConfig) -> None:
        if value.seed != self._config.seed:
            self._faults.reseed(value.seed)
            self._store.reseed(value.seed)
        self._config = value

    def start(self) -> DemoServer:
        with self._lock:
            if self._httpd is not None:
                return self
            httpd = _HTTPServer(("127.0.0.1", self._port), self)
            self._httpd = httpd
            self._url = f"http://127.0.0.1:{httpd.server_address[1]}"
            self._media.base_url = self._url  # signed video URLs point back here
            self._thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"ut-demo-server:{httpd.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._url if self.running else "stopped"
        return f"<DemoServer {where}>"

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the DemoServer is not started: call start() first")
        return self._url

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def token_url_v2(self) -> str:
        return self.url + TOKEN_PATH_V2

    @property
    def media(self) -> Media:
        """Signs and serves the video URLs; set ``media.clock`` to move their time."""
        return self._media

    # -- state for tests ---------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def count(
        self, path_prefix: str = "", *, status: int | None = None, method: str | None = None
    ) -> int:
        return sum(
            1
            for r in self.requests
            if r.path.startswith(path_prefix)
            and (status is None or r.status == status)
            and (method is None or r.method == method.upper())
        )

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def add_sessions(self, test_id: str, n: int) -> None:
        if test_id not in CATALOG:
            raise KeyError(f"unknown demo test id: {test_id}")
        self._store.add(test_id, n)

    def revoke_tokens(self) -> None:
        self._tokens.revoke_all()

    def session_ids(self, test_id: str) -> list[str]:
        if test_id not in CATALOG:
            raise KeyError(f"unknown demo test id: {test_id}")
        return self._store.ids(test_id)

    # -- request handling ----------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        received = time.monotonic()
        method = h.command
        split = urlsplit(h.path)
        path = split.path
        query_multi = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in query_multi.items()}
        headers = {k.lower(): v for k, v in h.headers.items()}
        config = self._config
        length = headers.get("content-length", "0").strip()
        body = h.rfile.read(int(length)) if length.isdigit() and int(length) > 0 else b""
        try:
            if not length.isdigit():
                h.close_connection = True  # the rest of the stream cannot be framed
                reply = nest_error(400, "Invalid Content-Length header")
            elif path in TOKEN_SCOPES:
                reply = self._token(path, method, headers, body, config)
            elif path.startswith(MEDIA_PREFIX):
                # Like S3 behind a pre-signed URL: no token, no quota, no faults.
                reply = self._media.serve(method, path, query_multi, headers)
            elif path.startswith(("/api/", "/usertesting/api/")):
                reply = self._api_request(method, path, query_multi, headers, config)
            else:
                reply = nest_error(404, f"Cannot {method} {path}")
        except Exception:  # a simulator bug: answer 500 and show the traceback
            traceback.print_exc(file=sys.stderr)
            reply = json_reply(500, {"statusCode": 500, "message": "Internal server error"})
        status = 0 if reply.status == _DROP else reply.status
        with self._lock:
            self._log.append(RequestRecord(method, path, query, status, headers, received))
        if reply.status == _DROP:
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            return
        h.send_response(reply.status)
        h.send_header("Content-Type", reply.content_type)
        h.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            h.send_header(name, value)
        h.end_headers()
        if method != "HEAD":  # HEAD: the headers of a GET, Content-Length included
            h.wfile.write(reply.body)

    def _token(self, path: str, method: str, headers: dict[str, str], body: bytes, config) -> Reply:
        if method != "POST":
            reply = json_reply(
                405,
                {
                    "error": "invalid_request",
                    "error_description": "The token endpoint only accepts POST requests.",
                },
                {**_TOKEN_HEADERS, "Allow": "POST"},
            )
        else:
            try:
                payload = issue_token(
                    config,
                    self._tokens,
                    TOKEN_SCOPES[path],
                    headers.get("content-type"),
                    headers.get("authorization"),
                    body,
                    time.monotonic(),
                )
                reply = json_reply(200, payload, _TOKEN_HEADERS)
            except TokenError as err:
                extra = {"WWW-Authenticate": 'Basic realm="ut-demo"'} if err.status == 401 else {}
                reply = json_reply(err.status, err.body, {**_TOKEN_HEADERS, **extra})
        reply.content_type = "application/json"
        return reply

    def _api_request(
        self, method: str, path: str, query, headers: dict[str, str], config: SimulatorConfig
    ) -> Reply:
        if config.latency > 0:
            time.sleep(config.latency)
        fault = self._faults.draw(
            config.fault_rate, config.fault_kinds, config.max_consecutive_faults
        )
        if fault == "drop":
            return Reply(_DROP, b"")
        if fault == "502":
            return Reply(502, BAD_GATEWAY_HTML.encode(), "text/html")
        if fault == "503":
            return json_reply(503, {"statusCode": 503, "message": "Service Unavailable"})

        legacy = is_legacy(path)
        now = time.monotonic()
        grant = self._tokens.check(_access_token(headers), now)
        if grant is None:
            quota = self._limiter.peek(config.client_id, now, config.rate_limit, config.rate_window)
            reply = (
                legacy_error(401, "Unauthorized")
                if legacy
                else json_reply(401, {"statusCode": 401, "message": "Unauthorized"})
            )
            return _with_headers(reply, quota)

        quota = self._limiter.hit(grant.client_id, now, config.rate_limit, config.rate_window)
        try:
            if not quota.allowed:
                message = "ThrottlerException: Too Many Requests"
                reply = (
                    legacy_error(429, message)
                    if legacy
                    else json_reply(429, {"statusCode": 429, "message": message})
                )
                reply.headers["Retry-After"] = str(quota.reset)
                return _with_headers(reply, quota)
            reply = self._api.route(method, path, query, config)
            if reply.arrivals_test and config.arrivals_per_request:
                self._store.add(reply.arrivals_test, config.arrivals_per_request)
            return _with_headers(reply, quota)
        finally:
            self._count_authorized(config)

    def _count_authorized(self, config: SimulatorConfig) -> None:
        every = config.revoke_tokens_every
        with self._lock:
            self._authorized += 1
            revoke = bool(every) and self._authorized % every == 0
        if revoke:
            self._tokens.revoke_all()


def _access_token(headers: dict[str, str]) -> str | None:
    token = headers.get("token", "").strip()
    if token:
        return token
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _with_headers(reply: Reply, quota: Quota) -> Reply:
    reply.headers = {**_API_HEADERS, **quota.headers(), **reply.headers}
    return reply


_SINGLETON: DemoServer | None = None
_SINGLETON_LOCK = threading.Lock()


def demo_server() -> DemoServer:
    """The process-wide demo server (``SimulatorConfig.demo()``), started on first use."""
    global _SINGLETON
    with _SINGLETON_LOCK:
        if _SINGLETON is None or not _SINGLETON.running:
            _SINGLETON = DemoServer(SimulatorConfig.demo()).start()
        return _SINGLETON
