"""A fixed-window rate limiter, one window per client id."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

__all__ = ["FixedWindowLimiter", "Quota"]


@dataclass(frozen=True)
class Quota:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # whole seconds until the window ends, rounded up (at least 1)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


class FixedWindowLimiter:
    """``limit`` requests per ``window`` seconds.

    A window starts at the first request after the previous window ended (not on a
    wall-clock boundary), as NestJS's throttler does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, count)

    def hit(self, key: str, now: float, limit: int, window: float) -> Quota:
        """Count one request and say whether it is allowed."""
        with self._lock:
            start, count = self._windows.get(key, (None, 0))
            if start is None or now >= start + window:
                start, count = now, 0
            count += 1
            self._windows[key] = (start, count)
        return Quota(count <= limit, limit, max(0, limit - count), _reset(start + window - now))

    def peek(self, key: str, now: float, limit: int, window: float) -> Quota:
        """The quota as it stands, without counting a request."""
        with self._lock:
            start, count = self._windows.get(key, (None, 0))
        if start is None or now >= start + window:
            return Quota(True, limit, limit, _reset(window))
        return Quota(count < limit, limit, max(0, limit - count), _reset(start + window - now))

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


def _reset(seconds_left: float) -> int:
    return max(1, math.ceil(seconds_left))
