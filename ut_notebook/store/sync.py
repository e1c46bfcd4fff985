"""``ut.sync()``: bring a DuckDB research store up to date with the API, incrementally.

Per test: one ``load_sessions`` (the page requests), then only the answers the store
does not have yet -- new sessions, and sessions whose status changed since their
answer was stored (an IN_PROGRESS session that is COMPLETE now) -- fetched with the
loaders in chunks. Each chunk is written in one transaction together with the
bookkeeping that says it is stored (table ``sync_state``), so an interrupted sync
(Ctrl-C, SIGKILL, a full disk) leaves a consistent file and the next run carries on
from the last chunk. The loaders' per-session cache still applies: answers of
COMPLETE sessions already cached cost no request.

>>> result = ut.sync(tests=[ut.demo.TESTS["survey"]], db="research.duckdb")  # doctest: +SKIP
>>> result.requests, result.status                                         # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ..api.client import Client
from ..api.connect import require_client
from ..api.scheduler import BACKGROUND, request_context
from ..errors import AuthError, NotConnectedError, RateLimitError, UTError
from ..ids import parse_uuid
from ..loaders.catalog import list_tests
from ..loaders.details import load_session_details
from ..loaders.per_session import cache_scope
from ..loaders.qxscores import load_qx_scores
from ..loaders.sessions import MAX_PAGE_SIZE, load_sessions
from ..loaders.transcripts import load_transcripts
from .db import SyncLock, connect, create_tables, require_duckdb, store_path
from .schema import to_db

__all__ = ["WHAT", "SyncResult", "sync"]

WHAT = ("sessions", "details", "transcripts", "qx_scores", "clips")
# Sessions per write: small enough that an interrupt loses little (2.5 minutes of
# requests at 10 per minute), large enough that the transactions stay few.
CHUNK = 25
# Product types whose sessions have video (clips) and speech (transcripts).
_VIDEO = {"NON_THINK_OUT_LOUD", "THINK_OUT_LOUD"}
_SPEECH = {"THINK_OUT_LOUD"}
# Errors that would fail every other test too: stop the run instead of repeating them.
_FATAL = (AuthError, NotConnectedError, RateLimitError)


class BudgetSpent(Exception):
    """``max_requests`` is reached: the run stops cleanly (not an error)."""


@dataclass
class SyncResult:
    """What one sync did. ``status``: ``ok``, ``budget`` (stopped at ``max_requests``;
    the next run continues) or ``errors`` (some tests failed: see ``errors``)."""

    db: Path
    run_id: int
    status: str = "running"
    tests: int = 0
    requests: int = 0
    fetched: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be synced, and why
    per_test: list[dict[str, Any]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every test was brought fully up to date."""
        return self.status == "ok"

    def __repr__(self) -> str:
        return (
            f"<SyncResult {self.status}: {self.tests} tests, {self.requests} requests, "
            f"{self.fetched} answers fetched, {len(self.errors)} errors -> {self.db}>"
        )


def _now() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(timezone.utc))


def _since(since: Any) -> pd.Timestamp | None:
    if since is None:
        return None
    try:
        stamp = pd.Timestamp(since)
    except (TypeError, ValueError):
        raise ValueError(f"since must be a date such as '2026-01-31', not {since!r}.") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _what(what: Sequence[str] | str) -> tuple[str, ...]:
    items = (what,) if isinstance(what, str) else tuple(what)
    unknown = [w for w in items if w not in WHAT]
    if unknown:
        raise ValueError(f"what= {unknown} unknown; choose from {', '.join(WHAT)}.")
    return tuple(dict.fromkeys(("sessions", *items)))  # sessions are always listed


def _clip_loader() -> Callable[..., pd.DataFrame] | None:
    import ut_notebook as ut

    return getattr(ut, "load_clips", None) if hasattr(ut, "load_clips") else None


class _Run:
    """One sync run: the client, the store file, the budget and what happened."""

    def __init__(
        self,
        client: Client,
        path: Path,
        what: tuple[str, ...],
        max_requests: int | None,
        say: Callable[[str], None],
    ) -> None:
        self.client = client
        self.path = path
        self.what = what
        self.max_requests = max_requests
        self.say = say
        self.start_requests = client.stats.requests
        self.result = SyncResult(db=path, run_id=0)

    # -- the budget --------------------------------------------------------------------

    @property
    def used(self) -> int:
        return self.client.stats.requests - self.start_requests

    def left(self) -> int | None:
        if self.max_requests is None:
            return None
        return self.max_requests - self.used

    def need(self, n: int = 1) -> int:
        """How many of ``n`` requests the budget allows (at least 1, else BudgetSpent)."""
        left = self.left()
        if left is None:
            return n
        if left < 1:
            raise BudgetSpent
        return min(n, left)

    # -- the database --------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Any:
        """One short transaction on a connection opened for it (see db.py for why)."""
        con = connect(self.path, read_only=False)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        con = connect(self.path, read_only=False)
        try:
            return con.execute(sql, list(params)).df()
        finally:
            con.close()

    def prepare(self) -> None:
        """Tables, the store's origin (never mixes two APIs or client ids), the run row."""
        source = cache_scope(self.client)  # API URL + a hash of the client id, no secret
        with self.write() as con:
            create_tables(con)
            row = con.execute("SELECT value FROM store_meta WHERE key = 'source'").fetchone()
            if row is None:
                con.execute("INSERT INTO store_meta VALUES ('source', ?)", [source])
            elif row[0] != source:
                raise UTError(
                    f"The store {self.path} holds data from another API or client id "
                    f"({row[0].split(' ')[0]}); sync into another file (db=, --db) so the "
                    "two never mix."
                )
            run_id = con.execute("SELECT coalesce(max(runId), 0) + 1 FROM sync_runs").fetchone()
            self.result.run_id = int(run_id[0])
            con.execute(
                "INSERT INTO sync_runs (runId, started, status, what) VALUES (?, ?, 'running', ?)",
                [self.result.run_id, _now().to_pydatetime(), ",".join(self.what)],
            )

    def finish(self, status: str) -> None:
        r = self.result
        r.status = status
        r.requests = self.used
        errors = "\n".join(r.errors + r.skipped) or None
        with self.write() as con:
            con.execute(
                "UPDATE sync_runs SET finished = ?, status = ?, tests = ?, requests = ?, "
                "fetched = ?, errors = ? WHERE runId = ?",
                [_now().to_pydatetime(), status, r.tests, r.requests, r.fetched, errors, r.run_id],
            )

    def replace(
        self, con: Any, table: str, test_id: str, ids: list[str], frame: pd.DataFrame
    ) -> None:
        """Rows of ``ids`` in ``table`` become those of ``frame`` (delete, then insert: a
        session's tasks may be fewer than before)."""
        if ids:
            con.execute(
                f"DELETE FROM {table} WHERE testId = ? AND sessionId IN (SELECT unnest(?))",
                [test_id, ids],
            )
        self.insert(con, table, frame, test_id)

    @staticmethod
    def insert(con: Any, table: str, frame: pd.DataFrame, test_id: str | None) -> None:
        if frame.empty:
            return
        rows = to_db(table, frame, test_id)  # noqa: F841 - read by name in the SQL below
        con.execute(f"INSERT OR REPLACE INTO {table} BY NAME SELECT * FROM rows")

    @staticmethod
    def mark(con: Any, test_id: str, what: str, states: dict[str, str]) -> None:
        """Record that ``what`` of these sessions is stored, at these statuses."""
        if not states:
            return
        rows = pd.DataFrame(  # noqa: F841 - read by name in the SQL below
            {
                "testId": test_id,
                "sessionId": list(states),
                "what": what,
                "status": list(states.values()),
                "synced": _now(),
            }
        )
        con.execute("INSERT OR REPLACE INTO sync_state BY NAME SELECT * FROM rows")

    def state(self, test_id: str) -> dict[tuple[str, str], str]:
        frame = self.query(
            "SELECT sessionId, what, status FROM sync_state WHERE testId = ?", [test_id]
        )
        return {
            (s, w): st
            for s, w, st in zip(frame["sessionId"], frame["what"], frame["status"], strict=True)
        }

    # -- tests ---------------------------------------------------------------------------

    def catalog(
        self, tests: list[str] | None, workspace: str | None, since: pd.Timestamp | None
    ) -> pd.DataFrame:
        """The tests to sync, with their metadata, written to ``tests``."""
        known = self.query("SELECT * FROM tests")
        if tests is not None and set(tests) <= set(known["testId"]):
            listed = known[known["testId"].isin(tests)]  # no request: the metadata is stored
        else:
            self.need(1)
            listed = list_tests(workspace=workspace, client=self.client, progress=False)
            with self.write() as con:
                self.insert(con, "tests", listed, None)
            if tests is None:
                listed = listed[listed["type"].astype("string") == "STUDYV2"]
            else:
                found = set(listed["testId"])
                unknown = [t for t in tests if t not in found]
                listed = listed[listed["testId"].isin(tests)]
                if unknown:  # not in a listed workspace: sync it anyway, without metadata
                    bare = pd.DataFrame({"testId": unknown})
                    with self.write() as con:
                        con.execute("INSERT OR IGNORE INTO tests BY NAME SELECT * FROM bare")
                    listed = pd.concat([listed, bare], ignore_index=True)
        if since is not None and "created" in listed:
            created = pd.to_datetime(listed["created"], utc=True)
            listed = listed[created.isna() | (created >= since)]
        order = {t: i for i, t in enumerate(tests or [])}
        if tests is not None:
            listed = listed.assign(_o=listed["testId"].map(order)).sort_values("_o")
        return listed.reset_index(drop=True)

    def test(self, test_id: str, product: str | None) -> dict[str, Any]:
        """Sync one test; returns its summary line's numbers."""
        before = self.used
        info: dict[str, Any] = {"testId": test_id, "sessions": 0, "fetched": 0}
        stored = self.query("SELECT count(*) AS n FROM sessions WHERE testId = ?", [test_id])
        pages = max(1, math.ceil((int(stored["n"].iloc[0]) + 1) / MAX_PAGE_SIZE))
        allowed = self.need(pages)
        # max_rows caps the pages at what the budget allows; a cut list is still stored.
        max_rows = None if self.max_requests is None else allowed * MAX_PAGE_SIZE
        sessions = load_sessions(test_id, client=self.client, max_rows=max_rows, progress=False)
        listed_all = len(sessions) >= int(sessions.attrs.get("totalCount") or 0)
        with self.write() as con:
            self.insert(con, "sessions", sessions, test_id)
        info["sessions"] = len(sessions)
        status = dict(zip(sessions["sessionId"], sessions["status"].astype("string"), strict=True))
        state = self.state(test_id)

        def todo(what: str) -> list[str]:
            # New sessions, and those whose status changed since their answer was stored
            # (an IN_PROGRESS session's transcript grows; a COMPLETE one's never changes).
            return [sid for sid, st in status.items() if state.get((sid, what)) != st]

        if "details" in self.what:
            info["fetched"] += self.per_session(test_id, "details", todo("details"), status)
        speech = product is None or pd.isna(product) or product in _SPEECH
        if "transcripts" in self.what and speech:
            info["fetched"] += self.per_session(test_id, "transcripts", todo("transcripts"), status)
        video = product is None or pd.isna(product) or product in _VIDEO
        if "clips" in self.what and video:
            if _clip_loader() is None:
                note = "clips: skipped (this version has no ut.load_clips; update ut-notebook)"
                if note not in self.result.skipped:
                    self.result.skipped.append(note)
            else:
                info["fetched"] += self.per_session(test_id, "clips", todo("clips"), status)
        if "qx_scores" in self.what:
            self.qx_scores(test_id, status, state)
        info["requests"] = self.used - before
        info["complete"] = listed_all
        return info

    def per_session(self, test_id: str, what: str, ids: list[str], status: dict[str, str]) -> int:
        """Fetch ``what`` of ``ids`` in chunks, each written in one transaction."""
        fetched = 0
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            chunk = chunk[: self.need(len(chunk))]
            frame = pd.DataFrame({"sessionId": chunk, "status": [status[s] for s in chunk]})
            frame.attrs["testId"] = test_id
            tables, states = self.fetch(what, frame)
            with self.write() as con:  # the rows and the mark that they are stored: together
                for table, rows in tables:
                    self.replace(con, table, test_id, list(states), rows)
                self.mark(con, test_id, what, states)
            fetched += len(states)
            if len(chunk) < CHUNK and start + len(chunk) < len(ids):
                raise BudgetSpent
        return fetched

    def fetch(
        self, what: str, frame: pd.DataFrame
    ) -> tuple[list[tuple[str, pd.DataFrame]], dict[str, str]]:
        """``([(table, rows)], {session: status})`` of one chunk. Sessions whose answer
        could not be read are left out of the states: fetched again next run. Sessions
        without one (404: no transcript) are in the states, with no rows."""
        if what == "details":
            details = load_session_details(frame, client=self.client, progress=False)
            demo = details.demographics.copy()
            demo["seq"] = demo.groupby("sessionId", sort=False).cumcount() + 1
            tables = [
                ("participants", details.participants),
                ("demographics", demo),
                ("tasks", details.tasks),
                ("task_groups", details.task_groups),
            ]
            failed = details.attrs.get("failed") or {}
        elif what == "transcripts":
            cues = load_transcripts(frame, client=self.client, progress=False).copy()
            cues["seq"] = cues.groupby("sessionId", sort=False).cumcount() + 1
            tables = [("transcript_cues", cues)]
            failed = cues.attrs.get("failed") or {}
        else:  # clips
            loader = _clip_loader()
            assert loader is not None
            clips = loader(frame, client=self.client, progress=False)
            tables = [("clips", clips)]
            failed = clips.attrs.get("failed") or {}
        for sid, why in failed.items():
            self.result.errors.append(f"{what} of session {sid}: {why}")
        status = dict(zip(frame["sessionId"], frame["status"], strict=True))
        return tables, {sid: st for sid, st in status.items() if sid not in failed}

    def qx_scores(self, test_id: str, status: dict[str, str], state: dict[Any, str]) -> None:
        """The test's QXscores, when it has QX task groups and its COMPLETE sessions
        changed since they were stored (the scores are computed from those)."""
        groups = self.query(
            "SELECT count(*) AS n FROM task_groups WHERE testId = ? AND type = 'QX_SCORE'",
            [test_id],
        )
        if int(groups["n"].iloc[0]) == 0:
            return
        fingerprint = str(sum(1 for st in status.values() if st == "COMPLETE"))
        if state.get(("", "qx_scores")) == fingerprint:
            return
        self.need(1)
        scores = load_qx_scores(test_id, client=self.client)
        with self.write() as con:
            con.execute("DELETE FROM qx_scores WHERE testId = ?", [test_id])
            self.insert(con, "qx_scores", scores, test_id)
            self.mark(con, test_id, "qx_scores", {"": fingerprint})


def _printer(progress: bool | Callable[[str], None] | None) -> Callable[[str], None]:
    if callable(progress):
        return progress
    if progress is False:
        return lambda line: None
    return lambda line: print(line, flush=True)


def sync(
    db: str | os.PathLike[str] | None = None,
    *,
    tests: str | Iterable[str] | None = None,
    workspace: str | None = None,
    since: Any = None,
    what: Sequence[str] = WHAT,
    max_requests: int | None = None,
    client: Client | None = None,
    progress: bool | Callable[[str], None] | None = None,
    wait: float = 0.0,
) -> SyncResult:
    """Bring a DuckDB research store up to date: tests, sessions, details, transcripts,
    QXscores and clips, incrementally and resumably.

    Args:
        db: the store file; default: ``store.duckdb`` in the user data folder
            (``store-demo.duckdb`` for the simulator).
        tests: test ids (a string, a list or a frame with ``testId``); default: every
            STUDYV2 test in the workspaces the client sees (``ut.list_tests()``).
        workspace: with ``tests=None``, only this workspace (name or UUID).
        since: only tests created on or after this date (``"2026-01-31"``).
        what: which answers besides the session lists: any of ``details``,
            ``transcripts``, ``qx_scores``, ``clips``.
        max_requests: stop cleanly after this many requests (the next run continues):
            a cron job can leave the rest of the API's limit to people working.
        client: a :class:`~ut_notebook.Client`; default: the current one.
        progress: ``None``/``True`` prints a line per test; ``False`` is silent; a
            callable gets each line instead.
        wait: seconds to wait for another sync of the same file to finish (default:
            fail at once with a :class:`~ut_notebook.UTError`).

    Returns:
        A :class:`SyncResult` (``status``, ``requests``, ``fetched``, ``errors``); the
        same numbers are in the store's ``sync_runs`` table.

    Raises:
        ImportError: duckdb is not installed (``pip install 'ut-notebook[store]'``).
        UTError: another sync holds the file, the file is from another API, or the API
            failed in a way that would fail every test (auth, rate limit). Errors of
            one test are recorded in ``result.errors`` and the run goes on.

    Only new sessions and sessions whose status changed are fetched; a second run right
    after the first makes only the ``sessionResults`` page requests (plus the catalogue
    listing when ``tests`` is not given: that is how new tests are found).

    >>> ut.connect(demo=True)                                          # doctest: +SKIP
    >>> ut.sync(tests=list(ut.demo.TESTS.values())[:3])                # doctest: +SKIP
    <SyncResult ok: 3 tests, 402 requests, ...>
    """
    require_duckdb()
    if max_requests is not None and (
        isinstance(max_requests, bool) or not isinstance(max_requests, int) or max_requests < 1
    ):
        raise ValueError(f"max_requests must be a positive int or None, not {max_requests!r}.")
    ids = None
    if tests is not None:
        if isinstance(tests, str):
            tests = [tests]
        elif isinstance(tests, pd.DataFrame):
            tests = list(tests["testId"])
        ids = list(dict.fromkeys(parse_uuid(t, "test id") for t in tests))
    after = _since(since)
    items = _what(what)
    client = require_client(client)
    path = store_path(db, demo=client.demo)
    say = _printer(progress)
    run = _Run(client, path, items, max_requests, say)
    with SyncLock(path, wait=wait), request_context(priority=BACKGROUND):
        run.prepare()
        result = run.result
        status = "ok"
        try:
            catalog = run.catalog(ids, workspace, after)
            say(f"sync {path}: {len(catalog)} test(s)")
            for n, row in enumerate(catalog.itertuples(index=False), start=1):
                test_id = row.testId
                title = getattr(row, "title", None)
                product = getattr(row, "productType", None)
                label = f"[{n}/{len(catalog)}] {test_id[:8]} {'' if pd.isna(title) else title}"
                started = time.monotonic()
                try:
                    info = run.test(test_id, None if pd.isna(product) else str(product))
                except _FATAL:
                    raise
                except UTError as err:
                    result.errors.append(f"test {test_id}: {err}")
                    say(f"{label}: FAILED -- {err}")
                    continue
                result.tests += 1
                result.fetched += info["fetched"]
                result.per_test.append(info)
                say(
                    f"{label}: {info['sessions']} sessions, {info['fetched']} answers fetched, "
                    f"{info['requests']} requests ({time.monotonic() - started:.1f}s)"
                )
            if result.errors:
                status = "errors"
        except BudgetSpent:
            status = "budget"
            say(f"stopped at the budget of {max_requests} requests; the next run continues")
        except KeyboardInterrupt:
            run.finish("interrupted")
            raise
        except BaseException as exc:
            result.errors.append(f"{type(exc).__name__}: {exc}")
            run.finish("failed")
            raise
        run.finish(status)
    say(
        f"sync {status}: {result.tests} test(s), {result.requests} requests, "
        f"{result.fetched} answers fetched"
        + (f", {len(result.errors)} error(s)" if result.errors else "")
    )
    for note in result.skipped:
        say(note)
    return result
