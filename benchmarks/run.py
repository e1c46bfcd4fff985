"""Benchmarks: requests, 429s and wall time of the loaders against the simulator.

The API's rate limit (10 requests per minute) is the real bottleneck, so the numbers
that matter are *requests made* and *429s received*; wall time is reported with the
simulator's window scaled down (10 requests per ``--window`` seconds) so a run is short.

    make bench                      # or: python -m benchmarks.run --window 1 --latency 0.05

Results are printed as a table and written to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ut_notebook as ut
from ut_notebook.demo import TESTS, DemoServer

RESULTS = Path(__file__).parent / "results"


def _case(
    name: str, server: DemoServer, run: Callable[[], Any], *, ideal: int | None = None
) -> dict[str, Any]:
    server.reset_log()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ut.TruncatedResultWarning)
        result = run()
    seconds = time.perf_counter() - start
    api = [r for r in server.requests if r.path.startswith(("/api/", "/usertesting/"))]
    return {
        "case": name,
        "rows": len(result),
        "requests": len(api),
        "ideal_requests": ideal,
        "status_429": sum(r.status == 429 for r in api),
        "seconds": round(seconds, 2),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=1.0, help="rate window, seconds")
    parser.add_argument("--limit", type=int, default=10, help="requests per window")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    with DemoServer(rate_limit=args.limit, rate_window=args.window, latency=args.latency) as srv:
        ut.connect(
            srv.config.client_id, srv.config.client_secret, token_url=srv.token_url, api_url=srv.url
        )
        for name, page_size in [("survey", 500), ("survey", 25), ("large", 500)]:
            total = len(srv.session_ids(TESTS[name]))
            ideal = min(math.ceil(total / page_size), 10_000 // page_size + 1)
            rows.append(
                _case(
                    f"load_sessions {name} page_size={page_size}",
                    srv,
                    lambda n=name, p=page_size: ut.load_sessions(
                        TESTS[n], page_size=p, progress=False
                    ),
                    ideal=ideal,
                )
            )
        ut.disconnect()

    RESULTS.mkdir(exist_ok=True)
    meta = {"window": args.window, "limit": args.limit, "latency": args.latency}
    (RESULTS / "latest.json").write_text(json.dumps({"config": meta, "cases": rows}, indent=2))
    width = max(len(r["case"]) for r in rows)
    print(f"{'case':<{width}}  rows    requests (ideal)  429s  seconds")
    for r in rows:
        ideal = "" if r["ideal_requests"] is None else f"({r['ideal_requests']})"
        print(
            f"{r['case']:<{width}}  {r['rows']:<6}  {r['requests']:<8} {ideal:<7}  "
            f"{r['status_429']:<4}  {r['seconds']}"
        )
    return rows


if __name__ == "__main__":
    main()
