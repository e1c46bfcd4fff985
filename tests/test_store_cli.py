"""``ut-notebook sync``: exit statuses, one-line reasons, progress lines, Parquet export.

The command runs in a subprocess, as cron would run it, against a simulator started by
the test (credentials through the environment, never on the command line).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[1]
TOL = ut.demo.TESTS["think_out_loud"]
EMPTY = ut.demo.TESTS["empty"]


def _run(
    tmp_path: Path, *args: str, server: Any = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("UT_")}
    base["PYTHONPATH"] = str(ROOT) + os.pathsep + base.get("PYTHONPATH", "")
    base["UT_CACHE_DIR"] = str(tmp_path / "cache")
    if server is not None:
        base.update(
            UT_CLIENT_ID=server.config.client_id,
            UT_CLIENT_SECRET=server.config.client_secret,
            UT_TOKEN_URL=server.token_url,
            UT_API_URL=server.url,
        )
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ut_notebook.cli", "sync", *args],
        env=base,
        cwd=tmp_path,  # no .env from the developer's checkout
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_sync_prints_a_line_per_test_exits_0_and_exports_parquet(
    server: Any, tmp_path: Path
) -> None:
    db = tmp_path / "store.duckdb"
    out = tmp_path / "parquet"
    done = _run(
        tmp_path, "--db", str(db), "--test", TOL, "--test", EMPTY, "--parquet", str(out),
        server=server,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("[1/2] d203c616") for line in lines)
    assert any(line.startswith("[2/2] ") for line in lines)
    assert "sync ok" in done.stdout
    tasks = pd.read_parquet(out / "tasks")
    assert len(tasks) == len(ut.read_store("tasks", db=db)) > 0
    assert server.config.client_secret not in done.stdout + done.stderr


def test_max_requests_stops_with_status_0_and_the_next_run_finishes(
    server: Any, tmp_path: Path
) -> None:
    db = tmp_path / "store.duckdb"
    first = _run(tmp_path, "--db", str(db), "--test", TOL, "--max-requests", "10", server=server)
    assert first.returncode == 0, first.stderr
    assert "budget" in first.stdout
    second = _run(tmp_path, "--db", str(db), "--test", TOL, server=server)
    assert second.returncode == 0, second.stderr
    runs = ut.read_store("sync_runs", db=db)
    assert list(runs["status"]) == ["budget", "ok"]
    assert runs["requests"].iloc[0] <= 10


def test_a_failing_test_exits_1_with_one_line(server: Any, tmp_path: Path) -> None:
    unknown = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    done = _run(tmp_path, "--db", str(tmp_path / "s.duckdb"), "--test", unknown, server=server)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ut-notebook sync: 1 error(s)") and unknown in line


def test_no_credentials_exit_2_with_a_reason(tmp_path: Path) -> None:
    done = _run(tmp_path, "--db", str(tmp_path / "s.duckdb"))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("ut-notebook sync: ") and "UT_CLIENT_ID" in line
    assert not (tmp_path / "s.duckdb").exists()


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    done = _run(tmp_path, "--max-requests", "0", env={"UT_DEMO": "1"})
    assert done.returncode == 2 and "--max-requests" in done.stderr
    bad = _run(tmp_path, "--test", "not-a-uuid", "--db", str(tmp_path / "x.duckdb"),
               env={"UT_DEMO": "1"})  # fmt: skip
    assert bad.returncode == 2 and "test id" in bad.stderr


def test_demo_mode_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    done = _run(tmp_path, "--db", str(db), "--test", EMPTY, env={"UT_DEMO": "1"})
    assert done.returncode == 0, done.stderr
    assert list(ut.read_store("tests", tests=EMPTY, db=db)["title"]) == [
        "Holiday campaign concept survey (draft)"
    ]
