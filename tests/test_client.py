"""The HTTP client against the simulator: retries, rate limit, error mapping."""

from __future__ import annotations

from typing import Any

import pytest

import ut_notebook as ut
from tests.conftest import FAST_RETRY, connect_to
from ut_notebook.api.client import RetryPolicy
from ut_notebook.demo import TESTS

PATH = "/api/v2/sessionResults"


def test_rate_limit_of_ten_per_window_gets_zero_429s(make_server: Any) -> None:
    server = make_server(rate_limit=10, rate_window=1.0)
    client = connect_to(server)
    df = ut.load_sessions(TESTS["survey"], page_size=10, progress=False)  # 24 requests
    assert len(df) == 240
    assert server.count(PATH) == 24
    assert server.count(status=429) == 0
    assert client.stats.rate_limited == 0
    assert client.stats.waited > 0  # it did have to wait for the window, twice


def test_no_waiting_when_the_server_allows_more(make_server: Any) -> None:
    server = make_server(rate_limit=1000, rate_window=60.0)
    client = connect_to(server)
    ut.load_sessions(TESTS["survey"], page_size=10, progress=False)
    assert client.stats.waited == 0
    assert client.scheduler.remaining is not None and client.scheduler.remaining > 900


def test_a_429_is_retried_after_the_servers_retry_after(make_server: Any) -> None:
    server = make_server(rate_limit=3, rate_window=1.0)
    other = connect_to(server)  # shares the client id, so the same quota
    for _ in range(3):
        other.get_json(PATH, {"testId": TESTS["empty"]})
    ut.disconnect()
    mine = connect_to(server)  # knows nothing of the quota: its first call gets a 429
    body = mine.get_json(PATH, {"testId": TESTS["think_out_loud"], "limit": 5})
    assert len(body["sessions"]) == 5
    assert mine.stats.rate_limited == 1 and server.count(status=429) == 1


def test_rate_limit_wait_longer_than_max_wait_raises_with_partial(make_server: Any) -> None:
    server = make_server(rate_limit=2, rate_window=60.0)
    connect_to(server, retry=RetryPolicy(max_wait=1.0, backoff=0.01))
    with pytest.raises(ut.RateLimitError, match="max_wait") as info:
        ut.load_sessions(TESTS["survey"], page_size=50, progress=False)
    partial = info.value.partial
    assert len(partial) == 100 and partial["sessionId"].is_unique  # two pages kept
    assert partial.attrs["partial"] is True
    assert server.count(status=429) == 0


def test_retries_through_injected_faults_lose_and_duplicate_nothing(make_server: Any) -> None:
    clean = make_server()
    connect_to(clean)
    expected = ut.load_sessions(TESTS["survey"], page_size=10, progress=False)
    faulty = make_server(fault_rate=0.5, max_consecutive_faults=2, seed=7)
    client = connect_to(faulty)
    df = ut.load_sessions(TESTS["survey"], page_size=10, progress=False)
    assert df.equals(expected)
    assert list(df["sessionId"]) == list(expected["sessionId"])
    statuses = {r.status for r in faulty.requests}
    assert {0, 502, 503} <= statuses  # dropped connections, HTML 502s and JSON 503s
    assert client.stats.retries >= 5


def test_persistent_failure_is_an_api_error_with_advice(make_server: Any) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("502",), max_consecutive_faults=1000)
    client = connect_to(server, retry=RetryPolicy(max_tries=3, backoff=0.01))
    with pytest.raises(ut.APIError) as info:
        client.get_json(PATH, {"testId": TESTS["survey"]})
    err = info.value
    assert err.status == 502 and "502 Bad Gateway" in str(err) and "try again" in str(err)
    assert not isinstance(err, ValueError)  # never a bare JSONDecodeError
    assert server.count(PATH) == 3  # bounded tries


def test_dropped_connections_exhaust_into_a_clear_error(make_server: Any) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("drop",), max_consecutive_faults=1000)
    client = connect_to(server, retry=RetryPolicy(max_tries=2, backoff=0.01))
    with pytest.raises(ut.APIError, match="UT_API_URL"):
        client.get_json(PATH, {"testId": TESTS["survey"]})


def test_unreachable_api(server: Any) -> None:
    client = connect_to(server, retry=RetryPolicy(max_tries=2, backoff=0.01))
    server.stop()
    with pytest.raises(ut.APIError, match="Could not reach"):
        client.get_json(PATH, {"testId": TESTS["survey"]})


def test_bad_request_is_an_api_error_with_the_servers_words(client: ut.Client) -> None:
    with pytest.raises(ut.APIError) as info:
        client.get_json(PATH, {"testId": TESTS["survey"], "limit": 501})
    assert info.value.status == 400 and "limit" in str(info.value)


def test_not_found_is_a_not_found_error(client: ut.Client) -> None:
    with pytest.raises(ut.NotFoundError) as info:
        client.get_json(PATH, {"testId": "00000000-0000-4000-8000-000000000000"})
    assert info.value.status == 404
    assert isinstance(info.value, ut.UTError)


def test_stats_count_requests(client: ut.Client, server: Any) -> None:
    ut.load_sessions(TESTS["survey"], page_size=100, progress=False)
    assert client.stats.requests == server.count(PATH) == 3
    assert client.stats.by_status == {200: 3}


def test_closed_session_refuses(client: ut.Client) -> None:
    client.close()
    with pytest.raises(ut.UTError, match="login"):
        client.get_json(PATH, {"testId": TESTS["survey"]})


def test_retry_policy_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(backoff=0.5, backoff_cap=4.0)
    for attempt, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (8, 4.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert FAST_RETRY.max_tries == RetryPolicy().max_tries
