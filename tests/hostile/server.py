"""A tiny stdlib HTTP server for tests whose answers the test writes itself.

Unlike ``ut_notebook.demo`` it shares none of the client's assumptions: each test says
what every path answers (status, headers, body — any bytes), and the server records
every request. It also serves a token endpoint and can enforce a strict rate-limit
window, answering 429 past it.

>>> with HostileServer() as server:                                   # doctest: +SKIP
...     server.route("/api/v2/sessionResults", lambda req: Reply(200, body=b"{}"))
...     client = server.connect()
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ut_notebook as ut

CLIENT_ID = "hostile-client-id"
CLIENT_SECRET = "hostile-client-secret-0123456789"
TOKEN = "hostile-access-token-" + "x" * 39  # 60 characters, like a real one


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Send the body this many bytes at a time, sleeping `pause` seconds between pieces.
    trickle: int = 0
    pause: float = 0.0
    # Wait this many seconds before sending the status line (a slow server).
    delay: float = 0.0

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Reply]


def token_reply(request: Request, token: str = TOKEN, expires_in: Any = 3600) -> Reply:
    return Reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in})


class HostileServer:
    """Start with ``with HostileServer() as server:``; add routes with :meth:`route`."""

    def __init__(self, *, rate_limit: int | None = None, window: float = 1.0) -> None:
        self.routes: dict[str, Handler] = {"/token": token_reply}
        self.requests: list[Request] = []
        self.statuses: list[int] = []
        self.rate_limit = rate_limit
        self.window = window
        self._window_start: float | None = None
        self._window_count = 0
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, prefix: str, handler: Handler) -> None:
        """Answer every GET whose path starts with ``prefix`` with ``handler(request)``."""
        self.routes[prefix] = handler

    def connect(self, **kwargs: Any) -> ut.Client:
        kwargs.setdefault("retry", ut.RetryPolicy(backoff=0.01, backoff_cap=0.02, timeout=(2, 5)))
        return ut.connect(
            kwargs.pop("client_id", CLIENT_ID),
            kwargs.pop("client_secret", CLIENT_SECRET),
            token_url=self.url + "/token",
            api_url=self.url,
            **kwargs,
        )

    def count(self, prefix: str = "/api/") -> int:
        return sum(1 for r in self.requests if r.path.startswith(prefix))

    # -- the strict window ----------------------------------------------------------------

    def _rate(self) -> tuple[bool, dict[str, str]]:
        """(allowed, headers) for one API request under a strict fixed window."""
        if self.rate_limit is None:
            return True, {}
        with self._lock:
            now = time.monotonic()
            if self._window_start is None or now >= self._window_start + self.window:
                self._window_start = now
                self._window_count = 0
            self._window_count += 1
            reset = math.ceil(self._window_start + self.window - now)
            allowed = self._window_count <= self.rate_limit
            left = max(0, self.rate_limit - self._window_count)
            return allowed, {
                "x-ratelimit-limit": str(self.rate_limit),
                "x-ratelimit-remaining": str(left),
                "x-ratelimit-reset": str(max(1, reset)),
            }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                request = Request(method, parts.path, query, dict(self.headers.items()), body)
                server.requests.append(request)
                handler = next(
                    (h for p, h in sorted(server.routes.items(), key=lambda kv: -len(kv[0]))
                     if parts.path.startswith(p)),
                    None,
                )  # fmt: skip
                extra: dict[str, str] = {}
                if parts.path.startswith("/api/"):
                    allowed, extra = server._rate()
                    if not allowed:
                        handler = lambda r: Reply(429, {"message": "Too Many Requests"})  # noqa: E731
                reply = handler(request) if handler else Reply(404, {"message": "no route"})
                server.statuses.append(reply.status)
                data = reply.encoded()
                time.sleep(reply.delay)
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **extra, **reply.headers}
                headers.setdefault("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if reply.trickle:
                        for start in range(0, len(data), reply.trickle):
                            self.wfile.write(data[start : start + reply.trickle])
                            self.wfile.flush()
                            time.sleep(reply.pause)
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (a deadline, a size cap, an interrupt): expected.
                    self.close_connection = True

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return _Handler
