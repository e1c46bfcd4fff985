"""Plotly charts of ut-notebook's DataFrames.

>>> import ut_notebook as ut
>>> df = ut.load_sessions(TEST_ID)                                       # doctest: +SKIP
>>> ut.charts.sessions_per_day(df)                                       # doctest: +SKIP

Every builder takes the DataFrame first, then keyword options (``title``, ``height``,
``labels``, ``template``, column names, ``tz`` where times are shown), and returns a
:class:`plotly.graph_objects.Figure`; none calls ``show()``. An empty frame gives an
empty figure that says so.

Layout of this package: one module per topic (``sessions.py`` for the session list);
the look and the shared helpers live in ``_base.py``. A new topic adds its module and
one import line below.
"""

from __future__ import annotations

from ._base import PALETTE, STATUS_COLORS, TEMPLATE, TEMPLATE_NAME, empty_figure
from .details import (
    demographics,
    multiple_choice,
    nps,
    nps_score,
    qx_score_distribution,
    qx_scores,
    rating_scales,
    skip_rates,
    task_durations,
)
from .sessions import (
    STATUS_LABELS,
    duration_distribution,
    sessions_per_day,
    start_time_heatmap,
    status_breakdown,
    status_label,
)
from .verbatims import top_phrases

__all__ = [
    "PALETTE",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "TEMPLATE",
    "TEMPLATE_NAME",
    "demographics",
    "duration_distribution",
    "empty_figure",
    "multiple_choice",
    "nps",
    "nps_score",
    "qx_score_distribution",
    "qx_scores",
    "rating_scales",
    "sessions_per_day",
    "skip_rates",
    "start_time_heatmap",
    "status_breakdown",
    "status_label",
    "task_durations",
    "top_phrases",
]

# Confidence-interval charts of ut.stats results (one hunk, so topics merge without clashes).
from .stats import completion_rates, nps_ci, time_on_task_ci

__all__ += ["completion_rates", "nps_ci", "time_on_task_ci"]
