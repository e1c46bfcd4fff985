"""One request scheduler per client, driven by the ``x-ratelimit-*`` headers.

The UserTesting API allows 10 requests per minute and says so in every response:
``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (seconds until
the window resets). Every request of every loader, thread and background job on one
:class:`~ut_notebook.Client` asks its :class:`Scheduler` for a slot first. The scheduler

* spends what the window has left at full speed, and when nothing is left waits exactly
  until the reset — so a run gets no 429 and never idles while the server has room;
* counts requests in flight against the budget (a response's ``remaining`` is applied
  *before* its slot is released, so two requests in flight never look like one);
* never sleeps while holding its lock: one waiter sleeps until the reset, the others
  wait on a condition and are woken by each change;
* serves foreground requests before background ones (jobs set ``priority=BACKGROUND``);
* takes an injectable ``clock`` and ``sleep``, so tests run it on a fake clock.

>>> now = [0.0]
>>> s = Scheduler(clock=lambda: now[0], sleep=lambda t: now.__setitem__(0, now[0] + t))
>>> s.acquire()
0.0
>>> s.complete({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0",
...             "x-ratelimit-reset": "2"})
>>> s.snapshot().remaining, round(s.acquire(), 2)   # no budget left: waits for the reset
(0, 2.01)
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = [
    "BACKGROUND",
    "FOREGROUND",
    "RateLimitWait",
    "RateSnapshot",
    "Scheduler",
    "parse_rate_headers",
    "parse_retry_after",
    "request_context",
]

WaitCallback = Callable[[float], None]
Sleep = Callable[[float], None]

FOREGROUND = 0
BACKGROUND = 1

# The server rounds the reset up to whole seconds, so waiting until it is always enough;
# the margin only absorbs timer granularity.
_MARGIN = 0.01
# A reset this large is an epoch timestamp (seconds, or milliseconds past 1e12).
_EPOCH_SECONDS = 1_000_000_000
_EPOCH_MILLIS = 1_000_000_000_000


class RateLimitWait(Exception):
    """The wait for a slot would exceed ``max_wait`` (the client raises RateLimitError)."""

    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.wait = wait


@dataclass(frozen=True)
class RateSnapshot:
    """The client's view of the rate-limit window: what progress bars and ETAs read.

    Attributes:
        limit: requests per window, as the server last said (``None`` before any answer).
        remaining: requests that may still be sent in this window (``None``: unknown,
            a new window whose budget the next answer will tell).
        reset_in: seconds until the window resets (``None``: unknown).
        window: the window's length as observed (seconds), or ``None``.
        queued: requests waiting for a slot now.
        in_flight: requests sent and not yet answered.
        waited: seconds requests have spent waiting for the limit, in all.
    """

    limit: int | None
    remaining: int | None
    reset_in: float | None
    window: float | None
    queued: int
    in_flight: int
    waited: float

    def delay(self) -> float:
        """Seconds until a request could be sent (0 when it may go now)."""
        if self.remaining == 0 and self.reset_in is not None:
            return self.reset_in
        return 0.0


@dataclass(frozen=True)
class _Context:
    priority: int = FOREGROUND
    sleep: Sleep | None = None  # a cancellable sleep (a job's), used for every wait


_context: contextvars.ContextVar[_Context] = contextvars.ContextVar(
    "ut_notebook_request_context",
    default=_Context(),  # noqa: B039 - a frozen dataclass: never mutated
)


@contextlib.contextmanager
def request_context(*, priority: int = FOREGROUND, sleep: Sleep | None = None) -> Iterator[None]:
    """Requests made inside run at ``priority`` and wait with ``sleep`` (background jobs
    pass a sleep that wakes up and raises when the job is cancelled)."""
    token = _context.set(_Context(priority, sleep))
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> _Context:
    return _context.get()


def _number(value: str | None) -> float | None:
    """A finite, non-negative number from a header value, else ``None``."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except (ValueError, AttributeError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _seconds_from_now(reset: float, wall: float) -> float:
    # Servers disagree on the unit: seconds until reset, an epoch time, or epoch ms.
    if reset >= _EPOCH_MILLIS:
        return max(0.0, reset / 1000.0 - wall)
    if reset >= _EPOCH_SECONDS:
        return max(0.0, reset - wall)
    return reset


def parse_rate_headers(
    headers: Mapping[str, str], wall: float | None = None
) -> tuple[int | None, int | None, float | None]:
    """``(limit, remaining, reset seconds)`` from ``x-ratelimit-*``; ``None`` for any
    value that is missing or not a finite non-negative number.

    >>> parse_rate_headers({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "3",
    ...                     "x-ratelimit-reset": "inf"})
    (10, 3, None)
    """
    wall = time.time() if wall is None else wall
    limit = _number(headers.get("x-ratelimit-limit"))
    remaining = _number(headers.get("x-ratelimit-remaining"))
    reset = _number(headers.get("x-ratelimit-reset"))
    return (
        int(limit) if limit is not None and limit < 2**31 else None,
        int(remaining) if remaining is not None and remaining < 2**31 else None,
        _seconds_from_now(reset, wall) if reset is not None else None,
    )


def parse_retry_after(headers: Mapping[str, str], wall: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date), else from
    ``x-ratelimit-reset``; ``None`` when neither says anything usable."""
    wall = time.time() if wall is None else wall
    value = headers.get("Retry-After")
    if value:
        seconds = _number(value)
        if seconds is not None:
            return seconds
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - wall)
        except (TypeError, ValueError, OverflowError, IndexError):
            pass
    return parse_rate_headers(headers, wall)[2]


class Scheduler:
    """Hands out request slots within the server's rate-limit window. Thread-safe."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = time.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._cond = threading.Condition()
        self._queue: list[tuple[int, int]] = []  # (priority, arrival) of waiting requests
        self._arrivals = itertools.count()
        self.limit: int | None = None
        self.remaining: int | None = None  # our budget estimate for this window
        self.reset_at: float | None = None  # on self._clock
        self.window: float | None = None
        self.in_flight = 0
        self.waited = 0.0

    def __repr__(self) -> str:
        snap = self.snapshot()
        return (
            f"<Scheduler limit={snap.limit} remaining={snap.remaining} "
            f"queued={snap.queued} in_flight={snap.in_flight}>"
        )

    # -- state ----------------------------------------------------------------------------

    def _roll(self, now: float) -> None:
        if self.reset_at is not None and now >= self.reset_at:
            # A new window: its budget is unknown until an answer in it tells.
            self.remaining = None
            self.reset_at = None

    def snapshot(self) -> RateSnapshot:
        """The window as the client sees it now."""
        with self._cond:
            now = self._clock()
            self._roll(now)
            reset_in = None if self.reset_at is None else max(0.0, self.reset_at - now)
            return RateSnapshot(
                self.limit,
                self.remaining,
                reset_in,
                self.window,
                len(self._queue),
                self.in_flight,
                self.waited,
            )

    # -- slots ----------------------------------------------------------------------------

    def acquire(
        self,
        *,
        priority: int | None = None,
        max_wait: float = math.inf,
        on_wait: WaitCallback | None = None,
        sleep: Sleep | None = None,
    ) -> float:
        """Block until a request may be sent and reserve its slot; returns seconds waited.

        ``priority`` and ``sleep`` default to the :func:`request_context`. Raises
        :class:`RateLimitWait` when the wait for the reset would exceed ``max_wait``
        (the caller raises a ``RateLimitError``: no silent multi-minute sleeps). Every
        acquired slot must be given back with :meth:`complete`.
        """
        context = current_context()
        priority = context.priority if priority is None else priority
        sleep = sleep or context.sleep or self._sleep
        ticket = (priority, next(self._arrivals))
        waited = 0.0
        with self._cond:
            heapq.heappush(self._queue, ticket)
        try:
            while True:
                with self._cond:
                    wait = self._try_take(ticket)
                    if wait == 0.0:
                        return waited
                    if wait is None:  # not our turn, or waiting for an answer
                        self._cond.wait()
                        continue
                    if wait > max_wait:
                        raise RateLimitWait(wait)
                # Sleep for the reset outside the lock: answers still come in meanwhile.
                if on_wait is not None:
                    on_wait(wait)
                sleep(wait)
                waited += wait
                with self._cond:
                    self.waited += wait
        finally:
            with self._cond:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                    heapq.heapify(self._queue)
                self._cond.notify_all()

    def _try_take(self, ticket: tuple[int, int]) -> float | None:
        """0.0: slot taken; a number: seconds until the reset; None: wait for a change."""
        if self._queue[0] != ticket:
            return None  # someone with a higher priority, or earlier, goes first
        now = self._clock()
        self._roll(now)
        if self.remaining is None:
            if self.in_flight:
                return None  # the first answer of this window will tell the budget
        elif self.remaining <= 0:
            assert self.reset_at is not None
            return max(self.reset_at - now, 1e-6)
        else:
            self.remaining -= 1
        heapq.heappop(self._queue)
        self.in_flight += 1
        return 0.0

    def complete(self, headers: Mapping[str, str] | None) -> None:
        """A request is over: learn the window from its answer's headers (``None`` when
        there was no answer), *then* free its slot — in one step, under one lock."""
        with self._cond:
            if headers is not None:
                self._learn(headers)
            self.in_flight = max(0, self.in_flight - 1)
            self._cond.notify_all()

    def give_back(self) -> None:
        """An acquired slot was not used (no request was sent: the token renewal
        failed): free it and return its place in the budget."""
        with self._cond:
            self.in_flight = max(0, self.in_flight - 1)
            if self.remaining is not None:
                self.remaining += 1
            self._cond.notify_all()

    def _learn(self, headers: Mapping[str, str]) -> None:
        limit, remaining, reset = parse_rate_headers(headers, self._wall())
        if limit is not None:
            self.limit = limit
        if remaining is None or reset is None:
            return
        now = self._clock()
        self._roll(now)
        # Other requests in flight may not be counted by the server yet: count them.
        budget = max(0, remaining - (self.in_flight - 1))
        reset_at = now + reset + _MARGIN
        if self.reset_at is None:  # the first answer of a window
            self.window = max(self.window or 0.0, float(round(reset)))
            self.remaining = budget
            self.reset_at = reset_at
            return
        # Same window: answers may arrive out of order, so the lowest budget wins; every
        # rounded-up reset is an upper bound of the true one, so the earliest wins too.
        self.remaining = budget if self.remaining is None else min(self.remaining, budget)
        self.reset_at = min(self.reset_at, reset_at)

    def block_for(self, seconds: float) -> None:
        """The server said to wait (a 429's ``Retry-After``): no request until then."""
        with self._cond:
            self.remaining = 0
            self.reset_at = self._clock() + max(0.0, seconds)
            self._cond.notify_all()
