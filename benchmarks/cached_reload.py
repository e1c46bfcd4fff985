"""Benchmark: a fully cached reload of session details, against the naive baseline.

Loads ``--sessions`` session details of the demo's large survey once (filling the
cache), then times, side by side in one run and alternating:

* **cached**: ``ut.load_session_details(sessions)`` again -- the same sessions of the
  same test, as when a notebook is run again: the test's snapshot of assembled frames
  (Arrow IPC), no request;
* **assembled**: the same sessions as bare ids (no test, so no snapshot): every session's
  parsed columns from the cache, assembled column-wise -- what a load of *other*
  sessions of a test costs (a subset, or the test after new sessions arrived);
* **baseline**: the same bodies read from the cache file, ``json.loads`` each, and
  ``pandas.json_normalize`` for the tasks and the demographics (untyped frames).

The goal: cached <= 0.25 x baseline.

    python -m benchmarks.cached_reload --sessions 2000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

import ut_notebook as ut
from ut_notebook.cache import CACHE_FILE
from ut_notebook.demo import TESTS, DemoServer


def baseline(db: Path) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    with sqlite3.connect(db) as conn:
        bodies = [b for (b,) in conn.execute("SELECT body FROM entries WHERE kind='details'")]
    docs = [json.loads(body) for body in bodies]
    tasks = pd.json_normalize(docs, "tasks", ["sessionId"])
    people = pd.json_normalize(
        docs, ["sessionParticipant", "demographicsInfo"], ["sessionId"], errors="ignore"
    )
    return len(docs), tasks, people


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ut-bench-reload-"))
    os.environ["UT_CACHE_DIR"] = str(folder)
    os.environ.pop("UT_CACHE", None)
    with DemoServer(rate_limit=100_000, rate_window=1.0) as srv:
        ut.connect(
            srv.config.client_id, srv.config.client_secret, token_url=srv.token_url, api_url=srv.url
        )
        sessions = ut.load_sessions(TESTS["large"], max_rows=3 * args.sessions, progress=False)
        sessions = sessions[sessions["status"] == "COMPLETE"].head(args.sessions)
        first = ut.load_session_details(sessions, progress=False)
        assert first.attrs["fetched"] == len(sessions)
        ids = list(sessions["sessionId"])
        cached_times, assembled_times, base_times = [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            again = ut.load_session_details(sessions, progress=False)
            cached_times.append(time.perf_counter() - start)
            assert again.attrs["cached"] == len(sessions) and again.attrs["requests"] == 0
            start = time.perf_counter()
            assembled = ut.load_session_details(ids, progress=False)
            assembled_times.append(time.perf_counter() - start)
            assert assembled.attrs["requests"] == 0 and assembled.equals(again)
            start = time.perf_counter()
            docs, tasks, _ = baseline(folder / CACHE_FILE)
            base_times.append(time.perf_counter() - start)
            assert docs == len(sessions) and len(tasks) >= len(again.tasks)
    cached, base = statistics.median(cached_times), statistics.median(base_times)
    assembled_s = statistics.median(assembled_times)
    result = {
        "sessions": len(sessions),
        "tasks": len(again.tasks),
        "cached_s": round(cached, 3),
        "assembled_s": round(assembled_s, 3),
        "baseline_s": round(base, 3),
        "ratio": round(cached / base, 3),
        "assembled_ratio": round(assembled_s / base, 3),
    }
    print(
        f"cached reload of {result['sessions']:,} sessions ({result['tasks']:,} task rows): "
        f"{cached:.3f}s; assembled from the sessions' entries: {assembled_s:.3f}s; "
        f"json.loads + json_normalize: {base:.3f}s; ratio {result['ratio']:.2f} "
        f"(goal <= 0.25), assembled {result['assembled_ratio']:.2f}"
    )
    return result


if __name__ == "__main__":
    main()
