"""The kernel's connection: ``ut.connect()``, ``ut.current_client()``, ``ut.disconnect()``.

One :class:`~ut_notebook.Client` is "current" per Python process (per notebook kernel);
loaders use it when no ``client=`` is passed. It lives in memory only.

>>> client = ut.connect(demo=True)      # the built-in simulator, no credentials needed
>>> ut.current_client() is client
True
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import replace
from typing import Any

from ..errors import NotConnectedError
from .client import Client, RetryPolicy
from .settings import DEFAULT_SCOPE, Secret, Settings, load_settings

__all__ = ["connect", "current_client", "current_session", "disconnect", "require_client"]

_current: Client | None = None
_lock = threading.Lock()


def connect(
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    token_url: str | None = None,
    api_url: str | None = None,
    scope: str | None = None,
    demo: bool = False,
    retry: RetryPolicy | None = None,
) -> Client:
    """Get a token with OAuth2 client credentials and make the client current.

    Each setting comes from the argument, else the environment (``UT_CLIENT_ID``,
    ``UT_CLIENT_SECRET``, ``UT_TOKEN_URL``, ``UT_SCOPE``, ``UT_API_URL``), else a ``.env``
    file, else the defaults; the environment and ``.env`` are read here, once. With the
    default token endpoint, a refusal (``invalid_scope``, ``invalid_client``, 404) makes
    it try the other documented endpoint once (``client.token_info.token_url`` says which
    worked). ``demo=True`` -- or ``UT_DEMO=1`` with no credentials passed -- starts the
    built-in simulator and connects to it.

    Raises :class:`~ut_notebook.AuthError` at once if the token endpoint refuses; the
    previous current client, if any, then stays current.

    >>> client = ut.connect("my-client-id", "my-secret")        # doctest: +SKIP
    >>> client = ut.connect(demo=True)
    >>> client.demo
    True
    """
    settings = load_settings(
        client_id, client_secret, token_url=token_url, api_url=api_url, scope=scope
    )
    explicit = client_id is not None or client_secret is not None
    if demo or (settings.demo and not explicit):
        settings = _demo_settings(settings)
    client = Client(settings, retry=retry)
    client.authenticate()  # fail fast, before the client becomes current
    _set_current(client)
    return client


def _demo_settings(settings: Settings) -> Settings:
    # Imported here: the simulator is only started (and its module loaded) on demand.
    from ..demo import demo_server

    server = demo_server()
    return replace(
        settings,
        client_id=server.config.client_id,
        client_secret=Secret(server.config.client_secret),
        token_url=server.token_url,
        scope=DEFAULT_SCOPE,
        api_url=server.url,
        demo=True,
        token_defaulted=False,
    )


def _set_current(client: Client | None) -> Client | None:
    """Make ``client`` current and return the previous one."""
    global _current
    with _lock:
        previous, _current = _current, client
    return previous


def current_client() -> Client | None:
    """The kernel's current client, or ``None`` before ``ut.login()``/``ut.connect()``."""
    return _current


def current_session() -> Client | None:
    """Deprecated name of :func:`current_client`."""
    warnings.warn(
        "ut.current_session() is now ut.current_client(); the old name will be removed in "
        "the next release.",
        DeprecationWarning,
        stacklevel=2,
    )
    return _current


def require_client(client: Client | None = None, session: Any = None) -> Client:
    """``client`` if given, else the current one; raise :class:`NotConnectedError` if
    none. ``session`` is the deprecated name of ``client`` (it warns)."""
    if session is not None:
        warnings.warn(
            "session= is now client= (a 'session' is a participant's session); session= "
            "will be removed in the next release.",
            DeprecationWarning,
            stacklevel=3,
        )
        client = client if client is not None else session
    client = client if client is not None else _current
    if client is None or client.closed:
        raise NotConnectedError()
    return client


def disconnect() -> None:
    """Forget the current client: its token is dropped and its connections closed."""
    previous = _set_current(None)
    if previous is not None:
        previous.close()
