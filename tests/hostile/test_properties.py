"""Property-based tests of the parsers that meet untrusted input.

For any input: a frame (or a value) or a ``UTError`` -- never another exception. The
details-document and WebVTT parsers have their own in ``tests/test_parsers_property.py``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ut_notebook as ut
from tests.hostile.conftest import make_test_id
from tests.hostile.server import CLIENT_ID, CLIENT_SECRET, HostileServer, Reply, Request
from ut_notebook.api.auth import Token, fetch_token
from ut_notebook.api.retry import Action, RetryPolicy, decide
from ut_notebook.api.scheduler import Scheduler, parse_rate_headers, parse_retry_after
from ut_notebook.api.settings import load_settings
from ut_notebook.frames import MalformedValuesWarning
from ut_notebook.loaders.sessions import SESSION_SCHEMA, _frame, _parse_page

TEST_ID = make_test_id(1)
# The autouse fixtures are per test, not per example: that is intended here.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OVER_HTTP = settings(PROPERTY, max_examples=25)

# -- strategies ---------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
dates = st.one_of(
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.sampled_from(
        [
            "2026-01-02T03:04:05Z",
            "2026-01-02T03:04:05.678+02:00",
            "+275760-09-13T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "2026-13-45T99:00:00Z",
            "yesterday",
            "",
            "NaN",
            "1e400",
        ]
    ),
    json_values,
)
session_items = st.fixed_dictionaries(
    {},
    optional={
        "sessionId": st.one_of(st.uuids().map(str), json_values),
        "audienceId": json_values,
        "status": st.sampled_from(["COMPLETE", "IN_PROGRESS", ""]) | json_values,
        "startTime": dates,
        "finishTime": dates,
    },
)
totals = st.one_of(
    st.integers(min_value=-5, max_value=2**40), st.floats(), st.sampled_from(["10", None, [1]])
)
pages = st.one_of(
    st.fixed_dictionaries(
        {"sessions": st.lists(session_items | json_values, max_size=8)},
        optional={
            "meta": st.one_of(
                st.fixed_dictionaries(
                    {"pagination": st.fixed_dictionaries({"totalCount": totals})}
                ),
                json_values,
            )
        },
    ),
    json_values,
)


def _frame_or_error(build: Any) -> pd.DataFrame | None:
    """``build()`` must give a DataFrame or raise a UTError; odd values only warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MalformedValuesWarning)
        warnings.simplefilter("ignore", ut.IncompleteResultWarning)
        warnings.simplefilter("ignore", ut.TruncatedResultWarning)
        try:
            result = build()
        except ut.UTError:
            return None
    assert isinstance(result, pd.DataFrame)
    return result


# -- sessions pages -----------------------------------------------------------------------


@PROPERTY
@given(body=pages)
def test_any_sessions_page_parses_to_a_frame_or_a_UTError(body: Any) -> None:
    # Through JSON, as the client sees it (NaN/Infinity included, as Python's json reads).
    body = json.loads(json.dumps(body))

    def build() -> pd.DataFrame:
        items, total = _parse_page(body, TEST_ID)
        assert isinstance(total, int) and 0 <= total < 2**31
        return _frame(items, {"totalCount": total})

    df = _frame_or_error(build)
    if df is not None:
        assert list(df.columns) == [*SESSION_SCHEMA, "duration"]
        assert str(df["startTime"].dtype) == "datetime64[ns, UTC]"


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


@OVER_HTTP
@given(items=st.lists(session_items | json_values, max_size=12), total=totals,
       page_size=st.integers(1, 5))  # fmt: skip
def test_a_whole_load_of_generated_pages_gives_a_frame_or_a_UTError(
    server: HostileServer, items: list[Any], total: Any, page_size: int
) -> None:
    raw = json.dumps(items).encode()

    def handler(request: Request) -> Reply:
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        page = json.loads(raw)[offset : offset + limit]
        return Reply(200, {"sessions": page, "meta": {"pagination": {"totalCount": total}}})

    server.route("/api/v2/sessionResults", handler)
    client = server.connect(retry=RetryPolicy(max_tries=1, max_wait=1, timeout=(2, 5)))
    try:
        df = _frame_or_error(
            lambda: ut.load_sessions(TEST_ID, client=client, page_size=page_size, progress=False)
        )
    finally:
        client.close()
    if df is not None:  # every row with a usable sessionId is there, once
        keyed = {i["sessionId"] for i in items if isinstance(i, dict)
                 and isinstance(i.get("sessionId"), str) and i["sessionId"]}  # fmt: skip
        assert set(df["sessionId"]) <= keyed
        assert df["sessionId"].is_unique


# -- rate-limit headers -------------------------------------------------------------------

header_values = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats().map(str),
    st.sampled_from(["inf", "-inf", "nan", "1e400", " 7 ", "0x10", "Wed, 21 Oct 2015 07:28:00 GMT",
                     "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 GMT"]),
)  # fmt: skip
rate_headers = st.dictionaries(
    st.sampled_from(
        ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "Retry-After"]
    ),
    header_values,
)


@PROPERTY
@given(headers=rate_headers, wall=st.floats(0, 4e9))
def test_rate_limit_headers_give_sane_numbers_or_none(headers: dict[str, str], wall: float) -> None:
    limit, remaining, reset = parse_rate_headers(headers, wall)
    for count in (limit, remaining):
        assert count is None or (isinstance(count, int) and 0 <= count < 2**31)
    assert reset is None or (math.isfinite(reset) and reset >= 0)
    retry = parse_retry_after(headers, wall)
    assert retry is None or (math.isfinite(retry) and retry >= 0)
    # And what the client does with them: a decision with a finite wait, a scheduler
    # that keeps working.
    decision = decide(status=429, headers=headers, policy=RetryPolicy(max_wait=5), attempt=1)
    assert decision.action in (Action.WAIT, Action.FAIL) and math.isfinite(decision.wait)
    scheduler = Scheduler(sleep=lambda s: None)
    scheduler.acquire(max_wait=0)
    scheduler.complete(headers)
    snap = scheduler.snapshot()
    assert snap.in_flight == 0 and snap.delay() >= 0


# -- token responses ----------------------------------------------------------------------

token_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"access_token": st.text(max_size=80) | json_values},
        optional={
            "expires_in": json_values | st.floats(),
            "token_type": json_values,
            "scope": json_values,
        },
    ),
    st.binary(max_size=60),
)


@OVER_HTTP
@given(body=token_bodies, status=st.sampled_from([200, 200, 200, 400, 401, 500]))
def test_any_token_response_gives_a_token_or_an_AuthError(
    server: HostileServer, body: Any, status: int
) -> None:
    # A route of its own: the module's other tests keep the ordinary token endpoint.
    server.route("/hostile-token", lambda r: Reply(status, body))
    config = load_settings(
        CLIENT_ID, CLIENT_SECRET, token_url=server.url + "/hostile-token", api_url=server.url
    )
    with requests.Session() as http:
        try:
            token = fetch_token(http, config, timeout=5)
        except ut.AuthError as err:
            access = body.get("access_token") if isinstance(body, dict) else None
            if isinstance(access, str) and len(access) >= 8:
                assert access not in str(err)
            return
    assert isinstance(token, Token) and status == 200
    assert 1 <= token.info.expires_in <= 86400 * 366
    assert token.access_token.reveal().isascii()


# -- QXscore answers ----------------------------------------------------------------------

qx_items = st.fixed_dictionaries(
    {},
    optional={
        "taskGroupId": st.uuids().map(str) | json_values,
        "label": json_values,
        "qxScore": json_values,
        "components": st.dictionaries(st.sampled_from(["behavioral", "attitudinal"]),
                                      json_values) | json_values,
        "values": st.dictionaries(st.sampled_from(["usability", "trust", "behavioral"]),
                                  json_values) | json_values,
    },
)  # fmt: skip
qx_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"qxScores": st.lists(qx_items | json_values, max_size=5) | json_values},
        optional={
            "meta": st.dictionaries(st.sampled_from(["completes", "totalQxTasks"]), json_values)
            | json_values
        },
    ),
)


@OVER_HTTP
@given(body=qx_bodies)
def test_any_qxscore_answer_gives_a_frame_or_a_UTError(server: HostileServer, body: Any) -> None:
    raw = json.dumps(body)  # NaN and Infinity go over the wire as Python's json writes them
    server.route("/api/v2/testResults/", lambda r: Reply(200, raw))
    client = server.connect(retry=RetryPolicy(max_tries=1, timeout=(2, 5)))
    try:
        df = _frame_or_error(lambda: ut.load_qx_scores(TEST_ID, client=client))
    finally:
        client.close()
    if df is not None:
        assert str(df["qxScore"].dtype) == "Float64" and str(df["completes"].dtype) == "Int64"
