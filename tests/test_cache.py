"""The SQLite cache: keys, settings, transactions (a crash mid-write), a broken file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from tests.conftest import connect_to
from ut_notebook.cache import CACHE_FILE, Cache, CacheWarning, cache_api_key, default_cache_dir
from ut_notebook.demo import TESTS

API = "https://api.use2.usertesting.com"
ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_put_and_get(tmp_path: Path) -> None:
    cache = Cache(tmp_path / CACHE_FILE)
    assert cache.get(API, "details", ID) is None
    assert cache.put(API, "details", ID, '{"a": "crème"}') is True
    assert cache.get(API, "details", ID) == '{"a": "crème"}'
    assert cache.get(API, "transcript", ID) is None  # kinds are separate
    assert cache.get("https://other.example", "details", ID) is None  # so are APIs
    assert cache.put(API, "details", ID, "{}") and cache.get(API, "details", ID) == "{}"
    assert cache.has_any(API, ID) and not cache.has_any(API, ID.replace("3", "4"))
    info = cache.info()
    assert (info.entries, info.details, info.transcripts) == (1, 1, 0) and info.size_bytes > 0
    with pytest.raises(ValueError):
        cache.put(API, "token", ID, "x")


def test_get_many_beyond_sqlite_parameter_limits(tmp_path: Path) -> None:
    cache = Cache(tmp_path / CACHE_FILE)
    ids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(1200)]
    for sid in ids[::3]:
        cache.put(API, "details", sid, sid)
    found = cache.get_many(API, "details", ids)
    assert found == {sid: sid for sid in ids[::3]}


def test_api_key_never_holds_credentials() -> None:
    assert cache_api_key("https://user:secret@API.example.com:8443/v/?token=abc#x") == (
        "https://api.example.com:8443/v"
    )
    assert cache_api_key("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_file_is_private(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "sub" / CACHE_FILE)
    cache.put(API, "details", ID, "{}")
    if os.name == "posix":
        assert (tmp_path / "sub" / CACHE_FILE).stat().st_mode & 0o077 == 0


def test_settings_from_environment_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UT_CACHE_DIR", str(tmp_path / "env"))
    assert Cache.from_environment().path == tmp_path / "env" / CACHE_FILE
    monkeypatch.delenv("UT_CACHE_DIR")
    assert Cache.from_environment().path == default_cache_dir() / CACHE_FILE
    assert "ut-notebook" in str(default_cache_dir())
    Path(".env").write_text(f"UT_CACHE_DIR={tmp_path / 'dotenv'}\n")  # cwd is a temp dir
    assert Cache.from_environment().path == tmp_path / "dotenv" / CACHE_FILE
    monkeypatch.setenv("UT_CACHE", "0")
    off = Cache.from_environment()
    assert not off.enabled and off.put(API, "details", ID, "{}") is False
    assert off.get(API, "details", ID) is None and "disabled" in repr(off)


def test_clear_cache_even_when_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    Cache.from_environment().put(API, "details", ID, "{}")
    monkeypatch.setenv("UT_CACHE", "0")
    assert ut.clear_cache() == 1
    monkeypatch.delenv("UT_CACHE")
    assert Cache.from_environment().get(API, "details", ID) is None


_WRITER = textwrap.dedent(
    """
    import sys
    from ut_notebook.cache import Cache
    cache = Cache(sys.argv[1])
    i = 0
    while True:
        cache.put("https://api.example.com", "details", f"{i:08d}-0000-4000-8000-000000000000",
                  "x" * 20000)
        print(i, flush=True)
        i += 1
    """
)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_survives_a_crash_mid_write(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout is not None
    for _ in range(30):  # 30 committed writes, then kill it in the middle of more
        last = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute("SELECT body FROM entries").fetchall()
    assert len(rows) >= last + 1  # every committed write is there
    assert all(body == "x" * 20000 for (body,) in rows)  # and none is half-written
    cache = Cache(path)
    assert cache.put(API, "details", ID, "after") and cache.get(API, "details", ID) == "after"


def test_uncommitted_write_is_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    Cache(path).put(API, "details", ID, "old")
    code = textwrap.dedent(
        f"""
        import os, sqlite3
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE entries SET body = 'new'")
        os._exit(1)  # the process dies before COMMIT
        """
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    assert Cache(path).get(API, "details", ID) == "old"


def test_a_broken_cache_file_warns_and_loading_goes_on(
    client: ut.Client, server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UT_CACHE_DIR", str(tmp_path))
    connect_to(server)  # settings (UT_CACHE_DIR) are read once per connect
    (tmp_path / CACHE_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.warns(CacheWarning, match="continuing without it"):
        details = ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert len(details) == 36
    assert ut.clear_cache() == 0  # starts afresh
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert Cache.from_environment().info().details > 30


def test_demo_data_is_cached_across_simulator_restarts() -> None:
    # The demo server's port changes per kernel; its (deterministic) data must still
    # be served from the cache the second time.
    from ut_notebook.demo import TESTS, demo_server

    ut.connect(demo=True)
    first = ut.load_session_details(TESTS["think_out_loud"], progress=False)
    demo_server().stop()
    ut.disconnect()
    ut.connect(demo=True)  # a new server on a new port
    server = demo_server()
    second = ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert server.count("/api/v3/sessionResults/") < len(second.participants)
    pd.testing.assert_frame_equal(first.tasks, second.tasks)
