"""``ut-notebook sync``: the research store from cron or a shell.

Cron-friendly: no prompts; credentials from the environment or ``.env`` (``UT_DEMO=1``
for the simulator); a line per test on stdout; exit status 0 when the store is up to
date (or the ``--max-requests`` budget was reached: the next run continues), 1 when
some tests failed, 2 when nothing could be done -- with a one-line reason on stderr.
Secrets are never printed (every message is scrubbed by the errors module).

    ut-notebook sync --db ~/research.duckdb --max-requests 300 --parquet /data/ut
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> None:
    """Register ``sync`` on the ``ut-notebook`` subcommand parser."""
    cmd = commands.add_parser(
        "sync",
        help="bring a DuckDB research store up to date with the API (cron-friendly)",
        description=(
            "Fetch what is new in your tests into a DuckDB file: sessions, details, "
            "transcripts, QXscores (and clips). Incremental and resumable; credentials "
            "from UT_CLIENT_ID/UT_CLIENT_SECRET or .env, UT_DEMO=1 for the simulator."
        ),
    )
    cmd.add_argument("--db", metavar="PATH", help="the store file (default: user data folder)")
    cmd.add_argument(
        "--test", metavar="ID", action="append", dest="tests", help="a test id (repeatable)"
    )
    cmd.add_argument("--workspace", metavar="NAME", help="only this workspace (name or UUID)")
    cmd.add_argument("--since", metavar="DATE", help="only tests created on or after DATE")
    cmd.add_argument("--max-requests", metavar="N", type=int, help="stop cleanly after N requests")
    cmd.add_argument(
        "--parquet", metavar="DIR", help="then write every table as Parquet (by testId) to DIR"
    )
    cmd.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="wait this long for another sync of the same file (default: exit at once)",
    )
    cmd.add_argument("--quiet", action="store_true", help="no progress lines")


def _fail(message: str, status: int = 2) -> int:
    print(f"ut-notebook sync: {' '.join(str(message).split())}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    """Run ``ut-notebook sync``; returns the exit status."""
    if args.max_requests is not None and args.max_requests < 1:
        return _fail(f"--max-requests must be at least 1, not {args.max_requests}.")
    try:
        from ..api.connect import connect
        from ..errors import UTError
        from . import export_parquet, sync

        try:
            client = connect()
            result = sync(
                args.db,
                tests=args.tests,
                workspace=args.workspace,
                since=args.since,
                max_requests=args.max_requests,
                client=client,
                progress=False if args.quiet else None,
                wait=args.wait,
            )
            if args.parquet:
                paths = export_parquet(args.parquet, db=result.db)
                if not args.quiet:
                    print(f"parquet: {len(paths)} tables in {args.parquet}", flush=True)
        except (UTError, ValueError) as err:
            return _fail(str(err))
    except ImportError as err:
        return _fail(str(err))
    except KeyboardInterrupt:
        return _fail("interrupted; the store is consistent and the next run continues.", 130)
    if result.errors:
        return _fail(f"{len(result.errors)} error(s); the first: {result.errors[0]}", 1)
    return 0
