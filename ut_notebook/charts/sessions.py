"""Charts of the session list (``ut.load_sessions``): completions, durations, status, time.

Each builder takes the DataFrame first and a few keyword options, returns a
:class:`plotly.graph_objects.Figure` (show it by leaving it as a cell's last line, or
with ``fig.show()``) and never shows anything itself. Options shared by every builder:

* ``title``: the chart title (each has a sensible default);
* ``height``: in pixels (default: plotly's, or one that fits the chart);
* ``labels``: rename axes by role, e.g. ``labels={"x": "Tag", "y": "Anzahl"}``;
* ``template``: a plotly template (default: ut-notebook's, registered as ``"ut_notebook"``).

Column names default to those of ``ut.load_sessions`` and can be changed by keyword
(``time=``, ``duration=``, ``status=``), so a frame you built or renamed works too.
An empty frame gives an empty figure whose text says so.

>>> import ut_notebook as ut
>>> fig = ut.charts.sessions_per_day(df)                                # doctest: +SKIP
>>> fig = ut.charts.start_time_heatmap(df, tz="Europe/Berlin")         # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._base import (
    PALETTE,
    SEQUENTIAL,
    check_frame,
    durations,
    empty_figure,
    finish,
    status_color,
    subtitle_of,
    timestamps,
    timezone,
    weekday_names,
)

__all__ = [
    "COMPLETE",
    "STATUS_LABELS",
    "duration_distribution",
    "sessions_per_day",
    "start_time_heatmap",
    "status_breakdown",
    "status_label",
]

COMPLETE = "COMPLETE"

Labels = Mapping[str, str] | None


def _sessions(n: int) -> str:
    return f"{n:,} session" + ("" if n == 1 else "s")


def sessions_per_day(
    df: pd.DataFrame,
    *,
    time: str = "finishTime",
    status: str | None = "status",
    tz: str | dt.tzinfo | None = "UTC",
    cumulative: bool = True,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Sessions completed per day (bars), with the running total (line, right axis).

    A session counts on the day of its ``time`` column (``finishTime``: when it was
    completed) in time zone ``tz``; days without any completion show as zero, so gaps
    in fieldwork are visible. Only rows whose ``status`` is ``COMPLETE`` count; pass
    ``status=None`` to count every row with a ``time`` (``time="startTime",
    status=None`` charts sessions *started* per day).

    Read it: the bars show the daily pace, the line how close you are to your target.
    """
    chart = "sessions_per_day"
    check_frame(df, {"time": time, "status": status}, chart)
    tz_value, tz_label = timezone(tz)
    when = timestamps(df, time, tz_value, chart)
    if status is not None:
        when = when[df[status].astype("string").eq(COMPLETE).fillna(False).to_numpy()]
    when = when.dropna()
    # Words for titles and hover text: "completed" sessions, or sessions by `time`.
    done = status is not None
    what = "completed" if done else f"sessions (by {time})"
    title = title or ("Sessions completed per day" if done else f"Sessions per day (by {time})")
    subtitle = subtitle_of(df, f"{_sessions(len(when))}" + (" completed" if done else ""), tz_label)
    if when.empty:
        message = "No completed sessions yet" if done else f"No {time} values"
        return empty_figure(
            message, title=title, height=height, template=template, subtitle=subtitle
        )

    days = when.dt.normalize()
    counts = days.value_counts().sort_index()
    # Every day from the first to the last, also days without sessions.
    every_day = pd.date_range(counts.index.min(), counts.index.max(), freq="D")
    counts = counts.reindex(every_day, fill_value=0)
    total = counts.cumsum()
    # plotly.js ignores UTC offsets: give it the local calendar days as naive dates.
    x = counts.index.tz_localize(None)

    fig = make_subplots(specs=[[{"secondary_y": True}]]) if cumulative else go.Figure()
    bars = go.Bar(
        x=x,
        y=counts.to_numpy(),
        name="Completed that day" if done else "Sessions that day",
        marker={"color": PALETTE[0]},
        hovertemplate=f"%{{x|%a %d %b %Y}}<br><b>%{{y:,}}</b> {what}<extra></extra>",
    )
    if cumulative:
        fig.add_trace(bars, secondary_y=False)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=total.to_numpy(),
                name="Running total",
                mode="lines+markers" if len(x) <= 60 else "lines",
                line={"color": PALETTE[1], "width": 2.5},
                marker={"size": 5},
                hovertemplate=f"Up to %{{x|%a %d %b %Y}}<br><b>%{{y:,}}</b> {what} in total"
                "<extra></extra>",
            ),
            secondary_y=True,
        )
        # Own ticks (not synced to the bars' axis, which gives values like 232.4).
        fig.update_yaxes(
            rangemode="tozero", showgrid=False, tickmode="auto", tickformat=",d", secondary_y=True
        )
        fig.update_yaxes(rangemode="tozero", secondary_y=False)
    else:
        fig.add_trace(bars)
        fig.update_yaxes(rangemode="tozero")
    fig.update_layout(hovermode="x unified" if cumulative else "closest")
    fig.update_xaxes(type="date", tickformat="%d %b", hoverformat="%a %d %b %Y")
    if len(x) <= 31:
        fig.update_xaxes(dtick=86_400_000 * (1 if len(x) <= 14 else 2))
    axis_titles = {
        "x": ("xaxis", f"Day ({tz_label})"),
        "y": ("yaxis", "Sessions completed per day" if done else "Sessions per day"),
    }
    if cumulative:
        axis_titles["y2"] = ("yaxis2", "Running total")
    return finish(
        fig,
        title=title,
        subtitle=subtitle,
        height=height,
        template=template,
        labels=labels,
        axis_titles=axis_titles,
    )


def duration_distribution(
    df: pd.DataFrame,
    *,
    duration: str = "duration",
    hover_name: str | None = "sessionId",
    nbins: int | None = None,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """How long finished sessions took, in minutes: a box plot above a histogram.

    Unfinished sessions (no ``duration``) are left out. The box spans the middle half of
    the sessions (25th to 75th percentile) with the median inside; every point beyond
    its whiskers (1.5 x the box's width) is drawn as a dot, an *outlier*, and hovering
    over it shows its ``hover_name`` column (``sessionId``) so you can look that session
    up (``hover_name=None``: no names). The
    dashed line marks the median.

    Read it: a tight box means a consistent test; far-right outliers are sessions that
    stalled or took breaks; a bump far left can mean participants who rushed.
    """
    chart = "duration_distribution"
    check_frame(df, {"duration": duration, "hover_name": hover_name}, chart)
    if nbins is not None and (isinstance(nbins, bool) or not isinstance(nbins, int) or nbins < 1):
        raise ValueError(f"nbins must be a positive int or None, not {nbins!r}.")
    minutes = durations(df, duration, chart)
    finished = minutes.notna().to_numpy()
    minutes = minutes[finished]
    title = title or "Session duration"
    median = float(minutes.median()) if len(minutes) else float("nan")
    subtitle = subtitle_of(
        df,
        f"{_sessions(len(minutes))} finished",
        *([f"median {median:.1f} min"] * bool(len(minutes))),
    )
    if minutes.empty:
        return empty_figure(
            "No finished sessions: no durations to show",
            title=title,
            height=height,
            template=template,
            subtitle=subtitle,
        )

    names = df[hover_name] if hover_name is not None else None
    ids = names.astype("string").fillna("?")[finished].to_numpy() if names is not None else None
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.24, 0.76], vertical_spacing=0.03
    )
    fig.add_trace(
        go.Box(
            x=minutes.to_numpy(),
            name="Finished sessions",
            orientation="h",
            boxpoints="outliers",
            boxmean=False,
            marker={"color": PALETTE[0], "size": 6, "opacity": 0.8},
            line={"width": 1.5},
            fillcolor="rgba(0, 114, 178, 0.18)",
            text=ids,
            hovertemplate=(
                "%{x:.1f} min" + ("<br>%{text}" if ids is not None else "") + "<extra></extra>"
            ),
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Histogram(
            x=minutes.to_numpy(),
            nbinsx=nbins,
            name="Sessions",
            marker={"color": PALETTE[0], "line": {"color": "white", "width": 0.5}},
            hovertemplate="%{x} min<br><b>%{y:,}</b> sessions<extra></extra>",
            showlegend=False,
        ),
        row=2,
        col=1,
    )
    fig.add_vline(
        x=median,
        line={"dash": "dash", "color": "#57606a", "width": 1.5},
        row=2,
        col=1,
    )
    fig.update_yaxes(showticklabels=False, showgrid=False, row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=2, col=1)
    fig.update_xaxes(rangemode="tozero", hoverformat=".1f")
    fig.update_layout(bargap=0.04)
    return finish(
        fig,
        title=title,
        subtitle=subtitle,
        height=height or 460,
        template=template,
        labels=labels,
        axis_titles={
            "x": ("xaxis2", "Session duration (minutes)"),
            "y": ("yaxis2", "Sessions"),
        },
    )


#: What the API's session statuses are called on screen.
STATUS_LABELS = {
    "COMPLETE": "Complete",
    "IN_PROGRESS": "In progress",
    "ABANDONED": "Abandoned",
    "(none)": "(no status)",
}


def status_label(code: str) -> str:
    """The human label of a status code; an unknown code in sentence case.

    >>> status_label("IN_PROGRESS"), status_label("ON_HOLD")
    ('In progress', 'On hold')
    """
    return STATUS_LABELS.get(code) or code.replace("_", " ").capitalize()


def status_breakdown(
    df: pd.DataFrame,
    *,
    status: str = "status",
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """How many sessions are in each status (bars, largest on top), with their share.

    ``COMPLETE`` sessions are done; ``IN_PROGRESS`` ones are still running; ``ABANDONED``
    ones were left by the participant. A session without a status counts as ``(none)``.

    Read it: a large abandoned share suggests a task that is too long, broken or
    confusing -- worth watching a few of those sessions.
    """
    chart = "status_breakdown"
    check_frame(df, {"status": status}, chart)
    title = title or "Sessions by status"
    values = df[status].astype("string").fillna("(none)")
    subtitle = subtitle_of(df, _sessions(len(values)))
    if values.empty:
        return empty_figure(
            "No sessions yet", title=title, height=height, template=template, subtitle=subtitle
        )
    counts = values.value_counts()
    # Largest first, ties by name; reversed because plotly draws the first bar at the bottom.
    order = sorted(counts.index, key=lambda s: (-counts[s], s))[::-1]
    n = np.array([int(counts[s]) for s in order])
    share = n / n.sum() * 100
    fig = go.Figure(
        go.Bar(
            x=n,
            # Words a reader uses; the API's code (what to filter on) is in the hover.
            y=[status_label(s) for s in order],
            orientation="h",
            marker={"color": [status_color(s, order) for s in order]},
            text=[f"{k:,} · {p:.1f}%" for k, p in zip(n, share, strict=True)],
            textposition="auto",
            insidetextanchor="end",
            customdata=np.column_stack([share, np.array(order, dtype=object)]),
            hovertemplate=(
                f"<b>%{{y}}</b> (%{{customdata[1]}})<br>%{{x:,}} of {n.sum():,} sessions "
                "(%{customdata[0]:.1f}%)<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(type="category", ticksuffix="  ")
    return finish(
        fig,
        title=title,
        subtitle=subtitle,
        height=height or 180 + 48 * len(order),
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", "Sessions"), "y": ("yaxis", "Status")},
    )


def start_time_heatmap(
    df: pd.DataFrame,
    *,
    time: str = "startTime",
    tz: str | dt.tzinfo | None = "UTC",
    show_counts: bool | None = None,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """When sessions start: weekday (rows, Monday on top) by hour of day (columns).

    Each cell counts the sessions whose ``time`` falls in that hour, in time zone ``tz``
    (UTC by default; ``tz="America/New_York"`` shows your participants' hours as seen
    from New York). Every one of the 7 x 24 cells is drawn, empty ones nearly white.
    ``show_counts`` writes the number in each cell (default: when there are at most
    500 sessions).

    Read it: dark bands show when your panel is active -- launch tests just before them
    to fill quickly; an empty weekend or night may explain a slow start.
    """
    chart = "start_time_heatmap"
    check_frame(df, {"time": time}, chart)
    tz_value, tz_label = timezone(tz)
    when = timestamps(df, time, tz_value, chart).dropna()
    title = title or "When sessions start"
    subtitle = subtitle_of(df, _sessions(len(when)), tz_label)
    if when.empty:
        return empty_figure(
            "No sessions yet", title=title, height=height, template=template, subtitle=subtitle
        )
    grid = np.zeros((7, 24), dtype=int)
    np.add.at(grid, (when.dt.day_of_week.to_numpy(), when.dt.hour.to_numpy()), 1)
    days = list(weekday_names())
    hours = [f"{h:02d}" for h in range(24)]
    spans = [[f"{d}, {h:02d}:00–{(h + 1) % 24:02d}:00" for h in range(24)] for d in days]
    if show_counts is None:
        show_counts = len(when) <= 500
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=hours,
            y=days,
            colorscale=SEQUENTIAL,
            zmin=0,
            xgap=2,
            ygap=2,
            customdata=spans,
            # Counts in the cells, empty ones left blank so the busy hours stand out.
            text=[[f"{v:,}" if v else "" for v in row] for row in grid] if show_counts else None,
            texttemplate="%{text}" if show_counts else None,
            hovertemplate=(
                f"%{{customdata}} ({tz_label})<br><b>%{{z:,}}</b> sessions started<extra></extra>"
            ),
            colorbar={"thickness": 14, "outlinewidth": 0, "x": 1.02, "len": 0.8, "y": 0.4},
        )
    )
    # Totals beside the grid: sessions per hour above it, per weekday to its right.
    muted = "#8c959f"
    fig.add_trace(
        go.Bar(
            x=hours,
            y=grid.sum(axis=0),
            xaxis="x2",
            yaxis="y2",
            marker={"color": muted},
            name="per hour",
            hovertemplate=f"%{{x}}:00 ({tz_label})<br><b>%{{y:,}}</b> sessions<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Bar(
            x=grid.sum(axis=1),
            y=days,
            xaxis="x3",
            yaxis="y3",
            orientation="h",
            marker={"color": muted},
            name="per weekday",
            text=[f"{v:,}" for v in grid.sum(axis=1)],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br><b>%{x:,}</b> sessions<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_layout(
        xaxis={"domain": [0, 0.86], "type": "category", "showgrid": False, "tickangle": 0},
        yaxis={"domain": [0, 0.8], "type": "category", "showgrid": False, "autorange": "reversed"},
        xaxis2={"domain": [0, 0.86], "anchor": "y2", "matches": "x", "showticklabels": False},
        yaxis2={"domain": [0.84, 1], "anchor": "x2", "showticklabels": False, "showgrid": False},
        xaxis3={"domain": [0.88, 1], "anchor": "y3", "showticklabels": False, "showgrid": False},
        yaxis3={"domain": [0, 0.8], "anchor": "x3", "matches": "y", "showticklabels": False},
        bargap=0.15,
    )
    return finish(
        fig,
        title=title,
        subtitle=subtitle,
        height=height or 460,
        template=template,
        labels=labels,
        axis_titles={
            "x": ("xaxis", f"Hour of day ({tz_label})"),
            "y": ("yaxis", "Weekday"),
            "color": ("colorbar", "Sessions"),
        },
    )
