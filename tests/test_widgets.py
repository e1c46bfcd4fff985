"""ut.login(): the credentials form, driven in Python against the simulator over HTTP.

The front end is played by feeding each control the comm messages a browser sends
(``_handle_msg``: a value update when a field loses focus or Enter is pressed, a
``submit`` message on Enter) and by ``Button.click()``. Nothing is monkeypatched: the form
talks to a real :class:`~ut_notebook.demo.DemoServer`.

ipywidgets swallows exceptions raised in callbacks, so every form made through the
``make_widget`` fixture is checked at teardown: no callback may have caught an unexpected
error (``callback_error``) and ipywidgets may not have logged one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from traitlets import TraitError

import ut_notebook as ut
from ut_notebook.ui.login import CredentialsWidget, LoginController
from ut_notebook.ui.login.layout import build_layout

TOKEN_PATH = "/oauth2/default/v1/token"
WORKSPACES = "/usertesting/api/v1/workspaces"
WRONG_SECRET = "wrong-secret-value-7d1e9a0b55"
REPO = Path(__file__).resolve().parents[1]


# -- helpers ------------------------------------------------------------------------------


def all_widgets(root: Any) -> list[Any]:
    """``root`` and every widget it references (children, layouts, styles), once each."""
    seen: dict[str, Any] = {}
    stack = [root]
    while stack:
        widget = stack.pop()
        if widget.model_id in seen:
            continue
        seen[widget.model_id] = widget
        for key in widget.keys:
            value = getattr(widget, key)
            values = value if isinstance(value, list | tuple) else [value]
            stack.extend(v for v in values if isinstance(v, ipywidgets.Widget))
    return list(seen.values())


def synced_state(root: Any) -> str:
    """Everything the front end (and saved widget state) can see, as one string."""
    return json.dumps([w.get_state() for w in all_widgets(root)], default=str)


def assert_nowhere(widget: CredentialsWidget, *values: str) -> None:
    """None of ``values`` is in any synced trait, the repr or the status."""
    state = synced_state(widget)
    for value in values:
        assert value, "a secret to look for must not be empty"
        assert value not in state
        assert value not in repr(widget)
        assert value not in widget.status.value
        assert value not in widget.summary()


def update(control: Any, **state: Any) -> None:
    """What the browser sends when a field's value changes (Enter or focus lost)."""
    control._handle_msg(
        {
            "content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
            "buffers": [],
        }
    )


def press_enter(control: Any) -> None:
    """What the browser sends when Enter is pressed in a text field (before the value)."""
    control._handle_msg(
        {
            "content": {"data": {"method": "custom", "content": {"event": "submit"}}},
            "buffers": [],
        }
    )


def fill(widget: CredentialsWidget, server: Any, secret: str | None = None) -> None:
    """Type the server's client id (and ``secret``) and its URLs into the form."""
    update(widget.client_id, value=server.config.client_id)
    update(widget.token_url, value=server.token_url)
    update(widget.api_url, value=server.url)
    if secret is not None:
        update(widget.client_secret, value=secret)  # typed, then focus moved away


def token_requests(server: Any) -> int:
    return server.count(TOKEN_PATH, method="POST")


def token_used(server: Any) -> str:
    """Make the current session send its token once and read it from the server's log."""
    client = ut.current_client()
    assert client is not None
    client.get_json(WORKSPACES)
    tokens = {r.headers["token"] for r in server.requests if "token" in r.headers}
    assert len(tokens) == 1
    return tokens.pop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(0.02)


def listeners(client: ut.Client) -> list[Any]:
    return list(client.tokens._listeners)


def write_dotenv(server: Any, secret: str | None = None) -> None:
    Path(".env").write_text(
        f"UT_CLIENT_ID={server.config.client_id}\n"
        f"UT_CLIENT_SECRET={secret or server.config.client_secret}\n"
        f"UT_TOKEN_URL={server.token_url}\n"
        f"UT_API_URL={server.url}\n"
    )


@pytest.fixture
def make_widget(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[..., CredentialsWidget]]:
    """``make_widget(**kwargs)`` builds a form; teardown fails if any callback raised."""
    made: list[CredentialsWidget] = []

    def make(**kwargs: Any) -> CredentialsWidget:
        widget = CredentialsWidget(**kwargs)
        made.append(widget)
        return widget

    caplog.set_level(logging.WARNING)
    yield make
    errors = [w.callback_error for w in made if w.callback_error is not None]
    for widget in made:
        widget.close()
    assert not errors, f"a widget callback raised: {errors!r}"
    swallowed = [r.getMessage() for r in caplog.records if "Exception in" in r.getMessage()]
    assert not swallowed, f"ipywidgets swallowed callback errors: {swallowed}"


# -- the form -----------------------------------------------------------------------------


def test_form_starts_disconnected_with_settings_prefilled(
    make_widget: Callable[..., CredentialsWidget], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_CLIENT_ID", "client-from-env")
    monkeypatch.setenv("UT_SCOPE", "studies:read")
    widget = make_widget()
    assert widget.state == "disconnected" and "Not connected" in widget.status.value
    assert widget.client_id.value == "client-from-env"
    assert widget.scope.value == "studies:read"
    assert widget.token_url.value == "https://auth.usertesting.com/oauth2/default/v1/token"
    assert widget.api_url.value == "https://api.use2.usertesting.com"
    assert widget.client_secret.value == "" and widget.client_secret.continuous_update is False
    # A standard Password control, whose typed value is not echoed back to front ends.
    assert widget.client_secret.get_state()["_model_name"] == "PasswordModel"
    assert widget.client_secret.trait_metadata("value", "echo_update") is False
    assert widget.disconnect_button.disabled and not widget.connect_button.disabled
    assert widget.advanced.titles == ("Advanced",) and widget.advanced.selected_index is None
    assert isinstance(widget, ipywidgets.VBox)
    assert "not connected" in widget.summary() and "ut.connect(" in widget.summary()
    assert ut.current_client() is None


def test_connect_with_typed_credentials(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    assert token_requests(server) == 0  # the field losing focus does not connect
    widget.connect_button.click()

    client = ut.current_client()
    assert client is not None and not client.demo
    assert widget.session is client and client.api_url == server.url
    assert widget.state == "connected"
    assert "Connected" in widget.status.value and "public_api.read" in widget.status.value
    assert server.url.split("//")[1] in widget.status.value  # the API host
    assert widget.client_secret.value == ""
    assert not any(c.disabled for c in (widget.client_id, widget.client_secret))
    assert not widget.connect_button.disabled and not widget.disconnect_button.disabled
    assert token_requests(server) == 1
    assert_nowhere(widget, server.config.client_secret, token_used(server))


def test_wrong_secret_shows_the_error_and_keeps_the_form(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, WRONG_SECRET)
    widget.connect_button.click()

    assert widget.state == "error" and ut.current_client() is None
    assert isinstance(widget.error, ut.AuthError)
    assert "invalid_client" in widget.status.value
    # typed into the form: the form's fields are named, not environment variables
    assert "Check the Client ID and the Client secret." in widget.status.value
    assert "UT_CLIENT" not in widget.status.value and ".)." not in widget.status.value
    assert widget.client_secret.value == ""  # cleared: the secret is not kept in the model
    assert widget.client_id.value == server.config.client_id  # the rest stays for a retry
    assert widget.summary().startswith("ut.login(): could not connect. The token endpoint")
    assert not widget.connect_button.disabled and not widget.client_secret.disabled
    assert_nowhere(widget, WRONG_SECRET)

    update(widget.client_secret, value=server.config.client_secret)  # second try
    widget.connect_button.click()
    assert widget.state == "connected" and widget.error is None
    assert_nowhere(widget, WRONG_SECRET, server.config.client_secret)


def test_unreachable_token_url(server: Any, make_widget: Callable[..., CredentialsWidget]) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    update(widget.token_url, value=f"http://127.0.0.1:{closed_port()}/oauth2/default/v1/token")
    widget.connect_button.click()
    assert widget.state == "error" and ut.current_client() is None
    assert "Could not reach the token endpoint" in widget.status.value
    assert "no connection could be made" in widget.status.value
    assert "Check the Token URL (under Advanced)" in widget.status.value
    assert "UT_TOKEN_URL" not in widget.status.value and "Error)" not in widget.status.value
    assert_nowhere(widget, server.config.client_secret)


def test_plain_http_to_a_remote_host_is_refused(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    update(widget.token_url, value="http://auth.example.com/oauth2/default/v1/token")
    widget.connect_button.click()
    assert widget.state == "error" and "plain http" in widget.status.value
    assert token_requests(server) == 0


def test_missing_client_id_or_secret_is_asked_for(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server)
    widget.connect_button.click()
    assert widget.state == "error" and "Enter your client secret" in widget.status.value
    update(widget.client_id, value="  ")
    update(widget.client_secret, value=server.config.client_secret)
    widget.connect_button.click()
    assert widget.state == "error" and "Enter your client ID" in widget.status.value
    assert widget.client_secret.value == ""
    assert token_requests(server) == 0


def test_failed_connect_keeps_the_previous_session(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    client = ut.current_client()
    update(widget.client_secret, value=WRONG_SECRET)
    widget.connect_button.click()
    assert widget.state == "error" and ut.current_client() is client
    assert "Still connected" in widget.status.value
    assert_nowhere(widget, WRONG_SECRET, server.config.client_secret)


def test_connect_again_with_nothing_changed_sends_nothing(
    make_server: Callable[..., Any], make_widget: Callable[..., CredentialsWidget]
) -> None:
    server = make_server()
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    client = ut.current_client()
    assert "in use" in widget.client_secret.placeholder
    widget.connect_button.click()
    assert token_requests(server) == 1 and ut.current_client() is client
    assert widget.state == "connected"

    # Another API URL: reconnects with the secret kept in the session, not in the form.
    other = make_server()
    update(widget.api_url, value=other.url)
    widget.connect_button.click()
    assert token_requests(server) == 2 and widget.state == "connected"
    assert ut.current_client() is not client and ut.current_client().api_url == other.url

    # Another token URL: the kept secret is not sent to a new endpoint; it is asked for.
    update(widget.token_url, value=other.token_url)
    widget.connect_button.click()
    assert widget.state == "error" and "Enter your client secret" in widget.status.value
    assert token_requests(other) == 0


# -- Enter in the secret field ------------------------------------------------------------


def test_enter_in_the_secret_field_connects(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server)
    press_enter(widget.client_secret)  # the browser: "submit", then the value
    update(widget.client_secret, value=server.config.client_secret)
    assert widget.state == "connected" and token_requests(server) == 1
    assert widget.client_secret.value == ""
    widget.connect_button.click()  # an impatient click afterwards: no second token
    assert token_requests(server) == 1


def test_enter_on_an_empty_field_does_nothing(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server)
    press_enter(widget.client_secret)
    update(widget.client_secret, value="")
    update(widget.client_secret, value="   ")
    assert widget.state == "disconnected" and token_requests(server) == 0


def test_focus_change_then_click_connects_once(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)  # value synced on blur
    update(widget.scope, value="public_api.read")  # the user looked at Advanced meanwhile
    assert token_requests(server) == 0 and widget.state == "disconnected"
    widget.connect_button.click()
    assert token_requests(server) == 1 and widget.state == "connected"


# -- demo, disconnect, auto-connect, re-display --------------------------------------------


def test_demo_button(make_widget: Callable[..., CredentialsWidget]) -> None:
    widget = make_widget()
    widget.demo_button.click()
    client = ut.current_client()
    assert client is not None and client.demo
    assert widget.state == "connected" and "demo data" in widget.status.value
    assert client.api_url.split("//")[1] not in widget.status.value  # no host:port


def test_disconnect_button(server: Any, make_widget: Callable[..., CredentialsWidget]) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    client = ut.current_client()
    assert client is not None and listeners(client)
    widget.disconnect_button.click()
    assert ut.current_client() is None and client.closed
    assert widget.state == "disconnected" and widget.disconnect_button.disabled
    assert listeners(client) == [] and widget.controller._timer is None


def test_environment_secret_is_used_but_never_shown(
    server: Any, make_widget: Callable[..., CredentialsWidget], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_CLIENT_ID", server.config.client_id)
    monkeypatch.setenv("UT_CLIENT_SECRET", server.config.client_secret)
    monkeypatch.setenv("UT_TOKEN_URL", server.token_url)
    monkeypatch.setenv("UT_API_URL", server.url)
    widget = make_widget()  # auto=False: shows the form, connects on request
    assert widget.state == "disconnected" and token_requests(server) == 0
    assert widget.client_secret.value == ""
    assert "found in the environment" in widget.client_secret.placeholder
    assert_nowhere(widget, server.config.client_secret)
    widget.connect_button.click()
    assert widget.state == "connected"
    assert_nowhere(widget, server.config.client_secret, token_used(server))


def test_auto_connect_from_a_dotenv_file(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    write_dotenv(server)  # the autouse fixture runs each test in an empty folder
    widget = make_widget(auto=True)
    client = ut.current_client()
    assert client is not None and client.api_url == server.url
    assert widget.state == "connected" and token_requests(server) == 1
    assert widget.client_id.value == server.config.client_id
    assert_nowhere(widget, server.config.client_secret, token_used(server))


def test_auto_connect_failure_is_shown_not_raised(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    write_dotenv(server, secret=WRONG_SECRET)
    widget = make_widget(auto=True)
    assert widget.state == "error" and "invalid_client" in widget.status.value
    # nothing was typed: the message names the variables the values came from
    assert "Check UT_CLIENT_ID and UT_CLIENT_SECRET." in widget.status.value
    assert "the Client secret" not in widget.status.value
    assert ut.current_client() is None
    assert_nowhere(widget, WRONG_SECRET)


def test_a_secret_left_to_the_environment_keeps_its_variable_name(
    server: Any, make_widget: Callable[..., CredentialsWidget], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_CLIENT_SECRET", WRONG_SECRET)
    widget = make_widget()
    fill(widget, server)  # the id typed, the secret field left empty
    widget.connect_button.click()
    assert widget.state == "error"
    assert "Check the Client ID and UT_CLIENT_SECRET." in widget.status.value
    assert "Check the Client ID and UT_CLIENT_SECRET." in widget.summary()


def test_no_auto_connect_when_asked_not_to(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    write_dotenv(server)
    widget = make_widget(auto=False)
    assert widget.state == "disconnected" and token_requests(server) == 0


def test_auto_connect_with_ut_demo(
    make_widget: Callable[..., CredentialsWidget], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_DEMO", "1")
    widget = make_widget(auto=True)
    client = ut.current_client()
    assert client is not None and client.demo and widget.state == "connected"
    # the simulator's host and port change every run: the status does not show them
    host = client.api_url.split("//")[1].split("/")[0]
    assert "built-in simulator" in widget.status.value and host not in widget.status.value
    assert host not in widget.summary() and ":" + host.split(":")[1] not in widget.summary()


def test_a_second_form_shows_the_current_session(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    first = make_widget()
    fill(first, server, server.config.client_secret)
    first.connect_button.click()
    client = ut.current_client()
    write_dotenv(server)  # would connect anew if the session were forgotten

    second = make_widget(auto=True)
    assert ut.current_client() is client and token_requests(server) == 1
    assert second.state == "connected" and second.status.value == first.status.value

    second.disconnect_button.click()  # both forms follow the session
    assert first.state == "disconnected" and second.state == "disconnected"


def test_status_follows_token_expiry_and_renewal(
    make_server: Callable[..., Any], make_widget: Callable[..., CredentialsWidget]
) -> None:
    server = make_server(token_lifetime=1.0)
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    assert widget.state == "connected"
    before = widget.status.value

    wait_for(lambda: widget.state == "expired", timeout=5)  # a timer, no request needed
    assert "token expired" in widget.status.value and "renewed on the next request" in (
        widget.status.value
    )
    time.sleep(1.0)  # the next token must expire at a different second
    ut.current_client().get_json(WORKSPACES)  # renews the token: the listener fires
    assert token_requests(server) == 2
    assert widget.state == "connected" and widget.status.value != before


def test_close_stops_following_the_session(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    client = ut.current_client()
    shown = all_widgets(widget)  # the form's own children too (the note's CSS)
    widget.close()
    assert listeners(client) == [] and widget.controller._timer is None
    assert all(w.comm is None for w in [widget, *widget.form.inputs, *widget.form.children])
    assert widget.form.widgets() == []  # every widget the layout built is closed
    assert [w for w in shown if w.comm is not None] == []


def test_an_unexpected_error_in_a_callback_is_shown_and_kept(server: Any) -> None:
    class BrokenController(LoginController):
        def _connect_from_form(self) -> None:
            raise RuntimeError("boom in the form")

    class Broken(CredentialsWidget):
        controller_class = BrokenController

    widget = Broken()
    try:
        update(widget.client_secret, value="typed-secret-before-a-bug")
        widget.connect_button.click()  # must not raise, must not be swallowed silently
        assert widget.client_secret.value == ""
        assert isinstance(widget.callback_error, RuntimeError)
        assert widget.state == "error" and "boom in the form" in widget.status.value
        assert "bug" in widget.status.value
        assert not widget.connect_button.disabled
    finally:
        widget.close()


# -- the state trait ----------------------------------------------------------------------


class StateLog:
    """Records each ``state`` change with what the form showed at that moment."""

    def __init__(self, widget: CredentialsWidget) -> None:
        self.widget = widget
        self.changes: list[tuple[str, str]] = []
        self.seen: list[dict[str, Any]] = []
        widget.observe(self, names="state")

    def __call__(self, change: dict[str, Any]) -> None:
        assert change["owner"] is self.widget and change["name"] == "state"
        self.changes.append((change["old"], change["new"]))
        self.seen.append(
            {
                "status": self.widget.status.value,
                "secret_field": self.widget.client_secret.value,
                "error": self.widget.error,
                "session": ut.current_client(),
                "controller": self.widget.controller.state,
            }
        )


def test_state_changes_on_a_successful_connect(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    log = StateLog(widget)
    fill(widget, server, server.config.client_secret)
    assert log.changes == []  # typing is not connecting
    widget.connect_button.click()
    assert log.changes == [("disconnected", "connecting"), ("connecting", "connected")]
    connecting, connected = log.seen
    # While connecting: the secret is already out of the field, the status says so.
    assert connecting["secret_field"] == "" and "Connecting to" in connecting["status"]
    assert connecting["session"] is None and connecting["controller"] == "connecting"
    # Connected: the status line was written before observers were told.
    assert "Connected" in connected["status"] and connected["session"] is not None
    assert connected["controller"] == "connected" and connected["error"] is None
    widget.connect_button.click()  # nothing changed: no new transition
    assert len(log.changes) == 2


def test_state_changes_on_a_failed_connect(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    log = StateLog(widget)
    fill(widget, server, WRONG_SECRET)
    widget.connect_button.click()
    assert log.changes == [("disconnected", "connecting"), ("connecting", "error")]
    failed = log.seen[-1]
    assert isinstance(failed["error"], ut.AuthError) and failed["session"] is None
    assert "invalid_client" in failed["status"] and failed["secret_field"] == ""
    assert all(WRONG_SECRET not in str(seen) for seen in log.seen)

    # A form error (no client ID) fails without an attempt: no "connecting" in between.
    update(widget.client_id, value="")
    widget.connect_button.click()
    assert log.changes[2:] == []  # error -> error is no change
    update(widget.client_id, value=server.config.client_id)
    update(widget.client_secret, value=server.config.client_secret)
    widget.connect_button.click()
    assert log.changes[2:] == [("error", "connecting"), ("connecting", "connected")]


def test_state_changes_on_disconnect(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    log = StateLog(widget)
    widget.disconnect_button.click()
    assert log.changes == [("connected", "disconnected")]
    assert log.seen[0]["session"] is None and "Not connected" in log.seen[0]["status"]


def test_state_follows_a_disconnect_made_elsewhere(
    make_widget: Callable[..., CredentialsWidget],
) -> None:
    first, second = make_widget(), make_widget()
    first.demo_button.click()
    second.controller.refresh()
    log = StateLog(second)
    first.disconnect()  # the session's listeners are told it closed
    assert second.state == "disconnected" and log.changes == [("connected", "disconnected")]


def test_state_is_read_only_and_stays_in_the_kernel(
    make_widget: Callable[..., CredentialsWidget],
) -> None:
    widget = make_widget()
    with pytest.raises(TraitError):
        widget.state = "connected"
    with pytest.raises(TraitError):
        widget.controller.state = "connected"
    assert widget.state == "disconnected"
    assert "state" not in widget.keys  # not synced: the status line says it in words


def test_the_controller_drives_a_layout_without_the_widget() -> None:
    form = build_layout(ut.load_settings())
    controller = LoginController(form, ut.load_settings())
    states: list[str] = []
    controller.observe(lambda change: states.append(change["new"]), names="state")
    try:
        controller.start()
        assert controller.state == "disconnected" and states == []
        form.demo_button.click()
        assert states == ["connecting", "connected"] and controller.session is not None
        assert "demo data" in form.status.value and not form.disconnect_button.disabled
        form.disconnect_button.click()
        assert states[-1] == "disconnected" and ut.current_client() is None
        assert controller.callback_error is None
    finally:
        controller.close()
        form.close()


# -- outside Jupyter ----------------------------------------------------------------------


def test_login_without_jupyter_or_terminal_says_to_call_connect() -> None:
    with pytest.raises(ut.NotConnectedError, match=r"ut\.connect\(client_id, client_secret\)"):
        ut.login()  # pytest's stdin is not a terminal
    assert ut.current_client() is None


def test_login_without_jupyter_connects_from_the_environment(server: Any) -> None:
    write_dotenv(server)
    client = ut.login()
    assert isinstance(client, ut.Client) and ut.current_client() is client
    assert ut.login() is client and token_requests(server) == 1  # kept, not forgotten


def _read_until(fd: int, text: bytes, timeout: float = 20.0) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {text!r}; got {seen!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    if text not in seen:
        raise AssertionError(f"{text!r} never came; got {seen!r}")
    return seen


def test_login_in_a_terminal_prompts_with_getpass(server: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UT_", "CLIENT_"))}
    env.update(UT_TOKEN_URL=server.token_url, UT_API_URL=server.url, PYTHONPATH=str(REPO))
    code = "import ut_notebook as ut; s = ut.login(); print('DEMO', s.demo, 'DONE')"
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal on stdin/stdout, as in an interactive shell
        try:
            os.execve(sys.executable, [sys.executable, "-c", code], env)
        finally:
            os._exit(127)
    try:
        _read_until(fd, b"client ID: ")
        os.write(fd, server.config.client_id.encode() + b"\r")
        _read_until(fd, b"Client secret: ")
        os.write(fd, server.config.client_secret.encode() + b"\r")
        out = _read_until(fd, b"DONE")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # the child we forked, if it is still running
        os.waitpid(pid, 0)
        os.close(fd)
    assert b"Connected to UserTesting" in out and b"DEMO False" in out
    assert server.config.client_secret.encode() not in out  # getpass did not echo it
    assert token_requests(server) == 1


def test_importing_without_ipywidgets_works_and_login_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['ipywidgets'] = None\n"
        "import ut_notebook as ut\n"
        "try:\n"
        "    ut.CredentialsWidget()\n"
        "except ImportError as err:\n"
        "    print('IMPORT-ERROR', err)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "IMPORT-ERROR" in result.stdout and "pip install 'ipywidgets>=8'" in result.stdout


# -- in a real kernel ---------------------------------------------------------------------


@pytest.mark.slow
def test_login_in_a_kernel_connects_unattended_and_saves_no_secret(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    for name, value in {
        "UT_CLIENT_ID": server.config.client_id,
        "UT_CLIENT_SECRET": server.config.client_secret,
        "UT_TOKEN_URL": server.token_url,
        "UT_API_URL": server.url,
    }.items():
        monkeypatch.setenv(name, value)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import ut_notebook as ut\nut.login()"),
        nbformat.v4.new_code_cell(
            "w = ut.login()\n"
            "n = len(ut.current_client().get_json('/usertesting/api/v1/workspaces'))\n"
            "print(w.state, ut.current_client().demo, n > 0)"
        ),
        nbformat.v4.new_code_cell("w"),
    ]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    views = [
        [o for o in cell.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        for cell in nb.cells
    ]
    assert [len(v) for v in views] == [1, 1, 1]  # ut.login() as the last line: shown once
    # What nbconvert and GitHub show instead of the form: the state at display time.
    assert views[0][0]["data"]["text/plain"].startswith("ut.login(): connected to UserTesting")
    assert views[2][0]["data"]["text/plain"] == views[0][0]["data"]["text/plain"]
    assert nb.cells[1].outputs[-1]["text"].strip() == "connected False True"
    assert token_requests(server) == 1  # the second ut.login() kept the session
    text = nbformat.writes(nb)
    tokens = {r.headers["token"] for r in server.requests if "token" in r.headers}
    assert len(tokens) == 1
    for secret in (server.config.client_secret, *tokens):
        assert secret not in text


# -- the test picker offered once connected ------------------------------------------------


def test_choose_a_test_once_connected_lists_tests_only_when_asked(
    server: Any, make_widget: Callable[..., CredentialsWidget]
) -> None:
    widget = make_widget()
    assert widget.choose_button.disabled and widget.test_id is None  # not connected yet
    assert widget.choose_button in widget.buttons.children
    fill(widget, server, server.config.client_secret)
    widget.connect_button.click()
    assert widget.state == "connected" and not widget.choose_button.disabled
    # Connecting lists nothing: the tests are read when the button asks for them.
    assert server.count(WORKSPACES) == 0 and widget.test_box.children == ()
    widget.choose_button.click()
    listed = server.count(WORKSPACES)
    assert listed >= 1
    chooser = widget.chooser
    assert isinstance(chooser, ut.TestChooser) and widget.test_box.children == (chooser,)
    titles = [label for label, _ in chooser.dropdown.options]
    assert len(titles) == len(ut.list_tests(progress=False)) >= 2
    assert widget.test_id == chooser.value and widget.test_id
    # Choosing in the picker (as the browser does) is what the form reports.
    other = chooser.dropdown.options[-1][1]
    assert other != widget.test_id
    update(chooser.dropdown, index=len(chooser.dropdown.options) - 1)
    assert widget.test_id == other
    # Searching narrows the list; the form follows the picker's value.
    update(chooser.search, value=chooser.dropdown.options[0][0].split(" · ")[0])
    assert widget.test_id == chooser.dropdown.options[0][1]
    assert_nowhere(widget, server.config.client_secret, token_used(server))


def test_choose_again_replaces_the_picker_and_disconnect_drops_it(
    make_widget: Callable[..., CredentialsWidget],
) -> None:
    widget = make_widget()
    widget.demo_button.click()
    first = widget.choose_test()
    assert first is not None and widget.test_id == first.value
    assert widget.test_id == ut.demo.TESTS["survey"]  # the demo's default test
    widget.choose_button.click()
    second = widget.chooser
    assert second is not first and widget.test_box.children == (second,)
    assert first.comm is None and first.dropdown.comm is None  # closed, not left behind
    widget.disconnect_button.click()
    # A picker of a closed connection's tests would mislead: gone, and the button off.
    assert widget.test_id is None and widget.chooser is None
    assert widget.test_box.children == () and second.comm is None
    assert widget.choose_button.disabled
    assert widget.choose_test() is None and widget.state == "disconnected"
