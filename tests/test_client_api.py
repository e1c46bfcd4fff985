"""ut.Client's public face: renamed names, deprecations, rate snapshot, token endpoints."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import ut_notebook as ut
from tests.conftest import connect_to
from tests.hostile.server import HostileServer, Reply, token_reply
from ut_notebook.demo import TESTS
from ut_notebook.ui.terminal import describe_session


def test_session_is_a_deprecated_name_of_client() -> None:
    with pytest.warns(DeprecationWarning, match="ut.Client"):
        assert ut.Session is ut.Client


def test_session_keyword_still_works_and_warns(client: ut.Client, server: Any) -> None:
    with pytest.warns(DeprecationWarning, match="client="):
        df = ut.load_sessions(TESTS["survey"], session=client, progress=False)
    assert len(df) == 240
    with pytest.warns(DeprecationWarning, match="current_client"):
        assert ut.current_session() is client


def test_client_keyword_does_not_warn(client: ut.Client) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ut.load_qx_scores(TESTS["interaction"], client=client)
        ut.load_sessions(TESTS["empty"], client=client, progress=False)


def test_a_closed_client_raises_not_connected(client: ut.Client) -> None:
    client.close()
    with pytest.raises(ut.NotConnectedError, match="connect"):
        client.get_json("/api/v2/sessionResults", {"testId": TESTS["survey"]})
    with pytest.raises(ut.NotConnectedError):
        ut.load_sessions(TESTS["survey"], client=client)


def test_rate_snapshot_reads_the_servers_window(make_server: Any) -> None:
    server = make_server(rate_limit=7, rate_window=60.0)
    client = connect_to(server)
    before = client.rate_snapshot()
    assert before.limit is None and before.remaining is None and before.in_flight == 0
    ut.load_sessions(TESTS["survey"], page_size=100, progress=False)  # 3 requests
    after = client.rate_snapshot()
    assert after.limit == 7 and after.remaining == 4 and after.window == 60.0
    assert after.queued == 0 and after.in_flight == 0 and 0 < after.reset_in <= 60.01


def test_every_warning_and_named_helper_is_exported() -> None:
    for name in (
        "APIConnectionError", "ConfigError", "IncompleteResultWarning", "MalformedValuesWarning",
        "FailedSessionsWarning", "MissingSessionsWarning", "TruncatedResultWarning",
        "CacheWarning", "list_workspaces", "current_client", "RateSnapshot", "Cancelled",
    ):  # fmt: skip
        assert name in ut.__all__ and getattr(ut, name) is not None
    assert issubclass(ut.APIConnectionError, ut.APIError)
    assert not issubclass(ut.Cancelled, ut.UTError)


def test_unreachable_api_is_an_api_connection_error(server: Any) -> None:
    client = connect_to(server, retry=ut.RetryPolicy(max_tries=2, backoff=0.01))
    server.stop()
    with pytest.raises(ut.APIConnectionError, match="Could not reach"):
        client.get_json("/api/v2/sessionResults", {"testId": TESTS["survey"]})


@pytest.mark.parametrize(
    "refusal",
    [
        Reply(400, {"error": "invalid_scope", "error_description": "nope"}),
        Reply(401, {"error": "invalid_client", "error_description": "nope"}),
        Reply(404, {"message": "Not found"}),
    ],
)
def test_a_refused_default_token_endpoint_falls_back_to_the_other_once(refusal: Reply) -> None:
    with HostileServer() as server:
        server.route("/oauth2/default/v1/token", lambda r: refusal)
        server.route("/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token", token_reply)
        client = ut.connect(
            "hostile-client-id",
            "hostile-client-secret-0123456789",
            token_url=server.url + "/oauth2/default/v1/token",
            api_url=server.url,
        )
        posts = [r for r in server.requests if r.method == "POST"]
        assert [r.path for r in posts] == [
            "/oauth2/default/v1/token",
            "/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token",
        ]
        assert b"scope=studies%3Aread" in posts[1].body  # the other endpoint's own scope
        info = client.token_info
        assert info is not None and info.token_url.endswith("aus1p3vtd8vtm4Bxv0h8/v1/token")
        assert "via the token endpoint /oauth2/aus1p3vtd8vtm4Bxv0h8" in describe_session(client)
        client.tokens.invalidate(client.tokens.get())
        client.authenticate()  # a renewal goes straight to the endpoint that worked
        later = [r.path for r in server.requests if r.method == "POST"][2:]
        assert later == ["/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token"]


def test_no_fallback_for_wrong_credentials_elsewhere_or_a_custom_endpoint() -> None:
    with HostileServer() as server:
        refusal = Reply(401, {"error": "invalid_client", "error_description": "bad"})
        server.route("/custom/token", lambda r: refusal)
        server.route("/oauth2/", token_reply)
        with pytest.raises(ut.AuthError, match="UT_CLIENT_ID"):
            ut.connect("id", "secret-value-123", token_url=server.url + "/custom/token",
                       api_url=server.url)  # fmt: skip
        assert [r.path for r in server.requests] == ["/custom/token"]  # nowhere else
