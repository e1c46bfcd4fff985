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
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv

from ..errors import ConfigError, InsecureTransportError, register_secret

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_SCOPE",
    "DEFAULT_TOKEN_URL",
    "TOKEN_ENDPOINTS",
    "TOKEN_PATHS",
    "Secret",
    "Settings",
    "check_transport",
    "check_url",
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
_FALSE = {"0", "false", "no", "off"}

# The two documented token endpoints and their scopes (../shared/api/README.md): the
# authorization page the project was specified from, and the current docs. Both live on
# UserTesting's authorization server; they differ by path and scope.
TOKEN_PATHS = (
    ("/oauth2/default/v1/token", DEFAULT_SCOPE),
    ("/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token", "studies:read"),
)
TOKEN_ENDPOINTS = tuple(("https://auth.usertesting.com" + p, s) for p, s in TOKEN_PATHS)


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
    """Every ``UT_*`` setting in one place. Build it with :func:`load_settings`.

    Read once per :func:`~ut_notebook.connect` (environment, then ``.env``) and kept on
    the client, so loaders never read the environment themselves.
    """

    client_id: str | None = None
    client_secret: Secret | None = field(default=None, repr=False)
    token_url: str = DEFAULT_TOKEN_URL
    scope: str = DEFAULT_SCOPE
    api_url: str = DEFAULT_API_URL
    demo: bool = False
    cache: bool = True  # UT_CACHE
    cache_dir: str | None = None  # UT_CACHE_DIR; None: the user cache folder
    test_id: str | None = None  # UT_TEST_ID: the notebooks' default test
    # True when token_url and scope are one of the documented pairs, not set by the user:
    # then, if refused, the other documented pair is tried once.
    token_defaulted: bool = True

    def __repr__(self) -> str:
        secret = "set" if self.client_secret else "missing"
        return (
            f"Settings(client_id={self.client_id!r}, client_secret=<{secret}>, "
            f"token_url={self.token_url!r}, scope={self.scope!r}, api_url={self.api_url!r}, "
            f"demo={self.demo!r}, cache={self.cache!r}, cache_dir={self.cache_dir!r}, "
            f"test_id={self.test_id!r})"
        )

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id) and bool(self.client_secret)

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def token_endpoints(self) -> list[tuple[str, str]]:
        """``(token_url, scope)`` pairs to try, in order: the configured one, then — when
        it is one of the two documented path-and-scope pairs — the other one on the
        same server (so the secret is never sent to another host).

        >>> [s for _, s in Settings().token_endpoints()]
        ['public_api.read', 'studies:read']
        """
        pairs = [(self.token_url, self.scope)]
        if self.token_defaulted:
            base, path = _split_token_url(self.token_url)
            pairs += [(base + p, s) for p, s in TOKEN_PATHS if (p, s) != (path, self.scope)]
        return pairs


def _split_token_url(url: str) -> tuple[str, str]:
    """``("https://host", "/path")`` of a token URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}", parts.path


def _dotenv() -> dict[str, str]:
    """The ``.env`` file found from the working directory upward, as a dict."""
    # usecwd: look from the notebook's folder upward, not from this package's folder.
    path = find_dotenv(usecwd=True)
    if not path:
        return {}
    try:
        values = dotenv_values(path, encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(
            f"{path}, line {_bad_utf8_line(path)}, is not UTF-8 text: save the .env file as "
            "UTF-8 (or remove the line)."
        ) from None
    return {k: v for k, v in values.items() if v is not None}


def _bad_utf8_line(path: str) -> int:
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _first(sources: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = sources.get(name, "").strip()
        if value:
            return value
    return None


def parse_bool(value: str, name: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); anything else is an error
    naming the variable.

    >>> parse_bool(" Off ", "UT_CACHE")
    False
    """
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ConfigError(
        f"{name}={value.strip()!r} is not understood: use 1/true/yes/on or 0/false/no/off."
    )


def _text(value: object, name: str) -> str | Secret | None:
    if value is None or isinstance(value, (str, Secret)):
        return value
    raise TypeError(f"{name} must be a string, not {type(value).__name__}.")


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
    ``os.environ``. Raises :class:`~ut_notebook.ConfigError` naming the variable for a
    value that cannot be used, and ``TypeError`` for an argument that is not a string.

    >>> load_settings(api_url="https://api.example.com/").api_url
    'https://api.example.com'
    """
    for name, value in (("client_id", client_id), ("client_secret", client_secret)):
        _text(value, name)
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
    values["api_url"] = check_url(str(values["api_url"]), "UT_API_URL").rstrip("/")
    values["token_url"] = check_url(str(values["token_url"]), "UT_TOKEN_URL")
    values["token_defaulted"] = (
        _split_token_url(str(values["token_url"]))[1],
        values["scope"],
    ) in TOKEN_PATHS
    if demo is None:
        demo = parse_bool(merged.get("UT_DEMO", "") or "0", "UT_DEMO")
    cache = merged.get("UT_CACHE", "").strip()
    return Settings(
        demo=demo,
        cache=parse_bool(cache, "UT_CACHE") if cache else True,
        cache_dir=merged.get("UT_CACHE_DIR", "").strip() or None,
        test_id=merged.get("UT_TEST_ID", "").strip() or None,
        **values,  # type: ignore[arg-type]
    )


def check_url(url: str, what: str) -> str:
    """``url`` stripped, or :class:`~ut_notebook.ConfigError` naming ``what`` when it
    cannot be an API address (a query, a fragment, a space, a bad port, no host).

    >>> check_url("https://api.example.com:99999", "UT_API_URL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ut_notebook.errors.ConfigError: UT_API_URL='https://api.example.com:99999' ...
    """
    url = url.strip()
    parts = urlsplit(url)
    problem = ""
    if any(c.isspace() for c in url):
        problem = "contains a space"
    elif parts.query or parts.fragment:
        problem = "has a query or fragment"
    elif not parts.hostname:
        problem = "has no host"
    else:
        try:
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError:
            problem = "has a port that is not a number from 1 to 65535"
    if problem:
        raise ConfigError(f"{what}={url!r} {problem}: set it to an https:// URL.")
    return url


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    if host.lower().endswith(".localhost"):
        # Only if it really resolves to loopback: resolvers need not honour RFC 6761.
        return _resolves_to_loopback(host)
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _resolves_to_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses
    )


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
