"""One request per session, done right: cache first, then the API at the rate it allows.

Shared by ``load_session_details`` and ``load_transcripts``. :class:`PerSessionLoad`
reads what the cache has, fetches the rest one by one (sequentially: the rate limit is
per client, so parallel requests would only queue), stores each COMPLETE session's
answer in the cache as soon as it arrives (so an interrupt loses nothing fetched),
reports progress with an ETA that knows the rate limit, and can be cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pandas as pd

from ..api.client import Session
from ..cache import Cache
from ..errors import NotFoundError, UTError
from ..ids import parse_uuid
from ..jobs import Control, LoadStatus
from ..ui.progress import LoadBar, format_seconds
from .sessions import load_sessions

__all__ = ["Item", "PerSessionLoad", "estimate_eta", "resolve_sessions"]

# tqdm's own "remaining" assumes a steady rate; under a rate limit requests come in
# bursts, so the bar shows our estimate (in the postfix) instead.
# The built-in demo data is the same in every kernel, but its server's port is not:
# key it by name so demo entries are reused instead of piling up in the cache.
DEMO_CACHE_KEY = "demo://ut-notebook-simulator"


def cache_key(client: Session) -> str:
    """The API part of this session's cache keys."""
    return DEMO_CACHE_KEY if client.demo else client.api_url


BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"


@dataclass(frozen=True)
class Item:
    """One session to load; ``complete`` sessions may be cached (they never change)."""

    id: str
    complete: bool


def resolve_sessions(source: Any, *, what: str) -> tuple[str | None, list[Item] | None]:
    """Turn a loader's first argument into ``(test_id, items)``.

    * a test id (string) -> ``(test_id, None)``: the caller lists its sessions later
      itself (so that a background job does that in the background too);
    * a ``load_sessions`` frame (``sessionId`` and ``status`` columns) -> its sessions;
    * a list/Series/Index of session ids -> those sessions, status unknown.

    Every id is validated before any request.
    """
    if isinstance(source, str):
        return parse_uuid(source, "test id"), None
    if isinstance(source, pd.DataFrame):
        if "sessionId" not in source.columns:
            raise ValueError(
                f"{what}: the DataFrame has no 'sessionId' column; pass ut.load_sessions(...)"
                " or a list of session ids."
            )
        return source.attrs.get("testId"), items_from_frame(source)
    if isinstance(source, (pd.Series, pd.Index, list, tuple, set, frozenset)) or hasattr(
        source, "__iter__"
    ):
        ids = [parse_uuid(value, "session id") for value in source]
        return None, [Item(sid, False) for sid in dict.fromkeys(ids)]
    raise TypeError(
        f"{what} takes a test id, a DataFrame from ut.load_sessions() or a list of session "
        f"ids, not {type(source).__name__}."
    )


def items_from_frame(frame: pd.DataFrame) -> list[Item]:
    ids = [parse_uuid(value, "session id") for value in frame["sessionId"]]
    if "status" in frame.columns:
        statuses = [str(s) if not pd.isna(s) else "" for s in frame["status"]]
    else:
        statuses = [""] * len(ids)
    items: dict[str, Item] = {}
    for sid, status in zip(ids, statuses, strict=True):
        items.setdefault(sid, Item(sid, status == "COMPLETE"))
    return list(items.values())


def estimate_eta(
    n: int,
    *,
    latency: float,
    limit: int | None,
    window: float | None,
    remaining: int | None,
    reset_in: float | None,
) -> float:
    """Seconds to make ``n`` more requests, each taking ``latency``, under a limit of
    ``limit`` requests per ``window`` seconds with ``remaining`` left in the current
    window, which resets in ``reset_in`` seconds.

    >>> estimate_eta(25, latency=0.1, limit=10, window=60, remaining=0, reset_in=30)
    150.5
    >>> estimate_eta(5, latency=0.1, limit=10, window=60, remaining=8, reset_in=30)
    0.5
    >>> estimate_eta(5, latency=0.2, limit=None, window=None, remaining=None, reset_in=None)
    1.0
    """
    if n <= 0:
        return 0.0
    if not limit or not window:
        return n * latency
    if remaining is None or reset_in is None:  # a fresh window
        remaining, reset_in = limit, window
    first = min(n, max(0, remaining))
    seconds = first * latency
    n -= first
    if n == 0:
        return seconds
    seconds = max(seconds, reset_in)
    per_window = max(window, limit * latency)
    full, rest = divmod(n, limit)
    if rest == 0:
        return seconds + (full - 1) * per_window + limit * latency
    return seconds + full * per_window + rest * latency


class PerSessionLoad:
    """Fetch one resource per session, with the cache, progress, cancel and partial results.

    ``fetch(session_id) -> (value, body)`` makes the request (``body`` is what the cache
    stores); ``decode(body) -> value`` rebuilds a value from the cache. A 404 marks the
    session missing instead of failing the load.
    """

    def __init__(
        self,
        client: Session,
        *,
        kind: str,
        what: str,
        fetch: Callable[[str, Callable[[float], None]], tuple[Any, str]],
        decode: Callable[[str], Any],
        cache: Cache,
        refresh: bool,
    ) -> None:
        self.client = client
        self.kind = kind
        self.what = what
        self.fetch = fetch
        self.decode = decode
        self.cache = cache
        self.refresh = refresh
        self.values: dict[str, Any] = {}  # session id -> value, in arrival order
        self.missing: list[str] = []
        self.cached_ids: set[str] = set()
        self.requests = 0
        self.status = LoadStatus(what)
        self._latency: list[float] = []
        self._window: float | None = None

    def run(
        self,
        items: Sequence[Item],
        *,
        control: Control,
        progress: bool | None,
        desc: str,
    ) -> None:
        """Load ``items`` into :attr:`values`; raises what the API/cancel/interrupt raise
        (whatever was loaded by then stays in :attr:`values` and in the cache)."""
        api = cache_key(self.client)
        ids = [item.id for item in items]
        if not self.refresh:
            for sid, body in self.cache.get_many(api, self.kind, ids).items():
                try:
                    self.values[sid] = self.decode(body)
                except ValueError:  # an unreadable entry: fetch it again
                    continue
                self.cached_ids.add(sid)
        todo = [item for item in items if item.id not in self.cached_ids]
        self._report(
            control,
            stage="loading",
            total=len(items),
            done=len(self.cached_ids),
            cached=len(self.cached_ids),
            eta=self._eta(len(todo)),
        )
        label = desc + (f" ({len(self.cached_ids):,} cached)" if self.cached_ids else "")
        with LoadBar(progress, label, unit="session", bar_format=BAR_FORMAT) as bar:
            if todo:
                bar.start(len(todo))
                bar.postfix(self._eta_text(len(todo)))

            def on_wait(seconds: float) -> None:
                bar.waiting(seconds)
                self._report(control, waiting=seconds)

            for index, item in enumerate(todo):
                control.check()
                # Wait for the rate limit here rather than inside the client, so that a
                # cancel cuts the wait short. It is the same wait, not an extra one.
                delay = self.client.limiter.delay()
                if delay > 0:
                    on_wait(delay)
                    control.sleep(delay)
                started = time.monotonic()
                waited_before = self.client.stats.waited
                try:
                    value, body = self.fetch(item.id, on_wait)
                except NotFoundError:
                    self.requests += 1
                    self.missing.append(item.id)
                else:
                    self.requests += 1
                    self.values[item.id] = value
                    if item.complete:
                        self.cache.put(api, self.kind, item.id, body)
                finally:
                    self._observe(time.monotonic() - started, waited_before)
                left = len(todo) - index - 1
                eta = self._eta(left)
                bar.advance(postfix=self._eta_text(left, eta))
                self._report(
                    control,
                    done=self.status.done + 1,
                    fetched=len(self.values) - len(self.cached_ids),
                    missing=len(self.missing),
                    requests=self.requests,
                    eta=eta,
                    waiting=0.0,
                    last=item.id,
                )
        self._report(control, stage="done", eta=0.0, waiting=0.0)

    # -- progress and ETA -----------------------------------------------------------------

    def _report(self, control: Control, **changes: Any) -> None:
        self.status = replace(self.status, **changes)
        control.report(self.status)

    def _observe(self, elapsed: float, waited_before: float) -> None:
        # Latency of the request itself: time spent waiting for the limit excluded.
        waited = max(0.0, self.client.stats.waited - waited_before)
        self._latency.append(max(0.0, elapsed - waited))
        del self._latency[:-20]  # a moving window: recent conditions matter most
        limiter = self.client.limiter
        if limiter.reset_at is not None:
            # The reset seen right after a window opens is the window's length.
            seen = limiter.reset_at - time.monotonic()
            self._window = max(self._window or 0.0, float(round(seen)))

    def _eta(self, left: int) -> float | None:
        if left <= 0:
            return 0.0
        if not self._latency:
            return None
        limiter = self.client.limiter
        now = time.monotonic()
        reset_in = None if limiter.reset_at is None else max(0.0, limiter.reset_at - now)
        return estimate_eta(
            left,
            latency=sum(self._latency) / len(self._latency),
            limit=limiter.limit,
            window=self._window,
            remaining=limiter.remaining if reset_in is not None else None,
            reset_in=reset_in,
        )

    def _eta_text(self, left: int, eta: float | None = None) -> str:
        eta = self._eta(left) if eta is None else eta
        limiter = self.client.limiter
        rate = ""
        if limiter.limit and self._window:
            rate = f" at {limiter.limit} req/{format_seconds(self._window)}"
        if left <= 0:
            return "done"
        if eta is None:
            return f"{left:,} to fetch"
        if eta < 1:
            return f"under 1s left{rate}"
        return f"about {format_seconds(eta)} left{rate}"


class _Load(Protocol):
    client: Session
    test_id: str | None
    items: list[Item] | None
    batch: PerSessionLoad

    def result(self, *, partial: bool) -> Any: ...


def run_load(
    load: _Load, control: Control, progress: bool | None, *, status: LoadStatus, desc: str
) -> None:
    """Run a per-session load: list the test's sessions first if only its id was given,
    then fetch each session. On failure or interrupt the exception carries
    ``load.result(partial=True)``: everything fetched so far (also in the cache)."""
    try:
        if load.items is None:
            assert load.test_id is not None
            control.report(status)
            sessions = load_sessions(load.test_id, session=load.client, progress=progress)
            load.items = items_from_frame(sessions)
            control.check()
        load.batch.run(load.items, control=control, progress=progress, desc=desc)
    except (UTError, KeyboardInterrupt) as err:
        err.partial = load.result(partial=True)  # type: ignore[union-attr]
        raise


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
