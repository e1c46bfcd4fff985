"""One request per session, done right: cache first, then the API at the rate it allows.

The one loader behind ``load_session_details``, ``load_transcripts`` (and the clips
loader). A :class:`Resource` says what one session's answer is — how to fetch and parse
it, how to read it back from the cache, and how to build the result frames — and
:func:`load_per_session` does the rest: it reads what the cache has, fetches the rest
one by one (sequentially: the rate limit is per client, so parallel requests would only
queue), stores each COMPLETE session's answer once it has parsed (so an interrupt loses
nothing fetched, and the cache never holds what cannot be read), reports progress with
an ETA that knows the rate limit, runs in the background on request, and hands
``.partial`` to whatever stops it.

>>> details = load_per_session(DETAILS, TEST_ID, client=client)       # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

import pandas as pd

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from ..api.scheduler import WaitCallback
from ..cache import Cache, cache_api_key
from ..errors import NotFoundError
from ..ids import parse_uuid
from ..jobs import Control, Job, LoadStatus
from ..ui.progress import LoadBar, format_seconds
from .paginate import partial_on_error
from .sessions import load_sessions

log = logging.getLogger(__name__)

__all__ = [
    "Derived",
    "FailedSessionsWarning",
    "Item",
    "MissingSessionsWarning",
    "PerSessionLoad",
    "Resource",
    "cache_scope",
    "estimate_eta",
    "load_per_session",
    "resolve_sessions",
]

V = TypeVar("V")
R = TypeVar("R")

# The built-in demo data is the same in every kernel, but its server's port is not:
# key it by name so demo entries are reused instead of piling up in the cache.
DEMO_CACHE_KEY = "demo://ut-notebook-simulator"


class MissingSessionsWarning(UserWarning):
    """Some sessions were not found (HTTP 404): they are left out and listed."""


class FailedSessionsWarning(UserWarning):
    """Some sessions' answers could not be read (not a details document, not WebVTT…):
    they are left out and listed, with the reason, in ``attrs["failed"]``."""


class BadAnswer(ValueError):
    """One session's answer cannot be read; the batch goes on without it."""


def cache_scope(client: Client) -> str:
    """The API-and-client part of this client's cache keys: the API URL (or the demo's
    name) and a hash of the client id — never the secret — so two client ids on one
    machine never read each other's entries without asking the API.

    >>> cache_scope(ut.connect(demo=True)).startswith("demo://")          # doctest: +SKIP
    True
    """
    api = DEMO_CACHE_KEY if client.demo else cache_api_key(client.api_url)
    who = hashlib.sha256((client.settings.client_id or "").encode()).hexdigest()[:16]
    return f"{api} client={who}"


# tqdm's own "remaining" assumes a steady rate; under a rate limit requests come in
# bursts, so the bar shows our estimate (in the postfix) instead.
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


@dataclass(frozen=True)
class Derived(Generic[V]):
    """A quicker-to-read form of a resource's value, kept in the cache beside the
    answer itself (details: the parsed columns, so a reload needs no parsing). It is
    derived, never the source: missing or unreadable, it is rebuilt from the answer."""

    kind: str  # its cache kind; put the parser's version in it ("details-v3")
    encode: Callable[[V], str]
    decode: Callable[[str], V]


@dataclass(frozen=True)
class Snapshot(Generic[V, R]):
    """A load's whole result, kept in the cache per test (details: the assembled frames):
    reloading the same sessions reads it instead of assembling the result again -- at
    2,000 sessions that is the difference between a fraction of a second and a few
    hundredths. Derived like :class:`Derived`: unreadable, it is dropped; written for
    other sessions, it is ignored, and replaced once the load is done.

    Attributes:
        kind: its cache kind (with a version: "details-frames-v1"); keyed by test id.
        read: ``read(load, blob) -> result``, or ``None`` when the blob is of other
            sessions; ``ValueError`` when it cannot be read.
        write: ``write(load, result) -> blob``; ``ValueError``/``TypeError`` when the
            result cannot be kept (the load goes on without a snapshot).
    """

    kind: str
    read: Callable[[PerSessionLoad[V, R], bytes], R | None]
    write: Callable[[PerSessionLoad[V, R], R], bytes]


@dataclass(frozen=True)
class Resource(Generic[V, R]):
    """What one session's answer is, for :func:`load_per_session`.

    Attributes:
        kind: the cache's name for it ("details", "transcript", "clips").
        what: words for progress and messages ("session details").
        fetch: ``fetch(client, session_id, on_wait) -> (value, body)``: request and parse
            (raise :class:`BadAnswer` for an answer that cannot be read); ``body`` is what
            the cache stores, only once it parsed.
        decode: ``decode(body) -> value`` from the cache; ``ValueError`` if unreadable.
        build: ``build(load, partial) -> result``: the frames of what is loaded now.
        missing_ok: a 404 means "this session has none" (transcripts), not
            "this session does not exist" (details): no warning then.
        missing_raises: a 404 is a wrong id (clips, whose fetch turns the API's
            "no clips" 404 into an empty answer): once the others are loaded, raise
            :class:`NotFoundError` with them on ``.partial`` instead of warning.
    """

    kind: str
    what: str
    fetch: Callable[[Client, str, WaitCallback], tuple[V, str]]
    decode: Callable[[str], V]
    build: Callable[[PerSessionLoad[V, R], bool], R]
    missing_ok: bool = False
    derived: Derived[V] | None = None
    missing_raises: bool = False
    snapshot: Snapshot[V, R] | None = None


class PerSessionLoad(Generic[V, R]):
    """One load: the sessions to read, what has been read, and how it went."""

    def __init__(
        self,
        client: Client,
        resource: Resource[V, R],
        test_id: str | None,
        items: list[Item] | None,
        *,
        refresh: bool,
    ) -> None:
        self.client = client
        self.resource = resource
        self.test_id = test_id
        self.items = items
        self.refresh = refresh
        self.cache = Cache.from_settings(client.settings)
        self.scope = cache_scope(client)
        self.fetched_at = pd.Timestamp(datetime.now(timezone.utc))
        self.values: dict[str, V] = {}  # session id -> value, in arrival order
        self.bodies: dict[str, str] = {}  # session id -> answer, of those fetched now
        self.missing: list[str] = []  # 404
        self.failed: dict[str, str] = {}  # session id -> why its answer was not read
        self.cached_ids: set[str] = set()
        self.requests = 0
        self.status = self.initial_status()
        self._latency: list[float] = []

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items or []]

    def initial_status(self) -> LoadStatus:
        what = self.resource.what
        if self.items is None:
            return LoadStatus(what, stage="sessions")
        return LoadStatus(what, stage="loading", total=len(self.items))

    @property
    def desc(self) -> str:
        if self.test_id:
            return f"{self.resource.what} of {known_tests.test_label(self.test_id, width=40)}"
        return self.resource.what

    def attrs(self, partial: bool) -> dict[str, Any]:
        """What every result carries in ``attrs``."""
        values = dict(self.values)  # a snapshot: the worker thread may be adding to it
        return {
            "testId": self.test_id,
            "sessions": len(values),
            "requested": len(self.ids),
            "cached": len(self.cached_ids),
            "fetched": len(values) - len(self.cached_ids),
            "requests": self.requests,
            "failed": dict(self.failed),
            "fetched_at": self.fetched_at,
            "partial": partial,
        }

    def result(self, *, partial: bool) -> R:
        return self.resource.build(self, partial)

    # -- the run --------------------------------------------------------------------------

    def run(self, control: Control, progress: bool | None) -> R:
        """Load everything; raises what the API/cancel/interrupt raise, with ``.partial``
        (everything loaded by then, which is also in the cache)."""
        with partial_on_error(lambda: self.result(partial=True)), self.cache.connection():
            if self.items is None:
                assert self.test_id is not None
                control.report(self.status)
                sessions = load_sessions(self.test_id, client=self.client, progress=progress)
                self.items = items_from_frame(sessions)
                control.check()
            result = self._from_snapshot(control)
            if result is None:
                self._run(self.items, control, progress)
                result = self.result(partial=False)
                self._to_snapshot(result)
        if self.missing and self.resource.missing_raises:
            shown = ", ".join(self.missing[:3]) + (", …" if len(self.missing) > 3 else "")
            err = NotFoundError(
                f"{len(self.missing)} of {len(self.ids)} sessions were not found (HTTP 404): "
                f"{shown}. Check the ids; the {self.resource.what} of the others are on "
                "this error's .partial."
            )
            err.partial = result
            raise err
        if self.missing and not self.resource.missing_ok:
            warnings.warn(
                f"{len(self.missing)} of {len(self.ids)} sessions were not found (HTTP 404) "
                "and are left out; their ids are in the result's .missing.",
                MissingSessionsWarning,
                stacklevel=4,
            )
        if self.failed:
            warnings.warn(
                f"{len(self.failed)} of {len(self.ids)} sessions' {self.resource.what} could "
                "not be read and are left out; attrs['failed'] says why for each.",
                FailedSessionsWarning,
                stacklevel=4,
            )
        return result

    def _from_snapshot(self, control: Control) -> R | None:
        """The whole result from the test's snapshot, if it is of exactly these sessions."""
        snapshot = self.resource.snapshot
        if snapshot is None or self.refresh or not self.test_id or not self.items:
            return None
        blob = self.cache.get_bytes(self.scope, snapshot.kind, self.test_id)
        if blob is None:
            return None
        try:
            result = snapshot.read(self, blob)
        except (ValueError, TypeError, KeyError):  # corrupt or from another version
            self.cache.discard(self.scope, snapshot.kind, [self.test_id])
            return None
        if result is not None:
            self.cached_ids = set(self.ids)
            n = len(self.ids)
            self._report(control, stage="done", total=n, done=n, cached=n, eta=0.0)
        return result

    def _to_snapshot(self, result: R) -> None:
        """Keep ``result`` as the test's snapshot when every session of it is cached
        (COMPLETE, read): a result with a session that may still change, or that failed,
        would be stale at once."""
        snapshot = self.resource.snapshot
        if snapshot is None or not self.test_id or not self.cache.enabled or not self.items:
            return
        kept = self.cached_ids | {item.id for item in self.items if item.complete}
        every = all(sid in kept and sid in self.values for sid in self.ids)
        if self.missing or self.failed or not every:
            return
        try:
            blob = snapshot.write(self, result)
        except (ValueError, TypeError, OverflowError) as exc:
            # A speed-up only: a result it cannot keep still loads, just not faster.
            log.debug("no snapshot of %s: %s", self.test_id, exc)
            return
        self.cache.put(self.scope, snapshot.kind, self.test_id, blob)

    def _from_cache(self, items: Sequence[Item]) -> None:
        if self.refresh:
            return
        ids = [item.id for item in items]
        derived = self.resource.derived
        if derived is not None:  # the quick form first: no parsing
            found = self._read(derived.kind, derived.decode, ids)
            ids = [sid for sid in ids if sid not in found]
        found = self._read(self.resource.kind, self.resource.decode, ids, report=True)
        if derived is not None:
            for sid in found:  # rebuild the quick form where it was missing
                self.cache.put(self.scope, derived.kind, sid, derived.encode(self.values[sid]))

    def _read(
        self, kind: str, decode: Callable[[str], V], ids: list[str], *, report: bool = False
    ) -> set[str]:
        """Decode what the cache has of ``kind`` for ``ids`` into :attr:`values`; entries
        that no longer decode are dropped (and fetched again)."""
        found: set[str] = set()
        unreadable = []
        for sid, body in self.cache.get_many(self.scope, kind, ids).items():
            try:
                self.values[sid] = decode(body)
            except (ValueError, TypeError, KeyError, RecursionError):
                unreadable.append(sid)
                continue
            found.add(sid)
        self.cached_ids |= found
        if unreadable:
            self.cache.discard(self.scope, kind, unreadable)
            if report:
                warnings.warn(
                    f"{len(unreadable)} cached {self.resource.what} could not be read any "
                    "more; they were dropped from the cache and are fetched again.",
                    UserWarning,
                    stacklevel=6,
                )
        return found

    def _run(self, items: Sequence[Item], control: Control, progress: bool | None) -> None:
        self._from_cache(items)
        todo = [item for item in items if item.id not in self.cached_ids]
        cached = len(self.cached_ids)
        self._report(control, stage="loading", total=len(items), done=cached, cached=cached,
                     eta=self._eta(len(todo)))  # fmt: skip
        label = self.desc + (f" ({cached:,} cached)" if cached else "")
        with LoadBar(progress, label, unit="session", bar_format=BAR_FORMAT) as bar:
            if todo:
                bar.start(len(todo))
                bar.postfix(self._eta_text(len(todo)))

            def on_wait(seconds: float) -> None:
                bar.waiting(seconds)
                self._report(control, waiting=seconds)

            for index, item in enumerate(todo):
                control.check()
                self._fetch_one(item, on_wait)
                left = len(todo) - index - 1
                eta = self._eta(left)
                bar.advance(postfix=self._eta_text(left, eta))
                self._report(
                    control,
                    done=self.status.done + 1,
                    fetched=len(self.values) - len(self.cached_ids),
                    missing=len(self.missing) + len(self.failed),
                    requests=self.requests,
                    eta=eta,
                    waiting=0.0,
                    last=item.id,
                )
        self._report(control, stage="done", eta=0.0, waiting=0.0)

    def _fetch_one(self, item: Item, on_wait: WaitCallback) -> None:
        started = time.monotonic()
        waited_before = self.client.rate_snapshot().waited
        try:
            value, body = self.resource.fetch(self.client, item.id, on_wait)
        except NotFoundError:
            self.requests += 1
            self.missing.append(item.id)
        except BadAnswer as exc:
            self.requests += 1
            self.failed[item.id] = str(exc)
        else:
            self.requests += 1
            self.values[item.id] = value
            self.bodies[item.id] = body
            if item.complete:  # only what parsed, and only what cannot change
                self.cache.put(self.scope, self.resource.kind, item.id, body)
                derived = self.resource.derived
                if derived is not None:
                    self.cache.put(self.scope, derived.kind, item.id, derived.encode(value))
        finally:
            waited = self.client.rate_snapshot().waited - waited_before
            # Latency of the request itself: time spent waiting for the limit excluded.
            self._latency.append(max(0.0, time.monotonic() - started - waited))
            del self._latency[:-20]  # a moving window: recent conditions matter most

    # -- progress and ETA -----------------------------------------------------------------

    def _report(self, control: Control, **changes: Any) -> None:
        self.status = replace(self.status, **changes)
        control.report(self.status)

    def _eta(self, left: int) -> float | None:
        if left <= 0:
            return 0.0
        if not self._latency:
            return None
        snap = self.client.rate_snapshot()
        return estimate_eta(
            left,
            latency=sum(self._latency) / len(self._latency),
            limit=snap.limit,
            window=snap.window,
            remaining=snap.remaining if snap.reset_in is not None else None,
            reset_in=snap.reset_in,
        )

    def _eta_text(self, left: int, eta: float | None = None) -> str:
        eta = self._eta(left) if eta is None else eta
        snap = self.client.rate_snapshot()
        rate = ""
        if snap.limit and snap.window:
            rate = f" at {snap.limit} req/{format_seconds(snap.window)}"
        if left <= 0:
            return "done"
        if eta is None:
            return f"{left:,} to fetch"
        if eta < 1:
            return f"under 1s left{rate}"
        return f"about {format_seconds(eta)} left{rate}"


def load_per_session(
    resource: Resource[V, R],
    source: Any,
    *,
    name: str,
    client: Client | None,
    session: Client | None,
    progress: bool | Callable[[LoadStatus], None] | None,
    refresh: bool,
    background: bool,
) -> R | Job[R]:
    """Run a per-session load in the foreground, or as a :class:`~ut_notebook.Job`.

    ``source`` is a test id, a ``load_sessions`` frame or session ids (validated before
    any request); ``name`` is the loader's name for messages."""
    test_id, items = resolve_sessions(source, what=name)
    client = require_client(client, session)
    load: PerSessionLoad[V, R] = PerSessionLoad(client, resource, test_id, items, refresh=refresh)
    listeners = (progress,) if callable(progress) else ()
    if background:
        what = resource.what
        title = f"{what} of {test_id}" if test_id else f"{what} of {len(items or [])} sessions"

        def run(control: Control) -> R:
            control.listeners.extend(listeners)
            return load.run(control, progress=False)

        return Job(
            title,
            run,
            lambda: load.result(partial=True),
            load.initial_status(),
            submit=client.submit,
        )
    if callable(progress):
        return load.run(Control(listeners=listeners), progress=False)
    return load.run(Control(), progress=progress)
