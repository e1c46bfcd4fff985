"""``ut.login()`` outside Jupyter: a terminal prompt, or a clear message in scripts.

In plain Python (no notebook kernel, so no widget front end) :func:`ut_notebook.login`
calls :func:`terminal_login`:

- a session is already current: it is kept and returned;
- ``auto=True`` with credentials in the environment or a ``.env`` file, or ``UT_DEMO=1``:
  it connects at once, exactly as ``ut.connect()`` would;
- stdin is a terminal: it asks for the client ID (``input``) and the secret (``getpass``,
  nothing echoed, nothing stored but the session's memory);
- otherwise (a script, a pipe, CI): it raises :class:`~ut_notebook.NotConnectedError`
  telling the user to call ``ut.connect()``.

:func:`describe_session` is the one-line, secret-free summary both front ends print.
"""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from typing import TextIO
from urllib.parse import urlsplit

from ..api.client import Client
from ..api.connect import connect, current_client
from ..api.settings import load_settings
from ..errors import NotConnectedError

__all__ = ["NO_TERMINAL_MESSAGE", "describe_session", "host_of", "terminal_login"]

NO_TERMINAL_MESSAGE = (
    "ut.login() needs a notebook (it shows a form) or an interactive terminal (it asks "
    "for the secret), and found neither. In a script, call "
    "ut.connect(client_id, client_secret), or set UT_CLIENT_ID and UT_CLIENT_SECRET in the "
    "environment or a .env file and call ut.connect(); ut.connect(demo=True) uses the "
    "built-in demo data."
)


def host_of(url: str) -> str:
    """``https://api.example.com/x`` -> ``api.example.com`` (the URL itself if unparsable)."""
    return urlsplit(url).netloc or url


def format_time(moment: datetime) -> str:
    """A token expiry in the kernel's local time: ``14:05:07 UTC`` (date added if not today)."""
    local = moment.astimezone()
    now = datetime.now(local.tzinfo)
    if local.date() != now.date():
        return local.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return local.strftime("%H:%M:%S %Z").strip()


def endpoint_note(client: Client) -> str:
    """ ", via the token endpoint …/v1/token" when the token came from the other documented
    endpoint than the one configured (after a refusal), else ""."""
    info = client.token_info
    if info is None or not info.token_url or info.token_url == client.settings.token_url:
        return ""
    return f", via the token endpoint {urlsplit(info.token_url).path}"


def describe_session(session: Client) -> str:
    """Where a session is connected, its scope and token expiry. Never a secret.

    >>> describe_session(ut.connect(demo=True))                  # doctest: +SKIP
    'the built-in demo data, scope public_api.read, token valid until ...'
    """
    # The simulator's host and port (127.0.0.1:41234) change every run and say nothing.
    where = (
        "the built-in demo data" if session.demo else f"UserTesting ({host_of(session.api_url)})"
    )
    if session.closed:
        return f"{where}, disconnected"
    info = session.token_info
    if info is None:
        return f"{where}, a token is fetched on the next request"
    if info.seconds_left <= 0:
        return (
            f"{where}, scope {info.scope}, token expired at {format_time(info.expires_at)} "
            "(it is renewed on the next request)"
        )
    return (
        f"{where}, scope {info.scope}{endpoint_note(session)}, token valid until "
        f"{format_time(info.expires_at)}"
    )


def _is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or replaced streams
        return False


def terminal_login(*, auto: bool = True, stdin: TextIO | None = None) -> Client:
    """Connect from a terminal and return the session (see the module docstring)."""
    session = current_client()
    if session is not None and not session.closed:
        print(f"Already connected to {describe_session(session)}.")
        return session
    settings = load_settings()
    if auto and (settings.demo or settings.has_credentials):
        session = connect()
        print(f"Connected to {describe_session(session)}.")
        return session
    if not _is_tty(stdin if stdin is not None else sys.stdin):
        raise NotConnectedError(NO_TERMINAL_MESSAGE)
    default_id = settings.client_id or ""
    hint = f" [{default_id}]" if default_id else ""
    client_id = input(f"UserTesting client ID{hint}: ").strip() or default_id
    if settings.client_secret:
        prompt = "Client secret (press Enter to use the one found in the environment): "
    else:
        prompt = "Client secret: "
    secret = getpass.getpass(prompt).strip() or None
    session = connect(client_id or None, secret)
    print(f"Connected to {describe_session(session)}.")
    return session
