"""Shared fixtures: a fresh simulator per test, a connected session, a clean environment.

Everything talks to :class:`ut_notebook.demo.DemoServer` over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ut_notebook as ut
from ut_notebook.api.client import RetryPolicy
from ut_notebook.known_tests import forget as forget_known_tests

# Retries as in production, minus the waiting: keeps fault-injection tests fast.
FAST_RETRY = RetryPolicy(backoff=0.01, backoff_cap=0.05, max_wait=30.0, timeout=(2.0, 10.0))

_SETTING_VARIABLES = (
    "UT_CLIENT_ID",
    "UT_CLIENT_SECRET",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "UT_TOKEN_URL",
    "UT_SCOPE",
    "UT_API_URL",
    "UT_DEMO",
    "UT_TEST_ID",
    "UT_CACHE",
)


@pytest.fixture(autouse=True)
def clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """No credentials from the developer's shell or .env; no session left over."""
    for name in _SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # Run in an empty folder so no .env above the repo is found; cache in a temp dir.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.setenv("UT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    ut.disconnect()
    forget_known_tests()  # titles learnt by one test must not change another's charts
    yield
    ut.disconnect()


@pytest.fixture
def make_server() -> Iterator[Callable[..., Any]]:
    """``make_server(**config)`` starts a DemoServer with those SimulatorConfig fields."""
    from ut_notebook.demo import DemoServer

    servers: list[Any] = []

    def start(**overrides: Any) -> Any:
        overrides.setdefault("rate_limit", 1000)
        overrides.setdefault("rate_window", 60.0)
        server = DemoServer(**overrides).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., Any]) -> Any:
    """A simulator with a generous rate limit (tests of the limit make their own)."""
    return make_server()


def connect_to(server: Any, retry: RetryPolicy = FAST_RETRY, **kwargs: Any) -> ut.Client:
    """``ut.connect`` to ``server`` with its demo credentials."""
    return ut.connect(
        kwargs.pop("client_id", server.config.client_id),
        kwargs.pop("client_secret", server.config.client_secret),
        token_url=kwargs.pop("token_url", server.token_url),
        api_url=kwargs.pop("api_url", server.url),
        retry=retry,
        **kwargs,
    )


@pytest.fixture
def client(server: Any) -> ut.Client:
    """A session connected to ``server`` and made current."""
    return connect_to(server)
