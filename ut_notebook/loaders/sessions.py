"""``ut.load_sessions(test_id)``: every session summary of a test, as a typed DataFrame.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Session demo ...>
>>> df = ut.load_sessions(ut.demo.TESTS["survey"], progress=False)
>>> list(df.columns)
['sessionId', 'audienceId', 'status', 'startTime', 'finishTime', 'duration']
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ..api.client import Session
from ..api.connect import require_session
from ..errors import APIError, TruncatedResultWarning, UTError
from ..frames import DURATION, UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from ..ui.progress import LoadBar

__all__ = ["MAX_OFFSET", "MAX_PAGE_SIZE", "SESSION_SCHEMA", "load_sessions"]

PATH = "/api/v2/sessionResults"
MAX_PAGE_SIZE = 500  # the API's maximum `limit`
MAX_OFFSET = 10_000  # the API's maximum `offset`

SESSION_SCHEMA = {
    "sessionId": "string",
    "audienceId": "string",
    "status": "category",
    "startTime": UTC_DATETIME,
    "finishTime": UTC_DATETIME,
}


def _frame(rows: list[dict[str, Any]], attrs: dict[str, Any]) -> pd.DataFrame:
    df = typed_frame(rows, SESSION_SCHEMA)
    df["duration"] = (df["finishTime"] - df["startTime"]).astype(DURATION)
    # Newest first, as the API sends them; stable so equal start times keep API order.
    df = df.sort_values("startTime", ascending=False, kind="stable", na_position="last")
    df = df.reset_index(drop=True)
    df.attrs.update(attrs)
    return df


def _check_page_size(page_size: int) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise TypeError(f"page_size must be an int, not {type(page_size).__name__}.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}.")
    return page_size


def load_sessions(
    test_id: str,
    *,
    session: Session | None = None,
    page_size: int = MAX_PAGE_SIZE,
    max_rows: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Every session summary of a test, newest first, one row per session.

    Pages through ``GET /api/v2/sessionResults`` with the fewest requests
    (``ceil(sessions / page_size)``), and stays correct while new sessions arrive
    during the load: rows are de-duplicated and offsets follow ``totalCount``.

    Args:
        test_id: the test's UUID (whitespace and uppercase are fine).
        session: a :class:`~ut_notebook.Session`; default: the current one.
        page_size: sessions per request, 1..500. Larger means fewer requests.
        max_rows: stop after the newest ``max_rows`` sessions (default: all).
        progress: ``None`` shows a bar when more than one page is needed;
            ``True``/``False`` force it on/off.

    Returns:
        A DataFrame with ``sessionId``, ``audienceId`` (string), ``status`` (category),
        ``startTime``, ``finishTime`` (UTC datetimes) and ``duration`` (Timedelta, NaT
        when unfinished). ``df.attrs`` holds ``testId``, ``totalCount``, ``fetched_at``,
        ``truncated`` and ``requests``.

    Raises:
        ValueError: ``test_id`` is not a UUID (before any request).
        NotConnectedError: no session given and none current.
        UTError: the API failed; ``err.partial`` holds the rows fetched before.

    The API pages no further than offset 10,000: a larger test returns its newest
    10,000 + ``page_size`` sessions with a :class:`~ut_notebook.TruncatedResultWarning`
    and ``df.attrs["truncated"] = True``.

    >>> df = ut.load_sessions("3fa85f64-5717-4562-b3fc-2c963f66afa6")   # doctest: +SKIP
    >>> df.groupby("status", observed=True).size()                         # doctest: +SKIP
    """
    test_id = parse_uuid(test_id, "test id")
    page_size = _check_page_size(page_size)
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        raise ValueError(f"max_rows must be a positive int or None, not {max_rows!r}.")
    client = require_session(session)

    rows: dict[str, dict[str, Any]] = {}  # sessionId -> record: de-duplicates re-read rows
    attrs: dict[str, Any] = {
        "testId": test_id,
        "totalCount": None,
        "fetched_at": pd.Timestamp(datetime.now(timezone.utc)),
        "truncated": False,
        "requests": 0,
    }
    initial_total = 0  # totalCount when the load started (read from the first page)
    goal: int | None = None  # positions of that initial list to read: all, or max_rows
    shift = 0  # sessions that arrived since: they push every older session down
    next_pos = 0  # first position (in the initial list) not yet read
    try:
        with LoadBar(progress, f"sessions of {test_id[:8]}…", unit="page") as bar:
            while goal is None or next_pos < goal:
                offset = next_pos + shift
                limit = page_size if max_rows is None else min(page_size, max_rows - next_pos)
                if offset > MAX_OFFSET:
                    if offset >= MAX_OFFSET + limit:
                        attrs["truncated"] = True
                        break
                    # The last reachable page: start at the cap; overlap is de-duplicated.
                    offset = MAX_OFFSET
                if attrs["requests"] > 3 * (MAX_OFFSET // page_size + 2):
                    raise APIError(
                        f"The session list of test {test_id} kept changing during the load; "
                        "try again."
                    )
                body = client.get_json(
                    PATH,
                    {"testId": test_id, "limit": limit, "offset": offset},
                    not_found=(
                        f"Test {test_id} was not found (HTTP 404): check the id, and that the "
                        "test is in one of your workspaces and is a STUDYV2 test."
                    ),
                    on_wait=bar.waiting,
                )
                attrs["requests"] += 1
                items, total = _parse_page(body, test_id)
                if goal is None:
                    initial_total = total
                    attrs["totalCount"] = total
                    goal = total if max_rows is None else min(max_rows, total)
                    bar.start(math.ceil(min(goal, MAX_OFFSET + page_size) / page_size))
                for item in items:
                    rows.setdefault(str(item.get("sessionId")), item)
                now_shift = total - initial_total
                first_pos = offset - now_shift  # where this page starts in the initial list
                shift = now_shift
                if first_pos > next_pos:
                    # Sessions vanished and the page jumped past unread ones: read again.
                    continue
                next_pos = max(next_pos, first_pos + len(items))
                bar.advance(postfix=f"{len(rows):,} sessions")
                if not items or offset + len(items) >= total:
                    break  # the end of the list
            if attrs["truncated"]:
                warnings.warn(
                    f"Test {test_id} has {initial_total:,} sessions, but the API pages no "
                    f"further than offset {MAX_OFFSET:,}: returning the newest {len(rows):,}. "
                    'df.attrs["truncated"] is True.',
                    TruncatedResultWarning,
                    stacklevel=2,
                )
    except (UTError, KeyboardInterrupt) as err:
        partial = _frame(list(rows.values()), {**attrs, "partial": True})
        err.partial = partial  # type: ignore[union-attr]
        raise
    df = _frame(list(rows.values()), attrs)
    return df if max_rows is None else df.head(max_rows)


def _parse_page(body: Any, test_id: str) -> tuple[list[dict[str, Any]], int]:
    try:
        items = body["sessions"]
        total = int(body["meta"]["pagination"]["totalCount"])
        if not isinstance(items, list):
            raise TypeError("sessions is not a list")
    except (KeyError, TypeError, ValueError) as exc:
        raise APIError(
            f"Unexpected answer for the sessions of test {test_id}: {exc}. "
            "The API may have changed; please report this."
        ) from None
    return items, total
