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
import html
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from .errors import UTError
from .ui.progress import format_seconds

__all__ = ["Cancelled", "Control", "Job", "LoadStatus"]

T = TypeVar("T")


class Cancelled(UTError):
    """``job.cancel()`` stopped the load. ``err.partial`` holds what was loaded."""


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


class Job(Generic[T]):
    """A load running in a background thread. Created by the loaders' ``background=True``.

    Displaying a job in Jupyter shows a live progress widget with a Cancel button.
    """

    def __init__(
        self,
        name: str,
        run: Callable[[Control], T],
        partial: Callable[[], T],
        status: LoadStatus,
    ) -> None:
        self.name = name
        self._run = run
        self._partial = partial
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._status = status
        self._listeners: list[Listener] = []
        self._result: Any = None
        self._error: BaseException | None = None
        self._finished = threading.Event()
        self._widget: Any = None
        self.started = time.monotonic()
        self.finished_at: float | None = None
        self._thread = threading.Thread(target=self._main, name=f"ut-notebook {name}", daemon=True)
        self._thread.start()

    # -- the worker -----------------------------------------------------------------------

    def _main(self) -> None:
        control = Control(self._cancel, (self._on_status,))
        try:
            self._result = self._run(control)
        except BaseException as exc:  # stored and re-raised by result()
            self._error = exc
        finally:
            self.finished_at = time.monotonic()
            with self._lock:
                self._status = replace(self._status, stage="done", waiting=0.0, eta=0.0)
            self._finished.set()
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
    def done(self) -> bool:
        """True once the load has finished, failed or been cancelled."""
        return self._finished.is_set()

    @property
    def status(self) -> LoadStatus:
        """The latest :class:`LoadStatus`."""
        with self._lock:
            return self._status

    @property
    def state(self) -> str:
        """ "running", "done", "failed" or "cancelled"."""
        if not self.done:
            return "running"
        if self._error is None:
            return "done"
        return "cancelled" if isinstance(self._error, Cancelled) else "failed"

    def result(self, timeout: float | None = None) -> T:
        """Wait for the load and return its result, or raise what it raised (with
        ``.partial``). Raises ``TimeoutError`` if it is still running after ``timeout``
        seconds (the job keeps running)."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"{self.name} is still running after {timeout}s.")
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self) -> BaseException | None:
        """The exception the load raised, if it is done and failed (else ``None``)."""
        return self._error if self.done else None

    def partial(self) -> T:
        """What has been loaded so far (the full result once done)."""
        if self.done and self._error is None:
            return self._result
        return self._partial()

    def cancel(self) -> bool:
        """Stop after the current request (a rate-limit wait is cut short). Everything
        fetched stays in the cache and in :meth:`partial`. Returns False if already done."""
        if self.done:
            return False
        self._cancel.set()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (or ``timeout``); True when done."""
        return self._finished.wait(timeout)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(LoadStatus)`` on every progress step (from the worker thread)."""
        self._listeners.append(listener)
        if self.done:
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
            self._widget = _JobWidget(self).box
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


class _JobWidget:
    """The widget of one job; updated from the worker thread through a listener."""

    def __init__(self, job: Job[Any]) -> None:
        try:
            import ipywidgets as widgets
        except ImportError as exc:  # pragma: no cover - ipywidgets is a dependency
            raise ImportError(
                "The job's progress widget needs ipywidgets: pip install ipywidgets"
            ) from exc
        self.job = job
        self.bar = widgets.IntProgress(
            value=0, min=0, max=1, description="", layout=widgets.Layout(width="40%")
        )
        self.label = widgets.HTML(value="")
        self.cancel = widgets.Button(
            description="Cancel", icon="stop", tooltip="Stop the load; keep what was fetched"
        )
        self.cancel.on_click(self._on_cancel)
        self.box = widgets.VBox(
            [
                widgets.HTML(value=f"<b>{html.escape(job.name)}</b>"),
                widgets.HBox([self.bar, self.cancel]),
                self.label,
            ]
        )
        self.box.job = job  # keep the job alive as long as its widget
        job.add_listener(self.update)
        self.update(job.status)

    def _on_cancel(self, _button: Any) -> None:
        # ipywidgets swallows callback errors: nothing here may raise.
        self.job.cancel()
        self.cancel.disabled = True
        self.cancel.description = "Cancelling…"

    def update(self, status: LoadStatus) -> None:
        total = status.total or 0
        self.bar.max = max(1, total)
        self.bar.value = min(status.done, self.bar.max)
        text = status.describe()
        if self.job.done:
            self.cancel.disabled = True
            state = self.job.state
            self.cancel.description = {"cancelled": "Cancelled", "failed": "Failed"}.get(
                state, "Done"
            )
            self.bar.bar_style = {"failed": "danger", "cancelled": "warning"}.get(state, "success")
            error = self.job.exception()
            if error is not None:
                text += f" — {type(error).__name__}: {error}"
        self.label.value = html.escape(text)
