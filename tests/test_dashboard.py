"""The dashboard (ut_notebook.ui.dashboard) and the Figures widget that draws its charts,
against the simulator. In a real browser: tests/browser/test_dashboard_browser.py."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs, get_plotlyjs_version

import ut_notebook as ut
from ut_notebook.demo import TESTS
from ut_notebook.ui.dashboard import Dashboard
from ut_notebook.ui.figures import Figures


def test_the_module_stays_small_and_plotly_js_travels_as_state() -> None:
    figures = Figures()
    # anywidget allows a model 2 s to import its module: plotly.js (~5 MB) must not be in it.
    assert len(figures._esm) < 20_000
    assert "export default" in figures._esm and "plotly.js v" not in figures._esm
    assert figures._plotly_js == get_plotlyjs()
    assert figures._plotly_version == get_plotlyjs_version()


def test_figures_go_as_plotly_json_with_dates_as_text() -> None:
    days = np.array(["2024-03-01", "2024-03-02"], dtype="datetime64[ns]")
    bar = go.Figure(go.Bar(x=days, y=[3, 4]), layout={"title": {"text": "Per day"}})
    figures = Figures({"Sessions": [bar], "": []})
    assert [s["heading"] for s in figures.sections] == ["Sessions", ""]
    (drawn,) = figures.figures
    # numpy datetimes sent as they are come out as numbers (drawn near 1970)
    assert drawn["data"][0]["x"] == ["2024-03-01T00:00:00", "2024-03-02T00:00:00"]
    assert drawn["layout"]["title"]["text"] == "Per day"


def test_another_test_is_drawn_by_the_same_widget(client: ut.Client) -> None:
    chooser = ut.choose_test(TESTS["survey"])
    dashboard = Dashboard(chooser, sample=5)
    assert dashboard.children == (dashboard.status, dashboard.figures)
    widget = dashboard.figures
    headings = [s["heading"] for s in widget.sections]
    assert headings == ["Sessions", "Participants' answers (the newest 5 completed sessions)"]
    first = widget.figures
    titles = [f["layout"]["title"]["text"] for f in first]
    assert titles[0] == "Sessions completed per day" and len(titles) >= 5

    chooser.value = TESTS["interaction"]
    assert dashboard.test_id == TESTS["interaction"]
    # Redrawn in place: the same model (no widget created or closed), new figures.
    assert dashboard.figures is widget and widget.comm is not None
    assert dashboard.children == (dashboard.status, widget)
    assert widget.figures[0]["layout"]["title"]["text"] == "Sessions completed per day"
    assert widget.figures[0]["data"] != first[0]["data"]
    assert "sessions" in dashboard.status.value
