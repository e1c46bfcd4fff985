"""One paginator for every list the API pages: offset pages and cursor pages.

Both kinds read lazily, one request per page, count their requests, drive one progress
bar, and leave what they read in ``rows`` so that :func:`partial_on_error` can hand it
to the error (``err.partial``) whatever stops the load — an API error, a cancel, or a
kernel interrupt.

* :func:`offset_pages` — ``limit``/``offset`` with ``totalCount`` (``sessionResults``):
  the fewest requests, correct while new sessions arrive (they push older ones down),
  truncated at the API's offset cap, and never silently short.
* :func:`cursor_pages` — v1's ``after=<cursor>`` lists (tests in a workspace).

>>> rows: dict[str, dict] = {}
>>> pager = OffsetPager(client, PATH, {"testId": test_id}, parse=parse_page,  # doctest: +SKIP
...                     key="sessionId", rows=rows, what="sessions of test …")
>>> pager.run(bar)                                                        # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..api.client import Client
from ..errors import APIError, IncompleteResultWarning, TruncatedResultWarning, UTError
from ..jobs import Cancelled
from ..ui.progress import LoadBar

__all__ = [
    "MAX_OFFSET",
    "MAX_PAGE_SIZE",
    "OffsetPager",
    "cursor_pages",
    "partial_on_error",
    "unexpected",
]

MAX_PAGE_SIZE = 500  # the API's maximum `limit`
MAX_OFFSET = 10_000  # the API's maximum `offset`


def unexpected(what: str, detail: str) -> APIError:
    """The error for an answer whose shape we do not understand (written once)."""
    return APIError(
        f"Unexpected answer for {what}: {detail}. The API may have changed; please report "
        "this at https://github.com/ut-notebook/ut-notebook/issues (without credentials)."
    )


@contextlib.contextmanager
def partial_on_error(partial: Callable[[], Any]) -> Iterator[None]:
    """On an API error, a cancel or an interrupt, attach ``partial()`` — what was loaded
    so far — to the exception as ``.partial`` and let it go on. Nested, the outermost
    wins: ``.partial`` is what the function the user called had loaded."""
    try:
        yield
    except (UTError, Cancelled, KeyboardInterrupt) as err:
        err.partial = partial()  # type: ignore[union-attr]
        raise


Parse = Callable[[Any], tuple[list[Any], int]]


@dataclass
class OffsetPager:
    """Reads a ``limit``/``offset`` list with ``totalCount`` into ``rows`` (by ``key``).

    Attributes set by :meth:`run`: ``total`` (``totalCount`` at the start), ``requests``,
    ``truncated`` (the offset cap was reached), ``complete`` (every row of the list that
    could be reached was read), ``missing`` (rows of ``totalCount`` not read, and why).
    """

    client: Client
    path: str
    params: Mapping[str, Any]
    parse: Parse  # body -> (items, totalCount); raises APIError for a bad shape
    key: str
    rows: dict[str, Any]
    what: str
    not_found: str | None = None
    page_size: int = MAX_PAGE_SIZE
    max_rows: int | None = None
    total: int | None = None
    requests: int = 0
    truncated: bool = False
    complete: bool = True
    problems: list[str] = field(default_factory=list)
    unkeyed: int = 0  # items without a key, over all pages

    def run(self, bar: LoadBar) -> None:
        goal: int | None = None  # positions of the initial list to read: all, or max_rows
        shift = 0  # sessions that arrived since the start push every older one down
        next_pos = 0  # first position (in the initial list) not yet read
        stalled = 0
        while goal is None or next_pos < goal:
            offset = next_pos + shift
            limit = self.page_size
            if self.max_rows is not None:
                limit = min(limit, self.max_rows - next_pos)
            if offset > MAX_OFFSET:
                if offset >= MAX_OFFSET + limit:
                    self.truncated = True
                    break
                offset = MAX_OFFSET  # the last reachable page; overlap is de-duplicated
            if self.requests > 3 * (MAX_OFFSET // self.page_size + 2):
                raise APIError(f"The list of {self.what} kept changing during the load; try again.")
            body = self.client.get_json(
                self.path,
                {**self.params, "limit": limit, "offset": offset},
                not_found=self.not_found,
                on_wait=bar.waiting,
            )
            self.requests += 1
            items, total = self.parse(body)
            if goal is None:
                self.total = total
                goal = total if self.max_rows is None else min(self.max_rows, total)
                pages = -(-min(goal, MAX_OFFSET + self.page_size) // self.page_size)
                bar.start(pages)
            new = self._keep(items)
            now_shift = total - (self.total or 0)
            first_pos = offset - now_shift  # where this page starts in the initial list
            shift = now_shift
            if first_pos > next_pos:
                continue  # sessions vanished and the page jumped past unread ones: again
            next_pos = max(next_pos, first_pos + len(items))
            bar.advance(postfix=f"{len(self.rows):,} {self.key_label}")
            if not items or offset + len(items) >= total:
                break  # the end of the list
            stalled = 0 if new else stalled + 1
            if stalled >= 2:
                # Two full pages with nothing new: the server ignores `offset`.
                self.problems.append("the server sent the same rows again for later pages")
                break
        self._check(goal or 0)

    @property
    def key_label(self) -> str:
        return "rows" if self.key != "sessionId" else "sessions"

    def _keep(self, items: list[Any]) -> int:
        """Add the page's items to ``rows``; returns how many were new."""
        before = len(self.rows)
        unkeyed = 0
        for item in items:
            value = item.get(self.key) if isinstance(item, Mapping) else None
            if not isinstance(value, str) or not value:
                unkeyed += 1
                continue
            self.rows.setdefault(value, item)
        # Counted over the whole load: one "1 item without..." per page would read as 1.
        self.unkeyed += unkeyed
        return len(self.rows) - before

    def _check(self, goal: int) -> None:
        if self.truncated:
            warnings.warn(
                f"The {self.what} number {self.total:,}, but the API pages no further than "
                f"offset {MAX_OFFSET:,}: returning the newest {len(self.rows):,}. "
                'df.attrs["truncated"] is True.',
                TruncatedResultWarning,
                stacklevel=4,
            )
            return
        short = goal - len(self.rows)
        if short > 0:
            self.complete = False
            problems = list(self.problems)
            if self.unkeyed:
                problems.append(f"{self.unkeyed:,} items without a {self.key}")
            why = "; ".join(dict.fromkeys(problems)) or "the pages ended early"
            warnings.warn(
                f"Read {len(self.rows):,} of the {goal:,} {self.what} the API counts "
                f"(totalCount): {short:,} missing ({why}). df.attrs['complete'] is False; "
                "loading again may help.",
                IncompleteResultWarning,
                stacklevel=4,
            )


def cursor_pages(
    client: Client,
    path: str,
    *,
    page_size: int,
    max_pages: int,
    what: str,
    not_found: str | None = None,
    bar: LoadBar | None = None,
) -> Iterator[list[Any]]:
    """Yield the pages of a v1 cursor list (``after=<cursor>``, the cursor on the last
    item); a short or empty page, or a cursor seen before, ends it."""
    after: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        body = client.get_json(
            path,
            {"after": after} if after else None,
            not_found=not_found,
            on_wait=bar.waiting if bar is not None else None,
        )
        if not isinstance(body, list):
            raise unexpected(what, "not a list")
        yield body
        last = body[-1] if body else None
        cursor = last.get("cursor") if isinstance(last, Mapping) else None
        if len(body) < page_size or not isinstance(cursor, str) or not cursor or cursor in seen:
            return
        seen.add(cursor)
        after = cursor
    raise APIError(f"The {what} did not end after {max_pages} pages.")
