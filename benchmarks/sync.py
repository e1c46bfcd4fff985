"""Benchmark: requests and 429s of ``ut.sync`` against the simulator at a scaled window.

What is measured (docs/benchmarks.md, "The research store"):

1. a first sync of a set of tests, and what the loaders make for the same data one
   test at a time on a twin server with an empty cache -- the two must be equal, and no
   session answer may be requested twice;
2. a second sync right after: only the ``sessionResults`` page requests;
3. 429s: zero, also while a foreground ``load_session_details`` runs on the same client
   as a sync in a thread.

    python -m benchmarks.sync --window 1 --latency 0.02

Results are printed and written to ``benchmarks/results/sync.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import ut_notebook as ut
from ut_notebook.demo import TESTS, DemoServer
from ut_notebook.demo.catalog import CATALOG

RESULTS = Path(__file__).parent / "results"
DETAILS = "/api/v3/sessionResults/"
_VIDEO = ("NON_THINK_OUT_LOUD", "THINK_OUT_LOUD")


def _api(server: DemoServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith(("/api/", "/usertesting/"))]


def _tests(n_fillers: int) -> list[str]:
    named = [TESTS["think_out_loud"], TESTS["interaction"], TESTS["survey"]]
    fillers = [s.id for s in CATALOG.values() if s.key.startswith("filler")][:n_fillers]
    return named + fillers


def _connect(server: DemoServer) -> ut.Client:
    return ut.connect(
        server.config.client_id,
        server.config.client_secret,
        token_url=server.token_url,
        api_url=server.url,
    )


def _loaders(client: ut.Client, tests: list[str]) -> None:
    """What a user would run one test at a time for the same tables."""
    catalog = ut.list_tests(client=client, progress=False)
    product = dict(zip(catalog["testId"], catalog["productType"].astype("string"), strict=True))
    for test in tests:
        sessions = ut.load_sessions(test, client=client, progress=False)
        details = ut.load_session_details(sessions, client=client, progress=False)
        if product.get(test) == "THINK_OUT_LOUD":
            ut.load_transcripts(sessions, client=client, progress=False)
        if product.get(test) in _VIDEO and hasattr(ut, "load_clips"):  # when this version has it
            ut.load_clips(sessions, client=client, progress=False)
        if (details.task_groups["type"].astype("string") == "QX_SCORE").any():
            ut.load_qx_scores(test, client=client)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=1.0, help="rate window, seconds")
    parser.add_argument("--limit", type=int, default=10, help="requests per window")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per response")
    parser.add_argument("--fillers", type=int, default=6, help="filler tests besides 3 named")
    args = parser.parse_args(argv)
    config = {"rate_limit": args.limit, "rate_window": args.window, "latency": args.latency}
    tests = _tests(args.fillers)
    out: dict[str, Any] = {"config": {**config, "tests": len(tests)}}
    warnings.simplefilter("ignore")  # the loaders' notes on 404s are not what is measured
    # Each server below gets its own empty cache folder: the loaders' cache would
    # otherwise answer the second run and hide its requests.

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["UT_CACHE_DIR"] = str(Path(tmp) / "cache-sync")
        with DemoServer(**config) as server:
            client = _connect(server)
            db = Path(tmp) / "store.duckdb"
            start = time.perf_counter()
            first = ut.sync(db, tests=tests, client=client, progress=False)
            seconds = time.perf_counter() - start
            log = _api(server)
            twice = [
                p
                for p, n in collections.Counter(
                    r.path for r in log if r.path.startswith(DETAILS)
                ).items()
                if n > 1
            ]
            out["first_sync"] = {
                "requests": len(log),
                "status_429": sum(r.status == 429 for r in log),
                "requested_twice": len(twice),
                "seconds": round(seconds, 1),
                "fetched": first.fetched,
            }
            server.reset_log()
            start = time.perf_counter()
            ut.sync(db, tests=tests, client=client, progress=False)
            log = _api(server)
            out["second_sync"] = {
                "requests": len(log),
                "page_requests": sum(r.path == "/api/v2/sessionResults" for r in log),
                "status_429": sum(r.status == 429 for r in log),
                "seconds": round(time.perf_counter() - start, 1),
            }

        os.environ["UT_CACHE_DIR"] = str(Path(tmp) / "cache-loaders")
        with DemoServer(**config) as twin:
            _loaders(_connect(twin), tests)
            log = _api(twin)
            out["loaders_one_test_at_a_time"] = {"requests": len(log)}

        os.environ["UT_CACHE_DIR"] = str(Path(tmp) / "cache-both")
        with DemoServer(**config) as server:
            client = _connect(server)
            db = Path(tmp) / "shared.duckdb"
            background = threading.Thread(
                target=ut.sync,
                args=(db,),
                kwargs={"tests": tests[1:], "client": client, "progress": False},
            )
            start = time.perf_counter()
            background.start()
            time.sleep(0.5)  # the sync is under way when the foreground load starts
            ut.load_session_details(tests[0], client=client, progress=False)
            foreground = time.perf_counter() - start
            background.join()
            log = _api(server)
            out["sync_with_a_foreground_load"] = {
                "requests": len(log),
                "status_429": sum(r.status == 429 for r in log),
                "foreground_seconds": round(foreground, 1),
                "total_seconds": round(time.perf_counter() - start, 1),
            }
        ut.disconnect()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sync.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
