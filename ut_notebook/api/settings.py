"""Settings: from arguments, else the environment, else a ``.env`` file, else defaults.

>>> settings = load_settings(client_id="my-id", client_secret="my-secret")
>>> settings.scope
'public_api.read'
>>> settings.client_secret            # masked in every repr
Secret('***')
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv

from ..errors import InsecureTransportError, register_secret

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_SCOPE",
    "DEFAULT_TOKEN_URL",
    "Secret",
    "Settings",
    "check_transport",
    "load_settings",
]

# From the authorization page the project was specified from (../shared/api).
DEFAULT_TOKEN_URL = "https://auth.usertesting.com/oauth2/default/v1/token"
DEFAULT_SCOPE = "public_api.read"
DEFAULT_API_URL = "https://api.use2.usertesting.com"

# Each setting and the variable names it is read from, first match wins.
# CLIENT_ID / CLIENT_SECRET are the names the UserTesting docs use.
_VARIABLES: dict[str, tuple[str, ...]] = {
    "client_id": ("UT_CLIENT_ID", "CLIENT_ID"),
    "client_secret": ("UT_CLIENT_SECRET", "CLIENT_SECRET"),
    "token_url": ("UT_TOKEN_URL",),
    "scope": ("UT_SCOPE",),
    "api_url": ("UT_API_URL",),
}
_DEFAULTS = {"token_url": DEFAULT_TOKEN_URL, "scope": DEFAULT_SCOPE, "api_url": DEFAULT_API_URL}
_TRUE = {"1", "true", "yes", "on"}


class Secret:
    """A string that never shows itself: ``repr``, ``str`` and f-strings print ``***``.

    Call :meth:`reveal` at the one place the real value is needed (the HTTP request).

    >>> s = Secret("hunter2-long")
    >>> f"{s}", s.reveal()
    ('***', 'hunter2-long')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The real value. Use it only to build a request."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __format__ = lambda self, *_: "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        # Refuse to be pickled: a pickle is a file, and files are where secrets leak.
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class Settings:
    """Where and how to connect. Build it with :func:`load_settings`."""

    client_id: str | None = None
    client_secret: Secret | None = field(default=None, repr=False)
    token_url: str = DEFAULT_TOKEN_URL
    scope: str = DEFAULT_SCOPE
    api_url: str = DEFAULT_API_URL
    demo: bool = False

    def __repr__(self) -> str:
        secret = "set" if self.client_secret else "missing"
        return (
            f"Settings(client_id={self.client_id!r}, client_secret=<{secret}>, "
            f"token_url={self.token_url!r}, scope={self.scope!r}, api_url={self.api_url!r}, "
            f"demo={self.demo!r})"
        )

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id) and bool(self.client_secret)

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _dotenv() -> dict[str, str]:
    # usecwd: look from the notebook's folder upward, not from this package's folder.
    path = find_dotenv(usecwd=True)
    if not path:
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _first(sources: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = sources.get(name, "").strip()
        if value:
            return value
    return None


def load_settings(
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    *,
    token_url: str | None = None,
    api_url: str | None = None,
    scope: str | None = None,
    demo: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: arguments, else environment, else ``.env``, else defaults.

    The ``.env`` file is searched from the current working directory upward and never
    overrides a variable that is already set in the environment. Nothing is written to
    ``os.environ``.

    >>> load_settings(api_url="https://api.example.com/").api_url
    'https://api.example.com'
    """
    env = os.environ if environ is None else environ
    # Environment first, .env only fills the gaps (python-dotenv's override=False).
    merged: dict[str, str] = {**_dotenv(), **env}
    args = {
        "client_id": client_id,
        "client_secret": client_secret,
        "token_url": token_url,
        "scope": scope,
        "api_url": api_url,
    }
    values: dict[str, object] = {}
    for name, names in _VARIABLES.items():
        arg = args[name]
        value = arg if arg not in (None, "") else _first(merged, names)
        values[name] = value if value is not None else _DEFAULTS.get(name)
    secret = values["client_secret"]
    if isinstance(secret, str):
        values["client_secret"] = Secret(secret.strip())
    if isinstance(values["client_id"], str):
        values["client_id"] = values["client_id"].strip()
    values["api_url"] = str(values["api_url"]).rstrip("/")
    if demo is None:
        demo = merged.get("UT_DEMO", "").strip().lower() in _TRUE
    return Settings(demo=demo, **values)  # type: ignore[arg-type]


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: str, what: str) -> None:
    """Raise unless ``url`` is https, or plain http to a loopback address.

    >>> check_transport("http://127.0.0.1:8080/token", "UT_TOKEN_URL")
    >>> check_transport("http://api.example.com", "UT_API_URL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ut_notebook.errors.InsecureTransportError: Refusing to send credentials over plain http ...
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and is_loopback(parts.hostname):
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureTransportError(f"{what} is not a valid http(s) URL: {url!r}.")
    raise InsecureTransportError(
        f"Refusing to send credentials over plain http to {parts.hostname}: "
        f"set {what} to an https:// URL."
    )
