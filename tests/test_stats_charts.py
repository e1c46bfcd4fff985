"""Charts of ut.stats results: the bars are the intervals, inputs are checked, the
existing charts are untouched, and every demo test charts without error."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

import ut_notebook as ut
from ut_notebook import charts, stats
from ut_notebook.charts import details as detail_charts
from ut_notebook.demo import TESTS
from ut_notebook.frames import typed_frame
from ut_notebook.loaders.details import TASK_SCHEMA


def _frame(rows: list[dict]) -> pd.DataFrame:
    return typed_frame(rows, TASK_SCHEMA)


def _attempts(task: str, position: int, k: int, n: int) -> list[dict]:
    return [
        {
            "sessionId": f"{task}{i}",
            "taskId": task,
            "position": position,
            "text": f"Find {task}",
            "type": "URL",
            "reached": True,
            "skipped": False,
            "success": i < k,
            "duration": pd.Timedelta(seconds=10 * (i + 1)),
        }
        for i in range(n)
    ]


def _nps(scores: list[int]) -> list[dict]:
    return [
        {
            "sessionId": f"n{i}",
            "taskId": "nps",
            "position": 3,
            "text": "Recommend?",
            "type": "NPS",
            "reached": True,
            "skipped": False,
            "nps": s,
        }
        for i, s in enumerate(scores)
    ]


def test_completion_bars_are_the_adjusted_wald_interval() -> None:
    tasks = _frame(_attempts("b", 2, 3, 10) + _attempts("a", 1, 7, 10))
    fig = charts.completion_rates(stats.completion_rates(tasks))
    bar = fig.data[0]
    assert list(bar.y) == ["1. Find a", "2. Find b"]  # plan order
    assert list(bar.x) == pytest.approx([70.0, 30.0])
    # 7 of 10: about 39 % to 90 % (Sauro & Lewis), so the bar reaches ~31 down, ~20 up.
    assert bar.error_x.arrayminus[0] == pytest.approx(70 - 39.2, abs=0.1)
    assert bar.error_x.array[0] == pytest.approx(89.7 - 70, abs=0.1)
    assert "95% CI" in fig.layout.title.subtitle.text
    # From the tasks frame directly: the same numbers, at the asked confidence.
    direct = charts.completion_rates(tasks)
    assert list(direct.data[0].error_x.array) == pytest.approx(list(bar.error_x.array))
    wider = charts.completion_rates(tasks, confidence=0.99)
    assert wider.data[0].error_x.array[0] > bar.error_x.array[0]
    assert "99% CI" in wider.layout.title.subtitle.text


def test_time_chart_shows_geometric_mean_interval_and_median() -> None:
    tasks = _frame(_attempts("a", 1, 4, 4) + _attempts("b", 2, 1, 1))
    frame = stats.time_on_task(tasks)
    fig = charts.time_on_task_ci(frame)
    means, medians = fig.data
    # Successful times 10, 20, 30, 40 s: geometric mean (240000)^(1/4) = 22.13 s.
    assert means.x[0] == pytest.approx(240000**0.25)
    assert medians.x[0] == pytest.approx(25.0)
    assert means.error_x.array[0] == pytest.approx(frame["ci_high"][0] - means.x[0])
    assert means.error_x.array[1] == 0  # one time: no interval, no bar (and no error)
    assert math.isnan(frame["ci_high"][1])


def test_nps_chart_on_minus_to_plus_hundred() -> None:
    fig = charts.nps_ci(_frame(_nps([10, 10, 9, 9, 9, 8, 7, 6, 3, 0])))
    point = fig.data[0]
    assert point.x[0] == pytest.approx(20.0)
    # Adjusted-Wald by hand (see test_stats): -30.33 to 61.10.
    assert point.error_x.arrayminus[0] == pytest.approx(20 + 30.33, abs=0.01)
    assert point.error_x.array[0] == pytest.approx(61.10 - 20, abs=0.01)
    assert list(fig.layout.xaxis.range) == [-105, 105]
    assert any(shape.x0 == 0 for shape in fig.layout.shapes)


@pytest.mark.parametrize("build", [charts.completion_rates, charts.time_on_task_ci, charts.nps_ci])
def test_options_empty_frames_and_bad_input(build: object) -> None:
    empty = build(_frame([]))
    assert isinstance(empty, go.Figure) and not empty.data
    assert empty.layout.annotations[0].text.startswith("No ")
    tasks = _frame(_attempts("a", 1, 3, 5) + _nps([9, 10, 3]))
    fig = build(tasks, title="Mine", height=333, labels={"x": "Custom"})
    assert fig.layout.title.text == "Mine" and fig.layout.height == 333
    assert fig.layout.xaxis.title.text == "Custom"
    with pytest.raises(ValueError, match="no axis 'z'"):
        build(tasks, labels={"z": "nope"})
    with pytest.raises(ValueError, match="has no column"):
        build(pd.DataFrame({"foo": [1]}))
    with pytest.raises(TypeError, match="takes a pandas DataFrame"):
        build([1, 2])


def test_existing_charts_are_unchanged() -> None:
    assert charts.nps is detail_charts.nps
    assert charts.task_durations is detail_charts.task_durations
    assert {"completion_rates", "time_on_task_ci", "nps_ci"} <= set(charts.__all__)


@pytest.mark.parametrize("name", ["interaction", "survey", "think_out_loud", "empty"])
def test_every_stats_chart_of_every_demo_test(client: ut.Client, name: str) -> None:
    details = ut.load_session_details(TESTS[name], progress=False)
    figures = {
        "completion": charts.completion_rates(details),
        "time": charts.time_on_task_ci(details),
        "nps": charts.nps_ci(details),
    }
    for fig in figures.values():
        fig.to_json()
    has = {k for k, f in figures.items() if f.data}
    assert (
        has
        == {
            "interaction": {"completion", "time"},
            "survey": {"time", "nps"},
            "think_out_loud": {"completion", "time"},
            "empty": set(),
        }[name]
    )
    if name == "interaction":
        rates = stats.completion_rates(details)
        assert len(figures["completion"].data[0].y) == len(rates) == 4
