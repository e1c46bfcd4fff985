"""``python -m ut_notebook.demo``: run the API simulator in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from dataclasses import replace

from . import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, TESTS, DemoServer, SimulatorConfig
from .catalog import CATALOG
from .studies import CLASSIC


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ut_notebook.demo",
        description="Run the UserTesting API simulator on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--rate-limit", type=int, help="requests per window (default 10)")
    parser.add_argument("--rate-window", type=float, help="window in seconds (default 1.0)")
    parser.add_argument("--latency", type=float, help="seconds added to every API response")
    parser.add_argument("--fault-rate", type=float, help="probability of a 503/502/drop fault")
    parser.add_argument("--seed", type=int, help="seed of faults and arrivals (default 0)")
    args = parser.parse_args(argv)

    config = SimulatorConfig.demo()
    changes = {
        "rate_limit": args.rate_limit,
        "rate_window": args.rate_window,
        "latency": args.latency,
        "fault_rate": args.fault_rate,
        "seed": args.seed,
    }
    try:
        config = replace(config, **{k: v for k, v in changes.items() if v is not None})
        server = DemoServer(config, port=args.port).start()
    except (ValueError, OSError) as err:
        parser.error(str(err))
    print(f"UserTesting API simulator running at {server.url}")
    print(f"  token URL      {server.token_url}  (scope public_api.read)")
    print(f"  token URL (v2) {server.token_url_v2}  (scope studies:read)")
    print(f"  client id      {DEMO_CLIENT_ID}")
    print(f"  client secret  {DEMO_CLIENT_SECRET}")
    print(f"  rate limit     {config.rate_limit} requests per {config.rate_window:g} s")
    print("  tests:")
    for name, test_id in TESTS.items():
        print(f"    {name:<15} {test_id}  ({CATALOG[test_id].n_sessions} sessions)")
    print(f"    {CLASSIC.key:<15} {CLASSIC.id}  (v1 only, {CLASSIC.n_sessions} sessions)")
    print("Press Ctrl-C to stop.", flush=True)
    # SIGTERM (kill, process managers) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
