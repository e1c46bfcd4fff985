"""A code-free dashboard of one test, redrawn when another test is picked.

``notebooks/dashboard.ipynb`` builds it, and ``ut-notebook dashboard`` serves that
notebook with Voilà (a web page without code)::

    test = ut.choose_test(TEST_ID)
    from ut_notebook.ui.dashboard import dashboard
    dashboard(test)

What it shows for the picked test: the session charts (completed per day, durations,
statuses), then the details charts of a sample of sessions (the newest ``sample``
COMPLETE ones: task durations, skips, and NPS and rating scales when the test has such
tasks). Picking another test in the picker loads and draws that test instead; the
loads go through the cache, so going back to a test costs no request.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

__all__ = ["Dashboard", "dashboard"]

DEFAULT_SAMPLE = 30  # details cost one request per session: a sample answers quickly


class Dashboard(w.VBox):
    """The charts of the test chosen in ``chooser`` (any widget whose ``.value`` is a test id).

    ``dashboard.show(test_id)`` draws another test (the picker does it when its value
    changes); ``dashboard.test_id`` is the test drawn.

    >>> test = ut.choose_test()                                         # doctest: +SKIP
    >>> Dashboard(test)                                                 # doctest: +SKIP
    """

    def __init__(self, chooser: Any, *, sample: int = DEFAULT_SAMPLE) -> None:
        self.chooser = chooser
        self.sample = sample
        self.test_id: str | None = None
        self.status = w.HTML()
        self.status.add_class("ut-dashboard-status")
        # Figures as plotly FigureWidgets in boxes, not figures displayed into Output
        # widgets: nbclient (reports, tests, Binder's check) cannot shut down a kernel
        # that sent a large figure into an Output widget, and a box is simply refilled.
        self.sessions_out = w.VBox()
        self.sessions_out.add_class("ut-dashboard-sessions")
        self.details_out = w.VBox()
        self.details_out.add_class("ut-dashboard-details")
        super().__init__(
            [
                self.status,
                w.HTML("<h2>Sessions</h2>"),
                self.sessions_out,
                w.HTML(f"<h2>Participants' answers (the newest {sample} completed sessions)</h2>"),
                self.details_out,
            ]
        )
        self.add_class("ut-dashboard")
        chooser.observe(self._on_pick, names="value")
        if chooser.value:
            self.show(chooser.value)

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.show(change["new"])

    def show(self, test_id: str) -> None:
        """Load ``test_id``'s sessions and a sample of their details, and draw them."""
        from .. import charts
        from ..errors import UTError
        from ..known_tests import test_label
        from ..loaders.details import load_session_details
        from ..loaders.sessions import load_sessions

        self.test_id = test_id
        label = html.escape(test_label(test_id))
        self.status.value = f"Loading {label}…"
        try:
            sessions = load_sessions(test_id, progress=False)
            complete = sessions[sessions["status"] == "COMPLETE"].head(self.sample)
            details = load_session_details(complete, progress=False)
        except UTError as err:
            # Say it on the page: a dashboard has no traceback to read.
            self.status.value = f"Could not load {label}: {html.escape(str(err))}"
            return
        if self.test_id != test_id:
            return  # another test was picked while this one loaded
        _refill(
            self.sessions_out,
            [
                charts.sessions_per_day(sessions),
                charts.duration_distribution(sessions),
                charts.status_breakdown(sessions),
            ],
        )
        tasks = details.tasks
        kinds = set(tasks["type"].dropna().astype(str)) if len(tasks) else set()
        figures = [charts.task_durations(tasks), charts.skip_rates(tasks)]
        if "NPS" in kinds:
            figures.insert(0, charts.nps(tasks))
        if "RATING_SCALE" in kinds:
            figures.insert(0, charts.rating_scales(tasks))
        _refill(self.details_out, figures)
        self.status.value = (
            f"<b>{html.escape(test_label(test_id))}</b>: {len(sessions):,} sessions; "
            f"answers of {len(details):,} completed sessions."
        )


def _refill(box: w.Box, figures: list[Any]) -> None:
    """Show ``figures`` in ``box`` as FigureWidgets (the old ones are left to the garbage
    collector: closing them while the page still renders them makes anywidget fail)."""
    import plotly.graph_objects as go

    box.children = [go.FigureWidget(_dates_as_text(figure)) for figure in figures]


def _dates_as_text(figure: Any) -> Any:
    """Datetime arrays as ISO text: a FigureWidget sends numpy datetimes as raw numbers,
    which the browser draws near 1970 (the per-day chart came out empty)."""
    import numpy as np

    for trace in figure.data:
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            if isinstance(values, np.ndarray) and values.dtype.kind == "M":
                setattr(trace, axis, np.datetime_as_string(values, unit="ms"))
    return figure


def dashboard(chooser: Any, *, sample: int = DEFAULT_SAMPLE) -> Dashboard:
    """The dashboard of the test picked in ``chooser`` (``ut.choose_test()``).

    >>> dashboard(ut.choose_test(TEST_ID))                              # doctest: +SKIP
    """
    return Dashboard(chooser, sample=sample)
