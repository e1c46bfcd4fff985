"""The OAuth 2.0 client-credentials token endpoint, answering like Okta does."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from .config import SimulatorConfig

__all__ = ["Grant", "TokenError", "TokenStore", "issue_token"]


@dataclass(frozen=True)
class Grant:
    client_id: str
    scope: str
    expires_at: float  # time.monotonic()


_BAD_CLIENT = (
    "Client authentication failed. Either the client or the client credentials are invalid."
)


class TokenError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


class TokenStore:
    """Issued access tokens. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}

    def issue(self, client_id: str, scope: str, lifetime: float, now: float) -> str:
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._grants[token] = Grant(client_id, scope, now + lifetime)
        return token

    def check(self, token: str | None, now: float) -> Grant | None:
        """The grant of a live token, else ``None`` (unknown, expired or revoked)."""
        if not token:
            return None
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None and now >= grant.expires_at:
                del self._grants[token]
                grant = None
        return grant

    def revoke_all(self) -> None:
        with self._lock:
            self._grants.clear()


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise TokenError(401, "invalid_client", _BAD_CLIENT) from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise TokenError(401, "invalid_client", _BAD_CLIENT)
    # RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    return unquote(user.replace("+", " ")), unquote(password.replace("+", " "))


def issue_token(
    config: SimulatorConfig,
    store: TokenStore,
    allowed_scope: str,
    content_type: str | None,
    authorization: str | None,
    body: bytes,
    now: float,
) -> dict[str, object]:
    """Validate a token request and return the token response, or raise TokenError."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise TokenError(
            400,
            "invalid_request",
            "The request must have a Content-Type of application/x-www-form-urlencoded.",
        )
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise TokenError(400, "invalid_request", "The request body is not valid.") from None
    basic = _basic_auth(authorization)
    if basic is not None:
        if "client_secret" in form:
            raise TokenError(
                400,
                "invalid_request",
                "Cannot supply multiple client credentials. Use one of the following: "
                "credentials in the Authorization header, credentials in the post body, "
                "or a client_assertion in the post body.",
            )
        client_id, client_secret = basic
    else:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    if not (
        hmac.compare_digest(client_id.encode(), config.client_id.encode())
        and hmac.compare_digest(client_secret.encode(), config.client_secret.encode())
    ):
        raise TokenError(401, "invalid_client", _BAD_CLIENT)
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise TokenError(400, "invalid_request", "The token request must specify a 'grant_type'.")
    if grant_type != "client_credentials":
        raise TokenError(
            400,
            "unsupported_grant_type",
            f"The authorization grant type '{grant_type}' is not supported by the "
            "authorization server. Use client_credentials.",
        )
    scopes = form.get("scope", "").split()
    if not scopes:
        raise TokenError(
            400,
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, "
            "'scope' must be provided.",
        )
    unknown = [s for s in scopes if s != allowed_scope]
    if unknown:
        raise TokenError(
            400,
            "invalid_scope",
            f"One or more scopes are not configured for the authorization server resource: "
            f"{' '.join(unknown)}.",
        )
    token = store.issue(client_id, allowed_scope, config.token_lifetime, now)
    return {
        "token_type": "Bearer",
        "expires_in": config.expires_in,
        "access_token": token,
        "scope": allowed_scope,
    }
