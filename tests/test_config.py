"""Settings resolution (arguments > environment > .env > defaults) and secret masking."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from ut_notebook.api.settings import (
    DEFAULT_API_URL,
    DEFAULT_SCOPE,
    DEFAULT_TOKEN_URL,
    Secret,
    check_transport,
    load_settings,
)
from ut_notebook.errors import InsecureTransportError, UTError


def test_defaults_are_the_authorization_page_values() -> None:
    s = load_settings()
    assert (
        s.token_url == DEFAULT_TOKEN_URL == "https://auth.usertesting.com/oauth2/default/v1/token"
    )
    assert s.scope == DEFAULT_SCOPE == "public_api.read"
    assert s.api_url == DEFAULT_API_URL == "https://api.use2.usertesting.com"
    assert s.client_id is None and s.client_secret is None and not s.has_credentials
    assert s.demo is False


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UT_CLIENT_ID", "env-id")
    monkeypatch.setenv("UT_CLIENT_SECRET", "env-secret-value")
    monkeypatch.setenv("UT_SCOPE", "studies:read")
    monkeypatch.setenv("UT_API_URL", "https://api.example.com/")
    s = load_settings()
    assert s.client_id == "env-id"
    assert s.client_secret is not None and s.client_secret.reveal() == "env-secret-value"
    assert s.scope == "studies:read"
    assert s.api_url == "https://api.example.com"  # trailing slash dropped


def test_docs_variable_names_are_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENT_ID", "plain-id")
    monkeypatch.setenv("CLIENT_SECRET", "plain-secret")
    s = load_settings()
    assert (s.client_id, s.client_secret.reveal()) == ("plain-id", "plain-secret")
    monkeypatch.setenv("UT_CLIENT_ID", "prefixed-id")
    assert load_settings().client_id == "prefixed-id"


def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UT_CLIENT_ID", "env-id")
    monkeypatch.setenv("UT_TOKEN_URL", "https://env.example.com/token")
    s = load_settings("arg-id", "arg-secret", token_url="https://arg.example.com/token")
    assert s.client_id == "arg-id"
    assert s.token_url == "https://arg.example.com/token"


def test_dotenv_found_from_cwd_upward_and_never_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "UT_CLIENT_ID=dotenv-id\nUT_CLIENT_SECRET=dotenv-secret\nUT_SCOPE=studies:read\n"
    )
    nested = tmp_path / "project" / "notebooks"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    monkeypatch.setenv("UT_SCOPE", "from-environment")
    s = load_settings()
    assert s.client_id == "dotenv-id"
    assert s.client_secret.reveal() == "dotenv-secret"
    assert s.scope == "from-environment"  # the environment wins over .env
    assert "UT_CLIENT_ID" not in os.environ  # nothing written to the environment


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UT_CLIENT_ID", "  ")
    monkeypatch.setenv("CLIENT_ID", "fallback-id")
    monkeypatch.setenv("UT_SCOPE", "")
    s = load_settings()
    assert s.client_id == "fallback-id"
    assert s.scope == DEFAULT_SCOPE


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_ut_demo_flag(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("UT_DEMO", value)
    assert load_settings().demo is expected


def test_secret_is_masked_everywhere() -> None:
    secret = Secret("a-very-secret-value")
    assert "a-very-secret-value" not in repr(secret)
    assert "a-very-secret-value" not in str(secret)
    assert "a-very-secret-value" not in f"{secret} {secret!r} {secret:>30}"
    assert secret.reveal() == "a-very-secret-value"
    settings = load_settings("id", "a-very-secret-value")
    assert "a-very-secret-value" not in repr(settings)
    assert "a-very-secret-value" not in str(settings)
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_known_secrets_are_scrubbed_from_error_messages() -> None:
    Secret("scrub-me-please-123")
    err = UTError(
        "the server said scrub-me-please-123 is wrong", url="https://x/?t=scrub-me-please-123"
    )
    assert "scrub-me-please-123" not in str(err)
    assert "scrub-me-please-123" not in repr(err)
    assert "scrub-me-please-123" not in err.url


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.usertesting.com/oauth2/default/v1/token",
        "http://127.0.0.1:8000/token",
        "http://127.5.6.7/token",
        "http://localhost:9999/x",
        "http://[::1]:8080/x",
    ],
)
def test_transport_allowed(url: str) -> None:
    check_transport(url, "UT_TOKEN_URL")


@pytest.mark.parametrize(
    "url",
    ["http://auth.usertesting.com/token", "http://10.0.0.5/token", "http://[::2]/x", "ftp://x/y"],
)
def test_transport_refused(url: str) -> None:
    with pytest.raises(InsecureTransportError) as info:
        check_transport(url, "UT_TOKEN_URL")
    assert "UT_TOKEN_URL" in str(info.value)
