"""A persistent on-disk cache of API answers that never change, in SQLite.

Details and transcripts of COMPLETE sessions do not change, and at 10 requests per
minute a test of 1,000 sessions takes 100 minutes to load the first time. The cache
makes the second time take none: loaders look here first and only ask the API for
what is missing.

* Where: ``UT_CACHE_DIR`` (environment or ``.env``), default the user cache directory
  (``~/.cache/ut-notebook`` on Linux, ``~/Library/Caches/ut-notebook`` on macOS,
  ``%LOCALAPPDATA%\\ut-notebook\\Cache`` on Windows). One file: ``cache.sqlite3``.
* ``UT_CACHE=0`` switches it off; ``refresh=True`` on a loader bypasses and rewrites it;
  :func:`clear_cache` (``ut.clear_cache()``) empties it.
* Keyed by the API URL (without any credentials or query), a hash of the client id
  (never the secret) and the session id: the demo simulator and the real API never
  mix, and a second client id on the same machine never reads the first one's entries.
* Holds only what parsed: loaders validate an answer before storing it, and an entry
  that no longer parses is dropped and fetched again.
* Holds response bodies and what is derived from them only (a session's parsed columns,
  a test's assembled frames): never a token, a secret or a request header.
* Every write is one SQLite transaction in WAL mode: a crash or a kernel interrupt
  mid-write leaves the previous state, never a half-written entry.

>>> cache = Cache.from_environment()                                   # doctest: +SKIP
>>> cache.get_many("https://api.use2.usertesting.com", "details", ["<session id>"])
... # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from .api.settings import Settings

__all__ = [
    "CACHE_FILE",
    "Cache",
    "CacheInfo",
    "CacheWarning",
    "cache_api_key",
    "cache_folder",
    "clear_cache",
    "default_cache_dir",
    "get_cache",
]

CACHE_FILE = "cache.sqlite3"
SCHEMA_VERSION = 1
# "details-v3": session details already parsed into columns (see loaders/details.py),
# derived from "details"; the suffix is the parser's version. "details-frames-v1": a
# test's assembled frames (Arrow IPC, keyed by test id), derived from "details-v3".
KINDS = ("details", "transcript", "clips", "details-v3", "details-frames-v1")
# SQLite caps the number of "?" in one statement (32,766 since 3.32; 999 before).
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    api      TEXT NOT NULL,  -- the API URL: scheme, host, port and path only
    kind     TEXT NOT NULL,  -- 'details' (v3 JSON) or 'transcript' (WebVTT)
    id       TEXT NOT NULL,  -- the session id (lower-case UUID)
    body     TEXT NOT NULL,  -- the response body, exactly as received (BLOB: a snapshot)
    stored   REAL NOT NULL,  -- Unix time of the write
    PRIMARY KEY (api, kind, id)
) WITHOUT ROWID;
"""


class CacheWarning(UserWarning):
    """The cache could not be used (unreadable file, full disk...); loading goes on
    without it. Silence with ``warnings.simplefilter("ignore", ut.CacheWarning)``."""


def default_cache_dir() -> Path:
    """The user cache directory for ut-notebook (platformdirs' choice when installed)."""
    try:
        from platformdirs import user_cache_dir
    except ImportError:  # pragma: no cover - platformdirs comes with Jupyter
        return _fallback_cache_dir()
    return Path(user_cache_dir("ut-notebook", appauthor=False))


def _fallback_cache_dir() -> Path:  # pragma: no cover - depends on the platform
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "ut-notebook" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "ut-notebook"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "ut-notebook"


def cache_api_key(api_url: str) -> str:
    """The API part of a cache key: scheme, host, port and path, lower-cased host,
    no user name, password, query or fragment (so never a credential).

    >>> cache_api_key("https://user:pw@API.use2.usertesting.com/?x=1")
    'https://api.use2.usertesting.com'
    """
    parts = urlsplit(api_url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class CacheInfo:
    """What is in the cache: ``ut.cache.get_cache().info()``."""

    path: Path | None
    enabled: bool
    entries: int
    details: int
    transcripts: int
    size_bytes: int


class Cache:
    """The SQLite cache file. Thread-safe: each operation opens its own connection.

    A disabled cache (``Cache(None)``) finds nothing and stores nothing.
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path is not None else None
        self._ready = False
        self._lock = threading.Lock()
        self._broken = False
        self._local = threading.local()

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        """The cache a client's loaders use: ``UT_CACHE``/``UT_CACHE_DIR`` as read by
        :func:`~ut_notebook.load_settings`, else the default folder. A folder that cannot
        be used gives a disabled cache and one :class:`CacheWarning`."""
        if not settings.cache:
            return cls(None)
        base = cache_folder(settings)
        return cls(None) if base is None else cls(base / CACHE_FILE)

    @classmethod
    def from_environment(cls) -> Cache:
        """The cache as the environment and ``.env`` configure it right now."""
        from .api.settings import load_settings

        return cls.from_settings(load_settings())

    @property
    def enabled(self) -> bool:
        return self.path is not None and not self._broken

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "disabled (UT_CACHE=0)"
        return f"<ut_notebook.Cache {where}>"

    # -- connections ----------------------------------------------------------------------

    def _prepare(self) -> None:
        assert self.path is not None
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                # WAL: readers never block the writer; a crash mid-write rolls back.
                conn.execute("PRAGMA journal_mode=WAL")
                with conn:
                    conn.executescript(_SCHEMA)
                    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            finally:
                conn.close()
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)  # results are private research data
            self._ready = True

    @contextlib.contextmanager
    def connection(self) -> Iterator[None]:
        """Use one SQLite connection for every read and write inside (one per load,
        in the load's thread), instead of one per operation."""
        if not self.enabled or getattr(self._local, "conn", None) is not None:
            yield
            return
        try:
            self._prepare()
            conn = self._open()
        except (sqlite3.Error, OSError) as exc:
            self._guard("be opened", exc)
            yield
            return
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = None
            conn.close()

    def _open(self) -> sqlite3.Connection:
        assert self.path is not None
        # isolation_level=None: we open and commit transactions explicitly.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL mode
        return conn

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        shared = getattr(self._local, "conn", None)
        if shared is not None:
            yield shared
            return
        if not self._ready:
            self._prepare()
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()

    def _guard(self, what: str, exc: Exception) -> None:
        # A broken cache must never break a load: warn once and carry on without it.
        self._broken = True
        warnings.warn(
            f"The ut-notebook cache at {self.path} could not {what} ({exc}); continuing "
            "without it. Run ut.clear_cache() or delete the file to start afresh, or set "
            "UT_CACHE=0.",
            CacheWarning,
            stacklevel=4,
        )

    # -- reads and writes -----------------------------------------------------------------

    def get_many(self, api_url: str, kind: str, ids: Iterable[str]) -> dict[str, str]:
        """The cached bodies of ``ids`` (those present), by id."""
        ids = list(dict.fromkeys(ids))
        if not self.enabled or not ids:
            return {}
        api = api_url
        found: dict[str, str] = {}
        try:
            with self._connect() as conn:
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        f"SELECT id, body FROM entries WHERE api=? AND kind=? AND id IN ({marks})",
                        [api, kind, *chunk],
                    )
                    found.update(rows)
        except (sqlite3.Error, OSError) as exc:
            self._guard("be read", exc)
            return {}
        return found

    def get(self, api_url: str, kind: str, id: str) -> str | None:
        return self.get_many(api_url, kind, [id]).get(id)

    def get_bytes(self, api_url: str, kind: str, id: str) -> bytes | None:
        """A binary entry (a snapshot), or ``None`` if absent or not binary."""
        body = self.get_many(api_url, kind, [id]).get(id)
        return body if isinstance(body, bytes) else None

    def has_any(self, api_url: str, id: str) -> bool:
        """True when anything is cached for session ``id`` -- it is then known COMPLETE,
        since only COMPLETE sessions are ever stored."""
        return any(self.get_many(api_url, kind, [id]) for kind in KINDS[:3])

    def put(self, api_url: str, kind: str, id: str, body: str | bytes) -> bool:
        """Store one body (text, or bytes for a snapshot) in its own transaction.
        Returns False if the cache is off."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if not self.enabled:
            return False
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(
                        "INSERT OR REPLACE INTO entries (api, kind, id, body, stored) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (api_url, kind, id, body, time.time()),
                    )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            self._guard("be written", exc)
            return False
        return True

    def discard(self, api_url: str, kind: str, ids: Iterable[str]) -> None:
        """Drop entries (that no longer parse, say); a no-op when the cache is off."""
        ids = list(ids)
        if not self.enabled or not ids:
            return
        try:
            with self._connect() as conn:
                conn.executemany(
                    "DELETE FROM entries WHERE api=? AND kind=? AND id=?",
                    [(api_url, kind, i) for i in ids],
                )
        except (sqlite3.Error, OSError) as exc:
            self._guard("be written", exc)

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        if self.path is None or not self.path.exists():
            return 0
        try:
            with self._connect() as conn:
                conn.execute("BEGIN IMMEDIATE")
                (count,) = conn.execute("SELECT COUNT(*) FROM entries").fetchone()
                conn.execute("DELETE FROM entries")
                conn.execute("COMMIT")
                conn.execute("VACUUM")  # give the space back and drop old pages
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError:
            # Not a database any more (or corrupt): start afresh.
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(self.path) + suffix).unlink()
            self._ready = False
            self._broken = False
            return 0
        self._broken = False
        return int(count)

    def info(self) -> CacheInfo:
        """Counts and size on disk."""
        if self.path is None or not self.path.exists():
            return CacheInfo(self.path, self.path is not None, 0, 0, 0, 0)
        with self._connect() as conn:
            counts = dict(conn.execute("SELECT kind, COUNT(*) FROM entries GROUP BY kind"))
        size = sum(
            Path(str(self.path) + suffix).stat().st_size
            for suffix in ("", "-wal")
            if Path(str(self.path) + suffix).exists()
        )
        return CacheInfo(
            self.path,
            self.enabled,
            sum(counts.values()),
            counts.get("details", 0),
            counts.get("transcript", 0),
            size,
        )


def cache_folder(settings: Settings) -> Path | None:
    """The cache folder ``settings`` name (``UT_CACHE_DIR`` or the default), created if
    needed; ``None``, with one :class:`CacheWarning`, if it cannot be used."""
    if not settings.cache_dir:
        return default_cache_dir()
    problem = ""
    try:
        folder = Path(settings.cache_dir).expanduser()
    except RuntimeError:  # "~unknown-user/...": Python raises instead of leaving it as is
        folder = Path(settings.cache_dir)
    if str(folder).startswith("~"):
        problem = "cannot be expanded (no such user, or no home folder)"
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = f"cannot be created ({exc.strerror or type(exc).__name__})"
    if problem:
        warnings.warn(
            f"UT_CACHE_DIR={settings.cache_dir!r} {problem}: running without the cache. Set "
            "UT_CACHE_DIR to a folder you can write to, or UT_CACHE=0.",
            CacheWarning,
            stacklevel=4,
        )
        return None
    return folder


def get_cache() -> Cache:
    """The cache as configured right now (``UT_CACHE``, ``UT_CACHE_DIR``)."""
    return Cache.from_environment()


def clear_cache() -> int:
    """Empty the on-disk cache of session details and transcripts.

    Returns the number of entries removed. The next loads ask the API again.

    >>> ut.clear_cache()                                                  # doctest: +SKIP
    240
    """
    from .api.settings import load_settings

    settings = load_settings()
    # UT_CACHE=0 hides the location, not the file: clear the configured folder too.
    base = cache_folder(settings)
    return 0 if base is None else Cache(base / CACHE_FILE).clear()
