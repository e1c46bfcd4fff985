"""Session summaries: deterministic generation, a per-process cache, per-server copies.

The base data of every test is generated once per process (about 0.1 s for all of them,
the 12,150-session test included) and never mutated. Each server gets a
:class:`SessionStore` that reads the shared base data and copies a test's list only
when sessions arrive in it (copy-on-write), so arrivals in one server never show in
another.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from .catalog import CATALOG, DAY_MS, TestSpec

__all__ = [
    "Session",
    "SessionStore",
    "base_sessions",
    "iso_ms",
    "iso_s",
    "session_duration_ms",
]

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
COMPLETE_RATE = 0.92
NULL_AUDIENCE_RATE = 0.06

# Relative session starts per UTC hour: US daytime (13:00-04:00 UTC) is busy.
_HOUR_WEIGHTS = (
    0.90, 0.80, 0.65, 0.50, 0.35, 0.20, 0.10, 0.07, 0.06, 0.07, 0.10, 0.15,
    0.30, 0.55, 0.80, 0.95, 1.00, 1.00, 0.95, 0.90, 0.95, 0.95, 0.90, 0.90,
)  # fmt: skip
# Monday..Sunday (1970-01-01 was a Thursday: weekday index = (days + 3) % 7).
_WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.5, 0.45)
_AUDIENCE_WEIGHTS = (0.5, 0.25, 0.15, 0.1, 0.07)

# Lognormal session durations: (median minutes, sigma). A few sessions run long.
_DURATIONS = {
    "survey": (7.0, 0.42),
    "interaction": (18.0, 0.30),
    "think_out_loud": (25.0, 0.25),
}
_OUTLIER_RATE = 0.02


class Session(NamedTuple):
    id: str
    audience_id: str | None
    status: str  # COMPLETE / IN_PROGRESS / ABANDONED
    start_ms: int
    finish_ms: int | None


def iso_ms(ms: int) -> str:
    """``2026-10-14T12:23:52.614Z``: UTC, milliseconds, ``Z``."""
    t = time.gmtime(ms // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{ms % 1000:03d}Z"
    )


def iso_s(ms: int) -> str:
    """``2023-11-30T11:07:16Z``: UTC, whole seconds (the legacy API's style)."""
    return iso_ms(ms)[:19] + "Z"


def session_duration_ms(plan: str, rng: random.Random) -> int:
    """A realistic session length for a plan, in ms."""
    median, sigma = _DURATIONS[plan]
    minutes = rng.lognormvariate(math.log(median), sigma)
    if rng.random() < _OUTLIER_RATE:
        minutes *= rng.uniform(2.5, 6.0)
    return max(45_000, int(minutes * MINUTE_MS))


def _audiences(spec: TestSpec) -> tuple[list[str], list[float]]:
    ids = [str(uuid.uuid5(uuid.UUID(spec.id), f"audience:{i}")) for i in range(spec.n_audiences)]
    return ids, list(itertools.accumulate(_AUDIENCE_WEIGHTS[: spec.n_audiences]))


def _slot_weights(spec: TestSpec) -> list[float]:
    """Cumulative weights of each hour of the fielding window."""
    weights = []
    first_day = spec.start_ms // DAY_MS
    for d in range(spec.days):
        day = _WEEKDAY_WEIGHTS[(first_day + d + 3) % 7]
        launch = 1.0 + 1.5 * math.exp(-d / 2.0)  # tests fill fastest right after launch
        weights.extend(day * launch * h for h in _HOUR_WEIGHTS)
    return list(itertools.accumulate(weights))


def _one_session(
    spec: TestSpec,
    rng: random.Random,
    start: int,
    audiences: list[str],
    cum: list[float],
    recent_from: int,
    in_progress_rate: float = 0.6,
) -> Session:
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    audience = None
    if rng.random() >= NULL_AUDIENCE_RATE and audiences:
        audience = rng.choices(audiences, cum_weights=cum)[0]
    duration = session_duration_ms(spec.plan, rng)
    if rng.random() < COMPLETE_RATE:
        return Session(sid, audience, "COMPLETE", start, start + duration)
    recent = start >= recent_from and rng.random() < in_progress_rate
    status = "IN_PROGRESS" if recent else "ABANDONED"
    return Session(sid, audience, status, start, None)


def _generate(spec: TestSpec) -> tuple[Session, ...]:
    if spec.n_sessions == 0:
        return ()
    rng = random.Random(f"ut-demo:sessions:{spec.id}")
    cum_slots = _slot_weights(spec)
    slots = rng.choices(range(len(cum_slots)), cum_weights=cum_slots, k=spec.n_sessions)
    audiences, cum = _audiences(spec)
    recent_from = spec.start_ms + (spec.days - 2) * DAY_MS
    sessions = []
    for slot in slots:
        start = spec.start_ms + slot * HOUR_MS + rng.randrange(HOUR_MS)
        sessions.append(_one_session(spec, rng, start, audiences, cum, recent_from))
    sessions.sort(key=lambda s: (s.start_ms, s.id))
    return tuple(sessions)


_BASE: dict[str, tuple[Session, ...]] = {}
_BASE_INDEX: dict[str, tuple[str, Session]] = {}  # session id -> (test id, session)
_BASE_LOCK = threading.Lock()


def base_sessions(test_id: str) -> tuple[Session, ...]:
    """The generated sessions of a test, oldest first (shared: never mutate).

    Each test's sessions are generated on first use, not all up front: a demo kernel
    that only looks at the survey never pays for the 12,150-session test."""
    sessions = _BASE.get(test_id)
    if sessions is not None:
        return sessions
    with _BASE_LOCK:
        if test_id not in _BASE:
            generated = _generate(CATALOG[test_id])
            _BASE_INDEX.update((s.id, (test_id, s)) for s in generated)
            _BASE[test_id] = generated
        return _BASE[test_id]


def _find_base(session_id: str) -> tuple[str, Session] | None:
    found = _BASE_INDEX.get(session_id)
    if found is not None:
        return found
    # A session of a test not generated yet (a client rarely asks for one before listing
    # its test): generate the others, smallest first, until it turns up.
    for test_id in sorted(CATALOG, key=lambda t: CATALOG[t].n_sessions):
        if test_id not in _BASE:
            base_sessions(test_id)
            found = _BASE_INDEX.get(session_id)
            if found is not None:
                return found
    return None


class SessionStore:
    """One server's view of the sessions: base data plus that server's arrivals."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.RLock()
        self._own: dict[str, list[Session]] = {}  # copied-on-write lists, oldest first
        self._arrived: dict[str, tuple[str, Session]] = {}  # arrivals only
        self._rng = random.Random(f"ut-demo:arrivals:{seed}")

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(f"ut-demo:arrivals:{seed}")

    def _list(self, test_id: str) -> Sequence[Session]:
        own = self._own.get(test_id)
        return own if own is not None else base_sessions(test_id)

    def total(self, test_id: str) -> int:
        with self._lock:
            return len(self._list(test_id))

    def all(self, test_id: str) -> list[Session]:
        """Every session of a test, oldest first (a copy)."""
        with self._lock:
            return list(self._list(test_id))

    def page(self, test_id: str, offset: int, limit: int) -> tuple[list[Session], int]:
        """Sessions ``offset .. offset+limit`` in newest-first order, and the total."""
        with self._lock:
            items = self._list(test_id)
            n = len(items)
            hi = n - offset
            lo = max(0, hi - limit)
            return (items[lo:hi][::-1] if hi > 0 else []), n

    def ids(self, test_id: str) -> list[str]:
        with self._lock:
            return [s.id for s in reversed(self._list(test_id))]

    def find(self, session_id: str) -> tuple[TestSpec, Session] | None:
        with self._lock:
            found = self._arrived.get(session_id)
        found = found or _find_base(session_id)
        if found is None:
            return None
        return CATALOG[found[0]], found[1]

    def add(self, test_id: str, n: int) -> list[Session]:
        """``n`` new sessions arrive now (newest); returns them oldest first."""
        spec = CATALOG[test_id]
        if n <= 0:
            return []
        with self._lock:
            items = self._own.get(test_id)
            if items is None:
                items = self._own[test_id] = list(base_sessions(test_id))
            start = items[-1].start_ms if items else spec.start_ms + spec.days * DAY_MS
            audiences, cum = _audiences(spec)
            new = []
            for _ in range(n):
                start += max(1000, int(self._rng.expovariate(1 / (4 * MINUTE_MS))))
                # A session that just arrived and is not complete is still in progress.
                s = _one_session(spec, self._rng, start, audiences, cum, start, 1.0)
                new.append(s)
                self._arrived[s.id] = (test_id, s)
            items.extend(new)
            return new
