"""The API simulator (ut_notebook.demo), tested over real HTTP with ``requests``."""

from __future__ import annotations

import base64
import math
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from ut_notebook.demo import (
    CLASSIC_TESTS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    TESTS,
    DemoServer,
    RequestRecord,
    SimulatorConfig,
    demo_server,
)

SESSIONS = "/api/v2/sessionResults"
LEGACY = "/usertesting/api/v1"
MISSING = "00000000-0000-4000-8000-000000000000"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SIZES = {"survey": 240, "interaction": 120, "think_out_loud": 36, "empty": 0, "large": 12_150}


def form(scope: str | None = "public_api.read", **changes: str) -> dict[str, str]:
    data = {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "grant_type": "client_credentials",
        "scope": scope,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class Client:
    """A keep-alive HTTP client holding one access token."""

    def __init__(self, server: DemoServer, header: str = "token") -> None:
        self.server = server
        self.http = requests.Session()
        self.header = header
        self.token = self.new_token()

    def new_token(self) -> str:
        reply = self.http.post(self.server.token_url, data=form(), timeout=10)
        assert reply.status_code == 200, reply.text
        self.token = reply.json()["access_token"]
        return self.token

    def auth(self) -> dict[str, str]:
        if self.header == "token":
            return {"token": self.token}
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any):
        return self.http.get(
            self.server.url + path,
            params=params,
            headers=self.auth() if headers is None else headers,
            timeout=10,
        )

    def ok(self, path: str, **params: Any) -> Any:
        reply = self.get(path, **params)
        assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
        return reply.json()

    def page(self, test: str, **params: Any) -> dict[str, Any]:
        return self.ok(SESSIONS, testId=TESTS.get(test, test), **params)

    def all_sessions(self, test: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.page(test, limit=100, offset=len(out))
            out += page["sessions"]
            if len(out) >= page["meta"]["pagination"]["totalCount"] or not page["sessions"]:
                return out


@pytest.fixture
def start() -> Iterator[Any]:
    """``start(**config)``: a DemoServer stopped at the end of the test."""
    servers: list[DemoServer] = []

    def make(**overrides: Any) -> DemoServer:
        overrides.setdefault("rate_limit", 10_000)
        server = DemoServer(**overrides).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def shared() -> Iterator[DemoServer]:
    """A read-only server for tests that do not change its state."""
    with DemoServer(rate_limit=100_000) as server:
        yield server


@pytest.fixture(scope="module")
def client(shared: DemoServer) -> Client:
    return Client(shared)


@pytest.fixture(scope="module")
def guessed() -> Iterator[Client]:
    """A client of a server that sends the guessed answer shapes (docs/simulator.md),
    with no nulls beyond the plan's and transcripts with voice tags: the tests below
    check the simulated data itself. The other shapes: test_fidelity.py."""
    config = {"answer_shapes": "guessed", "spec_variety": False, "voice_tags": True}
    with DemoServer(rate_limit=100_000, **config) as server:
        yield Client(server)


# --- tokens --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_attr", "scope", "other_scope"),
    [
        ("token_url", "public_api.read", "studies:read"),
        ("token_url_v2", "studies:read", "public_api.read"),
    ],
)
def test_token_endpoints(shared: DemoServer, url_attr: str, scope: str, other_scope: str) -> None:
    url = getattr(shared, url_attr)
    reply = requests.post(url, data=form(scope), timeout=10)
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope"}
    assert body["token_type"] == "Bearer" and body["scope"] == scope
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 40
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Type"].startswith("application/json")
    api = requests.get(
        shared.url + SESSIONS,
        params={"testId": TESTS["survey"]},
        headers={"Authorization": "Bearer " + body["access_token"]},
        timeout=10,
    )
    assert api.status_code == 200

    for data in (form(scope, client_secret="wrong"), form(scope, client_id="someone-else")):
        bad = requests.post(url, data=data, timeout=10)
        assert bad.status_code == 401
        assert bad.json()["error"] == "invalid_client"
        assert bad.json()["error_description"]
    for data in (form(other_scope), form(None), form("public_api.write")):
        bad = requests.post(url, data=data, timeout=10)
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_scope")
    bad = requests.post(url, data=form(scope, grant_type="password"), timeout=10)
    assert (bad.status_code, bad.json()["error"]) == (400, "unsupported_grant_type")
    bad = requests.post(url, json=form(scope), timeout=10)
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_request")
    assert requests.get(url, timeout=10).status_code == 405


def test_token_endpoint_accepts_http_basic_client_auth(shared: DemoServer) -> None:
    reply = requests.post(
        shared.token_url,
        data={"grant_type": "client_credentials", "scope": "public_api.read"},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    wrong = requests.post(
        shared.token_url,
        data={"grant_type": "client_credentials", "scope": "public_api.read"},
        auth=(DEMO_CLIENT_ID, "nope"),
        timeout=10,
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


def test_tokens_are_random_and_custom_credentials_work(start: Any) -> None:
    server = start(client_id="my-id", client_secret="my-long-secret-value")
    a = requests.post(
        server.token_url, data=form(client_id="my-id", client_secret="my-long-secret-value")
    )
    b = requests.post(
        server.token_url, data=form(client_id="my-id", client_secret="my-long-secret-value")
    )
    assert a.status_code == b.status_code == 200
    assert a.json()["access_token"] != b.json()["access_token"]
    assert requests.post(server.token_url, data=form()).status_code == 401


# --- auth on API paths -----------------------------------------------------------------


@pytest.mark.parametrize("header", ["token", "bearer"])
def test_both_auth_headers_are_accepted(shared: DemoServer, header: str) -> None:
    api = Client(shared, header)
    assert api.page("survey", limit=1)["meta"]["pagination"]["totalCount"] == 240
    assert api.get(f"{LEGACY}/workspaces").status_code == 200


def test_missing_or_unknown_token_is_401_and_uses_no_quota(start: Any) -> None:
    server = start(rate_limit=2, rate_window=30)
    api = Client(server)
    for headers in (
        {},
        {"token": "nonsense"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic x"},
    ):
        reply = api.get(SESSIONS, headers=headers, testId=TESTS["survey"])
        assert reply.status_code == 401
        assert reply.json() == {"statusCode": 401, "message": "Unauthorized"}
        assert reply.headers["x-ratelimit-remaining"] == "2"
    legacy = api.get(f"{LEGACY}/workspaces", headers={})
    assert legacy.status_code == 401
    assert legacy.json() == {"errorCode": "UNAUTHORIZED", "errorMessage": "Unauthorized"}
    assert [api.get(SESSIONS, testId=TESTS["survey"]).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]


def test_expired_token_is_401(start: Any) -> None:
    server = start(token_lifetime=0.3)
    api = Client(server)
    reply = requests.post(server.token_url, data=form(), timeout=10)
    assert reply.json()["expires_in"] == 1  # ceil(0.3)
    assert api.get(SESSIONS, testId=TESTS["survey"]).status_code == 200
    time.sleep(0.4)
    assert api.get(SESSIONS, testId=TESTS["survey"]).status_code == 401
    api.new_token()
    assert api.get(SESSIONS, testId=TESTS["survey"]).status_code == 200


def test_revoke_tokens(start: Any) -> None:
    server = start()
    api = Client(server)
    assert api.get(SESSIONS, testId=TESTS["survey"]).status_code == 200
    server.revoke_tokens()
    assert api.get(SESSIONS, testId=TESTS["survey"]).status_code == 401
    api.new_token()
    assert api.get(SESSIONS, testId=TESTS["survey"]).status_code == 200


def test_revoke_tokens_every_n_requests(start: Any) -> None:
    server = start(revoke_tokens_every=3)
    api = Client(server)
    statuses = []
    for _ in range(2):
        statuses += [api.get(SESSIONS, testId=TESTS["survey"]).status_code for _ in range(4)]
        api.new_token()
    assert statuses == [200, 200, 200, 401] * 2


# --- sessionResults ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must not be less than 1"),
        ({"limit": "501"}, "limit must not be greater than 500"),
        ({"offset": "-1"}, "offset must not be less than 0"),
        ({"offset": "10001"}, "offset must not be greater than 10000"),
        ({"limit": "abc"}, "limit must be an integer number"),
        ({"offset": "abc"}, "offset must be an integer number"),
        ({"limit": "2.5"}, "limit must be an integer number"),
        ({"limit": ""}, "limit must be an integer number"),
    ],
)
def test_limit_and_offset_are_validated(
    client: Client, params: dict[str, str], message: str
) -> None:
    reply = client.get(SESSIONS, testId=TESTS["survey"], **params)
    assert reply.status_code == 400
    body = reply.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert message in body["message"]


def test_limit_and_offset_edges_and_defaults(client: Client) -> None:
    default = client.page("survey")["meta"]["pagination"]
    assert default == {"limit": 25, "offset": 0, "totalCount": 240}
    assert len(client.page("survey", limit=500)["sessions"]) == 240
    assert len(client.page("large", limit=500, offset=10_000)["sessions"]) == 500
    assert client.page("survey", limit=1, offset=10_000)["sessions"] == []
    assert client.page("survey", limit="10", offset="230")["meta"]["pagination"]["limit"] == 10


def test_test_id_is_validated(client: Client) -> None:
    for params in ({}, {"testId": ""}, {"testId": "12345"}):
        reply = client.get(SESSIONS, **params)
        assert reply.status_code == 400
        assert "testId must be a UUID" in reply.json()["message"]
    reply = client.get(SESSIONS, testId=MISSING)
    assert reply.status_code == 404
    assert reply.json() == {"statusCode": 404, "message": "Test not found", "error": "Not Found"}
    assert client.get(SESSIONS, testId=TESTS["survey"].upper()).status_code == 200


def test_test_ids_are_fixed() -> None:
    assert set(TESTS) == set(SIZES)
    assert all(UUID_RE.match(v) for v in TESTS.values())
    assert TESTS["survey"] == "a57ba796-7792-5c8e-9d25-fbee3753404d"  # forever


@pytest.mark.parametrize("name", sorted(SIZES))
def test_pagination_totals_and_newest_first(client: Client, shared: DemoServer, name: str) -> None:
    if name == "large":
        first = client.page(name, limit=500)
        assert first["meta"]["pagination"]["totalCount"] == SIZES[name]
        sessions = first["sessions"] + client.page(name, limit=500, offset=500)["sessions"]
        assert [s["sessionId"] for s in sessions] == shared.session_ids(TESTS[name])[:1000]
    else:
        sessions = client.all_sessions(name)
        assert [s["sessionId"] for s in sessions] == shared.session_ids(TESTS[name])
    assert len(sessions) == min(SIZES[name], 1000)
    assert len({s["sessionId"] for s in sessions}) == len(sessions)
    starts = [s["startTime"] for s in sessions]
    assert starts == sorted(starts, reverse=True)


def test_session_summaries_look_real(client: Client) -> None:
    sessions = client.all_sessions("survey")
    statuses = Counter(s["status"] for s in sessions)
    assert 0.86 < statuses["COMPLETE"] / len(sessions) < 0.97
    assert set(statuses) <= {"COMPLETE", "IN_PROGRESS", "ABANDONED"} and len(statuses) >= 2
    audiences = Counter(s["audienceId"] for s in sessions)
    assert 2 <= len(audiences) - (None in audiences) <= 6
    assert 0 < audiences[None] < len(sessions) * 0.15
    minutes = []
    for s in sessions:
        assert TIME_RE.match(s["startTime"])
        assert set(s) == {"sessionId", "audienceId", "status", "startTime", "finishTime"}
        if s["status"] == "COMPLETE":
            assert TIME_RE.match(s["finishTime"])
            minutes.append((_t(s["finishTime"]) - _t(s["startTime"])).total_seconds() / 60)
        else:
            assert s["finishTime"] is None
    minutes.sort()
    assert 3 <= minutes[len(minutes) // 2] <= 15  # survey median
    days = Counter(_t(s["startTime"]).weekday() for s in sessions)
    assert sum(days[d] for d in range(5)) / 5 > 1.3 * (days[5] + days[6]) / 2
    assert all(
        _t(s["startTime"]) < datetime.fromisoformat("2026-11-20T00:00:00+00:00") for s in sessions
    )


def _t(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_same_config_gives_the_same_bytes(start: Any) -> None:
    a, b = Client(start()), Client(start())
    paths = [(SESSIONS, {"testId": TESTS[n], "limit": 50, "offset": 7}) for n in SIZES]
    sid = a.page("think_out_loud", limit=1)["sessions"][0]["sessionId"]
    iid = a.page("interaction", limit=1)["sessions"][0]["sessionId"]
    paths += [
        (f"/api/v3/sessionResults/{sid}", {}),
        (f"/api/v3/sessionResults/{iid}", {}),
        (f"{SESSIONS}/{sid}/transcript", {}),
        (f"/api/v2/testResults/{TESTS['interaction']}/qxScores", {}),
        (f"{LEGACY}/workspaces", {}),
        (f"{LEGACY}/studies/{TESTS['survey']}", {}),
    ]
    for path, params in paths:
        assert a.get(path, **params).content == b.get(path, **params).content, path


def test_generating_the_large_test_is_fast() -> None:
    from ut_notebook.demo import data
    from ut_notebook.demo.catalog import CATALOG

    began = time.perf_counter()
    sessions = data._generate(CATALOG[TESTS["large"]])
    assert time.perf_counter() - began < 1.0
    assert len(sessions) == 12_150
    assert sessions == data.base_sessions(TESTS["large"])


# --- rate limit and headers ----------------------------------------------------------


def _ints(reply: requests.Response) -> tuple[int, int, int]:
    h = reply.headers
    return int(h["x-ratelimit-limit"]), int(h["x-ratelimit-remaining"]), int(h["x-ratelimit-reset"])


def test_rate_limit_window(start: Any) -> None:
    server = start(rate_limit=3, rate_window=1.0)
    api = Client(server)
    replies = [api.get(SESSIONS, testId=TESTS["survey"], limit=1) for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert [_ints(r)[:2] for r in replies] == [(3, 2), (3, 1), (3, 0), (3, 0)]
    assert all(_ints(r)[2] == 1 for r in replies)  # 1 s window, rounded up
    throttled = replies[-1]
    assert throttled.json() == {
        "statusCode": 429,
        "message": "ThrottlerException: Too Many Requests",
    }
    assert throttled.headers["Retry-After"] == "1"
    # The token endpoint is not limited.
    assert requests.post(server.token_url, data=form(), timeout=10).status_code == 200
    time.sleep(1.05)
    again = api.get(SESSIONS, testId=TESTS["survey"], limit=1)
    assert again.status_code == 200 and _ints(again)[1] == 2


def test_rate_limit_reset_counts_down_and_config_can_change(start: Any) -> None:
    server = start(rate_limit=100, rate_window=2.0)
    api = Client(server)
    first = api.get(f"{LEGACY}/workspaces")
    assert _ints(first) == (100, 99, 2)
    time.sleep(1.1)
    assert _ints(api.get(f"{LEGACY}/workspaces"))[2] == 1
    server.config = replace(server.config, rate_limit=2)
    assert api.get(f"{LEGACY}/workspaces").status_code == 429
    legacy = api.get(f"{LEGACY}/workspaces")
    assert legacy.json()["errorCode"] == "TOO_MANY_REQUESTS"
    assert int(legacy.headers["Retry-After"]) >= 1


def test_documented_headers_on_every_api_answer(client: Client) -> None:
    replies = [
        client.get(SESSIONS, testId=TESTS["survey"]),
        client.get(SESSIONS, testId=TESTS["survey"], limit=0),
        client.get(SESSIONS, testId=MISSING),
        client.get(f"{LEGACY}/workspaces"),
        client.get(SESSIONS, headers={}),
    ]
    for reply in replies:
        h = reply.headers
        assert h["Cache-Control"] == "private, no-store"
        assert h["Pragma"] == "no-cache"
        assert h["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert h["Content-Type"] == "application/json; charset=utf-8"
        assert int(h["Content-Length"]) == len(reply.content)
        assert all(int(h[k]) >= 0 for k in ("x-ratelimit-limit", "x-ratelimit-remaining"))
        assert int(h["x-ratelimit-reset"]) >= 1


def test_parallel_requests_are_all_answered_and_counted(start: Any) -> None:
    server = start(rate_limit=25, rate_window=30)
    api = Client(server)
    token = api.token

    def one(_: int) -> int:
        return requests.get(
            server.url + SESSIONS,
            params={"testId": TESTS["survey"], "limit": 5},
            headers={"token": token},
            timeout=10,
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(one, range(40)))
    assert statuses == {200: 25, 429: 15}


# --- faults --------------------------------------------------------------------------


def test_fault_503(start: Any) -> None:
    server = start(fault_rate=1.0, fault_kinds=("503",), max_consecutive_faults=2)
    api = Client(server)
    replies = [api.get(SESSIONS, testId=TESTS["survey"]) for _ in range(6)]
    assert [r.status_code for r in replies] == [503, 503, 200, 503, 503, 200]
    assert replies[0].json() == {"statusCode": 503, "message": "Service Unavailable"}
    assert "x-ratelimit-remaining" not in replies[0].headers
    assert _ints(replies[5])[1] == 10_000 - 2  # faults used no quota


def test_fault_502_is_an_html_page(start: Any) -> None:
    server = start(fault_rate=1.0, fault_kinds=("502",), max_consecutive_faults=1)
    api = Client(server)
    replies = [api.get(SESSIONS, testId=TESTS["survey"]) for _ in range(4)]
    assert [r.status_code for r in replies] == [502, 200, 502, 200]
    assert replies[0].headers["Content-Type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in replies[0].text


def test_fault_drop_closes_the_connection(start: Any) -> None:
    server = start(fault_rate=1.0, fault_kinds=("drop",), max_consecutive_faults=2)
    api = Client(server)
    outcomes = []
    for _ in range(3):
        try:
            outcomes.append(api.get(SESSIONS, testId=TESTS["survey"]).status_code)
        except requests.ConnectionError:
            outcomes.append("dropped")
    assert outcomes == ["dropped", "dropped", 200]
    assert [r.status for r in server.requests if r.path == SESSIONS] == [0, 0, 200]


def test_faults_are_seeded_and_never_exceed_the_streak_limit(start: Any) -> None:
    def run(seed: int) -> list[int]:
        server = start(fault_rate=0.5, fault_kinds=("503", "502"), seed=seed)
        api = Client(server)
        return [api.get(f"{LEGACY}/workspaces").status_code for _ in range(60)]

    a, b, c = run(1), run(1), run(2)
    assert a == b and a != c
    assert {200, 502, 503} <= set(a)
    streak = longest = 0
    for status in a:
        streak = streak + 1 if status != 200 else 0
        longest = max(longest, streak)
    assert longest == 2


# --- arrivals ------------------------------------------------------------------------


def test_arrivals_after_each_page(start: Any) -> None:
    server = start(arrivals_per_request=5)
    api = Client(server)
    before = server.session_ids(TESTS["survey"])
    first = api.page("survey", limit=10)
    assert first["meta"]["pagination"]["totalCount"] == 240
    assert [s["sessionId"] for s in first["sessions"]] == before[:10]
    second = api.page("survey", limit=10)
    assert second["meta"]["pagination"]["totalCount"] == 245
    new_ids = [s["sessionId"] for s in second["sessions"][:5]]
    assert not set(new_ids) & set(before)
    assert second["sessions"][5]["sessionId"] == before[0]
    assert second["sessions"][4]["startTime"] > first["sessions"][0]["startTime"]
    assert server.session_ids(TESTS["survey"])[5:10] == new_ids
    # Arrivals are served by every endpoint, and only in this server.
    assert api.ok(f"/api/v3/sessionResults/{new_ids[0]}")["sessionId"] == new_ids[0]
    assert api.page("interaction")["meta"]["pagination"]["totalCount"] == 120
    assert api.page("interaction")["meta"]["pagination"]["totalCount"] == 125
    other = Client(start())
    assert other.page("survey")["meta"]["pagination"]["totalCount"] == 240
    assert other.get(f"/api/v3/sessionResults/{new_ids[0]}").status_code == 404


def test_add_sessions(start: Any) -> None:
    server = start()
    api = Client(server)
    server.add_sessions(TESTS["empty"], 3)
    page = api.page("empty")
    assert page["meta"]["pagination"]["totalCount"] == 3
    assert [s["sessionId"] for s in page["sessions"]] == server.session_ids(TESTS["empty"])
    newest = server.session_ids(TESTS["survey"])[0]
    server.add_sessions(TESTS["survey"], 2)
    assert server.session_ids(TESTS["survey"])[2] == newest
    with pytest.raises(KeyError):
        server.add_sessions(MISSING, 1)


# --- request log ---------------------------------------------------------------------


def test_request_log_and_count(start: Any) -> None:
    server = start()
    began = time.monotonic()
    api = Client(server)
    api.get(SESSIONS, testId=TESTS["survey"], limit="3")
    api.get(SESSIONS, testId=MISSING)
    api.get(f"{LEGACY}/workspaces", headers={})
    records = server.requests
    assert [r.status for r in records] == [200, 200, 404, 401]
    assert all(isinstance(r, RequestRecord) for r in records)
    token, page = records[0], records[1]
    assert (token.method, token.path) == ("POST", "/oauth2/default/v1/token")
    assert page.query == {"testId": TESTS["survey"], "limit": "3"}
    assert page.headers["token"] == api.token and "user-agent" in page.headers
    assert began <= token.time <= page.time <= time.monotonic()
    assert server.count() == 4
    assert server.count("/api/") == 2
    assert server.count(SESSIONS, status=404) == 1
    assert server.count(method="post") == 1 and server.count(method="GET") == 3
    records.clear()  # a copy
    assert server.count() == 4
    server.reset_log()
    assert server.requests == [] and server.count() == 0


# --- v3 details ------------------------------------------------------------------------

ANSWER_KEYS = {
    "BLANK": "blank",
    "RATING_SCALE": "ratingScale",
    "MULTIPLE_CHOICE": "multipleChoice",
    "IMAGE": "image",
    "NPS": "nps",
    "URL": "url",
    "RANK_ORDER": "rankOrder",
    "WRITTEN": "written",
    "FIGMA": "figma",
    "MATRIX": "matrix",
}


def _details(api: Client, test: str, n: int = 20) -> list[dict[str, Any]]:
    page = api.page(test, limit=n)["sessions"]
    return [api.ok(f"/api/v3/sessionResults/{s['sessionId']}") for s in page]


def _check_answers(details: dict[str, Any]) -> None:
    for task in details["tasks"]:
        response = task["response"]
        if response is None:
            continue
        assert 0 <= response["startTimeMs"] <= response["endTimeMs"]
        if response["skipped"] or task["type"] == "VERBAL":
            # VERBAL (a help-centre type) has no answer container: its words are spoken.
            assert response["answer"] is None
            continue
        assert task["type"] != "SKIPPED"  # always skipped
        answer = response["answer"]
        assert set(answer) == set(ANSWER_KEYS.values())
        assert [k for k, v in answer.items() if v is not None] == [ANSWER_KEYS[task["type"]]]


def test_survey_details(guessed: Client) -> None:
    client = guessed
    sessions = _details(client, "survey", 40)
    plans = {tuple(t["uuid"] for t in d["tasks"]) for d in sessions}
    assert len(plans) == 1  # the same task uuids in every session of the test
    first = sessions[0]
    types = Counter(t["type"] for t in first["tasks"])
    assert {"NPS", "RATING_SCALE", "MULTIPLE_CHOICE", "WRITTEN", "RANK_ORDER", "MATRIX"} <= set(
        types
    )
    assert first["taskGroups"] == []
    multi = set()
    for d in sessions:
        _check_answers(d)
        assert d["testPlanId"] == first["testPlanId"]
        for t in d["tasks"]:
            answer = (t["response"] or {}).get("answer") or {}
            if t["type"] == "NPS" and answer:
                assert 0 <= answer["nps"]["score"] <= 10
            if t["type"] == "MULTIPLE_CHOICE" and answer:
                mc = answer["multipleChoice"]
                multi.add(mc["multiSelect"])
                assert set(mc["selected"]) <= set(mc["options"]) and mc["selected"]
                assert mc["multiSelect"] or len(mc["selected"]) == 1
            if t["type"] == "RATING_SCALE" and answer:
                rs = answer["ratingScale"]
                assert rs["scaleMin"] <= rs["value"] <= rs["scaleMax"]
            if t["type"] == "RANK_ORDER" and answer:
                ro = answer["rankOrder"]
                assert sorted(ro["ranking"]) == sorted(ro["options"])
            if t["type"] == "MATRIX" and answer:
                m = answer["matrix"]
                assert all(r["column"] in m["columns"] for r in m["rows"])
    assert multi == {True, False}
    skipped = [
        t for d in sessions for t in d["tasks"] if t["response"] and t["response"]["skipped"]
    ]
    assert skipped  # "anything else?" is often skipped
    answers = {
        str(t["response"]["answer"])
        for d in sessions
        for t in d["tasks"]
        if t["type"] == "NPS" and t["response"]
    }
    assert len(answers) > 3  # answers vary per session


def test_demographics(guessed: Client) -> None:
    client = guessed
    details = _details(client, "survey", 30)
    codes = [d["code"] for d in details[0]["sessionParticipant"]["demographicsInfo"]]
    assert {
        "GENDER",
        "AGE_GROUP",
        "COUNTRY",
        "INCOME",
        "EMPLOYMENT_STATUS",
        "WEB_EXPERTISE",
    } <= set(codes)
    assert {"INTERESTS", "SOCIAL_NETWORKS"} <= set(codes)
    multi_values = []
    for d in details:
        assert UUID_RE.match(d["sessionParticipant"]["participantId"])
        for item in d["sessionParticipant"]["demographicsInfo"]:
            if item["code"] in ("INTERESTS", "SOCIAL_NETWORKS"):
                assert item["type"] == "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE"
                multi_values.append(item["value"])
            else:
                assert item["type"] == "DEMOGRAPHIC_QUESTION_TYPE_SINGLE"
    assert any(v and ", " in v for v in multi_values)


def test_interaction_details_have_qx_groups(guessed: Client) -> None:
    client = guessed
    details = _details(client, "interaction", 20)
    sequences = set()
    for d in details:
        _check_answers(d)
        kinds = [g["type"] for g in d["taskGroups"]]
        assert kinds == ["QX_SCORE", "QX_SCORE", "BALANCED_COMPARISON"]
        for g in d["taskGroups"]:
            if g["type"] == "QX_SCORE" and g["response"] is not None:
                assert 0 <= g["response"]["score"] <= 100
            if g["type"] == "BALANCED_COMPARISON" and g["response"] is not None:
                sequences.add(g["response"]["sequence"])
        assert {t["type"] for t in d["tasks"]} == {"URL", "RATING_SCALE", "VERBAL", "SKIPPED"}
        for t in d["tasks"]:
            if t["type"] == "URL" and t["response"] and t["response"]["answer"]:
                assert t["response"]["answer"]["url"]["url"].startswith("https://")
                assert isinstance(t["response"]["answer"]["url"]["success"], bool)
    assert sequences == {"AB", "BA"}


def test_think_out_loud_details(guessed: Client) -> None:
    client = guessed
    for d in _details(client, "think_out_loud", 10):
        _check_answers(d)
        assert {"WRITTEN", "BLANK", "URL"} <= {t["type"] for t in d["tasks"]}


def test_unfinished_sessions_are_served_with_null_responses(client: Client) -> None:
    unfinished = [s for s in client.all_sessions("survey") if s["status"] != "COMPLETE"]
    assert unfinished
    nulls = 0
    for s in unfinished:
        d = client.ok(f"/api/v3/sessionResults/{s['sessionId']}")
        _check_answers(d)
        responses = [t["response"] for t in d["tasks"]]
        nulls += responses.count(None)
        reached = [r is not None for r in responses]
        assert reached == sorted(reached, reverse=True)  # a prefix of the plan
    assert nulls > 0


def test_unknown_task_types_switch(start: Any) -> None:
    api = Client(start(unknown_task_types=True))
    sid = next(s["sessionId"] for s in api.page("survey")["sessions"] if s["status"] == "COMPLETE")
    task = api.ok(f"/api/v3/sessionResults/{sid}")["tasks"][-1]
    assert task["type"] == "CARD_SORT"
    answer = task["response"]["answer"]
    assert [k for k, v in answer.items() if v is not None] == ["cardSort"]
    assert "CARD_SORT" not in str(Client(start()).ok(f"/api/v3/sessionResults/{sid}"))


def test_session_endpoints_404_and_400(client: Client) -> None:
    for path in (
        "/api/v3/sessionResults/{}",
        SESSIONS + "/{}/transcript",
        SESSIONS + "/{}/videoDownloadUrl",
    ):
        missing = client.get(path.format(MISSING))
        assert missing.status_code == 404
        assert missing.json()["error"] == "Not Found"
        malformed = client.get(path.format("not-a-uuid"))
        assert malformed.status_code == 400
        assert malformed.json()["message"] == "Validation failed (uuid is expected)"
    unknown_route = client.get("/api/v2/nothing")
    assert unknown_route.status_code == 404
    assert unknown_route.json()["message"] == "Cannot GET /api/v2/nothing"


# --- transcript, video, QX scores ----------------------------------------------------------


def test_transcripts(guessed: Client) -> None:
    client = guessed
    speakers = Counter()
    for s in client.page("think_out_loud", limit=36)["sessions"]:
        reply = client.get(f"{SESSIONS}/{s['sessionId']}/transcript")
        assert reply.status_code == 200
        assert reply.headers["Content-Type"].startswith("text/vtt")
        text = reply.text
        assert text.startswith("WEBVTT\n\n")
        cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n<v (\w+)>", text)
        assert cues or s["status"] != "COMPLETE"
        assert all(a < b for a, b, _ in cues)
        assert [a for a, _, _ in cues] == sorted(a for a, _, _ in cues)
        speakers.update(who for _, _, who in cues)
    assert set(speakers) == {"Participant", "Moderator"}
    for test in ("survey", "interaction"):
        sid = client.page(test, limit=1)["sessions"][0]["sessionId"]
        reply = client.get(f"{SESSIONS}/{sid}/transcript")
        assert reply.status_code == 404
        assert reply.json()["message"] == "Transcript not found"


def test_video_download_urls(client: Client) -> None:
    for test in ("interaction", "think_out_loud"):
        sid = client.page(test, limit=1)["sessions"][0]["sessionId"]
        video = client.ok(f"{SESSIONS}/{sid}/videoDownloadUrl")
        assert video["sessionId"] == sid
        assert video["videoUrl"].startswith(f"{client.server.url}/media/videos/{sid}/")
        # expiresAt is the signing time plus the one hour the URL says it lives.
        signed = re.search(r"X-Amz-Date=(\d{8}T\d{6}Z)", video["videoUrl"]).group(1)
        assert "X-Amz-Expires=3600" in video["videoUrl"]
        assert _t(video["expiresAt"]) == datetime.strptime(
            signed + "+0000", "%Y%m%dT%H%M%SZ%z"
        ) + timedelta(hours=1)
    sid = client.page("survey", limit=1)["sessions"][0]["sessionId"]
    assert client.get(f"{SESSIONS}/{sid}/videoDownloadUrl").status_code == 404


def test_qx_scores(client: Client) -> None:
    scores = client.ok(f"/api/v2/testResults/{TESTS['interaction']}/qxScores")
    assert scores["testId"] == TESTS["interaction"]
    completes = sum(s["status"] == "COMPLETE" for s in client.all_sessions("interaction"))
    assert scores["meta"] == {"totalQxTasks": 2, "completes": completes}
    groups = [g["uuid"] for g in _details(client, "interaction", 1)[0]["taskGroups"][:2]]
    assert [q["taskGroupId"] for q in scores["qxScores"]] == groups
    for q in scores["qxScores"]:
        assert q["label"].startswith("QXscore")
        c, v = q["components"], q["values"]
        assert 0 <= q["qxScore"] <= 100
        assert len(v["behavioral"]) == 2
        assert math.isclose(c["behavioral"], sum(v["behavioral"]) / 2, abs_tol=0.1)
        attitudinal = (v["usability"] + v["trust"] + v["appearance"] + v["loyalty"]) / 4
        assert math.isclose(c["attitudinal"], attitudinal, abs_tol=0.1)
        assert abs(q["qxScore"] - (c["behavioral"] + c["attitudinal"]) / 2) <= 0.6
    for test in ("survey", "think_out_loud", "empty"):
        assert client.get(f"/api/v2/testResults/{TESTS[test]}/qxScores").status_code == 404
    assert client.get(f"/api/v2/testResults/{MISSING}/qxScores").status_code == 404
    assert client.get("/api/v2/testResults/xyz/qxScores").status_code == 400


# --- legacy v1 -------------------------------------------------------------------------


def test_legacy_workspaces_and_studies(client: Client) -> None:
    workspaces = client.ok(f"{LEGACY}/workspaces")
    assert len(workspaces) == 2
    studies: dict[str, list[dict[str, Any]]] = {}
    for workspace in workspaces:
        pages, after = [], None
        while True:
            page = client.ok(
                f"{LEGACY}/workspaces/{workspace['uuid']}", **({"after": after} if after else {})
            )
            if not page:
                break
            pages.append(page)
            after = page[-1]["cursor"]
        assert all(len(p) == 50 for p in pages[:-1]) and len(pages[-1]) <= 50
        studies[workspace["uuid"]] = [s for p in pages for s in p]
    big = studies[workspaces[0]["uuid"]]
    assert len(big) > 50
    assert set(TESTS.values()) <= {s["uuid"] for s in big}
    everything = [s for group in studies.values() for s in group]
    assert len({s["uuid"] for s in everything}) == len(everything)
    assert {s["type"] for s in everything} == {"STUDYV2"}
    ordered = [s["orderedAt"] for s in big]
    assert ordered == sorted(ordered, reverse=True)
    assert big[0]["cursor"] == "MQ"  # base64("1"), as in the API's examples
    # The second page is the one after the 50th cursor; "before" goes back.
    back = client.ok(f"{LEGACY}/workspaces/{workspaces[0]['uuid']}", before=big[50]["cursor"])
    assert back == big[:50]

    by_id = {s["uuid"]: s for s in everything}
    for study_id in [*TESTS.values(), *[s for s in by_id if s not in TESTS.values()][:5]]:
        study = client.ok(f"{LEGACY}/studies/{study_id}")
        total = client.page(study_id, limit=1)["meta"]["pagination"]["totalCount"]
        assert study["sessionCount"] == total
        assert study["title"] == by_id[study_id]["title"]
        assert [t["position"] for t in study["tasks"]] == list(range(1, len(study["tasks"]) + 1))
        if study_id not in TESTS.values():
            assert 0 <= total <= 30
    survey = client.ok(f"{LEGACY}/studies/{TESTS['survey']}")
    (nps,) = survey["netPromoterScores"]
    assert nps["promoterPercentage"] - nps["detractorPercentage"] == nps["score"]
    assert nps["promoterPercentage"] + nps["passivePercentage"] + nps["detractorPercentage"] == 100
    assert client.ok(f"{LEGACY}/studies/{TESTS['interaction']}")["netPromoterScores"] == []


def test_legacy_errors(client: Client) -> None:
    workspace = client.ok(f"{LEGACY}/workspaces")[0]["uuid"]
    cases = [
        (f"{LEGACY}/workspaces/{MISSING}", {}, 404, "NOT_FOUND"),
        (f"{LEGACY}/workspaces/nope", {}, 400, "BAD_REQUEST"),
        (f"{LEGACY}/workspaces/{workspace}", {"after": "%%%"}, 400, "BAD_REQUEST"),
        (f"{LEGACY}/studies/{MISSING}", {}, 404, "NOT_FOUND"),
        (f"{LEGACY}/nothing", {}, 404, "NOT_FOUND"),
    ]
    for path, params, status, code in cases:
        reply = client.get(path, **params)
        assert reply.status_code == status, path
        assert reply.json()["errorCode"] == code and reply.json()["errorMessage"]
    after_the_end = base64.b64encode(b"999").decode().rstrip("=")
    assert client.ok(f"{LEGACY}/workspaces/{workspace}", after=after_the_end) == []


# --- configuration, lifecycle, singleton, CLI -------------------------------------------


def test_config_defaults_validation_and_demo_profile() -> None:
    config = SimulatorConfig()
    assert (config.client_id, config.rate_limit, config.rate_window) == (DEMO_CLIENT_ID, 10, 60.0)
    assert len(DEMO_CLIENT_SECRET) >= 24
    assert config.fault_kinds == ("503", "502", "drop")
    demo = SimulatorConfig.demo(environ={})
    assert (demo.rate_limit, demo.rate_window, demo.latency) == (10, 1.0, 0.0)
    env = {"UT_DEMO_RATE_LIMIT": "50", "UT_DEMO_RATE_WINDOW": "2.5", "UT_DEMO_LATENCY": "0.01"}
    tuned = SimulatorConfig.demo(environ=env)
    assert (tuned.rate_limit, tuned.rate_window, tuned.latency) == (50, 2.5, 0.01)
    with pytest.raises(ValueError, match="UT_DEMO_RATE_LIMIT"):
        SimulatorConfig.demo(environ={"UT_DEMO_RATE_LIMIT": "lots"})
    for bad in ({"rate_limit": 0}, {"fault_rate": 2.0}, {"fault_kinds": ("500",)}):
        with pytest.raises(ValueError):
            SimulatorConfig(**bad)
    with pytest.raises(TypeError):
        DemoServer(no_such_field=1)


def test_lifecycle() -> None:
    server = DemoServer(SimulatorConfig(rate_window=1), latency=0.05)
    assert server.config.latency == 0.05 and server.config.rate_window == 1
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert server.start() is server
        assert re.match(r"^http://127\.0\.0\.1:\d+$", server.url)
        assert server.token_url == server.url + "/oauth2/default/v1/token"
        assert server.token_url_v2 == server.url + "/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token"
        api = Client(server)
        began = time.monotonic()
        assert api.get(f"{LEGACY}/workspaces").status_code == 200
        assert time.monotonic() - began >= 0.05  # latency
        url = server.url
    server.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(url + SESSIONS, timeout=2)


def test_demo_server_is_a_thread_safe_singleton() -> None:
    found: list[DemoServer] = []
    threads = [threading.Thread(target=lambda: found.append(demo_server())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in found}) == 1
    server = found[0]
    assert server is demo_server()
    assert server.config.rate_window == SimulatorConfig.demo().rate_window
    assert Client(server).page("survey", limit=1)["meta"]["pagination"]["totalCount"] >= 240


def test_command_line_server() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ut_notebook.demo", "--rate-limit", "5", "--rate-window", "2"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        url = re.search(r"http://127\.0\.0\.1:\d+", lines[0]).group(0)
        assert any(DEMO_CLIENT_SECRET in line for line in lines)
        token = requests.post(url + "/oauth2/default/v1/token", data=form(), timeout=10)
        reply = requests.get(
            url + SESSIONS,
            params={"testId": TESTS["survey"]},
            headers={"token": token.json()["access_token"]},
            timeout=10,
        )
        assert reply.status_code == 200 and reply.headers["x-ratelimit-limit"] == "5"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- video media, clips, highlight reels -------------------------------------------------


def _first(client: Client, test: str, status: str = "COMPLETE") -> str:
    return next(
        s["sessionId"] for s in client.page(test, limit=50)["sessions"] if s["status"] == status
    )


def _poll(client: Client, path: str, limit: int = 10) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while len(seen) < limit:
        seen.append(client.ok(path))
        if seen[-1]["status"] != "GENERATING":
            break
    return seen


def test_video_url_serves_the_demo_video_with_ranges(client: Client) -> None:
    sid = _first(client, "interaction")
    url = client.ok(f"{SESSIONS}/{sid}/videoDownloadUrl")["videoUrl"]
    assert url.startswith(client.server.url + "/media/videos/" + sid)
    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200
    assert whole.headers["Content-Type"] == "video/webm"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Access-Control-Allow-Origin"] == "*"
    data = whole.content
    assert data[:4] == b"\x1a\x45\xdf\xa3"  # the EBML magic of a WebM file
    assert 20_000 < len(data) < 400_000
    size = len(data)
    for header, start, end in [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, size - 1),
        ("bytes=-500", size - 500, size - 1),
        (f"bytes={size - 10}-{size + 50}", size - 10, size - 1),
    ]:
        part = requests.get(url, headers={"Range": header}, timeout=10)
        assert part.status_code == 206, header
        assert part.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
        assert part.content == data[start : end + 1]
        assert part.headers["Access-Control-Allow-Origin"] == "*"
    past = requests.get(url, headers={"Range": f"bytes={size}-"}, timeout=10)
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{size}"
    # Several ranges, or nonsense: the whole file, as RFC 9110 allows.
    for header in ("bytes=0-1,5-6", "bytes=9-3", "pages=1-2"):
        assert requests.get(url, headers={"Range": header}, timeout=10).status_code == 200
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(size)
    preflight = requests.options(url, timeout=10)
    assert preflight.status_code == 204
    assert "Range" in preflight.headers["Access-Control-Allow-Headers"]


def test_media_needs_a_good_signature_but_no_token_or_quota(start: Any) -> None:
    server = start(rate_limit=3)
    client = Client(server)
    sid = _first(client, "think_out_loud")
    url = client.ok(f"{SESSIONS}/{sid}/videoDownloadUrl")["videoUrl"]
    for _ in range(5):  # more than the rate limit: media is not the API
        assert requests.get(url, headers={"Range": "bytes=0-9"}, timeout=10).status_code == 206
    assert server.count("/media/", status=206) == 5
    tampered = url.replace(sid, MISSING)
    reply = requests.get(tampered, timeout=10)
    assert reply.status_code == 403 and b"SignatureDoesNotMatch" in reply.content
    unsigned = requests.get(url.split("?")[0], timeout=10)
    assert unsigned.status_code == 403 and b"AccessDenied" in unsigned.content
    unknown = requests.get(server.url + "/media/other/thing.webm", timeout=10)
    assert unknown.status_code == 404 and b"NoSuchKey" in unknown.content


def test_signed_urls_expire(start: Any) -> None:
    server = start(generating_polls=0)
    now = [1_800_000_000.0]
    server.media.clock = lambda: now[0]
    client = Client(server)
    sid = _first(client, "interaction")
    video = client.ok(f"{SESSIONS}/{sid}/videoDownloadUrl")
    assert video["expiresAt"] == "2027-01-15T09:00:00Z"  # 1_800_000_000 is 08:00Z, + 1 h
    assert "X-Amz-Expires=3600" in video["videoUrl"]
    clip = client.ok(f"{SESSIONS}/{sid}/clips")["clips"][0]
    clip_url = client.ok(f"{SESSIONS}/{sid}/clips/{clip['uuid']}")["clipUrl"]
    assert "X-Amz-Expires=900" in clip_url
    now[0] += 899
    assert requests.get(clip_url, timeout=10).status_code == 200
    now[0] += 1  # 15 minutes: the clip URL is dead, the video URL still lives
    expired = requests.get(clip_url, timeout=10)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert requests.get(video["videoUrl"], timeout=10).status_code == 200
    now[0] += 3600
    assert requests.get(video["videoUrl"], timeout=10).status_code == 403
    # Asking again gives a new URL that works.
    fresh = client.ok(f"{SESSIONS}/{sid}/clips/{clip['uuid']}")["clipUrl"]
    assert fresh != clip_url and requests.get(fresh, timeout=10).status_code == 200


def test_clips_follow_the_session(client: Client) -> None:
    counts = []
    for test in ("interaction", "think_out_loud"):
        for s in client.page(test, limit=30)["sessions"]:
            body = client.ok(f"{SESSIONS}/{s['sessionId']}/clips")
            assert body["studyUuid"] == TESTS[test]
            details = client.ok(f"/api/v3/sessionResults/{s['sessionId']}")
            spans = [
                (t["response"]["startTimeMs"], t["response"]["endTimeMs"])
                for t in details["tasks"]
                if t["response"] is not None
            ]
            clips = body["clips"]
            if s["status"] == "COMPLETE":
                counts.append(len(clips))
                assert clips, s
            screen = body["videoRegions"]["screen"]
            assert screen["widthPx"] > 0 and screen["heightPx"] > 0
            for c in clips:
                # Each clip lies inside one task the participant reached.
                # (Task times may carry a fraction of a millisecond: spec_variety.)
                assert any(
                    math.floor(a) <= c["timeStartMs"] < c["timeEndMs"] <= b for a, b in spans
                ), c
                assert c["name"] and c["description"]
                assert c["hasAudio"] is (test == "think_out_loud")
                assert c["hasCamera"] is ("camera" in body["videoRegions"])
                assert c["layout"]["pipState"] == ("OPENED" if c["hasCamera"] else "CLOSED")
            assert len({c["videoUuid"] for c in clips}) <= 1
            assert [c["timeStartMs"] for c in clips] == sorted(c["timeStartMs"] for c in clips)
    assert min(counts) >= 2 and max(counts) <= 5


def test_clip_and_reel_progression_is_per_item_and_per_server(start: Any) -> None:
    first, second = start(), start()
    a, b = Client(first), Client(second)
    sid = _first(a, "interaction")
    clips = a.ok(f"{SESSIONS}/{sid}/clips")["clips"]
    runs = []
    for clip in clips:
        answers = _poll(a, f"{SESSIONS}/{sid}/clips/{clip['uuid']}")
        statuses = [x["status"] for x in answers]
        assert statuses[-1] == "GENERATED" and 1 <= statuses.count("GENERATING") <= 3
        assert all(x["clipUrl"] is None for x in answers[:-1]) and answers[-1]["clipUrl"]
        runs.append(len(answers))
        # Once generated it stays so.
        assert a.ok(f"{SESSIONS}/{sid}/clips/{clip['uuid']}")["status"] == "GENERATED"
    # The same polls on another server: counted there from scratch, same progression.
    assert [len(_poll(b, f"{SESSIONS}/{sid}/clips/{c['uuid']}")) for c in clips] == runs
    test = TESTS["think_out_loud"]
    reels = a.ok(f"/api/v2/testResults/{test}/highlightreels")["reels"]
    for reel in reels:
        answers = _poll(a, f"/api/v2/testResults/{test}/highlightreels/{reel['uuid']}")
        assert answers[0]["status"] == "GENERATING" and answers[-1]["status"] == "GENERATED"
        assert answers[-1]["reelId"] == reel["uuid"] and answers[-1]["reelUrl"]
    assert requests.get(answers[-1]["reelUrl"], timeout=10).status_code == 200


@pytest.mark.parametrize("polls", [0, 4])
def test_generating_polls_switch(start: Any, polls: int) -> None:
    client = Client(start(generating_polls=polls))
    sid = _first(client, "think_out_loud")
    clip = client.ok(f"{SESSIONS}/{sid}/clips")["clips"][0]
    answers = _poll(client, f"{SESSIONS}/{sid}/clips/{clip['uuid']}")
    assert [x["status"] for x in answers] == ["GENERATING"] * polls + ["GENERATED"]
    with pytest.raises(ValueError, match="generating_polls"):
        SimulatorConfig(generating_polls=-1)


def test_highlight_reels(start: Any) -> None:
    server = start()
    client = Client(server)
    for test in ("interaction", "think_out_loud"):
        body = client.ok(f"/api/v2/testResults/{TESTS[test]}/highlightreels")
        assert body["studyWithClips"] is True
        curated, everything = body["reels"]
        assert curated["numClips"] < everything["numClips"]
        assert (curated["areAllClipsInReel"], everything["areAllClipsInReel"]) == (False, True)
        total = sum(
            len(client.ok(f"{SESSIONS}/{sid}/clips")["clips"])
            for sid in server.session_ids(TESTS[test])
        )
        assert everything["numClips"] == total
        for reel in (curated, everything):
            assert reel["durationMs"] > 0
            assert datetime(2026, 1, 1).timestamp() * 1000 < reel["lastUpdatedAtMs"]
            assert reel["lastUpdatedAtMs"] < datetime(2026, 11, 21).timestamp() * 1000
    # New sessions bring new clips that no reel has yet.
    server.add_sessions(TESTS["think_out_loud"], 3)
    body = client.ok(f"/api/v2/testResults/{TESTS['think_out_loud']}/highlightreels")
    assert body["reels"][1]["areAllClipsInReel"] is False


def test_clip_and_reel_errors(client: Client) -> None:
    survey = _first(client, "survey")
    sid = _first(client, "interaction")
    clip = client.ok(f"{SESSIONS}/{sid}/clips")["clips"][0]["uuid"]
    other = _first(client, "think_out_loud")
    reel_base = f"/api/v2/testResults/{TESTS['interaction']}/highlightreels"
    cases = [
        (f"{SESSIONS}/{survey}/clips", 404, "Session video or clips not found"),
        (f"{SESSIONS}/{survey}/clips/{clip}", 404, "Session video or clips not found"),
        (f"{SESSIONS}/{MISSING}/clips", 404, "Session not found"),
        (f"{SESSIONS}/{other}/clips/{clip}", 404, "Clip not found"),  # another session's
        (f"{SESSIONS}/{sid}/clips/{MISSING}", 404, "Clip not found"),
        (f"{SESSIONS}/not-a-uuid/clips", 400, "Validation failed (uuid is expected)"),
        (f"{SESSIONS}/{sid}/clips/nope", 400, "Validation failed (uuid is expected)"),
        (f"/api/v2/testResults/{TESTS['survey']}/highlightreels", 404, None),
        (f"/api/v2/testResults/{MISSING}/highlightreels", 404, "Test not found"),
        (f"{reel_base}/{MISSING}", 404, "Highlight reel not found"),
        (f"{reel_base}/nope", 400, "Validation failed (uuid is expected)"),
    ]
    for path, status, message in cases:
        reply = client.get(path)
        assert reply.status_code == status, path
        if message:
            assert reply.json()["message"] == message, path
    empty = client.ok(f"/api/v2/testResults/{_empty_video_test()}/highlightreels")
    assert empty == {"reels": [], "studyWithClips": False}


def _empty_video_test() -> str:
    from ut_notebook.demo.catalog import CATALOG

    return next(s.id for s in CATALOG.values() if s.has_video and s.n_sessions == 0)


def test_clips_are_deterministic(start: Any) -> None:
    a, b = Client(start()), Client(start(seed=7))
    sid = _first(a, "think_out_loud")
    for path in (
        f"{SESSIONS}/{sid}/clips",
        f"/api/v2/testResults/{TESTS['interaction']}/highlightreels",
    ):
        assert a.get(path).content == b.get(path).content


# --- legacy v1: session, clip, highlight reel, the classic study ----------------------------


def test_legacy_session_clip_and_reel(client: Client) -> None:
    from ut_notebook.demo.reels import reels_of

    sid = _first(client, "think_out_loud")
    session = client.ok(f"{LEGACY}/session/{sid}")
    summary = next(s for s in client.all_sessions("think_out_loud") if s["sessionId"] == sid)
    assert session["uid"] == sid
    assert session["duration"] == round(
        (_t(summary["finishTime"]) - _t(summary["startTime"])).total_seconds(), 1
    )
    assert session["sequenceNumber"] == 1 + client.server.session_ids(TESTS["think_out_loud"])[
        ::-1
    ].index(sid)
    assert requests.get(session["securePoster"], timeout=10).headers["Content-Type"] == "image/jpeg"
    clip = client.ok(f"{SESSIONS}/{sid}/clips")["clips"][0]
    legacy = client.ok(f"{LEGACY}/clip/{clip['uuid']}")
    assert legacy["note"] == clip["description"]
    assert legacy["duration"] == round((clip["timeEndMs"] - clip["timeStartMs"]) / 1000)
    assert legacy["study"] == {"title": "Mobile app first impressions (think-out-loud)"}
    assert requests.get(legacy["embeddableUrl"], timeout=10).status_code == 200
    reel = reels_of(TESTS["think_out_loud"])[0]
    body = client.ok(f"{LEGACY}/highlightreel/{reel.token}")
    assert body["token"] == reel.token and not UUID_RE.match(body["id"])
    assert body["clips"]["totalCount"] == len(body["clips"]["nodes"]) == len(reel.clips)
    assert math.isclose(
        body["duration"], sum(n["duration"] for n in body["clips"]["nodes"]), abs_tol=0.5
    )
    survey = _first(client, "survey")
    assert client.get(f"{LEGACY}/session/{survey}").status_code == 404
    assert client.get(f"{LEGACY}/session/nope").json()["errorCode"] == "BAD_REQUEST"


def test_legacy_study_tasks_match_the_v3_answers(client: Client) -> None:
    for test in ("survey", "interaction", "think_out_loud"):
        study = client.ok(f"{LEGACY}/studies/{TESTS[test]}")
        details = client.ok(f"/api/v3/sessionResults/{_first(client, test)}")
        assert [t["text"] for t in study["tasks"]] == [t["text"] for t in details["tasks"]]
        for node, task in zip(study["tasks"], details["tasks"], strict=True):
            answer = (task["response"] or {}).get("answer") or {}
            rating = answer.get("ratingScale")
            if rating:
                assert (node["scaleMinimum"], node["scaleMaximum"]) == (
                    rating["scaleMin"],
                    rating["scaleMax"],
                )
                assert (node["lowerEndpoint"], node["upperEndpoint"]) == (
                    rating["minLabel"],
                    rating["maxLabel"],
                )
            choice = answer.get("multipleChoice")
            if choice:
                assert node["choices"] == choice["options"]
                assert node["multipleAnswers"] is choice["multiSelect"]


def test_classic_study(client: Client) -> None:
    classic = CLASSIC_TESTS["classic"]
    study = client.ok(f"{LEGACY}/studies/{classic}")
    assert study["sessionCount"] == 64
    (nps,) = study["netPromoterScores"]
    assert nps["promoterPercentage"] - nps["detractorPercentage"] == nps["score"]
    path = f"{LEGACY}/studies/{classic}/completed-sessions"
    first = client.ok(path)
    assert first["completedSessionCount"] == 64 and len(first["sessions"]) == 50
    assert first["sessions"][0]["cursor"] == "MQ"
    second = client.ok(path, after=first["sessions"][-1]["cursor"])
    assert len(second["sessions"]) == 14
    back = client.ok(path, before=second["sessions"][0]["cursor"])
    # The same page (its signed media links may carry a later expiry: compare ids).
    assert [s["sessionUuid"] for s in back["sessions"]] == [
        s["sessionUuid"] for s in first["sessions"]
    ]
    assert client.ok(path, after=second["sessions"][-1]["cursor"])["sessions"] == []
    everyone = first["sessions"] + second["sessions"]
    assert len({s["sessionUuid"] for s in everyone}) == 64
    done = [s["completedDateTime"] for s in everyone]
    assert done == sorted(done)
    for s in everyone:
        assert [a["type"] for a in s["answers"]] == [t["taskType"] for t in study["tasks"]]
        times = [a["time"] for a in s["answers"]]
        assert times == sorted(times)
        rating = s["answers"][3]
        assert 1 <= int(rating["responses"][0]) <= 5
        assert set(s["answers"][4]["responses"]) <= set(study["tasks"][4]["choices"])
    assert client.get(path, after="%%%").status_code == 400
    # Classic studies are v1 only; v2 tests have no completed-sessions.
    assert client.get(SESSIONS, testId=classic).status_code == 404
    assert client.get(f"{LEGACY}/studies/{TESTS['survey']}/completed-sessions").status_code == 404
    assert client.get(f"{LEGACY}/studies/{MISSING}/completed-sessions").status_code == 404
    session = client.ok(f"{LEGACY}/session/{everyone[3]['sessionUuid']}")
    assert session["sequenceNumber"] == 4 and session["sessionId"] == str(everyone[3]["sessionId"])


def test_new_routes_have_auth_quota_and_faults(start: Any) -> None:
    server = start(rate_limit=3, rate_window=60.0)
    client = Client(server)
    sid = _first(client, "interaction")  # 1 request
    path = f"{SESSIONS}/{sid}/clips"
    assert client.get(path, headers={}).status_code == 401
    assert client.get(path).status_code == 200
    assert client.get(f"{LEGACY}/clip/{MISSING}").status_code == 404
    limited = client.get(path)
    assert limited.status_code == 429 and limited.headers["x-ratelimit-remaining"] == "0"
    faulty = start(fault_rate=1.0, fault_kinds=("503",), max_consecutive_faults=5)
    assert requests.get(faulty.url + path, timeout=10).status_code == 503


def test_demo_data_is_built_per_test_on_first_use() -> None:
    # A fresh process: the base data is module-global and other tests fill it.
    code = (
        "import ut_notebook as ut\n"
        "from ut_notebook.demo import data\n"
        "client = ut.connect(demo=True)\n"
        "assert data._BASE == {}, sorted(data._BASE)\n"
        "df = ut.load_sessions(ut.demo.TESTS['survey'], progress=False)\n"
        "assert list(data._BASE) == [ut.demo.TESTS['survey']], len(data._BASE)\n"
        "sid = df['sessionId'][0]\n"
        "assert len(ut.load_session_details([sid], progress=False)) == 1\n"
        "print(len(data._BASE))\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1"
