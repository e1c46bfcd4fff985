"""The request scheduler and the retry decision, on a fake clock: no server, no sleeping."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ut_notebook.api.retry import Action, RetryPolicy, decide
from ut_notebook.api.scheduler import (
    BACKGROUND,
    FOREGROUND,
    RateLimitWait,
    Scheduler,
    parse_rate_headers,
    parse_retry_after,
    request_context,
)


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.now += seconds


def headers(remaining: int, reset: float, limit: int = 10) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(reset),
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def scheduler(clock: FakeClock) -> Scheduler:
    return Scheduler(clock=clock, sleep=clock.sleep, wall=lambda: 0.0)


def test_spends_the_window_then_waits_exactly_until_the_reset(
    scheduler: Scheduler, clock: FakeClock
) -> None:
    assert scheduler.acquire() == 0.0
    scheduler.complete(headers(2, 5, limit=3))
    for left in (1, 0):
        assert scheduler.acquire() == 0.0
        scheduler.complete(headers(left, 5, limit=3))
    waited = scheduler.acquire()
    assert waited == pytest.approx(5.01) and clock.slept == [pytest.approx(5.01)]
    snap = scheduler.snapshot()
    assert snap.limit == 3 and snap.in_flight == 1 and snap.window == 5.0


def test_requests_in_flight_count_against_the_budget(scheduler: Scheduler) -> None:
    scheduler.acquire()
    scheduler.complete(headers(3, 60))  # 3 left in this window
    for _ in range(3):
        assert scheduler.acquire() == 0.0  # three sent, none answered yet
    # The first answer says 2 left: it counted itself, not the two others in flight.
    scheduler.complete(headers(2, 60))
    assert scheduler.snapshot().remaining == 0
    with pytest.raises(RateLimitWait):
        scheduler.acquire(max_wait=1.0)  # a fourth would be one too many


def test_answers_out_of_order_never_raise_the_budget(scheduler: Scheduler) -> None:
    scheduler.acquire()
    scheduler.complete(headers(5, 60))
    scheduler.acquire()
    scheduler.acquire()
    scheduler.complete(headers(3, 60))  # the later request answered first
    # 3 left, less the other request still in flight (it may not be counted yet).
    assert scheduler.snapshot().remaining == 2
    scheduler.complete(headers(4, 60))  # the earlier one's answer, now stale
    assert scheduler.snapshot().remaining == 2  # a stale answer never raises it


def test_keeps_the_tightest_reset_within_a_window(scheduler: Scheduler, clock: FakeClock) -> None:
    scheduler.acquire()
    scheduler.complete(headers(2, 1, limit=3))  # window ends within 1 s (rounded up)
    clock.now += 0.6
    scheduler.acquire()
    scheduler.complete(headers(1, 1, limit=3))  # still "1": a looser bound than the first
    clock.now += 0.1
    scheduler.acquire()
    scheduler.complete(headers(0, 1, limit=3))
    scheduler.acquire()
    assert clock.slept == [pytest.approx(0.31)]  # the first bound, not 1 s from now


def test_a_new_window_sends_one_request_until_its_budget_is_known(
    scheduler: Scheduler, clock: FakeClock
) -> None:
    scheduler.acquire()
    scheduler.complete(headers(0, 1))
    scheduler.acquire()  # waits for the reset
    order: list[str] = []

    def second() -> None:
        scheduler.acquire()
        order.append("second sent")

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.2)
    assert order == []  # the budget of the new window is unknown: wait for an answer
    order.append("first answered")
    scheduler.complete(headers(9, 1))
    thread.join(5)
    assert order == ["first answered", "second sent"]


def test_max_wait_raises_instead_of_sleeping(scheduler: Scheduler, clock: FakeClock) -> None:
    scheduler.acquire()
    scheduler.complete(headers(0, 300))
    with pytest.raises(RateLimitWait) as info:
        scheduler.acquire(max_wait=120)
    assert info.value.wait == pytest.approx(300.01) and clock.slept == []
    assert scheduler.snapshot().queued == 0  # the refused request left the queue


def test_a_429_blocks_every_request_until_retry_after(
    scheduler: Scheduler, clock: FakeClock
) -> None:
    scheduler.acquire()
    scheduler.complete(None)  # no answer (a dropped connection): nothing learned
    scheduler.block_for(7.0)
    assert scheduler.snapshot().delay() == pytest.approx(7.0)
    assert scheduler.acquire() == pytest.approx(7.0)


def test_a_slot_given_back_returns_to_the_budget(scheduler: Scheduler) -> None:
    scheduler.acquire()
    scheduler.complete(headers(1, 60))
    scheduler.acquire()
    scheduler.give_back()  # the token renewal failed: no request was sent
    snap = scheduler.snapshot()
    assert snap.remaining == 1 and snap.in_flight == 0


def test_foreground_requests_go_before_background_ones(
    scheduler: Scheduler, clock: FakeClock
) -> None:
    scheduler.acquire()
    scheduler.complete(headers(0, 10))
    holder = scheduler.acquire()  # sleeps until the reset: now one probe is in flight
    assert holder > 0
    sent: list[str] = []

    def request(name: str, priority: int) -> None:
        with request_context(priority=priority):
            scheduler.acquire()
        sent.append(name)
        scheduler.complete(headers(5, 10))

    background = threading.Thread(target=request, args=("background", BACKGROUND))
    background.start()
    _wait_until(lambda: scheduler.snapshot().queued == 1)
    foreground = threading.Thread(target=request, args=("foreground", FOREGROUND))
    foreground.start()
    _wait_until(lambda: scheduler.snapshot().queued == 2)
    scheduler.complete(headers(5, 10))  # the probe's answer: budget known, both may go
    foreground.join(5)
    background.join(5)
    assert sent == ["foreground", "background"]


def test_many_threads_never_exceed_the_window(scheduler: Scheduler, clock: FakeClock) -> None:
    """A fake server counting a strict 4-per-5 s window: 40 requests from 4 threads."""
    window = {"start": clock.now, "count": 0, "over": 0}
    lock = threading.Lock()

    def serve() -> dict[str, str]:
        with lock:
            if clock.now >= window["start"] + 5:
                window["start"] += 5 * ((clock.now - window["start"]) // 5)
                window["count"] = 0
            window["count"] += 1
            if window["count"] > 4:
                window["over"] += 1
            left = max(0, 4 - window["count"])
            return headers(left, window["start"] + 5 - clock.now, limit=4)

    def worker() -> None:
        for _ in range(10):
            scheduler.acquire()
            scheduler.complete(serve())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert window["over"] == 0
    # Ten windows are needed for 40 requests at 4 per window, and no more were used.
    assert clock.now - 1000.0 == pytest.approx(45.0, abs=0.5)


def _wait_until(condition: Any, tries: int = 500) -> None:
    event = threading.Event()
    for _ in range(tries):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition never held")


# -- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("30", 30.0),
        ("inf", None),
        ("nan", None),
        ("-5", None),
        ("soon", None),
        ("1700000030", 30.0),  # epoch seconds
        ("1700000030000", 30.0),  # epoch milliseconds
    ],
)
def test_reset_header_in_any_unit_or_garbage(reset: str, expected: float | None) -> None:
    hdrs = {"x-ratelimit-remaining": "1", "x-ratelimit-reset": reset}
    assert parse_rate_headers(hdrs, wall=1_700_000_000.0)[2] == expected


def test_retry_after_in_seconds_or_a_date() -> None:
    assert parse_retry_after({"Retry-After": "12"}) == 12.0
    date = {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}
    assert parse_retry_after(date, wall=1445412480.0) == 30.0
    assert parse_retry_after({"Retry-After": "1e400"}) is None  # inf: not a wait
    assert parse_retry_after({"x-ratelimit-reset": "9"}) == 9.0


# -- the retry decision ---------------------------------------------------------------------

POLICY = RetryPolicy(max_tries=3, backoff=1.0, backoff_cap=4.0, max_wait=60.0)


def test_decisions_per_answer() -> None:
    assert decide(policy=POLICY, attempt=1, status=204).action is Action.DONE
    assert decide(policy=POLICY, attempt=1, status=401).action is Action.REFRESH
    assert decide(policy=POLICY, attempt=1, status=401, refreshed=True).action is Action.FAIL
    assert decide(policy=POLICY, attempt=1, status=404).action is Action.FAIL
    assert decide(policy=POLICY, attempt=1, status=302).action is Action.FAIL
    wait = decide(policy=POLICY, attempt=1, status=429, headers={"Retry-After": "20"})
    assert wait.action is Action.WAIT and wait.wait == 20.0


def test_server_errors_and_network_errors_retry_with_backoff_then_fail() -> None:
    first = decide(policy=POLICY, attempt=1, status=503)
    assert first.action is Action.RETRY and 0.5 <= first.wait <= 1.0
    later = decide(policy=POLICY, attempt=2, error=ConnectionError("reset"))
    assert later.action is Action.RETRY and 1.0 <= later.wait <= 2.0
    assert decide(policy=POLICY, attempt=3, status=503).action is Action.FAIL
    assert decide(policy=POLICY, attempt=3, error=TimeoutError()).action is Action.FAIL
    told = decide(policy=POLICY, attempt=1, status=503, headers={"Retry-After": "2"})
    assert told.wait == 2.0


def test_waits_longer_than_max_wait_fail_at_once() -> None:
    long = decide(policy=POLICY, attempt=1, status=429, headers={"Retry-After": "300"})
    assert long.action is Action.FAIL and long.wait == 300.0
    capped = decide(policy=POLICY, attempt=1, status=503, headers={"Retry-After": "300"})
    assert capped.action is Action.RETRY and capped.wait == 60.0
