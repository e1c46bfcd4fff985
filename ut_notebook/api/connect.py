"""The kernel's connection: ``ut.connect()``, ``ut.current_session()``, ``ut.disconnect()``.

One :class:`~ut_notebook.api.client.Session` is "current" per Python process (per notebook
kernel); loaders use it when no ``session=`` is passed. It lives in memory only.

>>> session = ut.connect(demo=True)      # the built-in simulator, no credentials needed
>>> ut.current_session() is session
True
"""

from __future__ import annotations

import threading

from ..errors import NotConnectedError
from .client import RetryPolicy, Session
from .settings import DEFAULT_SCOPE, Secret, Settings, load_settings

__all__ = ["connect", "current_session", "disconnect", "require_session"]

_current: Session | None = None
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
) -> Session:
    """Get a token with OAuth2 client credentials and make the session current.

    Each setting comes from the argument, else the environment (``UT_CLIENT_ID``,
    ``UT_CLIENT_SECRET``, ``UT_TOKEN_URL``, ``UT_SCOPE``, ``UT_API_URL``), else a ``.env``
    file, else the defaults. ``demo=True`` -- or ``UT_DEMO=1`` with no credentials
    passed -- starts the built-in simulator and connects to it.

    Raises :class:`~ut_notebook.AuthError` at once if the token endpoint refuses; the
    previous current session, if any, then stays current.

    >>> session = ut.connect("my-client-id", "my-secret")        # doctest: +SKIP
    >>> session = ut.connect(demo=True)
    >>> session.demo
    True
    """
    settings = load_settings(
        client_id, client_secret, token_url=token_url, api_url=api_url, scope=scope
    )
    explicit = client_id is not None or client_secret is not None
    if demo or (settings.demo and not explicit):
        settings = _demo_settings()
    session = Session(settings, retry=retry)
    session.authenticate()  # fail fast, before the session becomes current
    _set_current(session)
    return session


def _demo_settings() -> Settings:
    # Imported here: the simulator is only started (and its module loaded) on demand.
    from ..demo import demo_server

    server = demo_server()
    return Settings(
        client_id=server.config.client_id,
        client_secret=Secret(server.config.client_secret),
        token_url=server.token_url,
        scope=DEFAULT_SCOPE,
        api_url=server.url,
        demo=True,
    )


def _set_current(session: Session | None) -> Session | None:
    """Make ``session`` current and return the previous one."""
    global _current
    with _lock:
        previous, _current = _current, session
    return previous


def current_session() -> Session | None:
    """The kernel's current session, or ``None`` before ``ut.login()``/``ut.connect()``."""
    return _current


def require_session(session: Session | None = None) -> Session:
    """``session`` if given, else the current one; raise :class:`NotConnectedError` if none."""
    session = session if session is not None else _current
    if session is None or session.closed:
        raise NotConnectedError()
    return session


def disconnect() -> None:
    """Forget the current session: its token is dropped and its connections closed."""
    previous = _set_current(None)
    if previous is not None:
        previous.close()
