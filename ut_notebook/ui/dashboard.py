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

from .figures import Figures

__all__ = ["Dashboard", "dashboard"]

DEFAULT_SAMPLE = 30  # details cost one request per session: a sample answers quickly


class Dashboard(w.VBox):
    """The charts of the test chosen in ``chooser`` (any widget whose ``.value`` is a test id).

    ``dashboard.show(test_id)`` draws another test (the picker does it when its value
    changes); ``dashboard.test_id`` is the test drawn, ``dashboard.figures`` the
    :class:`~ut_notebook.ui.figures.Figures` widget that draws its charts.

    >>> test = ut.choose_test()                                         # doctest: +SKIP
    >>> Dashboard(test)                                                 # doctest: +SKIP
    """

    def __init__(self, chooser: Any, *, sample: int = DEFAULT_SAMPLE) -> None:
        self.chooser = chooser
        self.sample = sample
        self.test_id: str | None = None
        self.status = w.HTML()
        self.status.add_class("ut-dashboard-status")
        # All the charts in ONE Figures widget, redrawn in place: see figures.py for why
        # not a plotly FigureWidget per chart, nor figures shown in Output widgets, and
        # why one widget rather than one per section.
        self.figures = Figures()
        self.figures.add_class("ut-dashboard-charts")
        super().__init__([self.status, self.figures])
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
        tasks = details.tasks
        kinds = set(tasks["type"].dropna().astype(str)) if len(tasks) else set()
        answers = [charts.task_durations(tasks), charts.skip_rates(tasks)]
        if "NPS" in kinds:
            answers.insert(0, charts.nps(tasks))
        if "RATING_SCALE" in kinds:
            answers.insert(0, charts.rating_scales(tasks))
        self.figures.show(
            {
                "Sessions": [
                    charts.sessions_per_day(sessions),
                    charts.duration_distribution(sessions),
                    charts.status_breakdown(sessions),
                ],
                f"Participants' answers (the newest {self.sample} completed sessions)": answers,
            }
        )
        self.status.value = (
            f"<b>{html.escape(test_label(test_id))}</b>: {len(sessions):,} sessions; "
            f"answers of {len(details):,} completed sessions."
        )


def dashboard(chooser: Any, *, sample: int = DEFAULT_SAMPLE) -> Dashboard:
    """The dashboard of the test picked in ``chooser`` (``ut.choose_test()``).

    >>> dashboard(ut.choose_test(TEST_ID))                              # doctest: +SKIP
    """
    return Dashboard(chooser, sample=sample)
