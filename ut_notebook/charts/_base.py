"""What every chart shares: the look, the input checks, the empty figure, the finish.

A chart module (``sessions.py``, and later ``demographics.py``, ``nps.py``, ...) builds
its traces and hands the figure to :func:`finish`, so every chart gets the same
template, title style, hover labels and option handling. Nothing here renders or shows.
"""

from __future__ import annotations

import datetime as _dt
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "PALETTE",
    "SEQUENTIAL",
    "STATUS_COLORS",
    "TEMPLATE",
    "TEMPLATE_NAME",
    "check_frame",
    "durations",
    "empty_figure",
    "finish",
    "status_color",
    "subtitle_of",
    "timestamps",
    "timezone",
    "weekday_names",
]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")

# Status colours keep their meaning across charts: done is green, gone is red.
STATUS_COLORS: dict[str, str] = {
    "COMPLETE": "#009E73",
    "IN_PROGRESS": "#56B4E9",
    "ABANDONED": "#D55E00",
}

# Sequential scale for counts (heatmaps): zero is almost white, so "nothing" reads as empty.
SEQUENTIAL = [
    [0.0, "#f7fbff"],
    [0.15, "#c6dbef"],
    [0.4, "#6baed6"],
    [0.7, "#2171b5"],
    [1.0, "#08306b"],
]

FONT = "Inter, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

TEMPLATE_NAME = "ut_notebook"
TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.update(
    colorway=list(PALETTE),
    font={"family": FONT, "size": 13, "color": "#24292f"},
    title={"x": 0.0, "xanchor": "left", "xref": "paper", "font": {"size": 18}},
    hoverlabel={"font": {"family": FONT, "size": 12}, "align": "left"},
    margin={"l": 70, "r": 40, "t": 90, "b": 60},
    legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0},
    bargap=0.15,
)
# Registered (not made the default) so your own figures can match: template="ut_notebook".
pio.templates[TEMPLATE_NAME] = TEMPLATE

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def check_frame(df: Any, columns: Mapping[str, str | None], chart: str) -> None:
    """Raise a clear error unless ``df`` is a DataFrame holding every named column.

    ``columns`` maps the builder's keyword (``"time"``) to the column it names
    (``"startTime"``); ``None`` means the caller switched that column off.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"{chart}() takes a pandas DataFrame (for example from ut.load_sessions()), "
            f"not {type(df).__name__}."
        )
    for keyword, column in columns.items():
        if column is None:
            continue
        if column not in df.columns:
            have = ", ".join(map(str, df.columns)) or "no columns"
            raise ValueError(
                f"{chart}(): the DataFrame has no column {column!r} (it has: {have}). "
                f"Pass {keyword}='<column name>' to chart another column."
            )


def timezone(tz: str | _dt.tzinfo | None) -> tuple[_dt.tzinfo | str, str]:
    """``(tz for pandas, label)`` for ``tz``; ``None`` means UTC. Unknown names: ValueError."""
    if tz is None:
        return "UTC", "UTC"
    if isinstance(tz, _dt.tzinfo):
        return tz, str(getattr(tz, "key", None) or tz)
    if isinstance(tz, str) and tz.strip():
        name = tz.strip()
        if name.upper() == "UTC":
            return "UTC", "UTC"
        try:
            return zoneinfo.ZoneInfo(name), name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"Unknown time zone {tz!r}: use an IANA name such as 'Europe/Berlin' or "
                "'America/New_York' (or 'UTC')."
            ) from None
    raise ValueError(f"tz must be a time zone name such as 'Europe/Berlin', not {tz!r}.")


def timestamps(df: pd.DataFrame, column: str, tz: _dt.tzinfo | str, chart: str) -> pd.Series:
    """Column ``column`` as datetimes in ``tz`` (naive values are taken as UTC)."""
    values = df[column]
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        if len(values.dropna()) and not (
            pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)
        ):
            raise ValueError(
                f"{chart}(): column {column!r} must hold datetimes, not {values.dtype}."
            )
        try:
            values = pd.to_datetime(values, utc=True, format="ISO8601")
        except (TypeError, ValueError):
            raise ValueError(
                f"{chart}(): column {column!r} must hold datetimes (or ISO 8601 strings)."
            ) from None
    if getattr(values.dt, "tz", None) is None:
        values = values.dt.tz_localize("UTC")
    return values.dt.tz_convert(tz)


def durations(df: pd.DataFrame, column: str, chart: str) -> pd.Series:
    """Column ``column`` (Timedeltas) in minutes, as floats; NaT becomes NaN."""
    values = df[column]
    if not pd.api.types.is_timedelta64_dtype(values.dtype):
        raise ValueError(
            f"{chart}(): column {column!r} must hold durations (timedelta64, such as "
            f"finishTime - startTime), not {values.dtype}."
        )
    return values.dt.total_seconds().astype("float64") / 60.0


def status_color(status: str, others: Iterable[str] = ()) -> str:
    """The colour of a status: fixed for the known ones, the palette for the rest."""
    if status in STATUS_COLORS:
        return STATUS_COLORS[status]
    spare = [c for c in PALETTE if c not in STATUS_COLORS.values()]
    unknown = sorted(s for s in {*others, status} if s not in STATUS_COLORS)
    return spare[unknown.index(status) % len(spare)]


def subtitle_of(df: pd.DataFrame, *parts: str) -> str:
    """A short second title line: the test (from ``df.attrs``) and any extra parts."""
    words = list(parts)
    test_id = df.attrs.get("testId") if isinstance(df.attrs, dict) else None
    if test_id:
        # The title when ut.load_test/ut.list_tests has seen it: ids mean little to readers.
        from ..known_tests import test_label

        words.append(str(df.attrs.get("testTitle") or test_label(test_id)))
    if df.attrs.get("truncated"):
        words.append(f"newest {len(df):,} of {df.attrs.get('totalCount', '?'):,} sessions")
    return " · ".join(words)


def weekday_names() -> tuple[str, ...]:
    """Monday first, as pandas numbers them (``dt.day_of_week`` 0..6)."""
    return _WEEKDAYS


def empty_figure(
    message: str,
    *,
    title: str,
    height: int | None = None,
    template: Any = None,
    subtitle: str = "",
) -> go.Figure:
    """A figure with no traces whose centred annotation says why (for example no rows)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 15, "color": "#6e7781"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig, title=title, subtitle=subtitle, height=height or 320, template=template)


def finish(
    fig: go.Figure,
    *,
    title: str,
    subtitle: str = "",
    height: int | None = None,
    template: Any = None,
    labels: Mapping[str, str] | None = None,
    axis_titles: Mapping[str, tuple[str, str]] | None = None,
) -> go.Figure:
    """Apply the shared look and options: template, title (+ subtitle), height, axis titles.

    ``axis_titles`` maps a role (``x``, ``y``, ``y2``, ``color``) to ``(where, text)``:
    ``where`` is the layout axis (``"xaxis"``, ``"yaxis2"``, ...) or ``"colorbar"``. The
    user's ``labels`` replace the text role by role.
    """
    titles = dict(axis_titles or {})
    for role, text in (labels or {}).items():
        if role not in titles:
            known = ", ".join(titles) or "none"
            raise ValueError(f"labels: this chart has no axis {role!r} (it has: {known}).")
        titles[role] = (titles[role][0], str(text))
    fig.update_layout(
        template=TEMPLATE if template is None else template,
        title_text=title,
        height=height,
    )
    if subtitle:
        fig.update_layout(
            title_subtitle_text=subtitle,
            title_subtitle_font={"size": 13, "color": "#57606a"},
        )
    for where, text in titles.values():
        if where == "colorbar":
            for trace in fig.data:
                if "colorbar" in trace:
                    trace.colorbar.title = {"text": text}
        else:
            fig.layout[where].title = {"text": text}
    return fig
