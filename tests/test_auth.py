"""ut.connect(): client-credentials tokens, the kernel session, renewal, masking."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import ut_notebook as ut
from tests.conftest import FAST_RETRY, connect_to
from ut_notebook.demo import TESTS

TOKEN_PATHS = ("/oauth2/default/v1/token", "/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token")


def token_requests(server: Any) -> int:
    return sum(server.count(path) for path in TOKEN_PATHS)


def issued_tokens(server: Any) -> set[str]:
    """Every access token the client sent (read from the server's request log)."""
    return {r.headers["token"] for r in server.requests if "token" in r.headers}


def test_connect_gets_a_token_and_becomes_current(server: Any) -> None:
    client = connect_to(server)
    assert ut.current_client() is client
    info = client.token_info
    assert info is not None and info.scope == "public_api.read"
    assert info.token_type.lower() == "bearer"
    assert 3500 < info.seconds_left <= 3600
    posts = [r for r in server.requests if r.path == TOKEN_PATHS[0]]
    assert len(posts) == 1 and posts[0].method == "POST"
    assert posts[0].headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_current_docs_token_endpoint_and_scope(server: Any) -> None:
    client = connect_to(server, token_url=server.token_url_v2, scope="studies:read")
    assert client.token_info.scope == "studies:read"


def test_wrong_secret_fails_fast_without_leaking(server: Any) -> None:
    with pytest.raises(ut.AuthError) as info:
        connect_to(server, client_secret="wrong-secret-value-42")
    message = str(info.value)
    assert "UT_CLIENT_SECRET" in message and "invalid_client" in message
    assert "wrong-secret-value-42" not in message + repr(info.value)
    assert ut.current_client() is None


def test_wrong_scope_names_the_setting(server: Any) -> None:
    with pytest.raises(ut.AuthError, match="UT_SCOPE"):
        connect_to(server, scope="studies:read")  # the default endpoint takes public_api.read


def test_unreachable_token_url(server: Any) -> None:
    server_url = server.url
    server.stop()
    with pytest.raises(ut.AuthError, match="UT_TOKEN_URL"):
        ut.connect("id", "secret-value", token_url=server_url + "/oauth2/default/v1/token")


def test_no_credentials() -> None:
    with pytest.raises(ut.AuthError, match="UT_CLIENT_ID"):
        ut.connect()


def test_failed_connect_keeps_the_current_session(server: Any) -> None:
    good = connect_to(server)
    with pytest.raises(ut.AuthError):
        connect_to(server, client_secret="not-the-secret")
    assert ut.current_client() is good


def test_loader_without_session_says_to_login() -> None:
    with pytest.raises(ut.NotConnectedError, match=r"ut\.login\(\)"):
        ut.load_sessions(TESTS["survey"])


def test_disconnect_forgets_the_session(client: ut.Client) -> None:
    ut.disconnect()
    assert ut.current_client() is None and client.closed and client.token_info is None
    with pytest.raises(ut.NotConnectedError):
        ut.load_sessions(TESTS["survey"])


def test_connect_from_dotenv(server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        f"UT_CLIENT_ID={server.config.client_id}\n"
        f"UT_CLIENT_SECRET={server.config.client_secret}\n"
        f"UT_TOKEN_URL={server.token_url}\nUT_API_URL={server.url}\n"
    )
    monkeypatch.chdir(tmp_path)
    client = ut.connect(retry=FAST_RETRY)
    assert client.api_url == server.url
    assert len(ut.load_sessions(TESTS["think_out_loud"], progress=False)) > 0


def test_demo_mode_needs_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    client = ut.connect(demo=True)
    assert client.demo and client.api_url.startswith("http://127.0.0.1:")
    ut.disconnect()
    monkeypatch.setenv("UT_DEMO", "1")
    assert ut.connect().demo


@pytest.mark.parametrize(
    "kwargs,setting",
    [
        ({"token_url": "http://auth.example.com/oauth2/default/v1/token"}, "UT_TOKEN_URL"),
        ({"api_url": "http://api.example.com"}, "UT_API_URL"),
    ],
)
def test_plain_http_is_refused_before_sending(server: Any, kwargs: dict, setting: str) -> None:
    with pytest.raises(ut.InsecureTransportError, match=setting):
        connect_to(server, **kwargs)
    assert token_requests(server) == 0


def test_requests_carry_both_token_headers_and_a_user_agent(client: ut.Client, server: Any) -> None:
    ut.load_sessions(TESTS["think_out_loud"], progress=False)
    (api,) = [r for r in server.requests if r.path == "/api/v2/sessionResults"]
    assert api.headers["authorization"] == "Bearer " + api.headers["token"]
    assert api.headers["user-agent"].startswith(f"ut-notebook/{ut.__version__}")


def test_reprs_and_errors_never_show_secret_or_token(client: ut.Client, server: Any) -> None:
    ut.load_sessions(TESTS["think_out_loud"], progress=False)
    (token,) = issued_tokens(server)
    secret = server.config.client_secret
    texts = [repr(client), str(client), repr(client.settings), repr(client.tokens)]
    texts += [repr(client.tokens.get()), repr(client.token_info), repr(client.stats)]
    with pytest.raises(ut.NotFoundError) as info:
        ut.load_sessions("00000000-0000-4000-8000-000000000000", progress=False)
    texts += [str(info.value), repr(info.value), str(info.value.url), str(info.value.body)]
    for text in texts:
        assert token not in text and secret not in text, text


def test_token_renewed_before_expiry_during_a_load(make_server: Any) -> None:
    # Tokens live 1 s; the load takes longer, so the client must renew proactively.
    server = make_server(token_lifetime=1.0, latency=0.12)
    connect_to(server)
    df = ut.load_sessions(TESTS["survey"], page_size=20, progress=False)
    assert len(df) == 240 and df["sessionId"].is_unique
    assert token_requests(server) >= 2
    assert server.count("/api/", status=401) == 0  # renewed before, not after, expiry


def test_token_renewed_once_on_401_during_a_load(make_server: Any) -> None:
    server = make_server(revoke_tokens_every=3)
    client = connect_to(server)
    df = ut.load_sessions(TESTS["survey"], page_size=20, progress=False)
    assert sorted(df["sessionId"]) == sorted(server.session_ids(TESTS["survey"]))
    assert server.count("/api/", status=401) >= 3
    assert client.tokens.refreshes == token_requests(server)


def test_concurrent_401s_trigger_a_single_refresh(client: ut.Client, server: Any) -> None:
    client.get_json("/api/v2/sessionResults", {"testId": TESTS["empty"]})
    before = token_requests(server)
    server.revoke_tokens()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            client.get_json("/api/v2/sessionResults", {"testId": TESTS["empty"]})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert token_requests(server) == before + 1


def test_persistent_401_is_an_auth_error(make_server: Any) -> None:
    # Tokens from one server mean nothing to another: every API call is refused.
    issuer, api = make_server(), make_server()
    client = connect_to(issuer, api_url=api.url)
    with pytest.raises(ut.AuthError, match="401"):
        client.get_json("/api/v2/sessionResults", {"testId": TESTS["empty"]})
    assert api.count("/api/", status=401) == 2  # the first try and one after renewing
    assert client.tokens.refreshes == 2
