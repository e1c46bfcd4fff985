"""Background loads: ``ut.load_session_details(..., background=True)`` returns a :class:`Job`.

A long load (at 10 requests per minute, 1,000 sessions take 100 minutes) runs in a
thread while the notebook stays usable::

    job = ut.load_session_details(TEST_ID, background=True)
    job                       # a live progress widget with a Cancel button
    job.partial()             # what has been loaded so far (a SessionDetails)
    job.cancel()              # stop after the current request; keeps what was fetched
    details = job.result()    # block until done (or raise what the load raised)

Everything a background load fetches goes to the cache as it arrives, exactly as in
the foreground, and its result equals the foreground result.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from .api.scheduler import BACKGROUND, request_context
from .ui.progress import format_seconds

__all__ = ["Cancelled", "Control", "Job", "LoadStatus"]

T = TypeVar("T")


class Cancelled(Exception):
    """``job.cancel()`` stopped the load. ``err.partial`` holds what was loaded.

    Not a :class:`~ut_notebook.UTError`: nothing went wrong, the user asked for it.
    """

    def __init__(self, message: str = "The load was cancelled (job.cancel()).") -> None:
        super().__init__(message)
        self.partial: Any = None


@dataclass(frozen=True)
class LoadStatus:
    """Where a per-session load stands; given to ``progress=callable`` and to jobs.

    Attributes:
        what: what is loaded ("session details", "transcripts").
        stage: "sessions" (listing the test's sessions), "loading" or "done".
        total: sessions in the load (``None`` while the list is being read).
        done: sessions finished so far (from the cache, fetched, or not found).
        cached: of those, how many came from the cache (no request).
        fetched: of those, how many were fetched from the API.
        missing: of those, how many the API did not have (404).
        requests: API requests made by this load so far (retries excluded).
        eta: estimated seconds left, accounting for the API's rate limit.
        waiting: seconds the load is now waiting for the rate limit (0: not waiting).
        last: the last session id finished.
    """

    what: str
    stage: str = "sessions"
    total: int | None = None
    done: int = 0
    cached: int = 0
    fetched: int = 0
    missing: int = 0
    requests: int = 0
    eta: float | None = None
    waiting: float = 0.0
    last: str | None = None

    def describe(self) -> str:
        """One line for a progress label."""
        if self.stage == "sessions":
            return f"{self.what}: listing the test's sessions…"
        parts = [f"{self.done:,}/{self.total or 0:,} sessions"]
        if self.cached:
            parts.append(f"{self.cached:,} from cache")
        if self.missing:
            parts.append(f"{self.missing:,} not found")
        if self.stage == "done":
            return f"{self.what}: done, " + ", ".join(parts)
        if self.waiting > 0:
            parts.append(f"waiting {format_seconds(self.waiting)} for the API rate limit")
        if self.eta is not None:
            parts.append(f"about {format_seconds(self.eta)} left")
        return f"{self.what}: " + ", ".join(parts)


Listener = Callable[[LoadStatus], None]


class Control:
    """What a running load consults between requests: cancellation and listeners."""

    def __init__(
        self, cancel: threading.Event | None = None, listeners: tuple[Listener, ...] = ()
    ) -> None:
        self.cancel_event = cancel
        self.listeners = list(listeners)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event is not None and self.cancel_event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was asked for."""
        if self.cancelled:
            raise Cancelled("The load was cancelled (job.cancel()); err.partial holds what it had.")

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up and raise at once when cancelled."""
        if seconds <= 0:
            return
        if self.cancel_event is None:
            time.sleep(seconds)
        else:
            self.cancel_event.wait(seconds)
        self.check()

    def report(self, status: LoadStatus) -> None:
        for listener in list(self.listeners):
            listener(status)


_default_pool: ThreadPoolExecutor | None = None
_default_lock = threading.Lock()


def _default_submit(fn: Callable[[], Any]) -> Future[Any]:
    """Jobs made without a client (tests, custom loads) share a small pool too."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            _default_pool = ThreadPoolExecutor(2, thread_name_prefix="ut-notebook-job")
        return _default_pool.submit(fn)


class Job(Future, Generic[T]):  # type: ignore[type-arg]
    """A load running in the background: a :class:`concurrent.futures.Future` with
    :meth:`partial`, a :attr:`status` and a widget. Created by the loaders'
    ``background=True``; it runs on its client's pool of workers, and its requests go
    through the client's scheduler after foreground ones.

    Displaying a job in Jupyter shows a live progress widget with a Cancel button.

    >>> job = ut.load_session_details(TEST_ID, background=True)          # doctest: +SKIP
    >>> job.done(), job.partial()                                        # doctest: +SKIP
    """

    def __init__(
        self,
        name: str,
        run: Callable[[Control], T],
        partial: Callable[[], T],
        status: LoadStatus,
        *,
        submit: Callable[[Callable[[], Any]], Future[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self._run = run
        self._partial = partial
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._status = status
        self._listeners: list[Listener] = []
        self._widget: Any = None
        self.started = time.monotonic()
        self.finished_at: float | None = None
        worker = (submit or _default_submit)(self._main)
        # A pool shut down before the job ran (the client was closed) cancels it.
        worker.add_done_callback(self._on_worker_done)

    # -- the worker -----------------------------------------------------------------------

    def _main(self) -> None:
        control = Control(self._cancel, (self._on_status,))
        try:
            control.check()  # cancelled while queued
            with request_context(priority=BACKGROUND, sleep=control.sleep):
                result = self._run(control)
        except BaseException as exc:  # stored and re-raised by result()
            self._finish(error=exc)
        else:
            self._finish(result=result)

    def _on_worker_done(self, worker: Future[Any]) -> None:
        if worker.cancelled() and not self.done():
            error = Cancelled("The load never started: its client was closed.")
            error.partial = self._partial()
            self._finish(error=error)

    def _finish(self, *, result: Any = None, error: BaseException | None = None) -> None:
        self.finished_at = time.monotonic()
        with self._lock:
            self._status = replace(self._status, stage="done", waiting=0.0, eta=0.0)
        # The status is final before anyone waiting on the future wakes up.
        if error is not None:
            self.set_exception(error)
        else:
            self.set_result(result)
        self._notify(self._status)

    def _on_status(self, status: LoadStatus) -> None:
        with self._lock:
            self._status = status
        self._notify(status)

    def _notify(self, status: LoadStatus) -> None:
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a broken display must not break the load
                listener(status)

    # -- the public face ------------------------------------------------------------------

    @property
    def status(self) -> LoadStatus:
        """The latest :class:`LoadStatus`."""
        with self._lock:
            return self._status

    @property
    def state(self) -> str:
        """ "running", "done", "failed" or "cancelled"."""
        if not self.done():
            return "running"
        error = super().exception()
        if error is None:
            return "done"
        return "cancelled" if isinstance(error, Cancelled) else "failed"

    def cancelled(self) -> bool:
        """True once a :meth:`cancel` stopped the load."""
        return self.state == "cancelled"

    def exception(self, timeout: float | None = 0) -> BaseException | None:  # type: ignore[override]
        """The exception the load raised, if it is done and failed (else ``None``);
        with a ``timeout``, wait that long for it to finish first."""
        if not self.done() and not self.wait(timeout):
            return None
        return super().exception()

    def partial(self) -> T:
        """What has been loaded so far (the full result once done)."""
        if self.done() and super().exception() is None:
            return self.result()
        return self._partial()

    def cancel(self) -> bool:
        """Stop after the current request (a rate-limit wait is cut short). Everything
        fetched stays in the cache and in :meth:`partial`. Returns False if already done."""
        if self.done():
            return False
        self._cancel.set()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (or ``timeout``); True when done."""
        with contextlib.suppress(Exception):
            super().exception(timeout)
        return self.done()

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(LoadStatus)`` on every progress step (from the worker thread)."""
        self._listeners.append(listener)
        if self.done():
            listener(self.status)

    def __repr__(self) -> str:
        elapsed = (self.finished_at or time.monotonic()) - self.started
        return (
            f"<ut_notebook.Job {self.name!r} {self.state} after {format_seconds(elapsed)}: "
            f"{self.status.describe()}>"
        )

    # -- Jupyter display ------------------------------------------------------------------

    def widget(self) -> Any:
        """A live ipywidgets view: a progress bar, a status line and a Cancel button."""
        if self._widget is None:
            from .ui.jobs import JobWidget  # ipywidgets only when a job is shown

            self._widget = JobWidget(self).box
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        try:
            widget = self.widget()
        except ImportError:
            return {"text/plain": repr(self)}
        bundle = widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = repr(self)
        return bundle
