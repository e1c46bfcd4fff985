"""The credentials form: ``ut.login()`` connects the notebook's kernel to UserTesting.

>>> import ut_notebook as ut
>>> ut.login()                      # doctest: +SKIP

shows a form built from standard ipywidgets 8 controls (no custom JavaScript, so it
renders in JupyterLab, Notebook 7, VS Code, Voilà and Binder): Client ID, Client secret,
an "Advanced" section (token URL, scope, API URL), the buttons Connect, Disconnect and
"Use demo data", and a status line.

Secrets. The Password field's value is synced to the kernel (that is how the kernel gets
it) and would be saved with the widget state. So Connect copies the value and empties
the field *before* it sends anything; the secret then lives only in the kernel's memory
(in the :class:`~ut_notebook.Client`, masked in every repr). A secret found in the
environment or a ``.env`` file is never put into the field: the field stays empty and its
placeholder says so. No status text, repr or log line holds a secret or a token.

Callback errors. ipywidgets swallows exceptions raised in callbacks (they end up in a
log nobody reads). Every callback here catches its own: a connection failure is shown in
the status line (``widget.error``), anything unexpected too, and it is kept in
``widget.callback_error`` so tests can fail on it.

Styling and tests. The form carries the CSS class ``ut-login``, its status line
``ut-login-status``; ``widget.state`` is ``disconnected``, ``connecting``, ``connected``,
``expired`` or ``error``, and ``widget.summary()`` the same in words (also the text a
notebook keeps for viewers that cannot show widgets).

Enter in the secret field. ipywidgets 8 deprecates ``Text.on_submit``, and the
``{"event": "submit"}`` message a browser sends on Enter arrives *before* the new value.
The field uses ``continuous_update=False`` (the value reaches the kernel once, on Enter or
when the field loses focus -- never keystroke by keystroke, where the browser may hold
back the last keystrokes while a click overtakes them). The form connects when a value
arrives within two seconds after a submit message (Enter); a value that arrives alone
(focus moved to the Connect button or the Advanced section) waits for Connect. So "type,
click Connect" connects once, and an empty value is never submitted. Enter in a field
whose value already reached the kernel unchanged (typed, left, came back, Enter) does
nothing: Connect does it.
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..api.auth import TokenInfo
from ..api.client import Client
from ..api.connect import connect, current_client, disconnect
from ..api.settings import Settings, load_settings
from ..errors import UTError, scrub
from .terminal import describe_session, format_time, host_of

__all__ = ["INSTALL_HINT", "CredentialsWidget", "login"]

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "ut.login() draws its form with ipywidgets 8, which is not installed in this kernel's "
    "environment. Install it with  pip install 'ipywidgets>=8'  (it comes with "
    "ut-notebook's own dependencies) and restart the kernel. Without widgets, use "
    "ut.connect(client_id, client_secret), or ut.connect(demo=True) for the demo data."
)

try:  # The form subclasses VBox; without ipywidgets the module still imports.
    import ipywidgets as _ipw
    from traitlets import Unicode

    _Base: Any = _ipw.VBox

    class _SecretField(_ipw.Password):
        """A standard Password control (same model and view) that never echoes its value.

        ipywidgets 8 sends every value it receives from a browser straight back as an
        "echo" to all the kernel's front ends; a secret has no business travelling more.
        """

        value = Unicode(help="The secret while it is typed; emptied by Connect.").tag(
            sync=True, echo_update=False
        )

except ImportError:  # pragma: no cover - exercised in a subprocess test
    _ipw = None

    class _Base:  # type: ignore[no-redef]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError(INSTALL_HINT)


def _require_ipywidgets() -> Any:
    if _ipw is None:
        raise ImportError(INSTALL_HINT)
    return _ipw


# A value that arrives this soon after a "submit" message is the Enter key's value.
_ENTER_WINDOW = 2.0

_LABEL_WIDTH = "8.5em"
_FIELD_WIDTH = "36em"

_MUTED = "color:var(--jp-ui-font-color2,#57606a);font-size:0.95em"
_STYLES = {
    # state: (colour, symbol). Colours readable on light and dark JupyterLab themes.
    "disconnected": ("#6e7781", "○"),
    "connecting": ("#bf8700", "◌"),
    "connected": ("#1a7f37", "●"),
    "expired": ("#bf8700", "●"),
    "error": ("#cf222e", "✖"),
}


class CredentialsWidget(_Base):  # type: ignore[misc]
    """The ``ut.login()`` form. Build it with :func:`login` (which also shows it).

    Attributes (ipywidgets controls, public so that notebooks and tests can drive them):
        client_id, client_secret, token_url, scope, api_url: the fields.
        connect_button, disconnect_button, demo_button: the buttons.
        status: the HTML status line.
        error: the :class:`~ut_notebook.UTError` shown after a failed attempt, or ``None``.
        callback_error: the last *unexpected* exception a callback caught (a bug), or
            ``None``. It is shown in the status line too.

    ``auto=True`` connects at once when the environment or a ``.env`` file has
    credentials, or ``UT_DEMO=1`` is set, and no session is current yet.
    """

    def __init__(self, *, auto: bool = False, settings: Settings | None = None) -> None:
        w = _require_ipywidgets()
        self._lock = threading.RLock()
        self._session: Client | None = None
        self._timer: threading.Timer | None = None
        self._busy = False
        self._submitted_at: float | None = None
        self._shown_in: object = None
        self._state = "disconnected"
        self._closing = False
        self.error: UTError | None = None
        self.callback_error: BaseException | None = None
        settings = settings if settings is not None else load_settings()
        self._settings = settings

        label = {"description_width": _LABEL_WIDTH}

        def field(
            cls: Any, description: str, value: str, placeholder: str, width: str = _FIELD_WIDTH
        ) -> Any:
            return cls(
                value=value,
                description=description,
                placeholder=placeholder,
                style=label,
                # No side margins: at 100% width they would overflow the panel's edge.
                layout=w.Layout(width=width, max_width="100%", margin="2px 0"),
            )

        self.header = w.HTML(
            "<div style='line-height:1.4'>"
            "<span style='font-size:1.15em;font-weight:600'>Connect to UserTesting</span><br>"
            "<span style='color:var(--jp-ui-font-color2,#57606a)'>Client credentials of your "
            "UserTesting API app. The secret stays in this kernel's memory: it is not "
            "saved in the notebook.</span></div>",
            layout=w.Layout(width=_FIELD_WIDTH, max_width="100%", margin="0 0 8px 0"),
        )
        self.client_id = field(w.Text, "Client ID", settings.client_id or "", "your client ID")
        self.client_secret = field(_SecretField, "Client secret", "", "your client secret")
        # Synced on Enter or focus loss only, never keystroke by keystroke (module docstring).
        self.client_secret.continuous_update = False
        # Inside the Advanced panel (which has its own padding): the panel's full width.
        self.token_url = field(
            w.Text, "Token URL", settings.token_url, "OAuth2 token endpoint", "100%"
        )
        self.scope = field(w.Text, "Scope", settings.scope, "public_api.read", "100%")
        self.api_url = field(w.Text, "API URL", settings.api_url, "Results API base URL", "100%")
        inner = w.VBox([self.token_url, self.scope, self.api_url])
        self.advanced = w.Accordion(
            children=[inner],
            titles=("Advanced",),
            selected_index=None,
            layout=w.Layout(width=_FIELD_WIDTH, max_width="100%", margin="4px 0 2px 0"),
        )
        button = {"width": "auto"}
        self.connect_button = w.Button(
            description="Connect",
            button_style="primary",
            icon="plug",
            tooltip="Get a token with these credentials",
            layout=w.Layout(**button),
        )
        self.disconnect_button = w.Button(
            description="Disconnect",
            icon="unlink",
            tooltip="Forget the token and close the connection",
            disabled=True,
            layout=w.Layout(**button),
        )
        self.demo_button = w.Button(
            description="Use demo data",
            icon="flask",
            tooltip="Connect to the built-in API simulator: no credentials needed",
            layout=w.Layout(**button),
        )
        self.buttons = w.HBox(
            [self.connect_button, self.disconnect_button, self.demo_button],
            # Aligned with the input column (label width + the label's right margin).
            layout=w.Layout(margin=f"6px 0 0 calc({_LABEL_WIDTH} + 4px)", flex_flow="row wrap"),
        )
        self.status = w.HTML(layout=w.Layout(margin="10px 0 0 0", width=_FIELD_WIDTH))
        self.status.add_class("ut-login-status")
        super().__init__(
            [
                self.header,
                self.client_id,
                self.client_secret,
                self.advanced,
                self.buttons,
                self.status,
            ],
            layout=w.Layout(
                width="fit-content",
                max_width="100%",
                padding="10px 14px",
                border="1px solid var(--jp-border-color2, #d0d7de)",
            ),
        )

        self.add_class("ut-login")
        self.connect_button.on_click(self._guarded(self._on_connect_click))
        self.disconnect_button.on_click(self._guarded(self._on_disconnect_click))
        self.demo_button.on_click(self._guarded(self._on_demo_click))
        self.client_secret.observe(self._guarded(self._on_secret_value), names="value")
        self.client_secret.on_msg(self._guarded(self._on_secret_msg))
        self._listener = self._guarded(self._on_token_change)

        self._render()
        if auto and self._live_session() is None:
            if settings.demo:
                self.use_demo()
            elif settings.has_credentials:
                self.connect()

    # -- public actions (the buttons call these) ------------------------------------------

    @property
    def state(self) -> str:
        """``disconnected``, ``connecting``, ``connected``, ``expired`` or ``error``."""
        return self._state

    @property
    def session(self) -> Client | None:
        """The session this form shows (the kernel's current one), or ``None``."""
        return self._live_session()

    def connect(self) -> None:
        """Connect with the form's values: what the Connect button does."""
        self._guarded(self._connect_from_form)()

    def use_demo(self) -> None:
        """Connect to the built-in simulator: what "Use demo data" does."""
        self._guarded(self._run)(lambda: connect(demo=True), "Starting the demo data…")

    def disconnect(self) -> None:
        """Forget the kernel's session: what the Disconnect button does."""
        self._guarded(self._disconnect)()

    def close(self) -> None:
        """Close the form and its controls; stop following the session's token."""
        if getattr(self, "_closing", True):
            return
        self._closing = True
        self._bind(None)
        boxes = [self.header, self.advanced, *self.advanced.children, self.buttons, self.status]
        for child in [*self._controls(), *boxes]:
            child.close()
        super().close()

    def __repr__(self) -> str:
        session = self._live_session() if hasattr(self, "_lock") else None
        where = f" to {describe_session(session)}" if session is not None else ""
        return f"<ut_notebook.CredentialsWidget {getattr(self, '_state', '?')}{where}>"

    # -- display ------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            # What a notebook keeps besides the form, and what shows where widgets do not
            # (nbconvert, GitHub, jupyter console): the truth, in words.
            data["text/plain"] = self.summary()
        return data

    def summary(self) -> str:
        """One line about the connection, for places that cannot show the form."""
        session = self._live_session()
        if self.error is not None:
            text = f"ut.login(): could not connect. {self.error}"
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

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if self._shown_in is not None and self._shown_in == getattr(shell, "execution_count", None):
            # login() showed this form already in this cell: the cell's own result
            # (`ut.login()` as the last line) must not show it a second time.
            self._shown_in = None
            return
        self._render()  # an old form shown again: bring its status up to date
        display(self._repr_mimebundle_(), raw=True)

    def _show_once(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        self._shown_in = None
        display(self._repr_mimebundle_(), raw=True)
        self._shown_in = getattr(get_ipython(), "execution_count", None)

    # -- callbacks ----------------------------------------------------------------------

    def _guarded(self, handler: Callable[..., Any]) -> Callable[..., None]:
        """``handler`` that never raises: unexpected errors are shown and remembered."""

        @functools.wraps(handler)
        def run(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as exc:
                self.callback_error = exc
                with contextlib.suppress(Exception):
                    self.client_secret.value = ""  # whatever failed, the secret goes
                text = scrub(str(exc))
                log.error("ut.login(): unexpected %s: %s", type(exc).__name__, text)
                self._show(
                    "error",
                    f"<b>Something went wrong</b> ({html.escape(type(exc).__name__)}: "
                    f"{html.escape(text)}). This is a bug in ut-notebook: please report it. "
                    "ut.connect() still works from code.",
                )
                with self._lock:
                    self._busy = False
                self._set_disabled(False)

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

    def _connect_from_form(self) -> None:
        typed = self.client_secret.value.strip()
        self.client_secret.value = ""  # at once: the secret must not stay in the model
        self._submitted_at = None
        client_id = self.client_id.value.strip()
        token_url = self.token_url.value.strip()
        scope = self.scope.value.strip()
        api_url = self.api_url.value.strip().rstrip("/")
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
                return
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

    # -- state --------------------------------------------------------------------------

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
        with self._lock:
            if self._busy or self._closing:
                return
            session = self._live_session()
            self._bind(session)
            self.disconnect_button.disabled = session is None
            self._update_placeholder(session)
            if self.error is not None:
                text = f"<b>Could not connect.</b> {html.escape(str(self.error))}"
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
        timer = threading.Timer(max(0.0, info.seconds_left) + 0.05, self._guarded(self._render))
        timer.daemon = True
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = timer
        timer.start()

    def _show(self, state: str, text: str) -> None:
        colour, symbol = _STYLES[state]
        self._state = state
        self.status.value = (
            f"<div style='border-left:3px solid {colour};padding:3px 10px;line-height:1.45'>"
            f"<span style='color:{colour};font-weight:600'>{symbol}</span> {text}</div>"
        )

    def _update_placeholder(self, session: Client | None) -> None:
        if (
            session is not None
            and not session.demo
            and session.settings.client_id == self.client_id.value.strip()
        ):
            hint = "in use — leave empty to keep it"
        elif self._settings.client_secret:
            hint = "found in the environment — leave empty to use it"
        else:
            hint = "your client secret"
        self.client_secret.placeholder = hint

    def _controls(self) -> list[Any]:
        return [
            self.client_id,
            self.client_secret,
            self.token_url,
            self.scope,
            self.api_url,
            self.connect_button,
            self.disconnect_button,
            self.demo_button,
        ]

    def _set_disabled(self, disabled: bool) -> None:
        for control in self._controls():
            control.disabled = disabled
        if not disabled:
            self.disconnect_button.disabled = self._live_session() is None


def _connected_html(session: Client) -> str:
    host = html.escape(host_of(session.api_url))
    if session.demo:
        where = f"the demo data <span style='{_MUTED}'>(built-in simulator, {host})</span>"
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
            f"scope {html.escape(info.scope)} · token valid until {format_time(info.expires_at)}"
        )
    return f"<b>Connected</b> to {where}<br><span style='{_MUTED}'>{detail}</span>"


def _same_target(
    session: Client, client_id: str, token_url: str, scope: str, api_url: str
) -> bool:
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


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (a widget front end may be listening)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def login(*, auto: bool = True) -> CredentialsWidget | Client:
    """Show the credentials form and return it; in plain Python, prompt in the terminal.

    In a notebook: builds a :class:`CredentialsWidget`, connects at once when ``auto`` and
    the environment or a ``.env`` file has credentials (or ``UT_DEMO=1``), shows the form
    and returns it. If a session is already current, the form shows it (nothing is
    forgotten). ``ut.login()`` as a cell's last line shows the form once, not twice.

    Outside Jupyter: see :func:`ut_notebook.ui.terminal.terminal_login` (returns the
    :class:`~ut_notebook.Client`, or raises :class:`~ut_notebook.NotConnectedError` when
    there is no terminal to ask in).
    """
    if not _in_kernel():
        from .terminal import terminal_login

        return terminal_login(auto=auto)
    _require_ipywidgets()
    # Connect before showing: a notebook saved without widget state (nbconvert, GitHub)
    # then keeps a text line that tells the truth ("connected to ...").
    widget = CredentialsWidget(auto=auto)
    widget._show_once()
    return widget
