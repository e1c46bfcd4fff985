"""ut.charts: figures are inspected (``fig.data`` / ``fig.layout``), nothing is rendered.

Exact values are checked on small frames built here and compared with plain pandas;
the simulator's demo tests check that real ``load_sessions`` frames chart cleanly.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import plotly.basedatatypes
import plotly.graph_objects as go
import pytest

import ut_notebook as ut
from ut_notebook import charts
from ut_notebook.loaders.sessions import SESSION_SCHEMA

BUILDERS = [
    charts.sessions_per_day,
    charts.duration_distribution,
    charts.status_breakdown,
    charts.start_time_heatmap,
]


def frame(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    """A frame shaped like ``load_sessions``' from (status, startTime, finishTime) rows."""
    data = {
        "sessionId": pd.array([f"s{i}" for i in range(len(rows))], dtype="string"),
        "audienceId": pd.array([None] * len(rows), dtype="string"),
        "status": pd.Series([r[0] for r in rows], dtype="string").astype("category"),
        "startTime": pd.to_datetime([r[1] for r in rows], utc=True),
        "finishTime": pd.to_datetime([r[2] for r in rows], utc=True),
    }
    df = pd.DataFrame(data)
    df["duration"] = df["finishTime"] - df["startTime"]
    return df


SMALL = frame(
    [
        # Tue 3 Nov 2026, 14:00 UTC; done after 10 min
        ("COMPLETE", "2026-11-03T14:00:00Z", "2026-11-03T14:10:00Z"),
        ("COMPLETE", "2026-11-03T14:30:00Z", "2026-11-03T14:36:00Z"),
        # finishes 23:40 UTC on the 3rd = 00:40 on the 4th in Berlin
        ("COMPLETE", "2026-11-03T23:20:00Z", "2026-11-03T23:40:00Z"),
        ("ABANDONED", "2026-11-04T09:00:00Z", None),
        ("IN_PROGRESS", "2026-11-06T09:00:00Z", None),
        # nothing on the 4th and 5th in UTC; one on the 6th, very long (an outlier)
        ("COMPLETE", "2026-11-06T08:00:00Z", "2026-11-06T10:00:00Z"),
        ("COMPLETE", "2026-11-06T11:00:00Z", "2026-11-06T11:08:00Z"),
        ("COMPLETE", "2026-11-06T12:00:00Z", "2026-11-06T12:09:00Z"),
        ("COMPLETE", "2026-11-06T13:00:00Z", "2026-11-06T13:07:00Z"),
    ]
)


def empty_frame() -> pd.DataFrame:
    return SMALL.iloc[:0].copy()


def annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def assert_polished(fig: go.Figure) -> None:
    """A title, titled axes, hover text on every trace, and JSON that plotly.js can read."""
    assert isinstance(fig, go.Figure)
    assert fig.layout.title.text
    assert fig.layout.template.layout.colorway == charts.PALETTE
    for trace in fig.data:
        assert trace.hovertemplate, f"{trace.type} trace without hover text"
    xaxes = [fig.layout[k] for k in fig.layout if k.startswith("xaxis")]
    yaxes = [fig.layout[k] for k in fig.layout if k.startswith("yaxis")]
    assert any(a.title.text for a in xaxes) and any(a.title.text for a in yaxes)
    json.loads(fig.to_json())  # serialisable (no stray numpy/pandas objects)


# -- sessions per day ----------------------------------------------------------------------


def test_sessions_per_day_counts_completed_sessions_per_utc_day_with_zero_days() -> None:
    fig = charts.sessions_per_day(SMALL)
    assert_polished(fig)
    bars, line = fig.data
    assert (bars.type, line.type) == ("bar", "scatter")
    done = SMALL[SMALL["status"] == "COMPLETE"]
    expected = done.groupby(done["finishTime"].dt.strftime("%Y-%m-%d")).size()
    expected = expected.reindex(
        pd.date_range("2026-11-03", "2026-11-06").strftime("%Y-%m-%d"), fill_value=0
    )
    assert [pd.Timestamp(x).strftime("%Y-%m-%d") for x in bars.x] == list(expected.index)
    assert list(bars.y) == [3, 0, 0, 4] == list(expected)
    assert list(line.y) == list(expected.cumsum())
    assert line.yaxis == "y2" and fig.layout.yaxis2.overlaying == "y"
    assert fig.layout.xaxis.title.text == "Day (UTC)"
    assert fig.layout.yaxis2.title.text == "Running total"
    assert "7 sessions completed" in fig.layout.title.subtitle.text


def test_sessions_per_day_in_another_time_zone_moves_late_sessions_to_the_next_day() -> None:
    fig = charts.sessions_per_day(SMALL, tz="Europe/Berlin")
    bars = fig.data[0]
    by_day = {pd.Timestamp(x).strftime("%m-%d"): y for x, y in zip(bars.x, bars.y, strict=True)}
    assert by_day == {"11-03": 2, "11-04": 1, "11-05": 0, "11-06": 4}
    assert fig.layout.xaxis.title.text == "Day (Europe/Berlin)"


def test_sessions_per_day_options() -> None:
    started = charts.sessions_per_day(SMALL, time="startTime", status=None, cumulative=False)
    assert len(started.data) == 1
    assert sum(started.data[0].y) == len(SMALL)  # every row has a start time
    custom = charts.sessions_per_day(
        SMALL, title="Fieldwork", height=333, labels={"x": "Tag", "y2": "Summe"}
    )
    assert custom.layout.title.text == "Fieldwork" and custom.layout.height == 333
    assert custom.layout.xaxis.title.text == "Tag"
    assert custom.layout.yaxis2.title.text == "Summe"
    dark = charts.sessions_per_day(SMALL, template="plotly_dark")
    assert dark.layout.template.layout.paper_bgcolor == "rgb(17,17,17)"


def test_sessions_per_day_without_completed_sessions_says_so() -> None:
    fig = charts.sessions_per_day(SMALL[SMALL["status"] != "COMPLETE"])
    assert fig.data == ()
    assert annotation_texts(fig) == ["No completed sessions yet"]


# -- duration ------------------------------------------------------------------------------


def test_duration_distribution_shows_finished_sessions_in_minutes_with_outliers() -> None:
    fig = charts.duration_distribution(SMALL)
    assert_polished(fig)
    box, hist = fig.data
    assert (box.type, hist.type) == ("box", "histogram")
    finished = SMALL.dropna(subset=["duration"])
    minutes = finished["duration"].dt.total_seconds() / 60
    assert list(hist.x) == list(minutes) == [10, 6, 20, 120, 8, 9, 7]
    assert list(box.x) == list(minutes)
    assert box.boxpoints == "outliers"
    assert list(box.text) == list(finished["sessionId"])  # hover names the outlier
    assert "%{text}" in box.hovertemplate
    assert fig.layout.xaxis2.title.text == "Session duration (minutes)"
    assert fig.layout.yaxis2.title.text == "Sessions"
    median_line = [s for s in fig.layout.shapes if s.line.dash == "dash"]
    assert [s.x0 for s in median_line] == [float(minutes.median())] == [9.0]
    assert "median 9.0 min" in fig.layout.title.subtitle.text


def test_duration_distribution_options_and_empty() -> None:
    fig = charts.duration_distribution(SMALL, nbins=5, hover_name=None, height=300)
    assert fig.data[1].nbinsx == 5 and fig.data[0].text is None and fig.layout.height == 300
    unfinished = charts.duration_distribution(SMALL[SMALL["duration"].isna()])
    assert unfinished.data == ()
    assert annotation_texts(unfinished) == ["No finished sessions: no durations to show"]
    with pytest.raises(ValueError, match="nbins"):
        charts.duration_distribution(SMALL, nbins=0)


# -- status --------------------------------------------------------------------------------


def test_status_breakdown_counts_and_shares_largest_on_top() -> None:
    fig = charts.status_breakdown(SMALL)
    assert_polished(fig)
    (bars,) = fig.data
    counts = SMALL["status"].value_counts()
    assert (
        dict(zip(bars.y, bars.x, strict=True))
        == {charts.status_label(k): v for k, v in counts.items() if v}
        == {"Complete": 7, "Abandoned": 1, "In progress": 1}
    )
    assert bars.y[-1] == "Complete"  # plotly draws the last category on top
    assert np.isclose(sum(row[0] for row in bars.customdata), 100.0)
    # the API's code is in the hover, beside the human label
    codes = dict(zip(bars.y, (row[1] for row in bars.customdata), strict=True))
    assert codes == {"Complete": "COMPLETE", "Abandoned": "ABANDONED", "In progress": "IN_PROGRESS"}
    assert "%{customdata[1]}" in bars.hovertemplate
    assert "7 · 77.8%" in bars.text
    colors = dict(zip((row[1] for row in bars.customdata), bars.marker.color, strict=True))
    assert colors["COMPLETE"] == charts.STATUS_COLORS["COMPLETE"]
    assert colors["ABANDONED"] == charts.STATUS_COLORS["ABANDONED"]


def test_status_breakdown_handles_unknown_and_missing_statuses() -> None:
    df = pd.DataFrame({"state": pd.array(["DONE", None, "DONE", "WEIRD"], dtype="string")})
    fig = charts.status_breakdown(df, status="state")
    (bars,) = fig.data
    assert dict(zip(bars.y, bars.x, strict=True)) == {"Done": 2, "(no status)": 1, "Weird": 1}
    assert len(set(bars.marker.color)) == 3


# -- heatmap -------------------------------------------------------------------------------


def test_start_time_heatmap_counts_weekday_by_hour_in_utc() -> None:
    fig = charts.start_time_heatmap(SMALL)
    assert_polished(fig)
    heat, per_hour, per_weekday = fig.data
    z = np.array(heat.z)
    assert z.shape == (7, 24) and z.sum() == len(SMALL)
    assert list(heat.y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(heat.x) == [f"{h:02d}" for h in range(24)]
    starts = SMALL["startTime"]
    expected = pd.crosstab(starts.dt.day_of_week, starts.dt.hour)
    for (day, hour), n in expected.stack().items():
        assert z[day, hour] == n
    assert z[1, 14] == 2  # Tuesday 14:00-15:00 UTC
    assert fig.layout.yaxis.autorange == "reversed"  # Monday on top
    assert fig.layout.xaxis.title.text == "Hour of day (UTC)"
    assert heat.colorbar.title.text == "Sessions"
    assert heat.customdata[1][14] == "Tue, 14:00–15:00"
    # the totals beside it: per hour above (same hours), per weekday to the right
    assert list(per_hour.x) == list(heat.x) and list(per_hour.y) == list(z.sum(axis=0))
    assert list(per_weekday.y) == list(heat.y) and list(per_weekday.x) == list(z.sum(axis=1))
    assert per_hour.xaxis == "x2" and fig.layout.xaxis2.matches == "x"
    assert per_weekday.yaxis == "y3" and fig.layout.yaxis3.matches == "y"


def test_start_time_heatmap_in_a_time_zone() -> None:
    z = np.array(charts.start_time_heatmap(SMALL, tz="America/New_York").data[0].z)
    assert z[1, 9] == 2  # Tuesday 14:00 UTC is 09:00 in New York (EST, UTC-5)
    assert z[1, 18] == 1  # Tuesday 23:20 UTC is 18:20 there
    assert z.sum() == len(SMALL)


def test_start_time_heatmap_counts_in_cells_only_when_few_sessions() -> None:
    heat = charts.start_time_heatmap(SMALL).data[0]
    assert heat.texttemplate == "%{text}"
    assert heat.text[1][14] == "2" and heat.text[0][0] == ""  # empty cells stay blank
    assert charts.start_time_heatmap(SMALL, show_counts=False).data[0].texttemplate is None


def test_naive_and_iso_string_times_are_taken_as_utc() -> None:
    df = pd.DataFrame({"startTime": ["2026-11-03T14:05:00Z", "2026-11-03T14:06:00Z"]})
    naive = pd.DataFrame({"startTime": pd.to_datetime(["2026-11-03 14:05"])})
    for data in (df, naive):
        z = np.array(charts.start_time_heatmap(data).data[0].z)
        assert z[1, 14] == len(data)


# -- every builder -------------------------------------------------------------------------


@pytest.mark.parametrize("build", BUILDERS)
def test_empty_frame_gives_an_empty_figure_that_says_so(build: Any) -> None:
    fig = build(empty_frame())
    assert isinstance(fig, go.Figure)
    assert fig.data == ()
    (text,) = annotation_texts(fig)
    assert text.startswith("No ")
    assert fig.layout.title.text
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


@pytest.mark.parametrize("build", BUILDERS)
def test_missing_column_is_a_clear_value_error(build: Any) -> None:
    with pytest.raises(ValueError, match=r"has no column .*Pass \w+='<column name>'"):
        build(SMALL[["sessionId"]])


@pytest.mark.parametrize("build", BUILDERS)
def test_not_a_dataframe_is_a_type_error(build: Any) -> None:
    with pytest.raises(TypeError, match="pandas DataFrame"):
        build(SMALL.to_dict("records"))


@pytest.mark.parametrize("build", BUILDERS)
def test_builders_never_show(build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a builder called show()")

    monkeypatch.setattr(plotly.basedatatypes.BaseFigure, "show", refuse)
    assert isinstance(build(SMALL), go.Figure)


@pytest.mark.parametrize("build", BUILDERS)
def test_unknown_labels_key_is_refused(build: Any) -> None:
    with pytest.raises(ValueError, match="labels: this chart has no axis 'z'"):
        build(SMALL, labels={"z": "?"})


def test_wrong_dtypes_and_time_zones_are_clear_value_errors() -> None:
    with pytest.raises(ValueError, match="must hold durations"):
        charts.duration_distribution(SMALL.assign(duration=1.5))
    with pytest.raises(ValueError, match="must hold datetimes"):
        charts.start_time_heatmap(SMALL.assign(startTime=3))
    with pytest.raises(ValueError, match="must hold datetimes"):
        charts.start_time_heatmap(SMALL.assign(startTime="yesterday"))
    with pytest.raises(ValueError, match="Unknown time zone 'Mars/Olympus'"):
        charts.sessions_per_day(SMALL, tz="Mars/Olympus")


def test_template_is_registered_for_your_own_figures() -> None:
    import plotly.io as pio

    assert pio.templates[charts.TEMPLATE_NAME].layout.colorway == charts.PALETTE
    assert pio.templates.default != charts.TEMPLATE_NAME  # registered, not imposed


def test_charts_is_reachable_as_ut_charts() -> None:
    assert ut.charts.sessions_per_day is charts.sessions_per_day


# -- frames from the simulator -------------------------------------------------------------


@pytest.mark.parametrize("name", ["survey", "think_out_loud"])
def test_every_chart_of_a_demo_test(client: ut.Client, name: str) -> None:
    df = ut.load_sessions(ut.demo.TESTS[name], progress=False)
    assert len(df) > 0
    per_day = charts.sessions_per_day(df)
    done = df[df["status"] == "COMPLETE"]
    assert sum(per_day.data[0].y) == len(done) == per_day.data[1].y[-1]
    by_day = done.groupby(done["finishTime"].dt.strftime("%Y-%m-%d")).size()
    bars = per_day.data[0]
    got = {pd.Timestamp(x).strftime("%Y-%m-%d"): y for x, y in zip(bars.x, bars.y, strict=True)}
    assert {d: n for d, n in got.items() if n} == by_day.to_dict()

    duration = charts.duration_distribution(df)
    assert len(duration.data[1].x) == df["duration"].notna().sum()

    status = charts.status_breakdown(df)
    assert sum(status.data[0].x) == len(df)

    heat = charts.start_time_heatmap(df, tz="Asia/Tokyo")
    assert np.array(heat.data[0].z).sum() == len(df)
    for fig in (per_day, duration, status, heat):
        assert_polished(fig)
        assert ut.demo.TESTS[name][:8] in fig.layout.title.subtitle.text


def test_every_chart_of_the_empty_demo_test(client: ut.Client) -> None:
    df = ut.load_sessions(ut.demo.TESTS["empty"], progress=False)
    assert df.empty and list(df.columns) == [*SESSION_SCHEMA, "duration"]
    for build in BUILDERS:
        fig = build(df)
        assert fig.data == () and annotation_texts(fig)[0].startswith("No ")


@pytest.mark.slow
def test_a_truncated_load_says_so_in_the_subtitle(client: ut.Client) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ut.TruncatedResultWarning)
        df = ut.load_sessions(ut.demo.TESTS["large"], progress=False)
    fig = charts.status_breakdown(df)
    assert f"newest {len(df):,} of {df.attrs['totalCount']:,} sessions" in (
        fig.layout.title.subtitle.text
    )
