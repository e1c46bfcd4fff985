"""Every failure is a UTError with ``.partial``; odd values become missing, with a warning.

Whatever the server sends, a loader either returns what it can or raises a ``UTError``
whose ``.partial`` holds every row fetched so far -- never a raw ValueError,
AttributeError or OverflowError, and never lost rows.
"""

from __future__ import annotations

import gzip
import json
import signal
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import ut_notebook as ut
from tests.hostile.conftest import good_items, make_test_id, paged, sid
from tests.hostile.server import HostileServer, Reply, Request
from ut_notebook.frames import MalformedValuesWarning

TEST_ID = make_test_id(1)
PAGE = 2  # sessions per page: the first page is good, later ones are hostile


def _first_page_then(hostile: Callable[[Request], Reply], total: int = 6) -> Any:
    good = paged(good_items(total), total)

    def handler(request: Request) -> Reply:
        return good(request) if request.query.get("offset") == "0" else hostile(request)

    return handler


def _json(body: Any, **headers: str) -> Callable[[Request], Reply]:
    return lambda request: Reply(200, body, dict(headers))


_PAGE_TWO = {"meta": {"pagination": {"totalCount": 6}}}
HOSTILE_PAGES: dict[str, Callable[[Request], Reply]] = {
    "totalCount 1e400": lambda r: Reply(
        200, b'{"sessions": [], "meta": {"pagination": {"totalCount": 1e400}}}'
    ),
    "totalCount a string": _json({"sessions": [], "meta": {"pagination": {"totalCount": "6"}}}),
    "sessions an object": _json({"sessions": {"a": 1}, **_PAGE_TWO}),
    "body a list": _json([1, 2, 3]),
    "meta a list": _json({"sessions": [], "meta": [1]}),
    "corrupt gzip": lambda r: Reply(
        200,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-not-deflate",
        {"Content-Encoding": "gzip"},
    ),
    "truncated gzip": lambda r: Reply(
        200,
        gzip.compress(json.dumps({"sessions": []}).encode() * 50)[:-12],
        {"Content-Encoding": "gzip"},
    ),
    "nested 100,000 deep": lambda r: Reply(200, b"[" * 100_000 + b"]" * 100_000),
    "nested object 100,000 deep": lambda r: Reply(
        200, b'{"sessions":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001
    ),
    "not JSON": lambda r: Reply(200, b"\xff\xfe<html>", {"Content-Type": "text/html"}),
    "NaN bytes": lambda r: Reply(200, b"NaN"),
    "HTTP 500": lambda r: Reply(500, b"oops"),
    "epoch-ms reset, nothing left": lambda r: Reply(
        200,
        {"sessions": [], **_PAGE_TWO},
        {
            "x-ratelimit-limit": "10",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(int((time.time() + 300) * 1000)),
        },
    ),
}


# A page the loader could use but that ends the list early warns; the test asserts that
# through attrs["complete"] instead.
@pytest.mark.filterwarnings("ignore::ut_notebook.errors.IncompleteResultWarning")
@pytest.mark.parametrize("case", list(HOSTILE_PAGES))
def test_a_hostile_page_raises_a_UTError_holding_every_row_fetched(case: str) -> None:
    with HostileServer() as server:
        server.route("/api/v2/sessionResults", _first_page_then(HOSTILE_PAGES[case]))
        retry = ut.RetryPolicy(max_tries=2, backoff=0.01, max_wait=2, timeout=(2, 5))
        client = server.connect(retry=retry)
        try:
            df = ut.load_sessions(TEST_ID, client=client, page_size=PAGE, progress=False)
        except ut.UTError as err:
            assert err.partial is not None, "the rows already fetched are on .partial"
            assert list(err.partial["sessionId"]) == [sid(0, 1), sid(0, 0)]
            assert err.partial.attrs["complete"] is False
        else:  # a page it could not use and did not raise on: must say it is short
            assert len(df) == PAGE and df.attrs["complete"] is False


def _odd_dates() -> list[Any]:
    items: list[Any] = good_items(6)
    items[2]["startTime"] = "yesterday at noon"  # not ISO 8601
    items[3]["startTime"] = "+275760-09-13T00:00:00Z"  # beyond what a Timestamp holds
    items[4]["startTime"] = "2026-13-45T99:00:00Z"  # ISO-shaped, not a date
    items[5]["finishTime"] = {"at": "noon"}  # not even a string
    return items


def test_odd_dates_become_NaT_with_one_warning_per_field_naming_how_many() -> None:
    with HostileServer() as server:
        server.route("/api/v2/sessionResults", paged(_odd_dates()))
        client = server.connect()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = ut.load_sessions(TEST_ID, client=client, page_size=PAGE, progress=False)
        odd = [str(w.message) for w in caught if issubclass(w.category, MalformedValuesWarning)]
        assert len(odd) == 2, odd
        assert "3 value(s) of 'startTime'" in odd[0]
        assert "1 value(s) of 'finishTime'" in odd[1]
        assert len(df) == 6 and df.attrs["complete"] is True
        assert df["startTime"].isna().sum() == 3 and df["finishTime"].isna().sum() == 1
        assert str(df["startTime"].dtype) == "datetime64[ns, UTC]"


def test_items_that_are_not_objects_are_skipped_and_counted_as_missing() -> None:
    items: list[Any] = good_items(6)
    items[1], items[3], items[4] = "a string", None, [1, 2]  # on all three pages
    with HostileServer() as server:
        server.route("/api/v2/sessionResults", paged(items))
        client = server.connect()
        with pytest.warns(
            ut.IncompleteResultWarning, match=r"3 missing \(3 items without a sessionId\)"
        ):
            df = ut.load_sessions(TEST_ID, client=client, page_size=PAGE, progress=False)
        assert len(df) == 3 and df.attrs["complete"] is False


@pytest.mark.parametrize("reset", ["inf", "-inf", "nan", "1e400", "-5", "soon", ""])
def test_an_unusable_rate_limit_reset_is_ignored(reset: str) -> None:
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}

    def handler(request: Request) -> Reply:
        reply = paged(good_items(6))(request)
        reply.headers.update(headers)
        return reply

    with HostileServer() as server:
        server.route("/api/v2/sessionResults", handler)
        client = server.connect(retry=ut.RetryPolicy(max_wait=2, backoff=0.01))
        df = ut.load_sessions(TEST_ID, client=client, page_size=PAGE, progress=False)
        assert len(df) == 6 and client.stats.waited == 0


QX_GARBAGE: dict[str, Any] = {
    "items of every type": {"qxScores": [None, 1, "x", [], {}, True], "meta": {}},
    "components and values not objects": {
        "qxScores": [{"taskGroupId": "g", "components": [1, 2], "values": "high"}],
        "meta": {"completes": 3},
    },
    "values.behavioral a dict": {
        "qxScores": [{"taskGroupId": "g", "values": {"behavioral": {"a": 1}}}],
    },
    "numbers as strings, bools, huge": {
        "qxScores": [
            {
                "taskGroupId": 5,
                "label": {"x": 1},
                "qxScore": "99",
                "components": {"behavioral": True, "attitudinal": 1e308},
            }
        ],
        "meta": {"completes": "12", "totalQxTasks": [1]},
    },
    "meta a list": {"qxScores": [], "meta": [1, 2]},
    "meta a string": {"qxScores": [{"taskGroupId": "g"}], "meta": "none"},
    "completes infinite": b'{"qxScores": [{"taskGroupId": "g"}], "meta": {"completes": 1e400}}',
    "completes NaN": b'{"qxScores": [{"taskGroupId": "g"}], "meta": {"completes": NaN}}',
    "completes huge": {"qxScores": [{"taskGroupId": "g"}], "meta": {"completes": 1e300}},
    "completes fractional": {"qxScores": [{"taskGroupId": "g"}], "meta": {"completes": 2.5}},
    "qxScores missing": {"scores": []},
    "body a list": [1, 2],
    "body a number": 7,
}


@pytest.mark.parametrize("case", list(QX_GARBAGE))
def test_garbage_qxscore_answers_give_a_frame_or_a_UTError(case: str) -> None:
    with HostileServer() as server:
        server.route("/api/v2/testResults/", lambda r: Reply(200, QX_GARBAGE[case]))
        client = server.connect()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MalformedValuesWarning)
                df = ut.load_qx_scores(TEST_ID, client=client)
        except ut.UTError as err:
            assert "QXscores" in str(err)
        else:
            assert list(df.columns)[:3] == ["taskGroupId", "label", "qxScore"]
            assert str(df["qxScore"].dtype) == "Float64"
            assert str(df["completes"].dtype) == "Int64"


def test_a_kernel_interrupt_mid_page_keeps_the_rows_fetched() -> None:
    arrived = threading.Event()

    def slow(request: Request) -> Reply:
        arrived.set()  # the client is now reading this page, a byte at a time
        return Reply(200, {"sessions": good_items(6)[2:4], **_PAGE_TWO}, trickle=1, pause=0.02)

    with HostileServer() as server:
        server.route("/api/v2/sessionResults", _first_page_then(slow))
        client = server.connect()

        def interrupt() -> None:
            if arrived.wait(30):
                time.sleep(0.1)  # well inside the read of the body
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        with pytest.raises(KeyboardInterrupt) as info:
            ut.load_sessions(TEST_ID, client=client, page_size=PAGE, progress=False)
        partial = info.value.partial  # type: ignore[attr-defined]
        assert list(partial["sessionId"]) == [sid(0, 1), sid(0, 0)]
        assert partial.attrs["partial"] is True
        assert client.rate_snapshot().in_flight == 0  # and the slot was given back


def test_an_interrupt_between_sessions_keeps_every_session_loaded() -> None:
    ids = [sid(0, n) for n in range(5)]
    with HostileServer() as server:
        server.route(
            "/api/v3/sessionResults/",
            lambda r: Reply(200, {"sessionId": r.path.rsplit("/", 1)[-1], "tasks": []}),
        )
        client = server.connect()

        def progress(status: Any) -> None:
            if status.done == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt) as info:
            ut.load_session_details(ids, client=client, progress=progress)
        partial = info.value.partial  # type: ignore[attr-defined]
        assert partial.attrs["sessions"] == 3 and partial.attrs["partial"] is True
