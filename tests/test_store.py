"""The research store: ut.sync into DuckDB, incremental, resumable, locked; reading it
back with the loaders' types; Parquet export; ut.benchmark.

Everything runs against the simulator over HTTP; request counts come from the server's
own log (``DemoServer.count``), not from the client.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ut_notebook as ut
from tests.conftest import connect_to
from ut_notebook.store import DATA_TABLES, TABLES

duckdb = pytest.importorskip("duckdb")

SURVEY = ut.demo.TESTS["survey"]
INTERACTION = ut.demo.TESTS["interaction"]
TOL = ut.demo.TESTS["think_out_loud"]
EMPTY = ut.demo.TESTS["empty"]
TESTS = [TOL, INTERACTION, EMPTY]
ROOT = Path(__file__).resolve().parents[1]
PAGES = "/api/v2/sessionResults"
DETAILS = "/api/v3/sessionResults/"


def _api(server: Any) -> list[Any]:
    """The server's log without token requests (they do not count against the limit)."""
    return [r for r in server.requests if r.path.startswith(("/api/", "/usertesting/"))]


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    """Every data table but the run log, in key order: what two stores must agree on."""
    return {name: ut.read_store(name, db=db) for name in DATA_TABLES if name != "sync_runs"}


def _assert_same_store(a: Path, b: Path) -> None:
    left, right = _tables(a), _tables(b)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_categorical=False, obj=name)


def _fresh_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str) -> None:
    # Settings are read at connect(): a new client after this uses an empty cache.
    folder = tmp_path / name
    folder.mkdir()
    monkeypatch.setenv("UT_CACHE_DIR", str(folder))


def _env(server: Any, cache: Path) -> dict[str, str]:
    """The environment of a `ut-notebook sync` subprocess pointed at ``server``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UT_")}
    env.update(
        UT_CLIENT_ID=server.config.client_id,
        UT_CLIENT_SECRET=server.config.client_secret,
        UT_TOKEN_URL=server.token_url,
        UT_API_URL=server.url,
        UT_CACHE_DIR=str(cache),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _sync_process(server: Any, db: Path, cache: Path, *tests: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "ut_notebook.cli", "sync", "--db", str(db)]
    for test in tests:
        args += ["--test", test]
    return subprocess.Popen(
        args,
        env=_env(server, cache),
        cwd=cache,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Any, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the sync ended before {what}: {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


# -- the first and the second sync ------------------------------------------------------------


def test_first_sync_makes_the_loaders_requests_once_and_a_second_only_the_pages(
    make_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server()
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    result = ut.sync(db, tests=TESTS, client=client, progress=False)
    assert result.status == "ok" and not result.errors
    first = _api(server)
    assert result.requests == len(first)

    # The same data with the loaders, one test at a time, on a twin server, empty cache.
    twin = make_server()
    _fresh_cache(monkeypatch, tmp_path, "twin-cache")
    loaders = connect_to(twin)
    ut.list_tests(client=loaders, progress=False)  # titles and dates of the tests
    for test in TESTS:
        sessions = ut.load_sessions(test, client=loaders, progress=False)
        ut.load_session_details(sessions, client=loaders, progress=False)
        if test == TOL:  # transcripts: the think-out-loud test's
            ut.load_transcripts(sessions, client=loaders, progress=False)
        if test in (TOL, INTERACTION) and hasattr(ut, "load_clips"):  # video tests' clips
            ut.load_clips(sessions, client=loaders, progress=False)
        if test == INTERACTION:  # the only one with QX task groups
            ut.load_qx_scores(test, client=loaders)
    assert len(first) == len(_api(twin))
    counted = collections.Counter(r.path for r in first if r.path.startswith(DETAILS))
    assert counted and max(counted.values()) == 1, "an answer was requested twice"

    server.reset_log()
    again = ut.sync(db, tests=TESTS, client=client, progress=False)
    paths = [r.path for r in _api(server)]
    assert paths == [PAGES] * len(TESTS)
    assert again.requests == len(TESTS) and again.fetched == 0
    runs = ut.read_store("sync_runs", db=db)
    assert list(runs["status"]) == ["ok", "ok"]
    assert list(runs["requests"]) == [len(first), len(TESTS)]


def test_tables_have_the_loaders_columns_and_types_plus_test_id(
    server: Any, tmp_path: Path
) -> None:
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[TOL], client=client, progress=False)
    details = ut.load_session_details(TOL, client=client, progress=False)
    cues = ut.load_transcripts(TOL, client=client, progress=False)
    sessions = ut.load_sessions(TOL, client=client, progress=False)
    expected = {
        "sessions": sessions,
        "tasks": details.tasks,
        "task_groups": details.task_groups,
        "demographics": details.demographics,
        "participants": details.participants[list(TABLES["participants"].columns)[1:]],
        "transcript_cues": cues,
    }
    for name, frame in expected.items():
        stored = ut.read_store(name, tests=TOL, db=db)
        assert list(stored.columns[:1]) == ["testId"]
        assert set(stored["testId"]) == ({TOL} if len(frame) else set()), name
        assert len(stored) == len(frame), name
        for column in frame.columns:  # same dtypes (categories compare by kind)
            want, got = frame[column].dtype, stored[column].dtype
            assert str(want) == str(got) or (
                isinstance(want, pd.CategoricalDtype) and isinstance(got, pd.CategoricalDtype)
            ), (name, column, want, got)
        key = [c for c in TABLES[name].key if c in frame.columns]
        left = frame.sort_values(key).reset_index(drop=True)
        right = stored[list(frame.columns)].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_categorical=False, obj=name)


def test_every_table_has_a_primary_key_and_upserts_never_duplicate(
    server: Any, tmp_path: Path
) -> None:
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[TOL], client=client, progress=False)
    ut.sync(db, tests=[TOL], what=("details",), client=client, progress=False)
    with ut.open_store(db) as con:
        for name, table in TABLES.items():
            constraints = con.execute(
                "SELECT constraint_column_names FROM duckdb_constraints() "
                "WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'",
                [name],
            ).fetchall()
            assert [tuple(c[0]) for c in constraints] == [table.key], name
        key = '"testId", "sessionId", "position"'
        rows, distinct = con.execute(
            f"SELECT count(*), count(DISTINCT ({key})) FROM tasks"
        ).fetchone()
        assert rows == distinct > 0
        with pytest.raises(duckdb.Error):  # read-only by default
            con.execute("DELETE FROM tasks")


def test_new_sessions_are_fetched_and_nothing_else(server: Any, tmp_path: Path) -> None:
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[TOL], what=("details",), client=client, progress=False)
    server.add_sessions(TOL, 3)
    new = set(server.session_ids(TOL)) - set(ut.read_store("sessions", db=db)["sessionId"])
    assert len(new) == 3
    server.reset_log()
    result = ut.sync(db, tests=[TOL], what=("details",), client=client, progress=False)
    fetched = {r.path.rsplit("/", 1)[1] for r in server.requests if r.path.startswith(DETAILS)}
    assert fetched == new
    assert result.fetched == 3
    assert set(ut.read_store("participants", db=db)["sessionId"]) >= new


def test_a_session_whose_status_changed_is_fetched_again(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_CACHE", "0")  # the store alone decides what is fetched
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[TOL], what=("details",), client=client, progress=False)
    sessions = ut.read_store("sessions", db=db)
    victim = str(sessions.loc[sessions["status"] == "COMPLETE", "sessionId"].iloc[0])
    # As if the last sync had seen it IN_PROGRESS: the status on record differs now.
    with ut.open_store(db, read_only=False) as con:
        con.execute(
            "UPDATE sync_state SET status = 'IN_PROGRESS' WHERE sessionId = ? AND what = 'details'",
            [victim],
        )
        con.execute("DELETE FROM tasks WHERE sessionId = ?", [victim])
    server.reset_log()
    ut.sync(db, tests=[TOL], what=("details",), client=client, progress=False)
    assert [r.path for r in _api(server)] == [PAGES, DETAILS + victim]
    with ut.open_store(db) as con:
        status = con.execute(
            "SELECT status FROM sync_state WHERE sessionId = ? AND what = 'details'", [victim]
        ).fetchone()
        tasks = con.execute("SELECT count(*) FROM tasks WHERE sessionId = ?", [victim]).fetchone()
    assert status == ("COMPLETE",) and tasks[0] > 0


# -- budget, interruption, concurrency ---------------------------------------------------------


def test_max_requests_stops_cleanly_and_the_next_run_completes(
    make_server: Any, tmp_path: Path
) -> None:
    server = make_server()
    client = connect_to(server)
    db = tmp_path / "budget.duckdb"
    first = ut.sync(db, tests=TESTS, max_requests=30, client=client, progress=False)
    assert first.status == "budget" and not first.complete
    assert len(_api(server)) <= 30
    rest = ut.sync(db, tests=TESTS, client=client, progress=False)
    assert rest.status == "ok"
    clean = tmp_path / "clean.duckdb"
    ut.sync(clean, tests=TESTS, client=client, progress=False)
    _assert_same_store(db, clean)
    assert list(ut.read_store("sync_runs", db=db)["status"]) == ["budget", "ok"]


@pytest.mark.slow
def test_sigkill_mid_sync_then_a_second_sync_equals_a_clean_one(
    make_server: Any, tmp_path: Path
) -> None:
    # latency: slow enough that the kill lands in the middle of the details.
    server = make_server(latency=0.02)
    db = tmp_path / "killed.duckdb"
    proc = _sync_process(server, db, tmp_path, INTERACTION, TOL)
    _wait_for(lambda: server.count(DETAILS) >= 40, proc, "40 details requests")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    client = connect_to(server)
    done = ut.sync(db, tests=[INTERACTION, TOL], client=client, progress=False)
    assert done.status == "ok"
    runs = ut.read_store("sync_runs", db=db)
    assert list(runs["status"]) == ["running", "ok"]  # the killed run never finished
    clean = tmp_path / "clean.duckdb"
    ut.sync(clean, tests=[INTERACTION, TOL], client=client, progress=False)
    _assert_same_store(db, clean)


@pytest.mark.slow
def test_two_syncs_on_one_file_the_second_fails_clearly_or_waits(
    make_server: Any, tmp_path: Path
) -> None:
    server = make_server(latency=0.01)
    db = tmp_path / "shared.duckdb"
    proc = _sync_process(server, db, tmp_path, INTERACTION)
    _wait_for(lambda: server.count(DETAILS) >= 5, proc, "the first sync to start")
    client = connect_to(server)
    with pytest.raises(ut.UTError, match="Another sync is writing") as caught:
        ut.sync(db, tests=[TOL], client=client, progress=False)
    assert str(proc.pid) in str(caught.value)
    # wait=: queue behind it, then run.
    queued = ut.sync(db, tests=[TOL], client=client, progress=False, wait=300)
    assert queued.status == "ok"
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "[1/1] 5265c0df" in out and "sync ok" in out  # a progress line per test
    clean = tmp_path / "clean.duckdb"
    ut.sync(clean, tests=[INTERACTION, TOL], client=client, progress=False)
    _assert_same_store(db, clean)


def test_a_store_never_mixes_two_apis(make_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[EMPTY], client=connect_to(make_server()), progress=False)
    other = connect_to(make_server())  # another URL: another API as far as we know
    with pytest.raises(ut.UTError, match="another API or client id"):
        ut.sync(db, tests=[EMPTY], client=other, progress=False)
    secret = make_server().config.client_secret  # every demo server has the same
    assert secret and secret.encode() not in db.read_bytes()


def test_without_duckdb_sync_raises_an_import_error_naming_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['duckdb'] = None\n"
        "import ut_notebook as ut\n"
        "ut.connect(demo=True)\n"
        "try:\n"
        f"    ut.sync({str(tmp_path / 'x.duckdb')!r}, tests=[])\n"
        "except ImportError as e:\n"
        "    print('IMPORTERROR', e)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert "IMPORTERROR" in out.stdout and "ut-notebook[store]" in out.stdout, out.stderr
    assert not (tmp_path / "x.duckdb").exists()


# -- reading, export, benchmark ---------------------------------------------------------------


def test_read_store_filters_by_test_and_rejects_unknown_tables(server: Any, tmp_path: Path) -> None:
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[TOL, EMPTY], what=("details",), client=client, progress=False)
    both = ut.read_store("sessions", db=db)
    one = ut.read_store("sessions", tests=[TOL], db=db)
    assert set(both["testId"]) == {TOL} and len(one) == len(both)  # the empty test: no rows
    assert ut.read_store("sessions", tests=EMPTY, db=db).empty
    with pytest.raises(ValueError, match="No table"):
        ut.read_store("secrets", db=db)
    with pytest.raises(ut.UTError, match="No research store"):
        ut.read_store("tasks", db=tmp_path / "nowhere.duckdb")


def test_parquet_export_is_partitioned_and_readable(server: Any, tmp_path: Path) -> None:
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    ut.sync(db, tests=[TOL, INTERACTION], client=client, progress=False)
    out = tmp_path / "parquet"
    for _ in range(2):  # a second export replaces the first, never appends
        paths = ut.export_parquet(out, db=db)
    assert set(paths) == set(DATA_TABLES)
    tasks = ut.read_store("tasks", db=db)
    assert sorted(p.name for p in paths["tasks"].iterdir()) == sorted(
        f"testId={t}" for t in (TOL, INTERACTION)
    )
    back = pd.read_parquet(paths["tasks"])
    assert len(back) == len(tasks)
    assert "duration_seconds" in back.columns
    con = duckdb.connect()
    n = con.execute(
        f"SELECT count(*) FROM read_parquet('{paths['tasks'].as_posix()}/*/*.parquet', "
        "hive_partitioning = true) WHERE testId = ?",
        [TOL],
    ).fetchone()[0]
    assert n == int((tasks["testId"] == TOL).sum())


def test_benchmark_agrees_with_the_loaders(server: Any, tmp_path: Path) -> None:
    client = connect_to(server)
    db = tmp_path / "store.duckdb"
    bench = ut.benchmark([SURVEY, INTERACTION], db=db, client=client, progress=False)
    assert list(bench["testId"]) == [INTERACTION, SURVEY] or list(bench["testId"]) == [
        SURVEY,
        INTERACTION,
    ]
    assert bench["created"].is_monotonic_increasing
    row = bench.set_index("testId")
    survey = ut.load_session_details(SURVEY, client=client, progress=False).tasks
    scores = survey.loc[survey["type"] == "NPS", "nps"].dropna().astype(int)
    expected_nps = 100 * ((scores >= 9).mean() - (scores <= 6).mean())
    assert row.loc[SURVEY, "nps"] == pytest.approx(expected_nps)
    assert row.loc[SURVEY, "nps_n"] == len(scores)
    assert row.loc[SURVEY, "nps_low"] < row.loc[SURVEY, "nps"] < row.loc[SURVEY, "nps_high"]
    assert pd.isna(row.loc[SURVEY, "qx_score"]) and pd.isna(row.loc[SURVEY, "completion"])

    tasks = ut.load_session_details(INTERACTION, client=client, progress=False).tasks
    attempts = tasks[tasks["reached"] & tasks["success"].notna()]
    gave_up = tasks[tasks["reached"] & tasks["success"].isna() & tasks["skipped"].fillna(False)]
    gave_up = gave_up[gave_up["type"] == "URL"]
    rate = attempts["success"].sum() / (len(attempts) + len(gave_up))
    assert row.loc[INTERACTION, "completion"] == pytest.approx(rate)
    assert (
        0
        <= row.loc[INTERACTION, "completion_low"]
        < rate
        < row.loc[INTERACTION, "completion_high"]
        <= 1
    )
    qx = ut.load_qx_scores(INTERACTION, client=client)["qxScore"].mean()
    assert abs(row.loc[INTERACTION, "qx_score"] - qx) < 5  # sessions' mean vs API's score
    assert row.loc[INTERACTION, "time_on_task"] > 0
    sessions = ut.load_sessions(INTERACTION, client=client, progress=False)
    assert row.loc[INTERACTION, "sessions"] == len(sessions)

    # sync=False reads only what is there; nothing new is requested.
    server.reset_log()
    again = ut.benchmark([SURVEY, INTERACTION], db=db, sync=False)
    assert _api(server) == []
    pd.testing.assert_frame_equal(again, bench)
    by_task = ut.benchmark([SURVEY, INTERACTION], db=db, by="task", sync=False)
    assert {"text", "completion", "nps"} <= set(by_task.columns)


def test_filler_tests_improve_gently_over_time() -> None:
    from ut_notebook.demo.catalog import CATALOG

    fillers = [s for s in CATALOG.values() if s.key.startswith("filler")]
    age = np.array([-s.start_ms for s in fillers], dtype=float)
    shift = np.array([s.mood_shift for s in fillers])
    assert np.corrcoef(-age, shift)[0, 1] > 0.8  # newer tests, better moods
    assert abs(shift).max() < 0.6  # gentle: well under one standard deviation of mood
    named = [s for s in CATALOG.values() if s.key in ut.demo.TESTS]
    assert all(s.mood_shift == 0 for s in named)


def _bench_frame() -> pd.DataFrame:
    """A benchmark-shaped frame (what ut.benchmark returns), made by hand."""
    return pd.DataFrame(
        {
            "testId": ["a", "b", "c"],
            "title": ["First", "Second", "Third"],
            "created": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-05-01"], utc=True),
            "productType": pd.Categorical(["SURVEY", "SURVEY", "THINK_OUT_LOUD"]),
            "completion": pd.array([0.5, 0.7, None], dtype="Float64"),
            "completion_low": pd.array([0.3, 0.5, None], dtype="Float64"),
            "completion_high": pd.array([0.7, 0.85, None], dtype="Float64"),
            "completion_n": pd.array([10, 12, 0], dtype="Int64"),
        }
    )


def test_benchmark_chart_has_dates_error_bars_and_titles() -> None:
    fig = ut.charts.benchmark(_bench_frame(), metric="completion")
    (trace,) = fig.data  # only SURVEY has the metric
    assert [str(x)[:10] for x in trace.x] == ["2026-01-01", "2026-03-01"]
    assert list(trace.y) == pytest.approx([50.0, 70.0])  # a share, shown in %
    assert list(trace.error_y.array) == pytest.approx([20.0, 15.0])
    assert list(trace.error_y.arrayminus) == pytest.approx([20.0, 20.0])
    assert [c[0] for c in trace.customdata] == ["First", "Second"]
    assert fig.layout.xaxis.title.text == "Test date"
    with pytest.raises(ValueError, match="metric must be one of"):
        ut.charts.benchmark(_bench_frame(), metric="happiness")


def test_benchmark_tasks_chart_compares_one_task_across_tests() -> None:
    frame = pd.concat(
        [_bench_frame().assign(text="Find a recipe"), _bench_frame().assign(text="Only once")]
    )
    frame.loc[frame["text"] == "Only once", "completion"] = pd.NA
    fig = ut.charts.benchmark_tasks(frame, metric="completion")
    assert [t.name for t in fig.data] == ["Find a recipe"]
    assert len(fig.data[0].x) == 2
    none = ut.charts.benchmark_tasks(frame, metric="completion", min_tests=3)
    assert not none.data and "No task" in none.layout.annotations[0].text
