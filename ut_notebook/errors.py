"""The exceptions and warnings ut-notebook raises.

Every failure that comes from talking to UserTesting is a :class:`UTError`, so a
notebook can catch them all at once::

    try:
        df = ut.load_sessions(TEST_ID)
    except ut.UTError as err:
        print(err)            # says what happened and what to do
        df = err.partial      # rows fetched before the failure (or None)

Messages never contain a client secret or an access token: every message is
scrubbed of known secrets before it is stored (see :func:`scrub`).
"""

from __future__ import annotations

import re
import threading
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthError",
    "ConfigError",
    "IncompleteResultWarning",
    "InsecureTransportError",
    "NotConnectedError",
    "NotFoundError",
    "RateLimitError",
    "TruncatedResultWarning",
    "UTError",
    "excerpt",
    "scrub",
]

# Values that must never appear in a message. Filled by the auth code as soon as it
# sees a secret or a token; weak enough for our needs (a set of short strings).
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_MASK = "***"
_TAGS = re.compile(r"<[^<>]{0,1000}>")


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`scrub` removes it from any later message."""
    # Very short values would mask ordinary words; real secrets and tokens are long.
    if value and len(value) >= 6:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def scrub(text: str) -> str:
    """Return ``text`` with every registered secret or token replaced by ``***``.

    >>> register_secret("s3cr3t-value")
    >>> scrub("bad secret s3cr3t-value")
    'bad secret ***'
    """
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def excerpt(text: str, *, html: bool = False, limit: int = 200) -> str:
    """A one-line excerpt of a response body for a message, scrubbed of every known
    secret *before* it is cut (so no fragment of a token survives the cut). Linear time.

    >>> excerpt("<html><title>502 Bad Gateway</title>...</html>", html=True)
    '502 Bad Gateway'
    """
    text = scrub(text)
    if html or text.lstrip().startswith("<"):
        start = text.lower().find("<title>")
        end = text.lower().find("</title>", start + 7) if start >= 0 else -1
        text = text[start + 7 : end] if 0 <= start < end else _TAGS.sub(" ", text[:65536])
    text = " ".join(text[: 4 * limit].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UTError(Exception):
    """Base class of every error ut-notebook raises about the UserTesting API.

    Attributes:
        status: the HTTP status code, when there was a response.
        url: the request URL (never with credentials in it).
        body: a short excerpt of the response body, scrubbed of secrets.
        partial: what a loader had fetched before it failed (a DataFrame or
            a loader-specific result), or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str | None = None,
        body: str | None = None,
    ) -> None:
        self.message = scrub(message)
        self.status = status
        self.url = scrub(url) if url else url
        self.body = scrub(body) if body else body
        self.partial: Any = None
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword attributes when pickled (multiprocessing, background jobs).
        extra = {k: v for k, v in vars(self).items() if k not in _BASE_FIELDS}
        return (
            _rebuild,
            (type(self), self.message, self.status, self.url, self.body, self.partial),
            extra or None,
        )


_BASE_FIELDS = {"message", "status", "url", "body", "partial"}


def _rebuild(
    cls: type[UTError],
    message: str,
    status: int | None,
    url: str | None,
    body: str | None,
    partial: Any,
) -> UTError:
    err = cls.__new__(cls)
    UTError.__init__(err, message, status=status, url=url, body=body)
    err.partial = partial
    return err


class AuthError(UTError):
    """The token endpoint refused the credentials, or the API refused the token.

    The message names the setting to check (``UT_CLIENT_ID``, ``UT_CLIENT_SECRET``,
    ``UT_SCOPE`` or ``UT_TOKEN_URL``) and never contains the secret or the token.
    ``oauth_error`` is the token endpoint's OAuth error code, when it gave one.
    """

    oauth_error: str = ""


class NotConnectedError(UTError):
    """A loader was called before ``ut.login()`` or ``ut.connect()``."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Not connected to UserTesting. Run ut.login() in a notebook, or "
            "ut.connect(client_id, client_secret) (ut.connect(demo=True) for the "
            "built-in demo data), then try again."
        )


class NotFoundError(UTError):
    """HTTP 404: the test or session does not exist, or is not in your workspaces."""


class RateLimitError(UTError):
    """The rate limit would make ut-notebook wait longer than ``max_wait``, or the API
    kept answering 429. ``err.wait`` is the wait in seconds it would have taken (or
    ``None`` when the server did not say)."""

    wait: float | None = None


class APIError(UTError):
    """Any other unexpected answer: a 4xx/5xx status or a body that is not valid JSON."""


class APIConnectionError(APIError):
    """The API could not be reached (network down, DNS, refused, timed out) after every
    try. Check the network connection and ``UT_API_URL``."""


class ConfigError(UTError, ValueError):
    """A setting (argument, environment variable or ``.env`` line) cannot be used; the
    message names it."""


class InsecureTransportError(UTError, ValueError):
    """Refused to send a secret over plain ``http://`` to a host that is not loopback."""


class IncompleteResultWarning(UserWarning):
    """A list came back shorter than the API's own count (``totalCount``): the server
    repeated pages or sent items without ids. ``df.attrs["complete"]`` is False."""


class TruncatedResultWarning(UserWarning):
    """The API cannot page past offset 10,000: the result holds only the newest rows.

    Filter it like any warning::

        import warnings
        warnings.simplefilter("ignore", ut.TruncatedResultWarning)
    """
