"""Seeded fault injection: 503 JSON, 502 HTML, or a dropped connection."""

from __future__ import annotations

import random
import threading

__all__ = ["BAD_GATEWAY_HTML", "FaultInjector"]

BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


class FaultInjector:
    """Decides, per API request, whether it fails and how.

    Draws come from ``random.Random(seed)`` in request order, so the same requests in
    the same order meet the same faults. Never more than ``max_consecutive`` in a row.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._streak = 0

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)
            self._streak = 0

    def draw(self, rate: float, kinds: tuple[str, ...], max_consecutive: int) -> str | None:
        """The fault kind for this request, or ``None`` for a normal answer."""
        with self._lock:
            if rate <= 0 or not kinds or self._streak >= max_consecutive:
                self._streak = 0
                return None
            if self._rng.random() >= rate:
                self._streak = 0
                return None
            self._streak += 1
            return self._rng.choice(kinds)
