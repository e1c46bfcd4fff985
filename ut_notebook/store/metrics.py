"""``ut.benchmark()``: one row per test (or per test and task) with the usual UX metrics
and their 95 % intervals, read from the research store. (The module is ``metrics`` so
that ``ut_notebook.store.benchmark`` stays the function.)

========================  ===============================================================
metric                    what, and its interval
========================  ===============================================================
``qx_score``              mean of the sessions' QXscores (0-100); t-interval
``completion``            share of successful attempts of tasks with a success measure;
                          adjusted-Wald interval (a skipped reached task is a failure)
``time_on_task``          geometric mean seconds of successful attempts; t on log times
``nps``                   Net Promoter Score (-100..100); adjusted-Wald (Rocks 2016)
========================  ===============================================================

The intervals come from :mod:`ut_notebook.stats` when this version has it (the same
methods, Sauro & Lewis, *Quantifying the User Experience*), else from the small
helpers below (scipy for the t distribution).

>>> frame = ut.benchmark(db="research.duckdb")                             # doctest: +SKIP
>>> frame[["title", "created", "completion", "completion_low", "completion_high"]]  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..frames import UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from .db import read_store, store_path

__all__ = ["METRICS", "adjusted_wald", "benchmark", "log_t_interval", "nps_interval"]

METRICS = ("qx_score", "completion", "time_on_task", "nps")
Z95 = 1.959963984540054
NAN = float("nan")


# -- intervals (the fallback when ut_notebook.stats is not there) ------------------------------


def adjusted_wald(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Adjusted-Wald interval of a proportion (Agresti & Coull 1998), clipped to [0, 1].

    >>> [round(v, 3) for v in adjusted_wald(7, 10)]   # Sauro & Lewis: about 39 % to 90 %
    [0.392, 0.897]
    """
    if n <= 0:
        return NAN, NAN
    n_adj = n + z * z
    p = (successes + z * z / 2) / n_adj
    half = z * math.sqrt(p * (1 - p) / n_adj)
    return max(0.0, p - half), min(1.0, p + half)


def _t(df: int) -> float:
    try:
        from scipy import stats
    except ImportError:  # pragma: no cover - scipy comes with the stats extra
        return Z95
    return float(stats.t.ppf(0.975, df))


def mean_t_interval(values: np.ndarray) -> tuple[float, float, float]:
    """``(mean, low, high)``: the 95 % t-interval of a mean; NaN bounds below two values."""
    n = len(values)
    if n == 0:
        return NAN, NAN, NAN
    mean = float(np.mean(values))
    if n == 1:
        return mean, NAN, NAN
    half = _t(n - 1) * float(np.std(values, ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half


def log_t_interval(seconds: np.ndarray) -> tuple[float, float, float]:
    """Geometric mean and the t-interval on log times, transformed back.

    >>> [round(v) for v in log_t_interval(np.array([55, 65, 75, 62, 45, 135.0]))]
    [68, 46, 101]
    """
    mean, low, high = mean_t_interval(np.log(seconds))
    return math.exp(mean), math.exp(low), math.exp(high)


def nps_interval(scores: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """NPS (-100..100) and its adjusted-Wald interval: add 3 to n and 3/4 to promoters
    and to detractors (Rocks 2016).

    >>> [round(v, 1) for v in nps_interval(np.array([10, 9, 8, 3, 10, 7, 9, 2, 10, 6.0]))]
    [20.0, -30.3, 61.1]
    """
    n = len(scores)
    if n == 0:
        return NAN, NAN, NAN
    promoters = int((scores >= 9).sum())
    detractors = int((scores <= 6).sum())
    n_adj = n + 3.0
    pro, det = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    diff = pro - det
    half = z * math.sqrt((pro + det - diff * diff) / n_adj)
    return (
        100.0 * (promoters - detractors) / n,
        100 * max(-1, diff - half),
        100 * min(1, diff + half),
    )


# -- the metrics of one group of rows -----------------------------------------------------------


def _stats_module() -> Any:
    try:
        return importlib.import_module("ut_notebook.stats")
    except ImportError:
        return None


def _measured(tasks: pd.DataFrame) -> pd.DataFrame:
    """Rows of tasks that have a success measure (any answer with ``success`` set)."""
    has = tasks.groupby(["testId", "taskId"], observed=True)["success"].transform(
        lambda s: s.notna().any()
    )
    return tasks[has.fillna(False).to_numpy(dtype=bool)]


def _pooled(rows: pd.DataFrame) -> pd.DataFrame:
    """One pseudo-task of all ``rows``: stats' per-task functions then pool them."""
    out = rows.copy()
    out["taskId"] = "all"
    out["position"] = 1
    out["text"] = "all"
    return out


def _completion(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    rows = _measured(rows)
    st = _stats_module()
    if st is not None:
        result = st.completion_rates(_pooled(rows))
        if result.empty:
            return NAN, NAN, NAN, 0
        r = result.iloc[0]
        return float(r["rate"]), float(r["ci_low"]), float(r["ci_high"]), int(r["n"])
    reached = rows[rows["reached"].fillna(False).to_numpy(dtype=bool)]
    success = reached["success"].astype("boolean")
    known = success.notna().to_numpy(dtype=bool)
    gave_up = (~known) & reached["skipped"].fillna(False).to_numpy(dtype=bool)
    n = int(known.sum() + gave_up.sum())
    k = int(success[known].sum())
    low, high = adjusted_wald(k, n)
    return (k / n if n else NAN), low, high, n


def _time(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    rows = _measured(rows)
    st = _stats_module()
    if st is not None:
        result = st.time_on_task(_pooled(rows))
        if result.empty:
            return NAN, NAN, NAN, 0
        r = result.iloc[0]
        return (
            float(r["geometric_mean"]),
            float(r["ci_low"]),
            float(r["ci_high"]),
            int(r["n"]),
        )
    ok = (
        rows["reached"].fillna(False).to_numpy(dtype=bool)
        & ~rows["skipped"].fillna(False).to_numpy(dtype=bool)
        & rows["success"].fillna(False).to_numpy(dtype=bool)
    )
    seconds = rows.loc[ok, "duration"].dt.total_seconds().to_numpy(dtype="float64", na_value=NAN)
    seconds = seconds[np.isfinite(seconds) & (seconds > 0)]
    if not len(seconds):
        return NAN, NAN, NAN, 0
    return (*log_t_interval(seconds), len(seconds))


def _nps(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    rows = rows[rows["type"].astype("string") == "NPS"]
    st = _stats_module()
    if st is not None:
        result = st.nps(_pooled(rows))
        if result.empty:
            return NAN, NAN, NAN, 0
        r = result.iloc[0]
        return float(r["nps"]), float(r["ci_low"]), float(r["ci_high"]), int(r["n"])
    reached = rows[rows["reached"].fillna(False).to_numpy(dtype=bool)]
    scores = reached["nps"].astype("Float64").dropna().to_numpy(dtype="float64")
    scores = scores[(scores >= 0) & (scores <= 10)]
    return (*nps_interval(scores), len(scores))


def _qx(groups: pd.DataFrame) -> tuple[float, float, float, int]:
    rows = groups[groups["type"].astype("string") == "QX_SCORE"]
    per_session = rows.groupby("sessionId", observed=True)["qxScore"].mean().dropna()
    values = per_session.to_numpy(dtype="float64")
    return (*mean_t_interval(values), len(values))


_TASK_METRICS: dict[str, Callable[[pd.DataFrame], tuple[float, float, float, int]]] = {
    "completion": _completion,
    "time_on_task": _time,
    "nps": _nps,
}


def _columns(metrics: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in metrics:
        out.update({m: "Float64", f"{m}_low": "Float64", f"{m}_high": "Float64", f"{m}_n": "Int64"})
    return out


def _check_metrics(metrics: Sequence[str] | str) -> tuple[str, ...]:
    items = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    unknown = [m for m in items if m not in METRICS]
    if unknown:
        raise ValueError(f"metrics= {unknown} unknown; choose from {', '.join(METRICS)}.")
    return items


def _ids(tests: Any) -> list[str] | None:
    if tests is None:
        return None
    if isinstance(tests, str):
        tests = [tests]
    elif isinstance(tests, pd.DataFrame):
        tests = tests["testId"]
    return list(dict.fromkeys(parse_uuid(t, "test id") for t in tests))


def benchmark(
    tests: str | Iterable[str] | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    metrics: Sequence[str] = METRICS,
    by: str = "test",
    sync: bool = True,
    client: Any = None,
    progress: Any = None,
) -> pd.DataFrame:
    """The UX metrics of many tests side by side, from the research store.

    Args:
        tests: test ids (or a frame with ``testId``); default: every test in the store.
        db: the store (default: the one ``ut.sync()`` writes).
        metrics: any of ``qx_score``, ``completion``, ``time_on_task``, ``nps``.
        by: ``"test"`` (one row per test) or ``"task"`` (one row per test and task
            text, for :func:`ut.charts.benchmark_tasks`; ``qx_score`` is per test only).
        sync: first sync the tests given that the store does not have yet (their
            details and QXscores); ``False`` reads only what is stored.
        client, progress: passed to :func:`ut.sync` when it runs.

    Returns:
        One row per test, oldest first: ``testId``, ``title``, ``created``,
        ``productType``, ``sessions``, ``completes`` and per metric ``<metric>``,
        ``<metric>_low``, ``<metric>_high`` (the 95 % interval; NA where a test has no
        such data or one value only) and ``<metric>_n`` (observations). ``time_on_task``
        is in seconds; ``completion`` a share (0-1).

    >>> bench = ut.benchmark(db="research.duckdb")                       # doctest: +SKIP
    >>> ut.charts.benchmark(bench, metric="completion")                   # doctest: +SKIP
    """
    chosen = _check_metrics(metrics)
    if by not in ("test", "task"):
        raise ValueError(f"by must be 'test' or 'task', not {by!r}.")
    ids = _ids(tests)
    if sync:
        from .sync import sync as run_sync

        stored: set[str] = set()
        if store_path(db).exists():
            stored = set(read_store("sessions", tests=ids, db=db)["testId"])
        # tests=None: everything stored (a first call on an empty store syncs every test).
        missing = None if ids is None and not stored else [t for t in ids or [] if t not in stored]
        if missing is None or missing:
            run_sync(
                db,
                tests=missing,
                what=("details", "qx_scores"),
                client=client,
                progress=progress,
            )
    meta = read_store("tests", tests=ids, db=db)
    sessions = read_store("sessions", tests=ids, db=db)
    tasks = read_store("tasks", tests=ids, db=db)
    groups = read_store("task_groups", tests=ids, db=db)
    test_ids = ids if ids is not None else sorted(set(sessions["testId"]))
    if by == "task":
        return _by_task(test_ids, meta, tasks, [m for m in chosen if m != "qx_score"])
    records = []
    for test_id in test_ids:
        own = sessions[sessions["testId"] == test_id]
        record: dict[str, Any] = {
            "testId": test_id,
            "sessions": len(own),
            "completes": int((own["status"].astype("string") == "COMPLETE").sum()),
        }
        test_tasks = tasks[tasks["testId"] == test_id]
        for metric in chosen:
            if metric == "qx_score":
                value = _qx(groups[groups["testId"] == test_id])
            else:
                value = _TASK_METRICS[metric](test_tasks)
            record.update(_record(metric, value))
        records.append(record)
    return _finish(records, meta, {"sessions": "Int64", "completes": "Int64", **_columns(chosen)})


def _record(metric: str, value: tuple[float, float, float, int]) -> dict[str, Any]:
    estimate, low, high, n = value
    clean = [None if v is None or not math.isfinite(v) else v for v in (estimate, low, high)]
    return {
        metric: clean[0],
        f"{metric}_low": clean[1],
        f"{metric}_high": clean[2],
        f"{metric}_n": n,
    }


def _finish(
    records: list[dict[str, Any]], meta: pd.DataFrame, schema: dict[str, str]
) -> pd.DataFrame:
    base = {
        "testId": "string",
        "title": "string",
        "created": UTC_DATETIME,
        "productType": "category",
    }
    frame = typed_frame(records, {"testId": "string", **schema})
    info = meta[["testId", "title", "created", "productType"]].drop_duplicates("testId")
    out = frame.merge(info, on="testId", how="left")
    out = out[list(base) + [c for c in out.columns if c not in base]]
    out["productType"] = out["productType"].astype("category")
    out = out.sort_values("created", kind="stable", na_position="last").reset_index(drop=True)
    return out


def _by_task(
    test_ids: list[str], meta: pd.DataFrame, tasks: pd.DataFrame, metrics: list[str]
) -> pd.DataFrame:
    records = []
    for test_id in test_ids:
        own = tasks[tasks["testId"] == test_id]
        for text, rows in own.groupby("text", observed=True, sort=False):
            record: dict[str, Any] = {
                "testId": test_id,
                "text": str(text),
                "type": str(rows["type"].iloc[0]),
            }
            for metric in metrics:
                record.update(_record(metric, _TASK_METRICS[metric](rows)))
            records.append(record)
    schema = {"text": "string", "type": "category", **_columns(metrics)}
    return _finish(records, meta, schema)
