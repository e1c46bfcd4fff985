"""The login form's controller: handles clicks and Enter, connects, renders the status.

It drives the controls of a :class:`~.layout.LoginLayout` and holds the form's state as
a traitlets trait, so that anything can follow it::

    >>> controller = LoginController(build_layout(settings), settings)   # doctest: +SKIP
    >>> controller.observe(lambda change: print(change["new"]), names="state")  # doctest: +SKIP
    >>> controller.start()                                                # doctest: +SKIP
    >>> controller.use_demo()                                             # doctest: +SKIP
    connecting
    connected

States: ``disconnected``, ``connecting``, ``connected``, ``expired`` (the token ran out;
the next request renews it) and ``error`` (the last attempt failed, see ``error``; a
previous session may still be current). The status line is written before the state
changes, so an observer sees them agree.

Secrets. Connect copies the Password field's value and empties the field *before* it
sends anything; the secret then lives only in the kernel's memory (in the
:class:`~ut_notebook.Client`, masked in every repr). No status text holds a secret.

Callback errors. ipywidgets swallows exceptions raised in callbacks (they end up in a
log nobody reads). Every handler here catches its own: a connection failure is shown in
the status line (``error``), anything unexpected too, and kept in ``callback_error``.

Enter in the secret field. ipywidgets 8 deprecates ``Text.on_submit``, and the
``{"event": "submit"}`` message a browser sends on Enter arrives *before* the new value
(the field syncs on Enter or focus loss only). The form connects when a value arrives
within two seconds after a submit message; a value that arrives alone (focus moved to
the Connect button or the Advanced section) waits for Connect. So "type, click Connect"
connects once, and an empty value is never submitted.
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from traitlets import Enum, HasTraits

from ...api.auth import TokenInfo
from ...api.client import Client
from ...api.connect import connect, current_client, disconnect
from ...api.settings import Settings, load_settings
from ...errors import UTError, scrub
from ..terminal import describe_session, endpoint_note, format_time, host_of
from .layout import LoginLayout

__all__ = ["FIELD_NAMES", "STATES", "LoginController", "form_message", "status_html"]

log = logging.getLogger("ut_notebook.ui.login")

STATES = ("disconnected", "connecting", "connected", "expired", "error")

# A value that arrives this soon after a "submit" message is the Enter key's value.
_ENTER_WINDOW = 2.0

_MUTED = "color:var(--jp-ui-font-color2,#57606a);font-size:0.95em"
_STYLES = {
    # state: (colour, symbol). Colours readable on light and dark JupyterLab themes.
    "disconnected": ("#6e7781", "○"),
    "connecting": ("#bf8700", "◌"),
    "connected": ("#1a7f37", "●"),
    "expired": ("#bf8700", "●"),
    "error": ("#cf222e", "✖"),
}


def state_trait() -> Enum:
    """The ``state`` trait: one of :data:`STATES`, set only by the form itself.

    Read-only so that ``form.state = "connected"`` cannot lie; kernel-side only (not
    synced): the browser has the status line, which says the same in words.
    """
    return Enum(
        STATES,
        default_value="disconnected",
        read_only=True,
        help="The connection as the form shows it: " + ", ".join(STATES) + ".",
    )


class LoginController(HasTraits):
    """Wires a :class:`~.layout.LoginLayout`'s controls to :func:`ut_notebook.connect`.

    Attributes:
        state: the form's state (a trait: ``controller.observe(cb, names="state")``).
        error: the :class:`~ut_notebook.UTError` shown after a failed attempt, or ``None``.
        callback_error: the last *unexpected* exception a handler caught (a bug), or
            ``None``. It is shown in the status line too.

    Nothing is shown and nothing connects until :meth:`start`, so that an owner can
    observe ``state`` first.
    """

    state = state_trait()

    def __init__(self, form: LoginLayout, settings: Settings) -> None:
        super().__init__()
        self.form = form
        self.error: UTError | None = None
        self.callback_error: BaseException | None = None
        self._settings = settings
        self._lock = threading.RLock()
        self._session: Client | None = None
        self._timer: threading.Timer | None = None
        self._busy = False
        self._closing = False
        self._submitted_at: float | None = None
        # Which settings of the last attempt were typed into the form (vs. read from the
        # environment): its error names the form's fields for those, variables otherwise.
        self._typed: frozenset[str] = frozenset()
        self._listener = self._guarded(self._on_token_change)
        form.connect_button.on_click(self._guarded(self._on_connect_click))
        form.disconnect_button.on_click(self._guarded(self._on_disconnect_click))
        form.demo_button.on_click(self._guarded(self._on_demo_click))
        form.client_secret.observe(self._guarded(self._on_secret_value), names="value")
        form.client_secret.on_msg(self._guarded(self._on_secret_msg))

    # -- public actions (the buttons call these) ------------------------------------------

    def start(self, *, auto: bool = False) -> None:
        """Show the current connection; with ``auto``, connect from env/.env/``UT_DEMO``.

        Auto-connect happens only when no session is current: a second form shows the
        session the first one made instead of replacing it.
        """
        self._render()
        if auto and self._live_session() is None:
            if self._settings.demo:
                self.use_demo()
            elif self._settings.has_credentials:
                # Nobody typed anything: an error names the variables the values came from.
                self._guarded(self._connect_from_form)(False)

    @property
    def client(self) -> Client | None:
        """The client this form shows (the kernel's current one), or ``None``."""
        return self._live_session()

    @property
    def session(self) -> Client | None:
        """Deprecated name of :attr:`client`."""
        return self.client

    def connect(self) -> None:
        """Connect with the form's values: what the Connect button does."""
        self._guarded(self._connect_from_form)()

    def use_demo(self) -> None:
        """Connect to the built-in simulator: what "Use demo data" does."""
        self._guarded(self._run)(lambda: connect(demo=True), "Starting the demo data…")

    def disconnect(self) -> None:
        """Forget the kernel's session: what the Disconnect button does."""
        self._guarded(self._disconnect)()

    def refresh(self) -> None:
        """Bring the status up to date (the session may have changed elsewhere)."""
        self._guarded(self._render)()

    def close(self) -> None:
        """Stop following the session's token; the controls are the layout's to close."""
        with self._lock:
            self._closing = True
        self._bind(None)

    def summary(self) -> str:
        """One line about the connection, for places that cannot show the form."""
        session = self._live_session()
        if self.error is not None:
            text = f"ut.login(): could not connect. {form_message(str(self.error), self._typed)}"
            if session is not None:
                text += f" Still connected to {describe_session(session)}."
            return text
        if session is not None:
            return f"ut.login(): connected to {describe_session(session)}."
        return (
            "ut.login(): not connected. The login form needs a front end that shows "
            "Jupyter widgets; elsewhere call ut.connect(client_id, client_secret), or "
            "ut.connect(demo=True) for the demo data."
        )

    # -- handlers -----------------------------------------------------------------------

    def _guarded(self, handler: Callable[..., Any]) -> Callable[..., None]:
        """``handler`` that never raises: unexpected errors are shown and remembered."""

        @functools.wraps(handler)
        def run(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as exc:
                self.callback_error = exc
                with contextlib.suppress(Exception):
                    self.form.client_secret.value = ""  # whatever failed, the secret goes
                text = scrub(str(exc))
                log.error("ut.login(): unexpected %s: %s", type(exc).__name__, text)
                with self._lock:
                    self._busy = False
                self._set_disabled(False)
                # An observer of `state` that raises (the bug may be there) must not
                # escape into ipywidgets: the state is set before observers run.
                with contextlib.suppress(Exception):
                    self._show(
                        "error",
                        f"<b>Something went wrong</b> ({html.escape(type(exc).__name__)}: "
                        f"{html.escape(text)}). This is a bug in ut-notebook: please report it. "
                        "ut.connect() still works from code.",
                    )

        return run

    def _on_connect_click(self, _button: Any) -> None:
        self._connect_from_form()

    def _on_disconnect_click(self, _button: Any) -> None:
        self._disconnect()

    def _on_demo_click(self, _button: Any) -> None:
        self._run(lambda: connect(demo=True), "Starting the demo data…")

    def _on_secret_msg(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            self._submitted_at = time.monotonic()

    def _on_secret_value(self, change: dict[str, Any]) -> None:
        if not str(change["new"]).strip():
            return  # our own clearing, or an empty field: nothing to submit
        submitted, self._submitted_at = self._submitted_at, None
        if submitted is not None and time.monotonic() - submitted <= _ENTER_WINDOW:
            self._connect_from_form()  # Enter was pressed; a lone value is a focus change

    def _on_token_change(self, _info: TokenInfo | None) -> None:
        self._render()  # called from whichever thread renewed the token

    # -- connecting ---------------------------------------------------------------------

    def _connect_from_form(self, from_form: bool = True) -> None:
        form = self.form
        typed = form.client_secret.value.strip()
        form.client_secret.value = ""  # at once: the secret must not stay in the model
        self._submitted_at = None
        client_id = form.client_id.value.strip()
        token_url = form.token_url.value.strip()
        scope = form.scope.value.strip()
        api_url = form.api_url.value.strip().rstrip("/")
        current = self._live_session()
        if (
            not typed
            and current is not None
            and _same_target(current, client_id, token_url, scope, api_url)
        ):
            self.error = None
            self._render()  # already connected with exactly these settings
            return
        if not client_id:
            self._fail("Enter your client ID.")
            return
        secret: str | None = typed or _secret_of(current, client_id, token_url)
        self._typed = frozenset()
        if from_form:
            fields = {"UT_CLIENT_ID", "UT_TOKEN_URL", "UT_SCOPE", "UT_API_URL"}
            if secret is not None:  # else it comes from the environment or .env
                fields.add("UT_CLIENT_SECRET")
            self._typed = frozenset(fields)
        if secret is None and not load_settings().client_secret:
            self._fail(
                "Enter your client secret (or set UT_CLIENT_SECRET in the environment or a "
                ".env file)."
            )
            return
        self._run(
            lambda: connect(
                client_id,
                secret,
                token_url=token_url or None,
                scope=scope or None,
                api_url=api_url or None,
            ),
            f"Connecting to {html.escape(host_of(token_url or self._settings.token_url))}…",
        )

    def _run(self, action: Callable[[], Client], busy_text: str) -> None:
        with self._lock:
            if self._busy:
                return  # a second click while connecting: the first attempt decides
            self._busy = True
        self._set_disabled(True)
        self._show("connecting", busy_text)
        try:
            session = action()
        except UTError as err:
            self.error = err
        else:
            self.error = None
            self._bind(session)
        finally:
            with self._lock:
                self._busy = False
            self._set_disabled(False)
        self._render()

    def _disconnect(self) -> None:
        self.error = None
        self._bind(None)
        disconnect()
        self._render()

    def _fail(self, message: str) -> None:
        self.error = UTError(message)
        self._render()

    # -- state and status ---------------------------------------------------------------

    def _live_session(self) -> Client | None:
        session = current_client()
        return session if session is not None and not session.closed else None

    def _bind(self, session: Client | None) -> None:
        """Follow ``session``'s token refreshes (and only its)."""
        with self._lock:
            old, self._session = self._session, session
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if old is not session:
            if old is not None:
                old.remove_token_listener(self._listener)
            if session is not None:
                session.on_token_change(self._listener)

    def _render(self) -> None:
        # Under the lock: a token renewal (another thread) and a click must not
        # interleave their status writes.
        with self._lock:
            if self._busy or self._closing:
                return
            session = self._live_session()
            self._bind(session)
            self.form.disconnect_button.disabled = session is None
            self._update_placeholder(session)
            if self.error is not None:
                message = form_message(str(self.error), self._typed)
                text = f"<b>Could not connect.</b> {html.escape(message)}"
                if session is not None:
                    text += f"<br>Still connected to {html.escape(describe_session(session))}."
                self._show("error", text)
            elif session is None:
                self._show(
                    "disconnected",
                    "Not connected. Enter your client ID and secret and press Connect, "
                    "or use the demo data.",
                )
            else:
                info = session.token_info
                expired = info is not None and info.seconds_left <= 0
                self._show("expired" if expired else "connected", _connected_html(session))
                if info is not None and not expired:
                    self._schedule_expiry(info)

    def _schedule_expiry(self, info: TokenInfo) -> None:
        # No request is needed for the status to say "expired": a timer re-renders.
        timer = threading.Timer(max(0.0, info.seconds_left) + 0.05, self._guarded(self._render))
        timer.daemon = True
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = timer
        timer.start()

    def _show(self, state: str, text: str) -> None:
        self.form.status.value = status_html(state, text)
        # After the status line: an observer of `state` sees both agree.
        self.set_trait("state", state)

    def _update_placeholder(self, session: Client | None) -> None:
        if (
            session is not None
            and not session.demo
            and session.settings.client_id == self.form.client_id.value.strip()
        ):
            hint = "in use — leave empty to keep it"
        elif self._settings.client_secret:
            hint = "found in the environment — leave empty to use it"
        else:
            hint = "your client secret"
        self.form.client_secret.placeholder = hint

    def _set_disabled(self, disabled: bool) -> None:
        for control in self.form.inputs:
            control.disabled = disabled
        if not disabled:
            self.form.disconnect_button.disabled = self._live_session() is None


#: The form's name of each setting, for messages about values typed into the form.
FIELD_NAMES = {
    "UT_CLIENT_ID": "the Client ID",
    "UT_CLIENT_SECRET": "the Client secret",
    "UT_TOKEN_URL": "the Token URL (under Advanced)",
    "UT_SCOPE": "the Scope (under Advanced)",
    "UT_API_URL": "the API URL (under Advanced)",
}


def form_message(message: str, typed: frozenset[str] | set[str]) -> str:
    """``message`` with the variables in ``typed`` named as the form's fields.

    Errors speak of environment variables (they are raised for code and terminals too);
    a user who typed into the form looks for its fields instead.

    >>> form_message("Refused. Check UT_CLIENT_ID and UT_CLIENT_SECRET.", {"UT_CLIENT_ID"})
    'Refused. Check the Client ID and UT_CLIENT_SECRET.'
    """

    def name(match: re.Match[str]) -> str:
        variable = match.group(0)
        return FIELD_NAMES.get(variable, variable) if variable in typed else variable

    return re.sub(r"\bUT_[A-Z_]+\b", name, message)


def status_html(state: str, text: str) -> str:
    """The status line's HTML: a coloured bar and symbol for ``state``, then ``text``.

    ``text`` is HTML already (callers escape what they did not write).

    >>> "●" in status_html("connected", "<b>Connected</b>")
    True
    """
    colour, symbol = _STYLES[state]
    return (
        f"<div style='border-left:3px solid {colour};padding:3px 10px;line-height:1.45'>"
        f"<span style='color:{colour};font-weight:600'>{symbol}</span> {text}</div>"
    )


def _connected_html(session: Client) -> str:
    host = html.escape(host_of(session.api_url))
    if session.demo:  # its host and port change every run and mean nothing to a reader
        where = f"the demo data <span style='{_MUTED}'>(built-in simulator)</span>"
    else:
        where = f"UserTesting <span style='{_MUTED}'>({host})</span>"
    info = session.token_info
    if info is None:
        detail = "a token is fetched on the next request"
    elif info.seconds_left <= 0:
        detail = (
            f"scope {html.escape(info.scope)} · token expired at "
            f"{format_time(info.expires_at)} — it is renewed on the next request"
        )
    else:
        detail = (
            f"scope {html.escape(info.scope)}{html.escape(endpoint_note(session))} · token "
            f"valid until {format_time(info.expires_at)}"
        )
    return f"<b>Connected</b> to {where}<br><span style='{_MUTED}'>{detail}</span>"


def _same_target(session: Client, client_id: str, token_url: str, scope: str, api_url: str) -> bool:
    s = session.settings
    return (
        not session.demo
        and s.client_id == client_id
        and s.token_url == token_url
        and s.scope == scope
        and s.api_url == api_url
    )


def _secret_of(session: Client | None, client_id: str, token_url: str) -> str | None:
    """The current session's secret, to reconnect with changed settings without retyping."""
    if session is None or session.demo or session.settings.client_secret is None:
        return None
    if session.settings.client_id != client_id or session.settings.token_url != token_url:
        return None
    return session.settings.client_secret.reveal()
