"""``max_wait`` bounds every wait of every loader, and a failed renewal leaks no slot.

A server that says "nothing left, the window resets in 300 s" must make the client
raise a RateLimitError (with ``.wait`` and ``.partial``) at once when ``max_wait`` is
2 s -- not sleep. "At once" is checked without a clock: the client records every second
it sleeps (``client.stats.waited``, ``rate_snapshot().waited``), and both stay 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import ut_notebook as ut
from tests.hostile.conftest import (
    details_route,
    good_items,
    make_test_id,
    paged,
    sid,
    transcript_route,
)
from tests.hostile.server import HostileServer, Reply, Request, token_reply

TEST_ID = make_test_id(1)
IDS = [sid(0, n) for n in range(4)]
# A client that ignored max_wait would sleep the 300 s: fail it well before that.
pytestmark = pytest.mark.timeout(60)

RETRY = ut.RetryPolicy(max_wait=2, backoff=0.01, backoff_cap=0.02, timeout=(2, 5))


def _exhausted(reset: str = "300") -> dict[str, str]:
    return {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}


def _spent_after_first(handler: Callable[[Request], Reply], reset: str = "300") -> Any:
    """``handler``, except that its first answer says the window is used up for 300 s."""
    calls = [0]

    def wrapped(request: Request) -> Reply:
        calls[0] += 1
        reply = handler(request)
        if calls[0] == 1:
            reply.headers.update(_exhausted(reset))
        return reply

    return wrapped


def _load_sessions(client: ut.Client) -> Any:
    return ut.load_sessions(TEST_ID, client=client, page_size=2, progress=False)


def _load_details(client: ut.Client) -> Any:
    return ut.load_session_details(IDS, client=client, progress=False)


def _load_transcripts(client: ut.Client) -> Any:
    return ut.load_transcripts(IDS, client=client, progress=False)


def _load_in_background(client: ut.Client) -> Any:
    job = ut.load_session_details(IDS, client=client, background=True)
    return job.result(timeout=60)


def _rows(kind: str, partial: Any) -> int:
    if kind == "details" or kind == "background":
        return int(partial.attrs["sessions"])
    if kind == "transcripts":
        return int(partial["sessionId"].nunique())
    return len(partial)


LOADS = {
    "sessions": _load_sessions,
    "details": _load_details,
    "transcripts": _load_transcripts,
    "background": _load_in_background,
}


@pytest.mark.parametrize("reset", ["300", "epoch-ms"])
@pytest.mark.parametrize("kind", list(LOADS))
def test_a_300s_reset_with_max_wait_2_raises_at_once_with_wait_and_partial(
    kind: str, reset: str
) -> None:
    if reset == "epoch-ms":  # the same 300 s, said as an epoch time in milliseconds
        reset = str(int((time.time() + 300) * 1000))
    with HostileServer() as server:
        server.route("/api/v2/sessionResults", _spent_after_first(paged(good_items(6)), reset))
        server.route("/api/v3/sessionResults/", _spent_after_first(details_route, reset))
        server.route("/api/v2/sessionResults/", _spent_after_first(transcript_route, reset))
        client = server.connect(retry=RETRY)
        with pytest.raises(ut.RateLimitError, match="max_wait=2s") as info:
            LOADS[kind](client)
        err = info.value
        assert err.wait is not None and 290 < err.wait <= 301
        fetched = 2 if kind == "sessions" else 1  # one page of 2, or one session
        assert err.partial is not None and _rows(kind, err.partial) == fetched
        assert client.stats.waited == 0 and client.rate_snapshot().waited == 0
        assert server.count() == 1  # no request was sent into the spent window


def test_a_429_asking_for_300s_with_max_wait_2_raises_at_once() -> None:
    def first_page_then_429(request: Request) -> Reply:
        if request.query.get("offset") == "0":
            return paged(good_items(6))(request)
        return Reply(429, {"message": "slow down"}, {"Retry-After": "300"})

    with HostileServer() as server:
        server.route("/api/v2/sessionResults", first_page_then_429)
        client = server.connect(retry=RETRY)
        with pytest.raises(ut.RateLimitError, match="longer than max_wait=2s") as info:
            _load_sessions(client)
        assert info.value.wait == 300 and len(info.value.partial) == 2
        assert client.stats.waited == 0 and server.count() == 2


def test_a_failed_token_renewal_gives_its_slot_back() -> None:
    """The token endpoint fails mid-load, then recovers: the client still sends."""
    token_calls = [0]
    down = threading.Event()

    def tokens(request: Request) -> Reply:
        token_calls[0] += 1
        if down.is_set():
            return Reply(503, {"error": "temporarily_unavailable"})
        return token_reply(request, token=f"renewed-token-number-{token_calls[0]:04d}-abcdef")

    def details(request: Request) -> Reply:
        if IDS[1] in request.path:  # the server revokes the token: the client must renew
            down.set()
            return Reply(401, {"message": "token expired"})
        return details_route(request)

    # A strict window that says what is left: the slot bookkeeping is checked against it.
    with HostileServer(rate_limit=50, window=60) as server:
        server.route("/token", tokens)
        server.route("/api/v3/sessionResults/", details)
        client = server.connect(retry=RETRY)
        with pytest.raises(ut.AuthError) as info:
            _load_details(client)
        assert info.value.partial.attrs["sessions"] == 1
        snap = client.rate_snapshot()
        assert snap.in_flight == 0, "the renewal that failed kept its slot"
        # No request was sent for the renewal that failed: the budget is the server's.
        assert snap.remaining == 50 - server.count(), "the slot's budget was not given back"
        # The endpoint recovers: the same client goes on (many times: no slow leak).
        down.clear()
        server.route("/api/v3/sessionResults/", details_route)
        for _ in range(3):
            done: list[Any] = []
            worker = threading.Thread(target=lambda out=done: out.append(_load_details(client)))
            worker.start()
            worker.join(60)  # a leaked slot would block it for ever: never hang the suite
            assert done and done[0].attrs["sessions"] == 4
            assert client.rate_snapshot().in_flight == 0
