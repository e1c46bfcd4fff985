"""Stay under the API's rate limit, driven by the ``x-ratelimit-*`` headers it sends.

The UserTesting API allows 10 requests per minute and says so in every response:
``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (seconds
until the window resets). :class:`RateLimiter` spends the remaining requests at full
speed and, when none are left, waits exactly until the reset, so a run gets no 429
and never idles while the server would accept more.

>>> limiter = RateLimiter()
>>> limiter.update({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0",
...                 "x-ratelimit-reset": "1"})
>>> 0.9 < limiter.delay() <= 1.0
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

__all__ = ["RateLimiter", "parse_retry_after"]

WaitCallback = Callable[[float], None]

# A reset value this large is an epoch timestamp, not a number of seconds.
_EPOCH_THRESHOLD = 1_000_000_000


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _reset_seconds(value: float, now_wall: float) -> float:
    return value - now_wall if value > _EPOCH_THRESHOLD else value


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or an HTTP date) or ``x-ratelimit-reset``."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    reset = _int(headers, "x-ratelimit-reset")
    if reset is not None:
        return max(0.0, _reset_seconds(reset, time.time()))
    return None


class RateLimiter:
    """Client-side view of the server's rate-limit window. Thread-safe.

    ``acquire()`` before each request (it sleeps only when the window is used up),
    ``update(headers)`` after each response, ``release()`` when a request is over.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self._in_flight = 0
        self._last_remaining: int | None = None  # as the server last said it
        self.waited = 0.0

    def __repr__(self) -> str:
        return f"<RateLimiter limit={self.limit} remaining={self.remaining}>"

    def _roll(self, now: float) -> None:
        if self.reset_at is not None and now >= self.reset_at:
            # A new window: we do not know its budget until the next response says.
            self.remaining = None
            self.reset_at = None

    def delay(self) -> float:
        """Seconds until the next request may be sent (0 when it may go now)."""
        with self._lock:
            now = self._clock()
            self._roll(now)
            if self.remaining is not None and self.remaining <= 0 and self.reset_at is not None:
                return max(0.0, self.reset_at - now)
            return 0.0

    def acquire(self, on_wait: WaitCallback | None = None, max_wait: float = float("inf")) -> float:
        """Block until a request may be sent and reserve it. Returns the seconds waited.

        Raises ``TimeoutError`` when the wait would exceed ``max_wait`` (callers turn it
        into a :class:`~ut_notebook.errors.RateLimitError`: no silent multi-minute sleeps).
        """
        # The lock is held while sleeping on purpose: every other thread would have to
        # wait for the same reset anyway, and this keeps them from stampeding after it.
        with self._lock:
            waited = 0.0
            now = self._clock()
            self._roll(now)
            if self.remaining is not None and self.remaining <= 0 and self.reset_at is not None:
                wait = self.reset_at - now
                if wait > max_wait:
                    raise TimeoutError(wait)
                if wait > 0:
                    if on_wait is not None:
                        on_wait(wait)
                    self._sleep(wait)
                    waited = wait
                    self.waited += wait
                self.remaining = None
                self.reset_at = None
            if self.remaining is not None:
                self.remaining -= 1
            self._in_flight += 1
            return waited

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def update(self, headers: Mapping[str, str]) -> None:
        """Learn the window's state from a response's headers (case-insensitive mapping)."""
        remaining = _int(headers, "x-ratelimit-remaining")
        reset = _int(headers, "x-ratelimit-reset")
        limit = _int(headers, "x-ratelimit-limit")
        if remaining is None or reset is None:
            return
        with self._lock:
            now = self._clock()
            self.limit = limit if limit is not None else self.limit
            # Requests still in flight (other than the one answered here) may not have
            # been counted by the server yet: count them against the budget.
            others = max(0, self._in_flight - 1)
            # +10 ms: the server rounds the reset up to whole seconds, so waiting until
            # it is always enough; the margin only absorbs timer granularity.
            reset_at = now + max(0.0, _reset_seconds(reset, time.time())) + 0.01
            same_window = (
                self.reset_at is not None
                and now < self.reset_at
                and self._last_remaining is not None
                and remaining < self._last_remaining
            )
            if same_window and self.reset_at is not None:
                # Every rounded-up reset is an upper bound of the true one: the
                # smallest seen in this window is the tightest, so keep it.
                reset_at = min(reset_at, self.reset_at)
            self.remaining = max(0, remaining - others)
            self._last_remaining = remaining
            self.reset_at = reset_at

    def block_for(self, seconds: float) -> None:
        """The server said to wait (429 ``Retry-After``): no request until then."""
        with self._lock:
            self.remaining = 0
            self.reset_at = self._clock() + seconds
