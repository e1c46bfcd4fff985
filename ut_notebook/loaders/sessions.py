"""``ut.load_sessions(test_id)``: every session summary of a test, as a typed DataFrame.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> df = ut.load_sessions(ut.demo.TESTS["survey"], progress=False)
>>> list(df.columns)
['sessionId', 'audienceId', 'status', 'startTime', 'finishTime', 'duration']
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from ..frames import DURATION, UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from ..ui.progress import LoadBar
from .paginate import MAX_OFFSET, MAX_PAGE_SIZE, OffsetPager, partial_on_error, unexpected

__all__ = ["MAX_OFFSET", "MAX_PAGE_SIZE", "SESSION_SCHEMA", "load_sessions"]

PATH = "/api/v2/sessionResults"

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
    client: Client | None = None,
    session: Client | None = None,
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
        client: a :class:`~ut_notebook.Client`; default: the current one
            (``session=`` is its deprecated name).
        page_size: sessions per request, 1..500. Larger means fewer requests.
        max_rows: stop after the newest ``max_rows`` sessions (default: all).
        progress: ``None`` shows a bar when more than one page is needed;
            ``True``/``False`` force it on/off.

    Returns:
        A DataFrame with ``sessionId``, ``audienceId`` (string), ``status`` (category),
        ``startTime``, ``finishTime`` (UTC datetimes) and ``duration`` (Timedelta, NaT
        when unfinished). ``df.attrs`` holds ``testId``, ``totalCount``, ``fetched_at``,
        ``truncated``, ``complete`` (False when the API sent fewer rows than it counts,
        with an :class:`~ut_notebook.IncompleteResultWarning`) and ``requests``.

    Raises:
        ValueError: ``test_id`` is not a UUID (before any request).
        NotConnectedError: no client given and none current.
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
    client = require_client(client, session)
    rows: dict[str, dict[str, Any]] = {}  # sessionId -> record: de-duplicates re-read rows
    pager = OffsetPager(
        client,
        PATH,
        {"testId": test_id},
        parse=lambda body: _parse_page(body, test_id),
        key="sessionId",
        rows=rows,
        what=f"sessions of test {test_id}",
        not_found=(
            f"Test {test_id} was not found (HTTP 404): check the id, and that the test is in "
            "one of your workspaces and is a STUDYV2 test."
        ),
        page_size=page_size,
        max_rows=max_rows,
    )
    fetched_at = pd.Timestamp(datetime.now(timezone.utc))

    def frame(partial: bool) -> pd.DataFrame:
        attrs = {
            "testId": test_id,
            "testTitle": known_tests.title_of(test_id),
            "totalCount": pager.total,
            "fetched_at": fetched_at,
            "truncated": pager.truncated,
            "complete": pager.complete and not partial,
            "requests": pager.requests,
        }
        if partial:
            attrs["partial"] = True
        df = _frame(list(rows.values()), attrs)
        return df if max_rows is None else df.head(max_rows)

    # Frames are built inside the guarded region: an interrupt at any moment keeps .partial.
    with partial_on_error(lambda: frame(partial=True)):
        # The title once ut.list_tests()/ut.load_test() has seen it, not a cut-off id.
        what = f"sessions of {known_tests.test_label(test_id, width=40)}"
        with LoadBar(progress, what, unit="page") as bar:
            pager.run(bar)
        return frame(partial=False)


def _parse_page(body: Any, test_id: str) -> tuple[list[dict[str, Any]], int]:
    """``(items, totalCount)`` of one page; an APIError for a shape we cannot read."""
    what = f"the sessions of test {test_id}"
    if not isinstance(body, dict):
        raise unexpected(what, "not a JSON object")
    items = body.get("sessions")
    meta = body.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    total = pagination.get("totalCount") if isinstance(pagination, dict) else None
    if not isinstance(items, list):
        raise unexpected(what, "'sessions' is not a list")
    if isinstance(total, float) and total.is_integer():
        total = int(total)
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total < 2**31:
        raise unexpected(what, f"meta.pagination.totalCount is {str(total)[:40]!r}")
    return items, total
