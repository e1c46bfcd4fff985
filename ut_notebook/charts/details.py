"""Charts of session details (``ut.load_session_details``) and QXscores (``ut.load_qx_scores``).

Like every builder in :mod:`ut_notebook.charts`, each takes a DataFrame first (or the
:class:`~ut_notebook.SessionDetails` itself: the right frame is taken from it), then
keyword options -- ``title``, ``height``, ``labels`` (axis titles by role), ``template``
-- and returns a :class:`plotly.graph_objects.Figure` without showing it. An empty
frame gives an empty figure that says so.

=========================  ==========================  ==========================================
builder                    frame                       shows
=========================  ==========================  ==========================================
``demographics``           ``details.demographics``    one bar chart per demographic code
``nps``                    ``details.tasks``           the 0-10 distribution and the NPS score
``rating_scales``          ``details.tasks``           each rating task's answers, 100 % stacked
``multiple_choice``        ``details.tasks``           how often each option was chosen
``task_durations``         ``details.tasks``           time on each task (box plots)
``skip_rates``             ``details.tasks``           skipped and never-reached share per task
``qx_scores``              ``ut.load_qx_scores()``     QXscore and its components per task group
``qx_score_distribution``  ``details.task_groups``     per-session QXscores per task group
=========================  ==========================  ==========================================

>>> details = ut.load_session_details(TEST_ID)                           # doctest: +SKIP
>>> ut.charts.nps(details.tasks)                                          # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from ..frames import natural_order
from ._base import PALETTE, check_frame, empty_figure, finish, subtitle_of

__all__ = [
    "demographics",
    "multiple_choice",
    "nps",
    "nps_score",
    "qx_score_distribution",
    "qx_scores",
    "rating_scales",
    "skip_rates",
    "task_durations",
]

Labels = Mapping[str, str] | None

# Detractors, passives, promoters: red, neutral grey, green (Okabe-Ito).
NPS_COLORS = {"Detractors": "#D55E00", "Passives": "#999999", "Promoters": "#009E73"}
# Low to high agreement: a diverging scale, neutral in the middle.
RATING_SCALE = [
    [0.0, "#D55E00"],
    [0.25, "#E69F00"],
    [0.5, "#d0d0d0"],
    [0.75, "#56B4E9"],
    [1.0, "#0072B2"],
]
QX_COMPONENTS = {
    "qxScore": "QXscore",
    "behavioral": "Behavioral",
    "attitudinal": "Attitudinal",
    "usability": "Usability",
    "trust": "Trust",
    "appearance": "Appearance",
    "loyalty": "Loyalty",
}
NO_ANSWER = "(no answer)"


# -- helpers --------------------------------------------------------------------------------


def _frame(data: Any, name: str) -> Any:
    """The ``name`` frame of a SessionDetails, or ``data`` itself."""
    frames = getattr(data, "frames", None)
    if callable(frames) and not isinstance(data, pd.DataFrame):
        return frames()[name]
    return data


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _task_label(position: Any, text: Any, limit: int = 48) -> str:
    prefix = f"{int(position)}. " if position is not None and not pd.isna(position) else ""
    return prefix + _short(text if text is not None and not pd.isna(text) else "(no text)", limit)


def _tasks_of_type(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    return df[df["type"].astype("string").eq(kind).fillna(False).to_numpy()]


def _task_order(df: pd.DataFrame) -> list[tuple[str, int | None, str]]:
    """``(taskId, position, text)`` of each task in ``df``, in plan order."""
    first = df.drop_duplicates("taskId")
    if "position" in first.columns:
        first = first.sort_values("position", kind="stable")
    out = []
    for _, row in first.iterrows():
        position = row.get("position")
        out.append(
            (
                str(row["taskId"]),
                None if pd.isna(position) else int(position),
                str(row.get("text", "")),
            )
        )
    return out


def _select(df: pd.DataFrame, task: Any, chart: str) -> list[str]:
    """Task ids chosen by ``task``: ``None`` (all), a task id, a position (int), a piece of
    the task's text, or a list of those."""
    order = _task_order(df)
    if task is None:
        return [tid for tid, _, _ in order]
    wanted = list(task) if isinstance(task, (list, tuple, set)) else [task]
    chosen: list[str] = []
    for want in wanted:
        if isinstance(want, (int, np.integer)) and not isinstance(want, bool):
            hits = [tid for tid, pos, _ in order if pos == int(want)]
        else:
            text = str(want).strip().lower()
            hits = [tid for tid, _, _ in order if tid.lower() == text]
            hits = hits or [tid for tid, _, t in order if text in t.lower()]
        if not hits:
            known = "; ".join(_task_label(p, t, 40) for _, p, t in order) or "none"
            raise ValueError(f"{chart}(): no task matches {want!r}. Tasks here: {known}.")
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def _one_task(df: pd.DataFrame, task: Any, chart: str) -> tuple[pd.DataFrame, str]:
    ids = _select(df, task, chart)
    rows = df[df["taskId"].astype("string").eq(ids[0]).fillna(False).to_numpy()]
    first = rows.iloc[0]
    return rows, _task_label(first.get("position"), first.get("text"), 90)


def _answered(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of tasks that were reached and not skipped."""
    keep = pd.Series(True, index=df.index)
    if "reached" in df.columns:
        keep &= df["reached"].fillna(False).astype(bool)
    if "skipped" in df.columns:
        keep &= ~df["skipped"].fillna(False).astype(bool)
    return df[keep.to_numpy()]


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _empty(message: str, title: str, df: pd.DataFrame, **options: Any) -> go.Figure:
    return empty_figure(
        message,
        title=title,
        height=options.get("height"),
        template=options.get("template"),
        subtitle=subtitle_of(df),
    )


# -- demographics ---------------------------------------------------------------------------


def demographics(
    df: Any,
    *,
    codes: str | Sequence[str] | None = None,
    share: bool = True,
    columns: int | None = None,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Who took part: one bar chart per demographic code (GENDER, AGE_GROUP, ...).

    Takes ``details.demographics`` (long: one row per answer; multi-select answers are
    already split). Each bar is the share of participants (``share=False``: the
    number) giving that answer; for multi-select questions the shares add up to more
    than 100 %. ``codes`` picks and orders the codes (default: all, in API order).
    Answers are in a natural order (age and income ranges by value, "Prefer not to
    say" last); a missing answer shows as "(no answer)".

    Read it: check the sample matches the audience you meant to recruit before reading
    anything else into the results.
    """
    chart = "demographics"
    df = _frame(df, "demographics")
    check_frame(df, {"id": "sessionId", "code": "code", "value": "value"}, chart)
    title = title or "Participants"
    people = df["sessionId"].nunique()
    if df.empty:
        return _empty("No participants yet", title, df, height=height, template=template)
    present = list(dict.fromkeys(df["code"].dropna().astype(str)))
    if isinstance(df["code"].dtype, pd.CategoricalDtype):
        present = [str(c) for c in df["code"].cat.categories if str(c) in set(present)]
    wanted = [codes] if isinstance(codes, str) else list(codes or present)
    missing = [c for c in wanted if c not in present]
    if missing:
        raise ValueError(
            f"{chart}(): no demographic code {missing[0]!r} here (codes: {', '.join(present)})."
        )
    cols = columns or (1 if len(wanted) <= 2 else 2)
    rows = math.ceil(len(wanted) / cols)
    subplot_titles = []
    panels = []
    for code in wanted:
        part = df[df["code"].astype("string").eq(code).fillna(False).to_numpy()]
        respondents = part["sessionId"].nunique()
        values = part["value"]
        if isinstance(values.dtype, pd.CategoricalDtype):
            order = [str(c) for c in values.cat.categories if (values == c).any()]
            if not values.cat.ordered:  # an ordered categorical is someone's order: kept
                order = natural_order(order)
        else:  # as answered, put in reading order (age groups, income, Beginner → Expert)
            order = natural_order(values.dropna().astype(str))
        counts = part.assign(answer=values.astype("string").fillna(NO_ANSWER))
        counts = counts.groupby("answer")["sessionId"].nunique()
        if NO_ANSWER in counts.index:
            order.append(NO_ANSWER)
        multi = (
            "MULTIPLE" in str(part["type"].dropna().iloc[0])
            if part["type"].notna().any()
            else False
        )
        label = part["label"].dropna().astype(str).iloc[0] if part["label"].notna().any() else ""
        # The question as asked ("What is your annual household income?"), not its code.
        name = html.escape(_short(label, 60)) if label else code
        subplot_titles.append(f"<b>{name}</b>" + (" (several answers)" if multi else ""))
        panels.append((code, label, order, counts, respondents))
    # Each row as tall as its longest panel needs (22 px an answer), so a 3-answer row
    # is not stretched to a 7-answer row's height, and a fixed 70 px between rows.
    row_px = [
        40 + 22 * max(len(p[2]) for p in panels[r * cols : (r + 1) * cols]) for r in range(rows)
    ]
    gap_px = 70
    plot_px = sum(row_px) + gap_px * (rows - 1)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=subplot_titles,
        horizontal_spacing=0.28 if cols > 1 else 0.1,
        vertical_spacing=gap_px / plot_px if rows > 1 else 0.0,
        row_heights=[h / sum(row_px) for h in row_px],
    )
    for index, (code, label, order, counts, respondents) in enumerate(panels):
        n = np.array([int(counts.get(answer, 0)) for answer in order])
        pct = n / max(respondents, 1) * 100
        fig.add_trace(
            go.Bar(
                x=pct if share else n,
                y=order,
                orientation="h",
                name=code,
                marker={"color": PALETTE[index % len(PALETTE)]},
                customdata=np.column_stack([n, pct]),
                text=[f"{p:.0f}%" if share else f"{k:,}" for k, p in zip(n, pct, strict=True)],
                # Inside a long bar (white on colour), outside a short one: never squeezed.
                textposition=[
                    "inside" if v >= 0.2 * max((pct if share else n).max(), 1e-9) else "outside"
                    for v in (pct if share else n)
                ],
                insidetextanchor="end",
                insidetextfont={"color": "white"},
                outsidetextfont={"color": "#24292f"},
                cliponaxis=False,
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{html.escape(label)} ({code})<br>%{{customdata[0]:,}} of "
                    f"{respondents:,} "
                    "participants (%{customdata[1]:.1f}%)<extra></extra>"
                ),
                showlegend=False,
            ),
            row=index // cols + 1,
            col=index % cols + 1,
        )
    fig.update_yaxes(autorange="reversed", type="category", ticksuffix=" ")
    fig.update_xaxes(rangemode="tozero", ticksuffix="%" if share else "")
    last_x = "xaxis" if len(wanted) == 1 else f"xaxis{len(wanted)}"
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(df, _n(people, "participant")),
        height=height or 130 + plot_px,
        template=template,
        labels=labels,
        axis_titles={
            "x": (last_x, "Share of participants" if share else "Participants"),
            "y": ("yaxis", "Answer"),
        },
    )


# -- NPS ------------------------------------------------------------------------------------


def nps_score(scores: Any) -> float:
    """The Net Promoter Score of 0-10 answers: % promoters (9-10) - % detractors (0-6).

    >>> nps_score([10, 9, 8, 3])
    25.0
    """
    values = pd.Series(scores, dtype="Float64").dropna()
    if values.empty:
        return float("nan")
    promoters = float((values >= 9).mean())
    detractors = float((values <= 6).mean())
    return round((promoters - detractors) * 100, 1)


def _nps_group(score: int) -> str:
    return "Detractors" if score <= 6 else "Passives" if score <= 8 else "Promoters"


def nps(
    df: Any,
    *,
    task: Any = None,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Net Promoter Score: how many gave each score 0-10, coloured by group, and the score.

    Takes ``details.tasks``; charts its first NPS task (``task=``: another one, by
    task id, position or a piece of its text). Promoters answered 9-10, passives 7-8,
    detractors 0-6; NPS = % promoters - % detractors, from -100 to +100 (in the title).

    Read it: the score alone hides the shape -- many 6s are a few good experiences away
    from passives, many 0-2s point to something that went badly wrong.
    """
    chart = "nps"
    df = _frame(df, "tasks")
    check_frame(df, {"task": "taskId", "type": "type", "nps": "nps"}, chart)
    candidates = _tasks_of_type(df, "NPS")
    if candidates.empty:
        return _empty(
            "No NPS answers", title or "Net Promoter Score", df, height=height, template=template
        )
    rows, label = _one_task(candidates, task, chart)
    scores = rows["nps"].dropna().astype(int)
    if scores.empty:
        return _empty(
            "No NPS answers yet",
            title or "Net Promoter Score",
            df,
            height=height,
            template=template,
        )
    score = nps_score(scores)
    counts = scores.value_counts().reindex(range(11), fill_value=0)
    total = int(counts.sum())
    fig = go.Figure()
    for group, color in NPS_COLORS.items():
        xs = [s for s in range(11) if _nps_group(s) == group]
        n = counts.loc[xs].to_numpy()
        share = n / total * 100
        group_share = n.sum() / total * 100
        fig.add_trace(
            go.Bar(
                x=xs,
                y=n,
                name=f"{group} {group_share:.0f}%",
                marker={"color": color},
                customdata=share,
                text=[f"{k:,}" if k else "" for k in n],
                textposition="outside",
                hovertemplate=(
                    f"{_short(label, 60)}<br>Score %{{x}} ({group.lower()[:-1]})<br>"
                    f"<b>%{{y:,}}</b> of {total:,} participants "
                    "(%{customdata:.1f}%)<extra></extra>"
                ),
            )
        )
    fig.update_xaxes(tickmode="array", tickvals=list(range(11)), range=[-0.6, 10.6])
    fig.update_yaxes(rangemode="tozero")
    # The question is in the hover; the figure's meta carries the numbers for code.
    fig.update_layout(bargap=0.12, meta={"nps": score, "responses": total, "task": label})
    sign = "+" if score > 0 else ""
    return finish(
        fig,
        title=title or f"Net Promoter Score: {sign}{score:.0f}",
        subtitle=subtitle_of(df, _n(total, "answer")),
        height=height or 420,
        template=template,
        labels=labels,
        axis_titles={
            "x": ("xaxis", "How likely to recommend (0 = not at all, 10 = extremely)"),
            "y": ("yaxis", "Participants"),
        },
    )


# -- rating scales --------------------------------------------------------------------------


def _scale_ends(df: pd.DataFrame, text: Any, low: int, high: int) -> str:
    """ "1 (Very difficult) – 5 (Very easy)" with the test plan's end labels, when
    ``ut.load_test`` has read the plan of this frame's test; else "1–5"."""
    from ..known_tests import endpoints_of

    known = endpoints_of(df.attrs.get("testId"), text)
    if not known or not any(known):
        return f"{low}–{high}"
    lower, upper = (f" ({label})" if label else "" for label in known)
    return f"{low}{lower} – {high}{upper}"


def rating_scales(
    df: Any,
    *,
    task: Any = None,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Each rating-scale task as one 100 % stacked bar: the share of each rating.

    Takes ``details.tasks``; charts every RATING_SCALE task (``task=``: some of them,
    by id, position, text or a list). Colours run from the scale's low end (orange)
    through neutral grey to its high end (blue), whatever the scale's length (1-5,
    1-7...); the mean is in each task's label.

    Read it: compare where the blue starts, not only the means -- two tasks with the
    same mean can split opinions very differently.
    """
    chart = "rating_scales"
    df = _frame(df, "tasks")
    check_frame(
        df, {"task": "taskId", "type": "type", "rating": "rating", "scaleMax": "scaleMax"}, chart
    )
    title = title or "Rating scales"
    candidates = _tasks_of_type(df, "RATING_SCALE")
    candidates = candidates[candidates["rating"].notna().to_numpy()]
    if candidates.empty:
        return _empty("No rating-scale answers", title, df, height=height, template=template)
    ids = _select(candidates, task, chart)
    bars: list[dict[str, Any]] = []
    for tid in ids:
        rows = candidates[candidates["taskId"].astype("string").eq(tid).fillna(False).to_numpy()]
        ratings = rows["rating"].astype(int)
        low = int(rows["scaleMin"].min()) if rows["scaleMin"].notna().any() else int(ratings.min())
        high = int(rows["scaleMax"].max()) if rows["scaleMax"].notna().any() else int(ratings.max())
        first = rows.iloc[0]
        mean = float(ratings.mean())
        ends = _scale_ends(df, first.get("text"), low, high)
        bars.append(
            {
                "label": f"{_task_label(first.get('position'), first.get('text'))}"
                f"<br><sup>mean {mean:.2f} of {ends} · n={len(ratings):,}</sup>",
                "low": low,
                "high": high,
                "counts": ratings.value_counts(),
                "n": len(ratings),
            }
        )
    values = range(min(b["low"] for b in bars), max(b["high"] for b in bars) + 1)
    fig = go.Figure()
    y = [b["label"] for b in bars]
    for value in values:
        shares, counts, colors, texts = [], [], [], []
        for b in bars:
            inside = b["low"] <= value <= b["high"]
            k = int(b["counts"].get(value, 0)) if inside else 0
            share = k / b["n"] * 100
            position = min(1.0, max(0.0, (value - b["low"]) / max(1, b["high"] - b["low"])))
            shares.append(share)
            counts.append(k)
            colors.append(sample_colorscale(RATING_SCALE, [position])[0])
            texts.append(str(value) if share >= 6 else "")
        fig.add_trace(
            go.Bar(
                x=shares,
                y=y,
                orientation="h",
                name=str(value),
                marker={"color": colors, "line": {"color": "white", "width": 1}},
                text=texts,
                textposition="inside",
                insidetextanchor="middle",
                customdata=np.column_stack([counts, shares]),
                hovertemplate=(
                    f"Rating <b>{value}</b>: %{{customdata[0]:,}} participants "
                    "(%{customdata[1]:.1f}%)<extra></extra>"
                ),
                showlegend=False,
            )
        )
    fig.update_layout(barmode="stack", bargap=0.35)
    fig.update_xaxes(range=[0, 100], ticksuffix="%")
    fig.update_yaxes(autorange="reversed", type="category", ticksuffix=" ")
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(df, _n(len(bars), "rating task")),
        height=height or 150 + 70 * len(bars),
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", "Share of answers (low → high)"), "y": ("yaxis", "Task")},
    )


# -- multiple choice ------------------------------------------------------------------------


def multiple_choice(
    df: Any,
    *,
    task: Any = None,
    sort: bool = False,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """How often each option of a multiple-choice task was chosen.

    Takes ``details.tasks``; charts its first MULTIPLE_CHOICE task (``task=``: another,
    by id, position or text). Every option is shown, also those nobody chose, in the
    order the test lists them (``sort=True``: most chosen first). Bars are the share of
    participants who answered; with several answers allowed they add up to more than
    100 %.
    """
    chart = "multiple_choice"
    df = _frame(df, "tasks")
    check_frame(df, {"task": "taskId", "type": "type", "selected": "selected"}, chart)
    default_title = "Multiple choice"
    candidates = _tasks_of_type(df, "MULTIPLE_CHOICE")
    if candidates.empty:
        return _empty(
            "No multiple-choice answers",
            title or default_title,
            df,
            height=height,
            template=template,
        )
    rows, label = _one_task(candidates, task, chart)
    chosen = [s for s in rows["selected"] if isinstance(s, (list, tuple, np.ndarray))]
    if not chosen:
        return _empty("No answers yet", title or label, df, height=height, template=template)
    options: list[str] = []
    if "options" in rows.columns:
        for listed in rows["options"]:
            if isinstance(listed, (list, tuple, np.ndarray)):
                options.extend(str(o) for o in listed if str(o) not in options)
    counts: dict[str, int] = {}
    for selection in chosen:
        for option in dict.fromkeys(map(str, selection)):
            counts[option] = counts.get(option, 0) + 1
            if option not in options:
                options.append(option)
    if sort:
        options.sort(key=lambda o: -counts.get(o, 0))
    n = np.array([counts.get(o, 0) for o in options])
    respondents = len(chosen)
    share = n / respondents * 100
    multi = any(len(s) > 1 for s in chosen)
    fig = go.Figure(
        go.Bar(
            x=share,
            y=options,
            orientation="h",
            marker={"color": PALETTE[0]},
            text=[f"{p:.0f}% · {k:,}" for p, k in zip(share, n, strict=True)],
            textposition="auto",
            customdata=n,
            hovertemplate=(
                f"<b>%{{y}}</b><br>chosen by %{{customdata:,}} of {respondents:,} participants "
                "(%{x:.1f}%)<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", ticksuffix=" ")
    fig.update_xaxes(rangemode="tozero", ticksuffix="%")
    note = "several answers allowed" if multi else "one answer each"
    return finish(
        fig,
        title=title or label,
        subtitle=subtitle_of(df, _n(respondents, "participant"), note),
        height=height or 160 + 34 * len(options),
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", "Share of participants"), "y": ("yaxis", "Option")},
    )


# -- tasks: durations and skips -------------------------------------------------------------


def task_durations(
    df: Any,
    *,
    task: Any = None,
    include_skipped: bool = False,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Time spent on each task, in minutes: one box per task, in plan order.

    Takes ``details.tasks``. Only tasks participants reached count, and skipped ones
    only with ``include_skipped=True``. Each box spans the middle half of the sessions
    with the median inside; dots are outliers (hover for the session id).

    Read it: long or widely spread tasks are where participants struggled or explored;
    compare with the skip rates.
    """
    chart = "task_durations"
    df = _frame(df, "tasks")
    check_frame(df, {"task": "taskId", "duration": "duration", "id": "sessionId"}, chart)
    title = title or "Time on task"
    if not pd.api.types.is_timedelta64_dtype(df["duration"].dtype):
        raise ValueError(
            f"{chart}(): column 'duration' must hold durations, not {df['duration'].dtype}."
        )
    rows = df if include_skipped else _answered(df)
    rows = rows[rows["duration"].notna().to_numpy()]
    if rows.empty:
        return _empty("No task durations", title, df, height=height, template=template)
    ids = _select(rows, task, chart)
    fig = go.Figure()
    for index, (tid, position, text) in enumerate(t for t in _task_order(rows) if t[0] in ids):
        part = rows[rows["taskId"].astype("string").eq(tid).fillna(False).to_numpy()]
        minutes = part["duration"].dt.total_seconds().to_numpy() / 60
        fig.add_trace(
            go.Box(
                x=minutes,
                name=_task_label(position, text),
                orientation="h",
                boxpoints="outliers",
                marker={"color": PALETTE[index % len(PALETTE)], "size": 5},
                text=part["sessionId"].astype("string").fillna("?").to_numpy(),
                hovertemplate="%{x:.1f} min<br>%{text}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(autorange="reversed", type="category", ticksuffix=" ")
    fig.update_xaxes(rangemode="tozero")
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(df, _n(len(ids), "task"), _n(rows["sessionId"].nunique(), "session")),
        height=height or 160 + 44 * len(ids),
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", "Time on task (minutes)"), "y": ("yaxis", "Task")},
    )


def skip_rates(
    df: Any,
    *,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Per task, in plan order: the share of participants who skipped it (of those who
    reached it), and the share of sessions that never reached it (dropped out before).

    Takes ``details.tasks``. Read it: a skip spike marks a question people did not want
    to or could not answer; "not reached" growing along the plan shows where
    participants gave up.
    """
    chart = "skip_rates"
    df = _frame(df, "tasks")
    check_frame(df, {"task": "taskId", "reached": "reached", "skipped": "skipped"}, chart)
    title = title or "Skipped and unreached tasks"
    if df.empty:
        return _empty("No tasks yet", title, df, height=height, template=template)
    names, skipped, unreached, custom = [], [], [], []
    for tid, position, text in _task_order(df):
        part = df[df["taskId"].astype("string").eq(tid).fillna(False).to_numpy()]
        reached = part["reached"].fillna(False).astype(bool)
        skips = part["skipped"].fillna(False).astype(bool) & reached
        n_reached, n_all = int(reached.sum()), len(part)
        names.append(_task_label(position, text))
        skipped.append(skips.sum() / n_reached * 100 if n_reached else 0.0)
        unreached.append((n_all - n_reached) / n_all * 100 if n_all else 0.0)
        custom.append([int(skips.sum()), n_reached, n_all - n_reached, n_all])
    custom_array = np.array(custom)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=skipped,
            y=names,
            orientation="h",
            name="Skipped",
            marker={"color": PALETTE[1]},
            customdata=custom_array,
            text=[f"{v:.0f}%" if v >= 0.5 else "" for v in skipped],
            textposition="auto",
            hovertemplate=(
                "<b>%{y}</b><br>skipped by %{customdata[0]:,} of %{customdata[1]:,} "
                "(%{x:.1f}%)<extra></extra>"
            ),
        )
    )
    fig.add_trace(
        go.Bar(
            x=unreached,
            y=names,
            orientation="h",
            name="Not reached",
            marker={"color": PALETTE[6]},
            customdata=custom_array,
            text=[f"{v:.0f}%" if v >= 0.5 else "" for v in unreached],
            textposition="auto",
            hovertemplate=(
                "<b>%{y}</b><br>not reached in %{customdata[2]:,} of %{customdata[3]:,} "
                "sessions (%{x:.1f}%)<extra></extra>"
            ),
        )
    )
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(autorange="reversed", type="category", ticksuffix=" ")
    fig.update_xaxes(rangemode="tozero", ticksuffix="%")
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(df, _n(df["sessionId"].nunique(), "session")),
        height=height or 180 + 46 * len(names),
        template=template,
        labels=labels,
        axis_titles={
            "x": ("xaxis", "Skipped: % of those who reached the task · Not reached: % of sessions"),
            "y": ("yaxis", "Task"),
        },
    )


# -- QXscores -------------------------------------------------------------------------------


def qx_scores(
    df: pd.DataFrame,
    *,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """QXscore and its components for each QX task group, side by side (0-100).

    Takes ``ut.load_qx_scores(test_id)``. The QXscore is the mean of the behavioral
    component (navigation task success) and the attitudinal one (the mean of the
    usability, trust, appearance and loyalty ratings, scaled to 0-100).

    Read it: a low behavioral bar with good attitudes means people liked it but could
    not finish the task; the reverse means they managed but did not enjoy it.
    """
    chart = "qx_scores"
    check_frame(df, {"label": "label", **{k: k for k in QX_COMPONENTS}}, chart)
    title = title or "QXscore and its components"
    completes = df.attrs.get("completes")
    extra = [f"based on {int(completes):,} completed sessions"] if completes else []
    scored = df[df["qxScore"].notna().to_numpy()] if len(df) else df
    if scored.empty:
        message = "No QXscores yet (no completed sessions)" if len(df) else "No QX task groups"
        return _empty(message, title, df, height=height, template=template)
    names = list(QX_COMPONENTS.values())
    fig = go.Figure()
    for index, (_, row) in enumerate(scored.iterrows()):
        values = [float(row[k]) if not pd.isna(row[k]) else None for k in QX_COMPONENTS]
        fig.add_trace(
            go.Bar(
                x=names,
                y=values,
                name=str(row["label"]),
                marker={"color": PALETTE[index % len(PALETTE)]},
                text=[f"{v:.0f}" if v is not None else "" for v in values],
                textposition="outside",
                hovertemplate=f"<b>{row['label']}</b><br>%{{x}}: %{{y:.1f}}<extra></extra>",
            )
        )
    fig.add_vrect(x0=-0.5, x1=0.5, fillcolor="#f0f3f6", line_width=0, layer="below")
    fig.add_vline(x=2.5, line={"color": "#d0d7de", "width": 1, "dash": "dot"})
    fig.update_yaxes(range=[0, 108], dtick=20)
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(df, _n(len(scored), "task group"), *extra),
        height=height or 460,
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", "Score and components"), "y": ("yaxis", "Score (0-100)")},
    )


def qx_score_distribution(
    df: Any,
    *,
    names: Mapping[str, str] | pd.DataFrame | None = None,
    title: str | None = None,
    height: int | None = None,
    labels: Labels = None,
    template: Any = None,
) -> go.Figure:
    """Each participant's QXscore per QX task group: box plots with every session as a dot.

    Takes ``details.task_groups``. ``names`` labels the groups: a mapping of task group
    id to name, or the frame of ``ut.load_qx_scores()`` (its ``label`` column).
    Sessions that did not reach every task of a group have no score and are left out.
    """
    chart = "qx_score_distribution"
    df = _frame(df, "task_groups")
    check_frame(df, {"group": "taskGroupId", "score": "qxScore", "id": "sessionId"}, chart)
    title = title or "QXscore per participant"
    rows = df[df["qxScore"].notna().to_numpy()]
    if rows.empty:
        return _empty("No per-session QXscores", title, df, height=height, template=template)
    if isinstance(names, pd.DataFrame):
        check_frame(names, {"group": "taskGroupId", "label": "label"}, chart)
        names = dict(zip(names["taskGroupId"].astype(str), names["label"].astype(str), strict=True))
    names = dict(names or {})
    fig = go.Figure()
    groups = list(dict.fromkeys(rows["taskGroupId"].astype(str)))
    for index, group in enumerate(groups):
        part = rows[rows["taskGroupId"].astype("string").eq(group).fillna(False).to_numpy()]
        name = names.get(group) or f"Task group {index + 1} ({group[:8]}…)"
        fig.add_trace(
            go.Box(
                y=part["qxScore"].astype("float64").to_numpy(),
                name=name,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker={"color": PALETTE[index % len(PALETTE)], "size": 5, "opacity": 0.6},
                boxmean=True,
                text=part["sessionId"].astype("string").fillna("?").to_numpy(),
                hovertemplate="QXscore %{y:.0f}<br>%{text}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(range=[-2, 102], dtick=20)
    return finish(
        fig,
        title=title,
        subtitle=subtitle_of(df, _n(rows["sessionId"].nunique(), "session")),
        height=height or 440,
        template=template,
        labels=labels,
        axis_titles={"x": ("xaxis", "Task group"), "y": ("yaxis", "QXscore (0-100)")},
    )
