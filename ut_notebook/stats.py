"""Small-sample usability statistics on ``details.tasks``, as UX research uses them.

Every function follows Sauro & Lewis, *Quantifying the User Experience* (2nd ed., 2016;
"the book" below), takes the ``tasks`` frame of :func:`ut_notebook.load_session_details`
(or the :class:`~ut_notebook.SessionDetails` itself) and returns a tidy frame with
explicit dtypes: one row per task, in plan order, keyed by ``taskId``, ``position`` and
``text``. Intervals are 95 % unless ``confidence=`` says otherwise. The distributions
(normal, t, hypergeometric, chi-square) come from :mod:`scipy.stats`.

=====================  ========================================================
function               what
=====================  ========================================================
``completion_rates``   success rate per task, adjusted-Wald interval
``time_on_task``       geometric mean time per task, t-interval on log times
``nps``                Net Promoter Score per NPS task, adjusted-Wald interval
``ratings``            mean rating (t-interval) and top-2-box share per task
``compare``            two groups on one metric: difference, interval, p-value
``crosstab``           a task's answers by a demographic, with an exact or
                       permutation test where counts are small
=====================  ========================================================

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +SKIP
>>> details = ut.load_session_details(ut.demo.TESTS["interaction"])      # doctest: +SKIP
>>> ut.stats.completion_rates(details)                                   # doctest: +SKIP

Rules shared by every function: a task that was not reached is not counted; ``n`` is
the number of observations behind each row; with ``n = 1`` the t-based intervals are
NaN (one value has no spread); an empty frame gives an empty result with the same
columns; missing columns or a ``confidence`` outside (0, 1) raise :class:`ValueError`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sp

from .frames import typed_frame

__all__ = [
    "COMPARE_SCHEMA",
    "COMPLETION_SCHEMA",
    "NPS_SCHEMA",
    "RATINGS_SCHEMA",
    "TIME_SCHEMA",
    "Crosstab",
    "adjusted_wald",
    "compare",
    "completion_rates",
    "crosstab",
    "nps",
    "ratings",
    "time_on_task",
]

_KEYS = {"taskId": "string", "position": "Int64", "text": "string"}
COMPLETION_SCHEMA = {
    **_KEYS,
    "successes": "Int64",
    "n": "Int64",
    "rate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}
TIME_SCHEMA = {
    **_KEYS,
    "n": "Int64",
    "geometric_mean": "float64",  # seconds
    "ci_low": "float64",
    "ci_high": "float64",
    "median": "float64",
    "successful_only": "boolean",
}
NPS_SCHEMA = {
    **_KEYS,
    "n": "Int64",
    "promoters": "Int64",
    "passives": "Int64",
    "detractors": "Int64",
    "nps": "float64",  # -100 .. +100
    "ci_low": "float64",
    "ci_high": "float64",
}
RATINGS_SCHEMA = {
    **_KEYS,
    "n": "Int64",
    "scale_min": "Int64",
    "scale_max": "Int64",
    "mean": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "top2": "Int64",
    "top2_share": "float64",
    "top2_ci_low": "float64",
    "top2_ci_high": "float64",
}
COMPARE_SCHEMA = {
    "metric": "string",
    "method": "string",
    "a_n": "Int64",
    "b_n": "Int64",
    "a_value": "float64",
    "b_value": "float64",
    "estimate": "float64",
    "estimate_of": "string",
    "ci_low": "float64",
    "ci_high": "float64",
    "statistic": "float64",
    "p_value": "float64",
}

NAN = float("nan")


# -- input checks and shared pieces ---------------------------------------------------------


def _tasks(data: Any, fn: str, required: Sequence[str]) -> pd.DataFrame:
    """The tasks frame of ``data`` (a SessionDetails or the frame), checked for columns."""
    frame = data
    if not isinstance(data, pd.DataFrame) and isinstance(
        getattr(data, "tasks", None), pd.DataFrame
    ):
        frame = data.tasks
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(
            f"stats.{fn}() takes the tasks frame of ut.load_session_details() (or the "
            f"SessionDetails itself), not {type(data).__name__}."
        )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns)) or "no columns"
        raise ValueError(
            f"stats.{fn}(): the frame has no column {missing[0]!r} (it has: {have}). "
            "Pass details.tasks from ut.load_session_details()."
        )
    return frame


def _z(confidence: Any, fn: str) -> float:
    """The two-sided normal critical value for ``confidence`` (which must be in (0, 1))."""
    ok = isinstance(confidence, (int, float, np.floating)) and not isinstance(confidence, bool)
    if not ok or not (0.0 < float(confidence) < 1.0):
        raise ValueError(
            f"stats.{fn}(): confidence must be a number between 0 and 1 (exclusive), "
            f"such as 0.95, not {confidence!r}."
        )
    return float(_sp.norm.ppf(0.5 + float(confidence) / 2.0))


def _flag(frame: pd.DataFrame, column: str, default: bool) -> np.ndarray:
    """A boolean column as a numpy array, missing values (and a missing column) as default."""
    if column not in frame.columns:
        return np.full(len(frame), default)
    return frame[column].astype("boolean").fillna(default).to_numpy(dtype=bool)


def _reached(frame: pd.DataFrame) -> pd.DataFrame:
    # A task nobody showed the participant says nothing about it: drop it everywhere.
    return frame[_flag(frame, "reached", True)]


def _of_type(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    return frame[frame["type"].astype("string").eq(kind).fillna(False).to_numpy(dtype=bool)]


def _per_task(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Each task's key columns and rows, in plan order (position, then first appearance)."""
    ids = frame["taskId"].astype("string")
    order: list[tuple[float, int, str]] = []
    for index, tid in enumerate(dict.fromkeys(ids.dropna())):
        rows = frame[ids.eq(tid).fillna(False).to_numpy(dtype=bool)]
        position = rows["position"].dropna() if "position" in rows.columns else pd.Series([])
        order.append((float(position.iloc[0]) if len(position) else math.inf, index, tid))
    for _, _, tid in sorted(order):
        rows = frame[ids.eq(tid).fillna(False).to_numpy(dtype=bool)]
        position = rows["position"].dropna() if "position" in rows.columns else pd.Series([])
        text = rows["text"].dropna() if "text" in rows.columns else pd.Series([])
        yield {
            "taskId": tid,
            "position": int(position.iloc[0]) if len(position) else None,
            "text": str(text.iloc[0]) if len(text) else None,
            "rows": rows,
        }


def _label(key: Mapping[str, Any]) -> str:
    position = key.get("position")
    return f"{position}. {key.get('text') or key['taskId']}" if position else str(key["taskId"])


def _select(frame: pd.DataFrame, task: Any, fn: str) -> pd.DataFrame:
    """The rows of one task, chosen by id, position (int) or a piece of its text."""
    keys = list(_per_task(frame))
    if isinstance(task, (int, np.integer)) and not isinstance(task, bool):
        hits = [k for k in keys if k["position"] == int(task)]
    else:
        want = str(task).strip().lower()
        hits = [k for k in keys if k["taskId"].lower() == want]
        hits = hits or [k for k in keys if want in (k["text"] or "").lower()]
    if len(hits) != 1:
        known = "; ".join(_label(k) for k in keys) or "none"
        how = "no task matches" if not hits else "several tasks match"
        raise ValueError(f"stats.{fn}(): {how} {task!r}. Tasks here: {known}.")
    return hits[0]["rows"]


def _result(records: list[dict[str, Any]], schema: Mapping[str, str]) -> pd.DataFrame:
    # typed_frame: an empty result has the same columns and dtypes as a full one.
    return typed_frame(records, schema)


def adjusted_wald(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The adjusted-Wald interval of a proportion, clipped to [0, 1].

    Add z²/2 successes and z² trials, then use the Wald formula (Agresti & Coull 1998;
    recommended for completion rates at any sample size by Sauro & Lewis 2005, and in
    the book, ch. 3). With n = 0 the interval is NaN; n = 1 already has an interval
    (that is what the adjustment is for).

    >>> [round(v, 3) for v in adjusted_wald(7, 10)]   # the book: about 39 % to 90 %
    [0.392, 0.897]
    """
    z = _z(confidence, "adjusted_wald")
    if n <= 0:
        return NAN, NAN
    if not 0 <= successes <= n:
        raise ValueError(f"adjusted_wald(): successes must be between 0 and n={n}.")
    n_adj = n + z * z
    p_adj = (successes + z * z / 2.0) / n_adj
    half = z * math.sqrt(p_adj * (1.0 - p_adj) / n_adj)
    return max(0.0, p_adj - half), min(1.0, p_adj + half)


def _t_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """``(mean, low, high)``: the t-interval of a mean; NaN bounds below two values."""
    n = len(values)
    if n == 0:
        return NAN, NAN, NAN
    mean = float(np.mean(values))
    if n == 1:
        return mean, NAN, NAN
    sem = float(_sp.sem(values))
    if sem == 0.0:  # all equal: scipy rejects a zero scale, the interval is the point
        return mean, mean, mean
    low, high = _sp.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return mean, float(low), float(high)


# -- completion rates ---------------------------------------------------------------------------


def _attempts(rows: pd.DataFrame, skipped_as_failure: bool) -> np.ndarray | None:
    """Outcomes (True = success) of a task's attempts; None when it has no success measure."""
    rows = _reached(rows)
    success = rows["success"].astype("boolean")
    if not success.notna().any():
        return None  # a "just explore" task: nothing to rate
    known = success.notna().to_numpy(dtype=bool)
    outcomes = success[known].to_numpy(dtype=bool)
    if skipped_as_failure:
        # Giving up on a task is a failure in UX practice (the book, ch. 2: "task failure
        # includes ... giving up"); the API leaves success empty on a skipped task.
        gave_up = (~known) & _flag(rows, "skipped", False)
        outcomes = np.concatenate([outcomes, np.zeros(int(gave_up.sum()), dtype=bool)])
    return outcomes


def completion_rates(
    tasks: Any, *, confidence: float = 0.95, skipped_as_failure: bool = True
) -> pd.DataFrame:
    """Completion rate of each task that has a success measure, with its interval.

    Columns: ``taskId``, ``position``, ``text``, ``successes``, ``n`` (attempts),
    ``rate`` (= successes / n) and ``ci_low``/``ci_high``: the adjusted-Wald interval
    (add z²/2 successes and z² trials; clipped to [0, 1]) -- Agresti & Coull (1998),
    Sauro & Lewis (2005), *Quantifying the User Experience* ch. 3.

    Tasks without a success measure (all ``success`` missing, such as "just explore"
    URL tasks) are left out. A reached task that was skipped counts as a failed
    attempt (``skipped_as_failure=False``: as no attempt).

    >>> ut.stats.completion_rates(details.tasks)                         # doctest: +SKIP
      taskId  position  text  successes    n   rate  ci_low  ci_high
    """
    fn = "completion_rates"
    _z(confidence, fn)  # checked first, so that an empty frame rejects it too
    frame = _tasks(tasks, fn, ["taskId", "success"])
    records = []
    for key in _per_task(frame):
        outcomes = _attempts(key.pop("rows"), skipped_as_failure)
        if outcomes is None:
            continue
        n, k = len(outcomes), int(outcomes.sum())
        low, high = adjusted_wald(k, n, confidence)
        rate = k / n if n else NAN
        records.append(
            {**key, "successes": k, "n": n, "rate": rate, "ci_low": low, "ci_high": high}
        )
    return _result(records, COMPLETION_SCHEMA)


# -- time on task -------------------------------------------------------------------------------


def _seconds(rows: pd.DataFrame, fn: str) -> np.ndarray:
    values = rows["duration"]
    if not pd.api.types.is_timedelta64_dtype(values.dtype):
        raise ValueError(
            f"stats.{fn}(): column 'duration' must hold durations (timedelta64), not "
            f"{values.dtype}."
        )
    seconds = values.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
    # Logs need positive times; a zero or negative duration is a recording glitch.
    return seconds[np.isfinite(seconds) & (seconds > 0)]


def _timed(rows: pd.DataFrame, successful_only: bool) -> tuple[pd.DataFrame, bool]:
    """The rows of one task whose time counts, and whether only successes were kept."""
    rows = _reached(rows)
    rows = rows[~_flag(rows, "skipped", False)]  # a skipped task's time is not time on task
    if successful_only and "success" in rows.columns:
        success = rows["success"].astype("boolean")
        if success.notna().any():
            return rows[success.fillna(False).to_numpy(dtype=bool)], True
    return rows, False


def time_on_task(
    tasks: Any, *, successful_only: bool = True, confidence: float = 0.95
) -> pd.DataFrame:
    """Typical time on each task: the geometric mean with a t-interval on log times.

    Task times are skewed to the right, so the book (ch. 3) takes logs, computes the
    t-interval of their mean and transforms back: ``geometric_mean`` = exp(mean of ln
    t), ``ci_low``/``ci_high`` = exp(mean ± t·s/√n). The geometric mean is the best
    estimate of the middle time below about 25 values; ``median`` is given for larger
    samples. All times in seconds (``float64``).

    ``successful_only=True`` (the book's default for time on task) times only the
    successful attempts of tasks with a success measure; tasks without one (survey
    questions, "just explore" tasks) are timed over every answer. ``successful_only``
    in the result says which was done. Skipped tasks and non-positive durations are
    never timed. One time gives NaN bounds.

    Reference: Sauro & Lewis, *Quantifying the User Experience*, ch. 3 ("Confidence
    interval for task-time data"); worked example: times 55, 65, 75, 62, 45, 135 s give
    68 s, 95 % CI 46-101 s (measuringu.com/time_intervals).

    >>> ut.stats.time_on_task(details.tasks).query("position == 1")      # doctest: +SKIP
    """
    fn = "time_on_task"
    _z(confidence, fn)
    frame = _tasks(tasks, fn, ["taskId", "duration"])
    records = []
    for key in _per_task(frame):
        rows, only = _timed(key.pop("rows"), successful_only)
        seconds = _seconds(rows, fn)
        if not len(seconds):
            continue
        log_mean, log_low, log_high = _t_interval(np.log(seconds), confidence)
        records.append(
            {
                **key,
                "n": len(seconds),
                "geometric_mean": math.exp(log_mean),
                "ci_low": math.exp(log_low),
                "ci_high": math.exp(log_high),
                "median": float(np.median(seconds)),
                "successful_only": only,
            }
        )
    return _result(records, TIME_SCHEMA)


# -- NPS --------------------------------------------------------------------------------------


def _nps_counts(scores: np.ndarray) -> tuple[int, int, int]:
    """``(promoters, passives, detractors)``: 9-10, 7-8 and 0-6."""
    promoters = int((scores >= 9).sum())
    detractors = int((scores <= 6).sum())
    return promoters, len(scores) - promoters - detractors, detractors


def _nps_adjusted(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """Adjusted NPS (as a proportion, -1..1) and its variance: add 3 to n and 3/4 to
    promoters and to detractors (Rocks 2016; Lewis & Sauro, MeasuringU 2021)."""
    n_adj = n + 3.0
    p_pro = (promoters + 0.75) / n_adj
    p_det = (detractors + 0.75) / n_adj
    diff = p_pro - p_det
    # The variance of a difference of two proportions from one multinomial sample.
    variance = (p_pro + p_det - diff * diff) / n_adj
    return diff, variance


def _nps_scores(rows: pd.DataFrame) -> np.ndarray:
    rows = _reached(rows)
    scores = rows["nps"].astype("Float64").dropna().to_numpy(dtype="float64")
    return scores[(scores >= 0) & (scores <= 10)]


def nps(tasks: Any, *, confidence: float = 0.95) -> pd.DataFrame:
    """Net Promoter Score of each NPS task, with an adjusted-Wald interval.

    Columns: ``n``, ``promoters`` (9-10), ``passives`` (7-8), ``detractors`` (0-6),
    ``nps`` = 100 × (promoters - detractors) / n, and ``ci_low``/``ci_high`` in the same
    points (-100..+100).

    Interval: the adjusted-Wald method that Rocks (2016, "Interval estimation for the
    'net promoter score'", *The American Statistician* 70(4)) found best and MeasuringU
    recommends (Lewis & Sauro 2021, "Confidence intervals for Net Promoter Scores"): add
    3 to n and 3/4 to promoters and to detractors, then NPS' ± z·√(var/n'), with var =
    p'ₚᵣₒ + p'ₔₑₜ - (p'ₚᵣₒ - p'ₔₑₜ)² (the variance of the difference of two
    proportions of one multinomial sample); clipped to ±100.

    >>> ut.stats.nps(details.tasks)[["nps", "ci_low", "ci_high"]]       # doctest: +SKIP
    """
    fn = "nps"
    z = _z(confidence, fn)
    frame = _tasks(tasks, fn, ["taskId", "type", "nps"])
    records = []
    for key in _per_task(_of_type(frame, "NPS")):
        scores = _nps_scores(key.pop("rows"))
        n = len(scores)
        if not n:
            continue
        promoters, passives, detractors = _nps_counts(scores)
        diff, variance = _nps_adjusted(promoters, detractors, n)
        half = z * math.sqrt(variance)
        records.append(
            {
                **key,
                "n": n,
                "promoters": promoters,
                "passives": passives,
                "detractors": detractors,
                "nps": 100.0 * (promoters - detractors) / n,
                "ci_low": 100.0 * max(-1.0, diff - half),
                "ci_high": 100.0 * min(1.0, diff + half),
            }
        )
    return _result(records, NPS_SCHEMA)


# -- rating scales ----------------------------------------------------------------------------


def _ratings_of(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Ratings and each one's scale maximum (NaN where unknown)."""
    rows = _reached(rows)
    rows = rows[rows["rating"].notna().to_numpy(dtype=bool)]
    values = rows["rating"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    highs = rows["scaleMax"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    return values, highs


def _int_or_none(values: pd.Series) -> int | None:
    values = values.dropna()
    return int(values.iloc[0]) if len(values) else None


def ratings(tasks: Any, *, confidence: float = 0.95) -> pd.DataFrame:
    """Each rating-scale task: the mean with a t-interval, and the top-2-box share.

    Columns: ``n``, ``scale_min``/``scale_max``, ``mean`` with ``ci_low``/``ci_high``
    (t-interval: mean ± t·s/√n, the book's method for rating scales, ch. 3), ``top2``
    (answers in the two highest points of the scale), ``top2_share`` = top2 / n with
    the adjusted-Wald interval ``top2_ci_low``/``top2_ci_high`` (as for completion
    rates; the book, ch. 3, treats box scores as proportions). Top-2 needs the scale's
    maximum (``scaleMax``); without it the top-2 columns are missing values.

    >>> ut.stats.ratings(details.tasks)[["text", "mean", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    fn = "ratings"
    _z(confidence, fn)
    frame = _tasks(tasks, fn, ["taskId", "type", "rating", "scaleMin", "scaleMax"])
    records = []
    for key in _per_task(_of_type(frame, "RATING_SCALE")):
        rows = key.pop("rows")
        values, highs = _ratings_of(rows)
        if not len(values):
            continue
        mean, low, high = _t_interval(values, confidence)
        scaled = ~np.isnan(highs)
        top_n = int(scaled.sum())
        top = int((values[scaled] >= highs[scaled] - 1).sum())
        top_low, top_high = adjusted_wald(top, top_n, confidence)
        records.append(
            {
                **key,
                "n": len(values),
                "scale_min": _int_or_none(rows["scaleMin"]),
                "scale_max": _int_or_none(rows["scaleMax"]),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "top2": top if top_n else None,
                "top2_share": top / top_n if top_n else NAN,
                "top2_ci_low": top_low,
                "top2_ci_high": top_high,
            }
        )
    return _result(records, RATINGS_SCHEMA)


# -- comparing two groups -----------------------------------------------------------------------

_METRICS = {
    "completion": "completion",
    "time_on_task": "time_on_task",
    "time": "time_on_task",
    "nps": "nps",
    "rating": "rating",
    "ratings": "rating",
}
_NEEDS = {
    "completion": ["taskId", "success"],
    "time_on_task": ["taskId", "duration"],
    "nps": ["taskId", "nps"],
    "rating": ["taskId", "rating", "scaleMax"],
}


def _group_rows(data: Any, task: Any, metric: str, side: str) -> pd.DataFrame:
    """The rows of the one task that group ``side`` is about."""
    fn = "compare"
    frame = _tasks(data, fn, _NEEDS[metric])
    if metric == "completion":
        success = frame["success"].astype("boolean").notna().to_numpy(dtype=bool)
        ids = set(frame["taskId"][success].dropna())
        frame = frame[frame["taskId"].isin(ids).to_numpy(dtype=bool)]
    elif metric in ("nps", "rating"):
        column = "nps" if metric == "nps" else "rating"
        ids = set(frame["taskId"][frame[column].notna().to_numpy(dtype=bool)].dropna())
        frame = frame[frame["taskId"].isin(ids).to_numpy(dtype=bool)]
    if task is not None:
        return _select(frame, task, fn)
    keys = list(_per_task(frame))
    if len(keys) > 1:
        known = "; ".join(_label(k) for k in keys)
        raise ValueError(
            f"stats.compare(): group {side} holds {len(keys)} tasks with {metric} data; "
            f"pick one with task= (and task_b= if it differs in group b). Tasks: {known}."
        )
    return keys[0]["rows"] if keys else frame.iloc[:0]


def _welch(a: np.ndarray, b: np.ndarray, confidence: float) -> tuple[float, float, float, float]:
    """``(t, p, ci_low, ci_high)`` of Welch's t-test of mean(a) - mean(b); NaN below 2 each."""
    if len(a) < 2 or len(b) < 2:
        return NAN, NAN, NAN, NAN
    if np.var(a) == 0 and np.var(b) == 0:  # no spread at all: no t statistic
        return NAN, NAN, NAN, NAN
    result = _sp.ttest_ind(a, b, equal_var=False)
    interval = result.confidence_interval(confidence_level=confidence)
    return float(result.statistic), float(result.pvalue), float(interval.low), float(interval.high)


def _compare_completion(a: np.ndarray, b: np.ndarray, z: float) -> dict[str, Any]:
    n1, n2 = len(a), len(b)
    x1, x2 = int(a.sum()), int(b.sum())
    out: dict[str, Any] = {"a_value": x1 / n1, "b_value": x2 / n2, "estimate": x1 / n1 - x2 / n2}
    # Interval: adjusted-Wald for a difference -- add z²/4 successes and z²/2 trials to
    # each group (Agresti & Caffo 2000; the book, ch. 5).
    p1 = (x1 + z * z / 4) / (n1 + z * z / 2)
    p2 = (x2 + z * z / 4) / (n2 + z * z / 2)
    se = math.sqrt(p1 * (1 - p1) / (n1 + z * z / 2) + p2 * (1 - p2) / (n2 + z * z / 2))
    out["ci_low"] = max(-1.0, p1 - p2 - z * se)
    out["ci_high"] = min(1.0, p1 - p2 + z * se)
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]])
    big_n = n1 + n2
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / big_n
    if expected.min() < 1:
        # The book (ch. 5, after Campbell 2007): the N-1 test holds while every expected
        # count is at least 1; below that use the Fisher exact test.
        out["method"] = "Fisher exact test (an expected count < 1); adjusted-Wald interval"
        _, p = _sp.fisher_exact(table)
        out["statistic"], out["p_value"] = NAN, float(p)
        return out
    pooled = (x1 + x2) / big_n
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z_stat = (x1 / n1 - x2 / n2) / se0 * math.sqrt((big_n - 1) / big_n)
    out["method"] = "N-1 two-proportion test; adjusted-Wald interval"
    out["statistic"] = z_stat
    out["p_value"] = float(2 * _sp.norm.sf(abs(z_stat)))
    return out


def _compare_nps(a: np.ndarray, b: np.ndarray, z: float) -> dict[str, Any]:
    pro_a, _, det_a = _nps_counts(a)
    pro_b, _, det_b = _nps_counts(b)
    adj_a, var_a = _nps_adjusted(pro_a, det_a, len(a))
    adj_b, var_b = _nps_adjusted(pro_b, det_b, len(b))
    se = math.sqrt(var_a + var_b)
    diff = adj_a - adj_b
    z_stat = diff / se
    nps_a = 100.0 * (pro_a - det_a) / len(a)
    nps_b = 100.0 * (pro_b - det_b) / len(b)
    return {
        "method": "z-test on the difference of adjusted-Wald NPS (MeasuringU)",
        "a_value": nps_a,
        "b_value": nps_b,
        "estimate": nps_a - nps_b,
        "ci_low": 100.0 * max(-2.0, diff - z * se),
        "ci_high": 100.0 * min(2.0, diff + z * se),
        "statistic": z_stat,
        "p_value": float(2 * _sp.norm.sf(abs(z_stat))),
    }


def compare(
    a: Any,
    b: Any,
    metric: str = "completion",
    *,
    task: Any = None,
    task_b: Any = None,
    successful_only: bool = True,
    skipped_as_failure: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Two independent groups on one metric: the difference, its interval and a p-value.

    ``a`` and ``b`` are tasks frames (or SessionDetails): two tests, or two subsets of
    one test's participants (``tasks[tasks.sessionId.isin(...)]``). Each group is one
    task: the only one with that metric's data, or the one ``task=`` picks (by id,
    position or a piece of its text; ``task_b=`` for group b when it differs).

    ``metric`` and the method, as the book (ch. 5) recommends for each:

    ==================  ============================  ========================================
    metric              estimate (``estimate_of``)    test; interval
    ==================  ============================  ========================================
    ``"completion"``    rate a - rate b               N-1 two-proportion test (Fisher exact
                                                      when an expected count is below 1);
                                                      adjusted-Wald interval of the difference
    ``"time_on_task"``  geometric mean a / b          Welch t-test on log times; its interval,
                                                      transformed back, is of the ratio
    ``"rating"``        mean a - mean b               Welch t-test and its interval
    ``"nps"``           NPS a - NPS b (points)        z-test on the difference of the
                                                      adjusted-Wald NPS (add 3 to n, 3/4 to
                                                      promoters and detractors; MeasuringU,
                                                      Rocks 2016) and its interval
    ==================  ============================  ========================================

    The tests assume independent groups: if the same sessions are in both (two tasks
    of the same participants) a warning says so -- those need paired tests.

    Returns one row: ``metric``, ``method``, ``a_n``, ``b_n``, ``a_value``, ``b_value``,
    ``estimate``, ``estimate_of``, ``ci_low``, ``ci_high``, ``statistic``, ``p_value``;
    no rows when a group is empty. Reference: Sauro & Lewis, *Quantifying the User
    Experience*, ch. 5 (comparing two independent groups).

    >>> ut.stats.compare(new.tasks, old.tasks, "completion", task=1)    # doctest: +SKIP
    """
    fn = "compare"
    z = _z(confidence, fn)
    kind = _METRICS.get(str(metric).lower()) if isinstance(metric, str) else None
    if kind is None:
        raise ValueError(
            f"stats.compare(): metric must be one of 'completion', 'time_on_task', "
            f"'rating', 'nps', not {metric!r}."
        )
    rows_a = _group_rows(a, task, kind, "a")
    rows_b = _group_rows(b, task if task_b is None else task_b, kind, "b")
    if "sessionId" in rows_a.columns and "sessionId" in rows_b.columns:
        shared = set(rows_a["sessionId"].dropna()) & set(rows_b["sessionId"].dropna())
        if shared:
            warnings.warn(
                f"stats.compare(): {len(shared)} session(s) are in both groups; these "
                "tests assume independent groups (a within-subjects comparison needs a "
                "paired test).",
                UserWarning,
                stacklevel=2,
            )
    record: dict[str, Any] = {"metric": kind, "estimate_of": "a - b"}
    if kind == "completion":
        xa = _attempts(rows_a, skipped_as_failure) if len(rows_a) else None
        xb = _attempts(rows_b, skipped_as_failure) if len(rows_b) else None
        xa = np.zeros(0, dtype=bool) if xa is None else xa
        xb = np.zeros(0, dtype=bool) if xb is None else xb
        if not len(xa) or not len(xb):
            return _result([], COMPARE_SCHEMA)
        record.update(_compare_completion(xa, xb, z), a_n=len(xa), b_n=len(xb))
    elif kind == "time_on_task":
        la = np.log(_seconds(_timed(rows_a, successful_only)[0], fn))
        lb = np.log(_seconds(_timed(rows_b, successful_only)[0], fn))
        if not len(la) or not len(lb):
            return _result([], COMPARE_SCHEMA)
        t, p, low, high = _welch(la, lb, confidence)
        record.update(
            method="Welch t-test on log times; interval of the ratio of geometric means",
            a_n=len(la),
            b_n=len(lb),
            a_value=math.exp(la.mean()),
            b_value=math.exp(lb.mean()),
            estimate=math.exp(la.mean() - lb.mean()),
            estimate_of="a / b",
            ci_low=math.exp(low),
            ci_high=math.exp(high),
            statistic=t,
            p_value=p,
        )
    elif kind == "rating":
        va, high_a = _ratings_of(rows_a)
        vb, high_b = _ratings_of(rows_b)
        if not len(va) or not len(vb):
            return _result([], COMPARE_SCHEMA)
        scales = set(high_a[~np.isnan(high_a)]) | set(high_b[~np.isnan(high_b)])
        if len(scales) > 1:
            raise ValueError(
                "stats.compare(): the groups' rating scales differ (maximum "
                f"{', '.join(str(int(s)) for s in sorted(scales))}); means on different "
                "scales are not comparable."
            )
        t, p, low, high = _welch(va, vb, confidence)
        record.update(
            method="Welch t-test",
            a_n=len(va),
            b_n=len(vb),
            a_value=float(va.mean()),
            b_value=float(vb.mean()),
            estimate=float(va.mean() - vb.mean()),
            ci_low=low,
            ci_high=high,
            statistic=t,
            p_value=p,
        )
    else:
        sa, sb = _nps_scores(rows_a), _nps_scores(rows_b)
        if not len(sa) or not len(sb):
            return _result([], COMPARE_SCHEMA)
        record.update(_compare_nps(sa, sb, z), a_n=len(sa), b_n=len(sb))
    return _result([record], COMPARE_SCHEMA)


# -- crosstab ------------------------------------------------------------------------------------

_NPS_GROUPS = ("Detractor (0-6)", "Passive (7-8)", "Promoter (9-10)")


@dataclass(frozen=True)
class Crosstab:
    """A task's answers by a demographic, and the test of their independence.

    Attributes:
        counts: participants per group (rows, the demographic's values) and answer
            (columns), ``Int64``.
        shares: ``counts`` as shares of each row (``float64``; rows add up to 1).
        method: the test used and why (see :func:`crosstab`).
        statistic: the test's statistic (chi-square; the odds ratio for Fisher's
            test), NaN when no test was possible.
        p_value: its p-value, NaN when no test was possible.
        min_expected: the smallest expected count under independence.
        rows: the demographic code; ``task``: the task's label; ``n``: participants.
    """

    counts: pd.DataFrame
    shares: pd.DataFrame
    method: str
    statistic: float
    p_value: float
    min_expected: float
    rows: str
    task: str
    n: int
    notes: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Long and tidy: ``group``, ``answer``, ``count``, ``share``."""
        long = self.counts.stack(future_stack=True).rename("count").reset_index()
        long.columns = ["group", "answer", "count"]
        share = self.shares.stack(future_stack=True).to_numpy(dtype="float64")
        long["share"] = share
        return long.astype(
            {"group": "string", "answer": "string", "count": "Int64", "share": "float64"}
        )

    def __repr__(self) -> str:
        return (
            f"<Crosstab {self.rows} × {self.task!r}: n={self.n}, {self.method}, "
            f"p={self.p_value:.4g}>\n{self.counts}"
        )

    def _repr_html_(self) -> str:
        shares = self.shares.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
        cells = self.counts.astype("string").fillna("") + " (" + shares + ")"
        return cells.to_html() + f"<p>{self.method}: p = {self.p_value:.4g} (n = {self.n})</p>"


def _answers(rows: pd.DataFrame, kind: str, skipped_as_failure: bool) -> tuple[pd.Series, list]:
    """Each session's answer to one task as a category label, and the labels in order."""
    rows = _reached(rows)
    if kind == "NPS" and "nps" in rows.columns:
        scores = rows["nps"].astype("Float64")
        labels = pd.cut(scores.astype("float64"), [-0.5, 6.5, 8.5, 10.5], labels=list(_NPS_GROUPS))
        return pd.Series(labels.astype("object"), index=rows.index), list(_NPS_GROUPS)
    if kind == "RATING_SCALE" and "rating" in rows.columns:
        values = rows["rating"].astype("Int64")
        low = _int_or_none(rows["scaleMin"]) if "scaleMin" in rows.columns else None
        high = _int_or_none(rows["scaleMax"]) if "scaleMax" in rows.columns else None
        present = sorted(int(v) for v in values.dropna().unique())
        order = list(range(low, high + 1)) if low is not None and high is not None else present
        return values.astype("object").where(values.notna(), None), order
    if "success" in rows.columns and rows["success"].notna().any():
        success = rows["success"].astype("boolean")
        if skipped_as_failure:
            success = success.mask(success.isna() & _flag(rows, "skipped", False), False)
        labels = success.map({True: "Success", False: "Failure"}, na_action="ignore")
        return labels.astype("object"), ["Success", "Failure"]
    if kind == "MULTIPLE_CHOICE" and "selected" in rows.columns:
        chosen = rows["selected"]
        sizes = chosen.map(lambda v: len(v) if isinstance(v, (list, tuple, np.ndarray)) else 0)
        if (sizes > 1).any():
            raise ValueError(
                "stats.crosstab(): this multiple-choice task allows several answers; a "
                "test of independence needs one answer per participant. Cross one option "
                "at a time: add a yes/no column and pass that frame's rows."
            )
        labels = chosen.map(
            lambda v: str(v[0]) if isinstance(v, (list, tuple, np.ndarray)) and len(v) else None
        )
        options = next((list(o) for o in rows.get("options", []) if isinstance(o, list)), [])
        present = sorted(set(labels.dropna()) - set(options))
        return labels.astype("object"), [*options, *present]
    raise ValueError(
        f"stats.crosstab(): cannot cross answers of a {kind} task; use an NPS, "
        "RATING_SCALE, single-answer MULTIPLE_CHOICE task or one with a success measure."
    )


def _chi2_statistic(table_shape: tuple[int, int], expected: np.ndarray) -> Any:
    """A vectorised Pearson chi-square of codes (g, a), for scipy's permutation test."""
    n_rows, n_cols = table_shape
    cells = n_rows * n_cols

    def statistic(groups: np.ndarray, answers: np.ndarray, axis: int = -1) -> np.ndarray:
        groups, answers = np.broadcast_arrays(groups, answers)
        groups = np.moveaxis(groups, axis, -1)
        answers = np.moveaxis(answers, axis, -1)
        batch = groups.shape[:-1]
        codes = (groups * n_cols + answers).reshape(-1, groups.shape[-1])
        offsets = np.arange(codes.shape[0])[:, None] * cells
        counts = np.bincount((codes + offsets).ravel(), minlength=codes.shape[0] * cells)
        counts = counts.reshape(-1, n_rows, n_cols)
        chi2 = ((counts - expected) ** 2 / expected).sum(axis=(1, 2))
        return chi2.reshape(batch)

    return statistic


def _independence_test(
    table: np.ndarray, resamples: int, seed: Any
) -> tuple[str, float, float, float]:
    """``(method, statistic, p, min_expected)`` for a table with no empty row or column."""
    if table.shape[0] < 2 or table.shape[1] < 2:
        return "no test (needs at least two groups and two answers)", NAN, NAN, NAN
    expected = _sp.contingency.expected_freq(table)
    min_expected = float(expected.min())
    if table.shape == (2, 2):
        odds, p = _sp.fisher_exact(table)
        return "Fisher exact test (2×2)", float(odds), float(p), min_expected
    chi2, p, dof, _ = _sp.chi2_contingency(table, correction=False)
    if min_expected >= 5:
        return f"chi-square test ({dof} df)", float(chi2), float(p), min_expected
    # Expected counts below 5 make the chi-square distribution a poor approximation
    # (Cochran 1954): get the p-value of the same statistic from random permutations
    # of the answers against the groups instead (a Monte-Carlo exact test).
    groups = np.repeat(np.arange(table.shape[0]), table.sum(axis=1))
    answers = np.concatenate([np.repeat(np.arange(table.shape[1]), row) for row in table])
    result = _sp.permutation_test(
        (groups, answers),
        _chi2_statistic(table.shape, expected),
        permutation_type="pairings",
        vectorized=True,
        n_resamples=resamples,
        alternative="greater",
        random_state=seed,
    )
    return (
        f"Monte-Carlo permutation test of chi-square ({resamples:,} resamples; an "
        f"expected count < 5, {min_expected:.2g})",
        float(chi2),
        float(result.pvalue),
        min_expected,
    )


def crosstab(
    details: Any,
    rows: str = "AGE_GROUP",
    task: Any = None,
    *,
    skipped_as_failure: bool = True,
    resamples: int = 9999,
    random_state: Any = 0,
) -> Crosstab:
    """A task's answers by a demographic: counts, row shares and a test of independence.

    ``details`` is a :class:`~ut_notebook.SessionDetails` (its ``participants`` give the
    demographic ``rows``, a single-answer code such as AGE_GROUP, GENDER, COUNTRY; its
    ``tasks`` the answers). ``task`` picks the task by id, position or a piece of its
    text. Answers: NPS tasks by group (detractor, passive, promoter), rating scales by
    point, single-answer multiple choice by option, tasks with a success measure as
    Success/Failure (a skipped attempt is a failure unless ``skipped_as_failure=False``).
    Sessions with no answer or no demographic value are left out.

    The test, by the size of the table (empty rows and columns dropped):

    * 2×2: Fisher's exact test (two-sided; ``statistic`` is the odds ratio).
    * larger, every expected count ≥ 5: Pearson's chi-square test.
    * larger, some expected count < 5: the chi-square approximation is poor (Cochran
      1954), so the p-value of the chi-square statistic comes from ``resamples`` random
      permutations (scipy's ``permutation_test``; reproducible with ``random_state``).

    References: Sauro & Lewis, *Quantifying the User Experience*, ch. 5 (small-sample
    tests of proportions); Agresti, *Categorical Data Analysis* (2013), 3.5.

    >>> table = ut.stats.crosstab(details, "GENDER", task=1)            # doctest: +SKIP
    >>> table.shares, table.p_value                                      # doctest: +SKIP
    """
    fn = "crosstab"
    participants = getattr(details, "participants", None)
    tasks_frame = getattr(details, "tasks", None)
    if not isinstance(participants, pd.DataFrame) or not isinstance(tasks_frame, pd.DataFrame):
        raise ValueError(
            "stats.crosstab() takes a SessionDetails (from ut.load_session_details()), "
            f"not {type(details).__name__}."
        )
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 99:
        raise ValueError(f"stats.crosstab(): resamples must be an integer ≥ 99, not {resamples!r}.")
    frame = _tasks(tasks_frame, fn, ["sessionId", "taskId", "type"])
    if "sessionId" not in participants.columns or rows not in participants.columns:
        codes = [
            c
            for c in participants.columns
            if c not in ("sessionId", "participantId", "audienceId", "testPlanId")
        ]
        raise ValueError(
            f"stats.crosstab(): no demographic {rows!r} in details.participants "
            f"(codes: {', '.join(map(str, codes)) or 'none'})."
        )
    demo = getattr(details, "demographics", None)
    if isinstance(demo, pd.DataFrame) and {"code", "type"} <= set(demo.columns):
        kinds = demo.loc[demo["code"].astype("string").eq(rows).fillna(False), "type"]
        if kinds.astype("string").str.contains("MULTIPLE").fillna(False).any():
            raise ValueError(
                f"stats.crosstab(): {rows} allows several answers per participant, so one "
                "person would count in several rows; pick a single-answer demographic."
            )
    if task is None:
        known = "; ".join(_label(k) for k in _per_task(frame)) or "none"
        raise ValueError(f"stats.crosstab(): pass task= (id, position or text). Tasks: {known}.")
    if frame.empty:
        empty = pd.DataFrame(index=pd.Index([], name=rows, dtype="string"))
        return Crosstab(
            empty.astype("Int64"), empty, "no test (no answers)", NAN, NAN, NAN, rows, str(task), 0
        )
    chosen = _select(frame, task, fn)
    first = next(_per_task(chosen))
    kind = str(chosen["type"].dropna().iloc[0]) if chosen["type"].notna().any() else ""
    answers, order = _answers(chosen, kind, skipped_as_failure)
    group_of = participants.drop_duplicates("sessionId").set_index("sessionId")[rows]
    groups = chosen.loc[answers.index, "sessionId"].map(group_of)
    keep = answers.notna().to_numpy(dtype=bool) & groups.notna().to_numpy(dtype=bool)
    answers, groups = answers[keep], groups[keep]
    if isinstance(group_of.dtype, pd.CategoricalDtype):
        group_order = [g for g in group_of.cat.categories]
    else:
        group_order = sorted(set(groups.astype(str)))
    counts = pd.crosstab(groups.astype("object"), answers.astype("object"))
    counts = counts.reindex(index=group_order, columns=order, fill_value=0)
    counts = counts.loc[counts.sum(axis=1) > 0]  # groups nobody in this sample is in
    counts.index.name, counts.columns.name = rows, "answer"
    table = counts.to_numpy(dtype="int64")
    table = table[:, table.sum(axis=0) > 0] if table.size else table
    method, statistic, p, min_expected = _independence_test(table, resamples, random_state)
    totals = counts.sum(axis=1).replace(0, np.nan)
    shares = counts.div(totals, axis=0).astype("float64")
    return Crosstab(
        counts=counts.astype("Int64"),
        shares=shares,
        method=method,
        statistic=statistic,
        p_value=p,
        min_expected=min_expected,
        rows=rows,
        task=_label(first),
        n=int(table.sum()),
    )
