"""Bounded resources: a size cap on decompressed bodies, a total deadline per request,
and error excerpts that take linear time on any body."""

from __future__ import annotations

import gzip

import pytest

import ut_notebook as ut
from tests.hostile.conftest import good_items, make_test_id, paged
from tests.hostile.server import CLIENT_ID, CLIENT_SECRET, HostileServer, Reply, Request
from ut_notebook.errors import excerpt

TEST_ID = make_test_id(1)
# A client that did not bound these would hang or take minutes: fail it well before.
pytestmark = pytest.mark.timeout(60)


def test_a_small_gzip_that_inflates_past_max_body_is_refused() -> None:
    bomb = gzip.compress(b'{"sessions": [' + b" " * 20_000_000 + b"]}")
    max_body = 1_000_000
    assert len(bomb) < max_body // 10  # small on the wire: only the inflated size is big
    with HostileServer() as server:
        server.route(
            "/api/v2/sessionResults",
            lambda r: Reply(200, bomb, {"Content-Encoding": "gzip"}),
        )
        client = server.connect(retry=ut.RetryPolicy(max_body=max_body, backoff=0.01))
        with pytest.raises(ut.APIError, match="a body larger than 1,000,000 bytes") as info:
            ut.load_sessions(TEST_ID, client=client, progress=False)
        assert info.value.partial is not None and len(info.value.partial) == 0
        assert server.count() == 1  # not worth another try: the same bomb would come back


def test_a_plain_body_past_max_body_is_refused() -> None:
    with HostileServer() as server:
        server.route("/api/v2/sessionResults", lambda r: Reply(200, b"[" + b" " * 300_000 + b"]"))
        client = server.connect(retry=ut.RetryPolicy(max_body=100_000, backoff=0.01))
        with pytest.raises(ut.APIError, match="larger than 100,000 bytes"):
            ut.load_sessions(TEST_ID, client=client, progress=False)


def _trickled_second_page(request: Request) -> Reply:
    reply = paged(good_items(4))(request)
    if request.query.get("offset") != "0":
        # A few bytes per second: every read arrives well within the read timeout, so
        # only a total deadline stops it (the whole page would take ~25 s).
        reply.trickle, reply.pause = 4, 0.1
    return reply


def test_a_trickling_server_cannot_hold_a_load_past_the_deadline() -> None:
    with HostileServer() as server:
        server.route("/api/v2/sessionResults", _trickled_second_page)
        retry = ut.RetryPolicy(deadline=1.0, timeout=(2, 5), backoff=0.01)
        client = server.connect(retry=retry)
        with pytest.raises(ut.APIError, match="took longer than 1s to arrive") as info:
            ut.load_sessions(TEST_ID, client=client, page_size=2, progress=False)
        assert len(info.value.partial) == 2  # the first page is kept
        assert client.rate_snapshot().in_flight == 0


def test_the_deadline_counts_the_wait_for_the_headers_too() -> None:
    # 3 s before the headers (under the 5 s read timeout), then ~1 s of body: each part
    # alone is within the 2.5 s deadline, the request is not.
    def slow(request: Request) -> Reply:
        reply = paged(good_items(2))(request)
        reply.delay = 3.0
        reply.trickle, reply.pause = max(1, len(reply.encoded()) // 10), 0.1
        return reply

    with HostileServer() as server:
        server.route("/api/v2/sessionResults", slow)
        retry = ut.RetryPolicy(deadline=2.5, timeout=(2, 5), backoff=0.01)
        client = server.connect(retry=retry)
        with pytest.raises(ut.APIError, match="took longer than 2s to arrive"):
            ut.load_sessions(TEST_ID, client=client, progress=False)


HOSTILE_BODIES = {
    "angle brackets": "<" * 4_000_000,
    "unclosed tags": "<a" * 2_000_000,
    "title, no end": "<title>" + "<" * 4_000_000,
    "many titles": "<title>" * 600_000,
    "long tag": "<" + "a" * 4_000_000 + ">",
    "whitespace": " \t\n" * 1_500_000,
}


@pytest.mark.parametrize("case", list(HOSTILE_BODIES))
def test_error_excerpts_are_linear_on_regex_hostile_bodies(case: str) -> None:
    body = HOSTILE_BODIES[case]
    with HostileServer() as server:
        server.route("/api/", lambda r: Reply(400, body, {"Content-Type": "text/html"}))
        client = server.connect()
        with pytest.raises(ut.APIError) as info:
            ut.load_sessions(TEST_ID, client=client, progress=False)
        assert len(str(info.value)) < 600 and len(info.value.body or "") <= 200
    # And on the excerpt function itself, twice the size, with and without the html hint.
    for html in (True, False):
        assert len(excerpt(body * 2, html=html)) <= 200


@pytest.mark.parametrize(
    "answer, problem",
    [
        (
            Reply(200, gzip.compress(b" " * 20_000_000), {"Content-Encoding": "gzip"}),
            "more than 1,048,576 bytes",
        ),
        (Reply(200, {"access_token": "t" * 60, "pad": "x" * 400}, trickle=4, pause=0.1),
         "took too long"),
    ],
    ids=["gzip bomb", "trickle"],
)  # fmt: skip
def test_the_token_answer_is_bounded_too(answer: Reply, problem: str) -> None:
    with HostileServer() as server:
        server.route("/token", lambda r: answer)
        with pytest.raises(ut.AuthError, match=problem):
            server.connect(retry=ut.RetryPolicy(deadline=1.0, timeout=(2, 5)))


@pytest.mark.timeout(60)  # a hang guard: without the deadline this takes ~100 s
def test_a_server_trickling_its_headers_cannot_hold_a_request_past_the_deadline() -> None:
    """requests bounds each read of the socket, not the whole: a status line and headers
    sent a few bytes at a time, each well within the read timeout, would hold a request
    for as long as the server likes. The caller waits no longer than ``deadline``."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: y\r\n" * 50
            for i in range(len(head)):  # ~100 s of headers, a byte per 0.2 s
                if stop.wait(0.2):
                    return
                try:
                    conn.sendall(head[i : i + 1])
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with HostileServer() as tokens:  # only the token endpoint: the API is the raw socket
        client = ut.connect(
            CLIENT_ID,
            CLIENT_SECRET,
            token_url=tokens.url + "/token",
            api_url=f"http://127.0.0.1:{port}",
            retry=ut.RetryPolicy(deadline=1.0, timeout=(2, 5), backoff=0.01),
        )
        try:
            with pytest.raises(ut.APIError, match="longer than 1s"):
                client.get_json("/api/v2/sessionResults", {"testId": "x"})
        finally:
            stop.set()
            listener.close()
