"""Charts of what participants said: the most frequent phrases per task.

>>> said = ut.verbatims(details, cues, written=True)                      # doctest: +SKIP
>>> ut.charts.top_phrases(said, top=8)                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..findings import phrase_counts
from ._base import PALETTE, check_frame, empty_figure, finish, subtitle_of

__all__ = ["top_phrases"]

_OUTSIDE = "Outside any task"


def _label(position: Any, task: Any, limit: int = 70) -> str:
    text = "(no text)" if task is None or pd.isna(task) else str(task)
    text = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return f"{int(position)}. {text}" if position is not None and not pd.isna(position) else text


def top_phrases(
    verbatims: pd.DataFrame,
    *,
    top: int = 8,
    words: int | Iterable[int] = (1, 2),
    stop_words: Iterable[str] | None = None,
    min_count: int = 2,
    task: Any = None,
    title: str | None = None,
    height: int | None = None,
    template: Any = None,
) -> go.Figure:
    """The most frequent phrases per task: one panel of horizontal bars per task.

    Takes :func:`ut_notebook.verbatims`' frame; counts as
    :func:`ut_notebook.findings.phrase_counts` (stop words removed; a phrase counts
    once per verbatim). ``task`` keeps only some tasks (a position, a ``taskId`` or a
    list of them). Hover a bar for how many sessions used the phrase.

    Read it: a phrase many participants used during one task is a theme to check in
    their words (``ut.kwic(said, "phrase")``), not a finding in itself: counts say what
    was talked about, not whether it was good or bad.

    >>> ut.charts.top_phrases(ut.verbatims(details, cues), top=5)        # doctest: +SKIP
    """
    chart = "top_phrases"
    check_frame(verbatims, {"text": "text"}, chart)
    title = title or "Most frequent phrases per task"
    counts = phrase_counts(
        verbatims, words=words, top=top, stop_words=stop_words, min_count=min_count
    )
    if task is not None:
        wanted = {str(t) for t in (task if isinstance(task, (list, tuple, set)) else [task])}
        keep = counts["taskId"].astype("string").isin(wanted) | counts["position"].astype(
            "string"
        ).isin(wanted)
        counts = counts[keep.fillna(False).to_numpy()]
    if counts.empty:
        return empty_figure(
            f"No phrase used {min_count} times or more",
            title=title,
            height=height,
            template=template,
            subtitle=subtitle_of(verbatims),
        )
    groups = list(counts.groupby(counts["taskId"].fillna(_OUTSIDE), sort=False))
    labels = [
        _OUTSIDE if key == _OUTSIDE else _label(part["position"].iloc[0], part["task"].iloc[0])
        for key, part in groups
    ]
    rows = len(groups)
    fig = make_subplots(
        rows=rows, cols=1, subplot_titles=labels, vertical_spacing=min(0.3 / rows, 0.08)
    )
    for index, (_, part) in enumerate(groups, start=1):
        fig.add_trace(
            go.Bar(
                x=part["count"].to_numpy(dtype=int),
                y=part["phrase"].astype(str).to_numpy(),
                orientation="h",
                marker={"color": PALETTE[(index - 1) % len(PALETTE)]},
                customdata=part["sessions"].to_numpy(dtype=int),
                hovertemplate="%{y}: %{x} verbatims, %{customdata} sessions<extra></extra>",
                showlegend=False,
            ),
            row=index,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", ticksuffix=" ", row=index, col=1)
        fig.update_xaxes(rangemode="tozero", row=index, col=1)
    # Subplot titles are annotations: left-align them like the figure's title.
    fig.update_annotations(x=0, xanchor="left", font={"size": 13})
    fig.update_xaxes(title_text="Verbatims using the phrase", row=rows, col=1)
    sessions = verbatims["sessionId"].nunique() if "sessionId" in verbatims.columns else 0
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(
            verbatims,
            f"{len(verbatims):,} verbatims",
            f"{sessions:,} sessions",
            "stop words removed",
        ),
        height=height or 150 + sum(60 + 22 * len(part) for _, part in groups),
        template=template,
    )
