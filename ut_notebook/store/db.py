"""The store's file: where it lives, the sync lock, DuckDB connections, and reading.

DuckDB itself lets one process at a time open a file for writing, and a process may
open it again with the same settings. That is not enough for a sync: two syncs in one
kernel (or a sync and a cron job) must not interleave their writes, and a sync should
not hold the file for the hours a large test takes at 10 requests per minute (readers
in other processes would be locked out). So a sync takes an OS file lock next to the
database for its whole run (:class:`SyncLock`), and opens the database only for each
short write transaction.

>>> con = open_store("/tmp/example.duckdb")                              # doctest: +SKIP
>>> con.sql("SELECT count(*) FROM tasks").fetchone()                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import UTError
from ..ids import parse_uuid
from .schema import DATA_TABLES, TABLES, ddl, from_db

if TYPE_CHECKING:  # duckdb is optional: imported only when the store is used
    import duckdb

__all__ = [
    "SyncLock",
    "default_store_path",
    "open_store",
    "read_store",
    "require_duckdb",
    "store_path",
]

EXTRA = "pip install 'ut-notebook[store]'"
# How long a write waits for another process's open connection (a reader) to close.
CONNECT_WAIT = 15.0


def require_duckdb() -> Any:
    """The ``duckdb`` module, or an ImportError that names the extra to install."""
    try:
        import duckdb
    except ImportError as exc:
        raise ImportError(
            f"The research store needs DuckDB: {EXTRA} (or pip install duckdb pyarrow)."
        ) from exc
    return duckdb


def default_store_path(demo: bool = False) -> Path:
    """The store in the user data folder (platformdirs): ``store.duckdb``, or
    ``store-demo.duckdb`` for the simulator so demo data never mixes with real data.

    >>> default_store_path(demo=True).name
    'store-demo.duckdb'
    """
    try:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("ut-notebook", appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        folder = Path.home() / ".local" / "share" / "ut-notebook"
    return folder / ("store-demo.duckdb" if demo else "store.duckdb")


def store_path(db: str | os.PathLike[str] | None, demo: bool | None = None) -> Path:
    """``db`` as a path; ``None`` is the default store (the demo one when ``demo`` is
    true, or when not given and the current client is the simulator)."""
    if db is not None:
        return Path(db).expanduser()
    if demo is None:
        from ..api.connect import current_client

        client = current_client()
        demo = bool(client is not None and client.demo)
    return default_store_path(demo)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc)
    return "lock" in text.lower() or "different configuration" in text


def connect(
    path: Path, *, read_only: bool, wait: float = CONNECT_WAIT
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path``; waits up to ``wait`` seconds while another process
    has the file open, then raises a :class:`UTError` that says what to do."""
    duckdb = require_duckdb()
    if read_only and not path.exists():
        raise UTError(
            f"No research store at {path}: run ut.sync() (or `ut-notebook sync`) first, "
            "or pass the right db=."
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            if not _is_lock_conflict(exc):
                raise UTError(f"Cannot open the research store {path}: {exc}") from None
            if isinstance(exc, duckdb.ConnectionException):  # this process, other settings
                raise UTError(
                    f"The research store {path} is open in this process with other settings "
                    "(a connection from ut.open_store()?): close it first (con.close()), or "
                    "use ut.read_store(), which closes its connection."
                ) from None
            if time.monotonic() >= deadline:
                raise UTError(
                    f"The research store {path} is held by another process ({exc}). Close "
                    "the other connection (con.close() in that notebook) or try again later."
                ) from None
            time.sleep(0.2)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every table, if missing (idempotent)."""
    for name in TABLES:
        con.execute(ddl(name))


class SyncLock:
    """An exclusive OS lock on ``<db>.lock`` for the length of one sync.

    The OS drops it when the process dies (even by SIGKILL), so a crash never leaves a
    stale lock. ``wait`` is how long to wait for another sync; 0 fails at once.
    """

    def __init__(self, db: Path, *, wait: float = 0.0) -> None:
        self.path = db.with_name(db.name + ".lock")
        self.wait = wait
        self._fd: int | None = None

    def _try(self, fd: int) -> bool:
        if sys.platform == "win32":  # pragma: no cover - tested on Linux
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return False
            return True
        import fcntl

        try:
            # flock: per open file, so two syncs in one process exclude each other too.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def __enter__(self) -> SyncLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while not self._try(fd):
            if time.monotonic() >= deadline:
                try:
                    os.lseek(fd, 0, os.SEEK_SET)
                    holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
                finally:
                    os.close(fd)
                raise UTError(
                    f"Another sync is writing {self.path.with_suffix('')} (PID {holder}): wait "
                    "for it to finish, or pass wait= (--wait) to queue behind it."
                )
            time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode())  # for the other sync's message
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the file releases the lock
            self._fd = None


def open_store(
    db: str | os.PathLike[str] | None = None, *, read_only: bool = True
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the research store (read-only by default).

    Close it when done (``con.close()``, or ``with ut.open_store() as con:``): while a
    connection is open, a sync in another process waits for it.

    >>> with ut.open_store() as con:                                     # doctest: +SKIP
    ...     con.sql("SELECT productType, count(*) FROM tests GROUP BY 1").df()
    """
    path = store_path(db)
    con = connect(path, read_only=read_only)
    if not read_only:
        create_tables(con)
    return con


def _test_ids(tests: str | Iterable[str] | None) -> list[str] | None:
    if tests is None:
        return None
    if isinstance(tests, str):
        tests = [tests]
    elif isinstance(tests, pd.DataFrame):
        tests = tests["testId"]
    return [parse_uuid(t, "test id") for t in tests]


def read_store(
    table: str,
    *,
    tests: str | Iterable[str] | None = None,
    db: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """One table of the store as a DataFrame with the loaders' dtypes.

    Args:
        table: ``tests``, ``sessions``, ``participants``, ``demographics``, ``tasks``,
            ``task_groups``, ``qx_scores``, ``transcript_cues``, ``clips`` or ``sync_runs``.
        tests: only these test ids (a string, a list, or a frame with ``testId``).
        db: the store file (default: the one ``ut.sync()`` writes).

    >>> tasks = ut.read_store("tasks", tests=ut.demo.TESTS["survey"])      # doctest: +SKIP
    >>> tasks.query("type == 'NPS'")["nps"].mean()                         # doctest: +SKIP
    """
    if table not in DATA_TABLES:
        raise ValueError(f"No table {table!r} in the store; its tables: {', '.join(DATA_TABLES)}.")
    ids = _test_ids(tests)
    if ids is not None and table == "sync_runs":
        raise ValueError("sync_runs is not per test: leave tests= out.")
    path = store_path(db)
    with contextlib.closing(connect(path, read_only=True)) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if table not in present:
            return from_db(table, pd.DataFrame())
        order = ", ".join(f'"{c}"' for c in TABLES[table].key)
        if ids is None:
            frame = con.execute(f"SELECT * FROM {table} ORDER BY {order}").df()
        else:
            frame = con.execute(
                f"SELECT * FROM {table} WHERE testId IN (SELECT unnest(?)) ORDER BY {order}",
                [ids],
            ).df()
    out = from_db(table, frame)
    out.attrs["store"] = str(path)
    return out
