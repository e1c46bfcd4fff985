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

The intervals are :mod:`ut_notebook.stats`' (Sauro & Lewis, *Quantifying the User
Experience*), computed on each test's (or task's) rows pooled: one implementation of
each method, checked against the book's worked examples in ``tests/test_stats.py``.

>>> frame = ut.benchmark(db="research.duckdb")                             # doctest: +SKIP
>>> frame[["title", "created", "completion", "completion_low", "completion_high"]]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from .. import stats as ut_stats
from ..frames import UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from ..stats import _t_interval  # the t-interval of a mean (QXscores)
from .db import read_store, store_path

__all__ = ["METRICS", "benchmark"]

METRICS = ("qx_score", "completion", "time_on_task", "nps")
NAN = float("nan")


# -- the metrics of one group of rows -----------------------------------------------------------


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


def _pooled_metric(
    rows: pd.DataFrame, metric: Callable[[pd.DataFrame], pd.DataFrame], column: str
) -> tuple[float, float, float, int]:
    """``metric`` (a :mod:`ut_notebook.stats` function) of all ``rows`` pooled:
    ``(value, low, high, n)``, NaN and 0 when there is nothing to measure."""
    result = metric(_pooled(rows))
    if result.empty:
        return NAN, NAN, NAN, 0
    r = result.iloc[0]
    return float(r[column]), float(r["ci_low"]), float(r["ci_high"]), int(r["n"])


def _completion(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    return _pooled_metric(_measured(rows), ut_stats.completion_rates, "rate")


def _time(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    return _pooled_metric(_measured(rows), ut_stats.time_on_task, "geometric_mean")


def _nps(rows: pd.DataFrame) -> tuple[float, float, float, int]:
    nps_rows = rows[rows["type"].astype("string") == "NPS"]
    return _pooled_metric(nps_rows, ut_stats.nps, "nps")


def _qx(groups: pd.DataFrame) -> tuple[float, float, float, int]:
    rows = groups[groups["type"].astype("string") == "QX_SCORE"]
    per_session = rows.groupby("sessionId", observed=True)["qxScore"].mean().dropna()
    values = per_session.to_numpy(dtype="float64")
    return (*_t_interval(values, 0.95), len(values))


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
