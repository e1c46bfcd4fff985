"""Charts across tests: a metric per test over time, and one task compared across tests.

Both take frames from :func:`ut_notebook.benchmark` (``by="test"`` and ``by="task"``);
like every chart they make no request.

>>> bench = ut.benchmark(db="research.duckdb")                           # doctest: +SKIP
>>> ut.charts.benchmark(bench, metric="nps")                            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ._base import PALETTE, check_frame, empty_figure, finish

__all__ = ["METRIC_LABELS", "benchmark", "benchmark_tasks"]

# metric -> (axis title, hover number format, multiply by, unit suffix)
METRIC_LABELS: dict[str, tuple[str, str, float, str]] = {
    "qx_score": ("QXscore (0-100)", ".0f", 1.0, ""),
    "completion": ("Task completion rate", ".0f", 100.0, " %"),
    "time_on_task": ("Time on task (geometric mean, s)", ".0f", 1.0, " s"),
    "nps": ("Net Promoter Score", ".0f", 1.0, ""),
}


def _metric(metric: str, chart: str) -> tuple[str, str, float, str]:
    try:
        return METRIC_LABELS[metric]
    except KeyError:
        known = ", ".join(METRIC_LABELS)
        raise ValueError(f"{chart}(): metric must be one of {known}, not {metric!r}.") from None


def _values(frame: pd.DataFrame, metric: str, scale: float) -> tuple[Any, Any, Any]:
    def column(name: str) -> pd.Series:
        return pd.to_numeric(frame[name].astype("Float64"), errors="coerce").astype(float) * scale

    y, low, high = column(metric), column(f"{metric}_low"), column(f"{metric}_high")
    return y, (high - y).clip(lower=0), (y - low).clip(lower=0)


def benchmark(
    frame: pd.DataFrame,
    *,
    metric: str = "qx_score",
    color: str | None = "productType",
    title: str | None = None,
    height: int | None = None,
    template: Any = None,
) -> go.Figure:
    """The metric of each test over time: test date on x, its 95 % interval as error bars,
    the title in the hover; one colour per product type.

    Read it: a steady level with short bars is a stable experience; a move larger than
    the bars (non-overlapping intervals) is worth a look; long bars mean few sessions.
    """
    chart = "benchmark"
    axis, fmt, scale, unit = _metric(metric, chart)
    check_frame(
        frame,
        {"metric": metric, "created": "created", "title": "title", "color": color},
        chart,
    )
    title = title or f"{axis.split(' (')[0]} across tests"
    rows = frame[frame[metric].notna().to_numpy(dtype=bool)] if len(frame) else frame
    if rows.empty:
        return empty_figure(
            f"No test has {axis.lower()} data", title=title, height=height, template=template
        )
    fig = go.Figure()
    groups = (
        rows.groupby(rows[color].astype("string").fillna("other"), sort=True)
        if color
        else [("tests", rows)]
    )
    for index, (name, part) in enumerate(groups):
        part = part.sort_values("created")
        y, plus, minus = _values(part, metric, scale)
        n = part.get(f"{metric}_n")
        fig.add_trace(
            go.Scatter(
                x=part["created"],
                y=y,
                mode="markers+lines",
                name=str(name),
                line={"width": 1, "color": PALETTE[index % len(PALETTE)]},
                marker={"size": 9},
                error_y={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.2},
                customdata=list(
                    zip(
                        part["title"].astype("string").fillna("(untitled)"),
                        (n if n is not None else pd.Series([None] * len(part))).astype("string"),
                        strict=True,
                    )
                ),
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>%{x|%Y-%m-%d}<br>"
                    f"{axis}: %{{y:{fmt}}}{unit} (n = %{{customdata[1]}})<extra></extra>"
                ),
            )
        )
    return finish(
        fig,
        title=title,
        subtitle=f"{len(rows):,} tests · error bars: 95 % intervals",
        height=height or 460,
        template=template,
        axis_titles={"x": ("xaxis", "Test date"), "y": ("yaxis", axis)},
    )


def benchmark_tasks(
    frame: pd.DataFrame,
    *,
    metric: str = "completion",
    text: str | None = None,
    min_tests: int = 2,
    title: str | None = None,
    height: int | None = None,
    template: Any = None,
) -> go.Figure:
    """The same task (by its text) compared across tests, with 95 % intervals.

    Takes ``ut.benchmark(..., by="task")``. ``text``: only this task; default: every task
    text that appears in at least ``min_tests`` tests with the metric. One row of points
    per task, one point per test (oldest first), hover with the test's title.
    """
    chart = "benchmark_tasks"
    axis, fmt, scale, unit = _metric(metric, chart)
    check_frame(frame, {"metric": metric, "text": "text", "title": "title"}, chart)
    title = title or f"{axis.split(' (')[0]} of the same task across tests"
    rows = frame[frame[metric].notna().to_numpy(dtype=bool)] if len(frame) else frame
    if text is not None:
        rows = rows[rows["text"] == text]
    elif len(rows):
        counts = rows.groupby("text")["testId"].nunique()
        rows = rows[rows["text"].isin(counts[counts >= min_tests].index)]
    if rows.empty:
        return empty_figure(
            f"No task with {axis.lower()} in {min_tests}+ tests",
            title=title,
            height=height,
            template=template,
        )
    rows = rows.sort_values(["text", "created"], kind="stable")
    fig = go.Figure()
    for index, (task, part) in enumerate(rows.groupby("text", sort=False)):
        y, plus, minus = _values(part, metric, scale)
        label = str(task) if len(str(task)) <= 60 else str(task)[:57] + "…"
        fig.add_trace(
            go.Scatter(
                x=part["created"],
                y=y,
                mode="markers+lines",
                name=label,
                line={"width": 1, "color": PALETTE[index % len(PALETTE)]},
                marker={"size": 9},
                error_y={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.2},
                customdata=part["title"].astype("string").fillna("(untitled)"),
                hovertemplate=(
                    f"<b>{label}</b><br>%{{customdata}}<br>%{{x|%Y-%m-%d}}: "
                    f"%{{y:{fmt}}}{unit}<extra></extra>"
                ),
            )
        )
    fig.update_layout(legend={"orientation": "v", "y": 1, "x": 1.02, "xanchor": "left"})
    return finish(
        fig,
        title=title,
        subtitle=f"{rows['text'].nunique():,} tasks in {rows['testId'].nunique():,} tests",
        height=height or 480,
        template=template,
        axis_titles={"x": ("xaxis", "Test date"), "y": ("yaxis", axis)},
    )
