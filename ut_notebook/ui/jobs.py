"""The live widget of a background :class:`~ut_notebook.Job`: a bar, a line, Cancel.

Shown when a job is displayed in Jupyter (``job`` as the last line of a cell).

>>> job = ut.load_session_details(TEST_ID, background=True)          # doctest: +SKIP
>>> job                                  # the widget, updated from the worker thread
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..jobs import LoadStatus

__all__ = ["JobWidget"]


class JobWidget:
    """The widget of one job; updated from the worker thread through a listener."""

    def __init__(self, job: Any) -> None:
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
        if self.job.done():
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
