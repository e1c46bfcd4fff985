"""Charts of :mod:`ut_notebook.stats` results: estimates with their confidence intervals.

=====================  ==================================  ===================================
builder                frame                               shows
=====================  ==================================  ===================================
``completion_rates``   ``ut.stats.completion_rates(...)``  success rate per task, CI bars
``time_on_task_ci``    ``ut.stats.time_on_task(...)``      geometric mean time (CI) and median
``nps_ci``             ``ut.stats.nps(...)``               NPS per NPS task, CI bars
=====================  ==================================  ===================================

Each also takes ``details.tasks`` (or the SessionDetails) and computes the statistics
itself (``confidence=`` then applies). Like every builder, keyword options ``title``,
``height``, ``labels`` (axis titles by role) and ``template``, and a Figure is returned
without being shown.

>>> ut.charts.completion_rates(ut.stats.completion_rates(details))      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._base import PALETTE, check_frame, empty_figure, finish, subtitle_of

__all__ = ["completion_rates", "nps_ci", "time_on_task_ci"]

Labels = Mapping[str, str] | None

_INK = "#24292f"


def _stats_frame(
    data: Any, needed: tuple[str, ...], compute: str, confidence: float, chart: str
) -> pd.DataFrame:
    """``data`` if it is already a stats frame, else ``ut.stats.<compute>(data)``."""
    is_frame = isinstance(data, pd.DataFrame)
    if is_frame and set(needed) <= set(data.columns):
        return data
    if (is_frame and "sessionId" in data.columns) or (
        not is_frame and isinstance(getattr(data, "tasks", None), pd.DataFrame)
    ):
        # Imported here: scipy loads only when a chart computes its own statistics.
        from .. import stats

        function: Callable[..., pd.DataFrame] = getattr(stats, compute)
        return function(data, confidence=confidence)
    # Neither a stats frame nor a tasks frame: check_frame says which column is missing.
    check_frame(data, {column: column for column in needed}, chart)
    return data


def _label(row: pd.Series) -> str:
    text = " ".join(str(row.get("text") or row.get("taskId") or "").split())
    text = text if len(text) <= 48 else text[:47].rstrip() + "…"
    position = row.get("position")
    return f"{int(position)}. {text}" if position is not None and not pd.isna(position) else text


def _level(df: pd.DataFrame) -> str:
    confidence = df.attrs.get("confidence")
    return f"{confidence:.0%} CI" if isinstance(confidence, float) else "CI"


def _bars(values: pd.Series, low: pd.Series, high: pd.Series, scale: float) -> dict[str, Any]:
    """Asymmetric error bars; a missing bound draws none (n = 1 t-intervals)."""
    plus = ((high - values) * scale).to_numpy(dtype="float64", na_value=np.nan)
    minus = ((values - low) * scale).to_numpy(dtype="float64", na_value=np.nan)
    return {
        "type": "data",
        "symmetric": False,
        "array": np.nan_to_num(plus, nan=0.0),
        "arrayminus": np.nan_to_num(minus, nan=0.0),
        "color": _INK,
        "thickness": 1.5,
        "width": 6,
    }


def _no_rows(
    frame: pd.DataFrame, what: str, title: str, height: int | None, template: Any
) -> go.Figure | None:
    """The "nothing to show" figure when ``frame`` is empty, else ``None``."""
    if not frame.empty:
        return None
    return empty_figure(
        what, title=title, height=height, template=template, subtitle=subtitle_of(frame)
    )


def _finish_tasks(
    fig: go.Figure,
    frame: pd.DataFrame,
    *,
    note: str,
    x_title: str,
    title: str,
    height: int | None,
    template: Any,
    labels: Labels,
) -> go.Figure:
    """One row per task, top to bottom in plan order; ``note`` says what the bars are."""
    fig.update_yaxes(autorange="reversed", type="category", ticksuffix=" ")
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(frame, note),
        height=height or 150 + 60 * len(frame),
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", x_title), "y": ("yaxis", "Task")},
    )


def completion_rates(
    df: Any,
    *,
    confidence: float = 0.95,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Completion rate of each task as a bar, with its adjusted-Wald interval.

    Takes ``ut.stats.completion_rates(...)`` (or ``details.tasks``: computed at
    ``confidence``). Tasks are in plan order from the top.

    Read it: where two tasks' intervals overlap a lot, the sample does not tell them
    apart; an interval entirely above your goal (say 78 %, a common benchmark) is a pass.
    """
    chart = "completion_rates"
    title = title or "Task completion rates"
    frame = _stats_frame(df, ("rate", "ci_low", "ci_high", "n"), chart, confidence, chart)
    empty = _no_rows(frame, "No tasks with a success measure", title, height, template)
    if empty is not None:
        return empty
    y = [_label(row) for _, row in frame.iterrows()]
    level = _level(frame)
    fig = go.Figure(
        go.Bar(
            x=frame["rate"].to_numpy(dtype="float64") * 100,
            y=y,
            orientation="h",
            marker={"color": PALETTE[2]},
            error_x=_bars(frame["rate"], frame["ci_low"], frame["ci_high"], 100),
            customdata=np.column_stack(
                [
                    frame["successes"].to_numpy(dtype="float64", na_value=np.nan),
                    frame["n"].to_numpy(dtype="float64", na_value=np.nan),
                    frame["ci_low"].to_numpy(dtype="float64") * 100,
                    frame["ci_high"].to_numpy(dtype="float64") * 100,
                ]
            ),
            hovertemplate=(
                "<b>%{y}</b><br>%{customdata[0]:,} of %{customdata[1]:,} succeeded "
                f"(%{{x:.0f}}%)<br>{level}: %{{customdata[2]:.0f}}–%{{customdata[3]:.0f}}%"
                "<extra></extra>"
            ),
            name="Completion rate",
        )
    )
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_layout(meta={"confidence": frame.attrs.get("confidence")})
    return _finish_tasks(
        fig,
        frame,
        note=f"bars: {level}, adjusted-Wald",
        x_title="Completion rate",
        title=title,
        height=height,
        template=template,
        labels=labels,
    )


def time_on_task_ci(
    df: Any,
    *,
    confidence: float = 0.95,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Typical time on each task: the geometric mean with its interval, and the median.

    Takes ``ut.stats.time_on_task(...)`` (or ``details.tasks``: computed at
    ``confidence``, successful attempts only where tasks have a success measure).
    Times in seconds. A task timed once has no interval bar.

    Read it: the geometric mean is the better middle below about 25 times, the median
    above; the interval is asymmetric because it was computed on log times.
    """
    chart = "time_on_task_ci"
    title = title or "Time on task"
    frame = _stats_frame(
        df, ("geometric_mean", "ci_low", "ci_high", "median"), "time_on_task", confidence, chart
    )
    empty = _no_rows(frame, "No timed tasks", title, height, template)
    if empty is not None:
        return empty
    y = [_label(row) for _, row in frame.iterrows()]
    level = _level(frame)
    n = frame["n"].to_numpy(dtype="float64", na_value=np.nan) if "n" in frame else None
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=frame["geometric_mean"],
            y=y,
            mode="markers",
            name="Geometric mean",
            marker={"color": PALETTE[0], "size": 11},
            error_x=_bars(frame["geometric_mean"], frame["ci_low"], frame["ci_high"], 1),
            customdata=np.column_stack(
                [
                    frame["ci_low"].to_numpy(dtype="float64"),
                    frame["ci_high"].to_numpy(dtype="float64"),
                    n if n is not None else np.full(len(frame), np.nan),
                ]
            ),
            hovertemplate=(
                "<b>%{y}</b><br>geometric mean %{x:.1f} s<br>"
                f"{level}: %{{customdata[0]:.1f}}–%{{customdata[1]:.1f}} s"
                "<br>n = %{customdata[2]:,}<extra></extra>"
            ),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=frame["median"],
            y=y,
            mode="markers",
            name="Median",
            marker={"color": PALETTE[1], "size": 9, "symbol": "diamond-open", "line": {"width": 2}},
            hovertemplate="<b>%{y}</b><br>median %{x:.1f} s<extra></extra>",
        )
    )
    fig.update_xaxes(rangemode="tozero", ticksuffix=" s")
    return _finish_tasks(
        fig,
        frame,
        note=f"bars: {level} (t on log times)",
        x_title="Seconds",
        title=title,
        height=height,
        template=template,
        labels=labels,
    )


def nps_ci(
    df: Any,
    *,
    confidence: float = 0.95,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Net Promoter Score of each NPS task with its adjusted-Wald interval, on -100..+100.

    Takes ``ut.stats.nps(...)`` (or ``details.tasks``: computed at ``confidence``).
    :func:`ut_notebook.charts.nps` shows one task's distribution of answers; this shows
    how precisely each score is known.

    Read it: an interval that spans 0 does not tell promoters from detractors apart;
    with fewer than about 100 answers NPS intervals are usually 30+ points wide.
    """
    chart = "nps_ci"
    title = title or "Net Promoter Score"
    frame = _stats_frame(df, ("nps", "ci_low", "ci_high", "n"), "nps", confidence, chart)
    empty = _no_rows(frame, "No NPS answers", title, height, template)
    if empty is not None:
        return empty
    y = [_label(row) for _, row in frame.iterrows()]
    level = _level(frame)
    fig = go.Figure(
        go.Scatter(
            x=frame["nps"],
            y=y,
            mode="markers",
            name="NPS",
            marker={"color": PALETTE[0], "size": 12},
            error_x=_bars(frame["nps"], frame["ci_low"], frame["ci_high"], 1),
            customdata=np.column_stack(
                [
                    frame["ci_low"].to_numpy(dtype="float64"),
                    frame["ci_high"].to_numpy(dtype="float64"),
                    frame["n"].to_numpy(dtype="float64", na_value=np.nan),
                ]
            ),
            hovertemplate=(
                "<b>%{y}</b><br>NPS %{x:+.0f}<br>"
                f"{level}: %{{customdata[0]:+.0f}} to %{{customdata[1]:+.0f}}"
                "<br>n = %{customdata[2]:,}<extra></extra>"
            ),
        )
    )
    fig.add_vline(x=0, line={"color": "#999999", "width": 1, "dash": "dot"})
    fig.update_xaxes(range=[-105, 105], tickvals=[-100, -50, 0, 50, 100])
    return _finish_tasks(
        fig,
        frame,
        note=f"bars: {level}, adjusted-Wald",
        x_title="NPS (% promoters − % detractors)",
        title=title,
        height=height,
        template=template,
        labels=labels,
    )
