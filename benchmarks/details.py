"""Benchmark of load_session_details: pace under the rate limit, the cache, ETA accuracy.

The numbers that matter: *requests* (one per uncached session), *429s* (must be 0),
*idle* (wall time beyond what the rate limit forces: should be about the latencies
only), how far the first ETA was from the truth, and the second load (0 requests).

    python -m benchmarks.details --sessions 60 --limit 10 --window 1 --latency 0.02

The simulator's window is scaled down (10 requests per ``--window`` seconds) so a run
takes seconds, not the real API's minutes; the arithmetic is the same.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import ut_notebook as ut
from ut_notebook.demo import TESTS, DemoServer
from ut_notebook.jobs import LoadStatus

RESULTS = Path(__file__).parent / "results"
DETAILS = "/api/v3/sessionResults/"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", default="survey", choices=sorted(TESTS))
    parser.add_argument("--sessions", type=int, default=60, help="sessions to load")
    parser.add_argument("--limit", type=int, default=10, help="requests per window")
    parser.add_argument("--window", type=float, default=1.0, help="rate window, seconds")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per response")
    args = parser.parse_args(argv)

    os.environ["UT_CACHE_DIR"] = tempfile.mkdtemp(prefix="ut-bench-cache-")
    os.environ.pop("UT_CACHE", None)
    with DemoServer(rate_limit=args.limit, rate_window=args.window, latency=args.latency) as srv:
        ut.connect(
            srv.config.client_id, srv.config.client_secret, token_url=srv.token_url, api_url=srv.url
        )
        sessions = ut.load_sessions(TESTS[args.test], progress=False).head(args.sessions)
        complete = int((sessions["status"] == "COMPLETE").sum())
        # Start from a fresh window, as a user running the cell after a pause would.
        time.sleep(args.window + 0.05)
        srv.reset_log()
        statuses: list[tuple[float, LoadStatus]] = []
        start = time.perf_counter()
        first = ut.load_session_details(
            sessions, progress=lambda s: statuses.append((time.perf_counter(), s))
        )
        first_seconds = time.perf_counter() - start
        log = [r for r in srv.requests if r.path.startswith(DETAILS)]
        n = len(log)
        # The fastest the rate limit allows: k windows, the last one partly used.
        k = math.ceil(n / args.limit)
        floor = (k - 1) * max(args.window, args.limit * args.latency) + (
            n - (k - 1) * args.limit
        ) * args.latency
        eta = next(((t, s.eta) for t, s in statuses if s.fetched == 1 and s.eta is not None), None)
        eta_error = None
        if eta is not None:
            actual_left = start + first_seconds - eta[0]
            eta_error = round(eta[1] - actual_left, 2)

        srv.reset_log()
        start = time.perf_counter()
        second = ut.load_session_details(sessions, progress=False)
        second_seconds = time.perf_counter() - start
        result = {
            "test": args.test,
            "sessions": len(sessions),
            "limit": f"{args.limit}/{args.window:g}s",
            "latency": args.latency,
            "first_requests": n,
            "first_429s": srv.count(status=429),
            "first_seconds": round(first_seconds, 2),
            "rate_limit_floor_seconds": round(floor, 2),
            "idle_seconds": round(first_seconds - floor, 2),
            "first_eta_error_seconds": eta_error,
            "second_requests": srv.count(DETAILS),
            "second_expected": len(sessions) - complete,  # unfinished sessions only
            "second_seconds": round(second_seconds, 3),
            "equal": first.equals(second),
        }
    for key, value in result.items():
        print(f"{key:>26}: {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "details.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
