"""Highlight reels: a test's curated compilations of clips, and links to watch them.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> reels = ut.load_highlight_reels(ut.demo.TESTS["think_out_loud"])
>>> list(reels.columns)
['reelId', 'name', 'duration', 'lastUpdated', 'numClips', 'areAllClipsInReel']
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from ..errors import NotFoundError
from ..frames import DURATION, UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from .clips import MediaURL, poll_link
from .paginate import unexpected

__all__ = ["REELS_SCHEMA", "highlight_reel_url", "load_highlight_reels"]

REELS_PATH = "/api/v2/testResults/{}/highlightreels"
REEL_PATH = "/api/v2/testResults/{}/highlightreels/{}"

REELS_SCHEMA = {
    "reelId": "string",
    "name": "string",
    "duration": DURATION,
    "lastUpdated": UTC_DATETIME,
    "numClips": "Int64",
    "areAllClipsInReel": "boolean",
}


def _row(reel: Mapping[str, Any]) -> dict[str, Any]:
    def ms(key: str) -> Any:
        value = reel.get(key)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    duration, updated = ms("durationMs"), ms("lastUpdatedAtMs")
    return {
        # the list calls it "uuid", the link endpoint "reelId"
        "reelId": reel.get("uuid") or reel.get("reelId"),
        "name": reel.get("name"),
        "duration": None if duration is None else pd.Timedelta(milliseconds=duration),
        "lastUpdated": None if updated is None else pd.Timestamp(updated, unit="ms", tz="UTC"),
        "numClips": reel.get("numClips"),
        "areAllClipsInReel": reel.get("areAllClipsInReel"),
    }


def load_highlight_reels(test_id: str, *, client: Client | None = None) -> pd.DataFrame:
    """A test's highlight reels, one row per reel (one request).

    Columns: ``reelId``, ``name``, ``duration`` (Timedelta), ``lastUpdated`` (UTC),
    ``numClips``, ``areAllClipsInReel``. ``df.attrs["studyWithClips"]`` says whether the
    test has clips at all. A test of a product type without video (a survey) gives an
    empty frame (the API's 404 for it is no error here).

    Raises:
        ValueError: ``test_id`` is not a UUID (before any request).
        NotFoundError: no such test.

    >>> reels = ut.load_highlight_reels(TEST_ID)                            # doctest: +SKIP
    >>> ut.highlight_reel_url(TEST_ID, reels["reelId"][0])                   # doctest: +SKIP
    """
    tid = parse_uuid(test_id, "test id")
    client = require_client(client)
    attrs: dict[str, Any] = {
        "testId": tid,
        "testTitle": known_tests.title_of(tid),
        "fetched_at": pd.Timestamp(datetime.now(timezone.utc)),
    }
    try:
        body = client.get_json(
            REELS_PATH.format(tid),
            not_found=f"Test {tid} was not found (HTTP 404): check the id, and that the test "
            "is in one of your workspaces.",
        )
    except NotFoundError as err:
        # "Highlight reels not found: the test has no video" is an answer, not an error.
        if "reel" not in (err.body or "").lower() and "video" not in (err.body or "").lower():
            raise
        df = typed_frame([], REELS_SCHEMA)
        df.attrs.update({**attrs, "studyWithClips": False, "without_video": True})
        return df
    if not isinstance(body, Mapping) or not isinstance(body.get("reels"), list):
        raise unexpected(f"the highlight reels of test {tid}", "no 'reels' list")
    df = typed_frame([_row(r) for r in body["reels"] if isinstance(r, Mapping)], REELS_SCHEMA)
    with_clips = body.get("studyWithClips")
    df.attrs.update(
        {
            **attrs,
            "studyWithClips": with_clips if isinstance(with_clips, bool) else None,
            "without_video": False,
        }
    )
    return df


def highlight_reel_url(
    test_id: str,
    reel_id: str,
    *,
    wait: bool = True,
    max_wait: float = 300.0,
    poll_interval: float | None = None,
    refresh: bool = False,
    client: Client | None = None,
) -> MediaURL:
    """A highlight reel's link: ``GET /api/v2/testResults/{test}/highlightreels/{reel}``.

    Polls like :func:`~ut_notebook.clip_url` while the reel is ``GENERATING``; a
    GENERATED link is reused until shortly before it expires.

    Raises:
        ValueError: an id is not a UUID (before any request).
        NotFoundError: no such reel in that test.
        UTError: still generating after ``max_wait`` seconds (``.partial``: the status).

    >>> link = ut.highlight_reel_url(TEST_ID, reels["reelId"][0])          # doctest: +SKIP
    >>> link.status, link.expires_at                                         # doctest: +SKIP
    """
    tid = parse_uuid(test_id, "test id")
    rid = parse_uuid(reel_id, "highlight reel id")
    client = require_client(client)
    return poll_link(
        client,
        kind="reel",
        path=REEL_PATH.format(tid, rid),
        key=rid,
        ids=(rid, tid),
        url_field="reelUrl",
        not_found=f"Highlight reel {rid} of test {tid} was not found (HTTP 404): "
        "ut.load_highlight_reels(test_id) lists them.",
        wait=wait,
        max_wait=max_wait,
        poll_interval=poll_interval,
        refresh=refresh,
    )
