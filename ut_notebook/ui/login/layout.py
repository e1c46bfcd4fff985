"""The login form's layout: builds the ipywidgets controls, and nothing else.

No callbacks, no connection logic, no status text: :class:`~.controller.LoginController`
wires and drives these controls; :class:`~.widget.CredentialsWidget` puts them in a VBox.

>>> from ut_notebook.api.settings import load_settings
>>> form = build_layout(load_settings())                      # doctest: +SKIP
>>> form.client_id.description                                # doctest: +SKIP
'Client ID'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import ipywidgets as w
from traitlets import Unicode

from ...api.settings import Settings

__all__ = ["LoginLayout", "SecretField", "build_layout", "reachable"]

_LABEL_WIDTH = "8.5em"
_FIELD_WIDTH = "36em"

_HEADER_HTML = (
    "<div style='line-height:1.4'>"
    "<span style='font-size:1.15em;font-weight:600'>Connect to UserTesting</span><br>"
    "<span style='color:var(--jp-ui-font-color2,#57606a)'>Client credentials of your "
    "UserTesting API app. The secret stays in this kernel's memory: it is not "
    "saved in the notebook.</span></div>"
)


class SecretField(w.Password):
    """A standard Password control (same model and view) that never echoes its value.

    ipywidgets 8 sends every value it receives from a browser straight back as an
    "echo" to all the kernel's front ends; a secret has no business travelling more.
    """

    value = Unicode(help="The secret while it is typed; emptied by Connect.").tag(
        sync=True, echo_update=False
    )


@dataclass(frozen=True, eq=False)
class LoginLayout:
    """Every control of the login form, built but not wired.

    ``children`` and ``box`` are what the form's VBox is made of; ``inputs`` are the
    controls a busy form disables.
    """

    header: w.HTML
    client_id: w.Text
    client_secret: SecretField
    token_url: w.Text
    scope: w.Text
    api_url: w.Text
    advanced: w.Accordion
    connect_button: w.Button
    disconnect_button: w.Button
    demo_button: w.Button
    buttons: w.HBox
    status: w.HTML
    choose_button: w.Button
    test_box: w.VBox
    box: w.Layout

    @property
    def children(self) -> tuple[w.Widget, ...]:
        """The rows of the form, top to bottom."""
        return (
            self.header,
            self.client_id,
            self.client_secret,
            self.advanced,
            self.buttons,
            self.status,
            self.test_box,
        )

    @property
    def inputs(self) -> tuple[w.Widget, ...]:
        """The fields and buttons a user can act on."""
        return (
            self.client_id,
            self.client_secret,
            self.token_url,
            self.scope,
            self.api_url,
            self.connect_button,
            self.disconnect_button,
            self.demo_button,
            self.choose_button,
        )

    def widgets(self) -> list[w.Widget]:
        """Every widget built here (controls, boxes, their Layout and Style models)."""
        return reachable([getattr(self, f.name) for f in fields(self)])

    def close(self) -> None:
        """Close every widget built here, so none lingers in the kernel's registry."""
        for widget in self.widgets():
            widget.close()


def reachable(roots: list[Any]) -> list[w.Widget]:
    """``roots`` and every open widget they reference (children, Layout and Style models)."""
    found: dict[str, w.Widget] = {}
    stack: list[Any] = list(roots)
    while stack:
        widget = stack.pop()
        if not isinstance(widget, w.Widget) or widget.comm is None:
            continue  # closed already, or not a widget
        if widget.model_id in found:
            continue
        found[widget.model_id] = widget
        for key in widget.keys:
            value = getattr(widget, key)
            stack.extend(value if isinstance(value, list | tuple) else [value])
    return list(found.values())


def build_layout(settings: Settings) -> LoginLayout:
    """The controls of the login form, prefilled from ``settings`` (never the secret).

    The secret field starts empty whatever ``settings`` holds: a value put there would
    be synced to the browser and saved with the notebook's widget state.
    """
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

    header = w.HTML(
        _HEADER_HTML,
        layout=w.Layout(width=_FIELD_WIDTH, max_width="100%", margin="0 0 8px 0"),
    )
    client_id = field(w.Text, "Client ID", settings.client_id or "", "your client ID")
    client_secret = field(SecretField, "Client secret", "", "your client secret")
    # Synced on Enter or focus loss only, never keystroke by keystroke: the browser may
    # hold back the last keystrokes while a click on Connect overtakes them.
    client_secret.continuous_update = False
    # Inside the Advanced panel (which has its own padding): the panel's full width.
    token_url = field(w.Text, "Token URL", settings.token_url, "OAuth2 token endpoint", "100%")
    scope = field(w.Text, "Scope", settings.scope, "public_api.read", "100%")
    api_url = field(w.Text, "API URL", settings.api_url, "Results API base URL", "100%")
    advanced = w.Accordion(
        children=[w.VBox([token_url, scope, api_url])],
        titles=("Advanced",),
        selected_index=None,
        layout=w.Layout(width=_FIELD_WIDTH, max_width="100%", margin="4px 0 2px 0"),
    )
    connect_button = w.Button(
        description="Connect",
        button_style="primary",
        icon="plug",
        tooltip="Get a token with these credentials",
        layout=w.Layout(width="auto"),
    )
    disconnect_button = w.Button(
        description="Disconnect",
        icon="unlink",
        tooltip="Forget the token and close the connection",
        disabled=True,
        layout=w.Layout(width="auto"),
    )
    demo_button = w.Button(
        description="Use demo data",
        icon="flask",
        tooltip="Connect to the built-in API simulator: no credentials needed",
        layout=w.Layout(width="auto"),
    )
    # Disabled until connected. The test list is fetched only when this is pressed:
    # showing the form must not cost a request per page of tests.
    choose_button = w.Button(
        description="Choose a test",
        icon="list",
        tooltip="List the tests of your workspaces and pick one (form.test_id)",
        disabled=True,
        layout=w.Layout(width="auto"),
    )
    choose_button.add_class("ut-login-choose")
    # Where the test picker (or why it could not be built) goes; empty until asked.
    test_box = w.VBox(layout=w.Layout(margin="6px 0 0 0"))
    test_box.add_class("ut-login-tests")
    buttons = w.HBox(
        [connect_button, disconnect_button, demo_button, choose_button],
        # Aligned with the input column (label width + the label's right margin).
        layout=w.Layout(margin=f"6px 0 0 calc({_LABEL_WIDTH} + 4px)", flex_flow="row wrap"),
    )
    status = w.HTML(layout=w.Layout(margin="10px 0 0 0", width=_FIELD_WIDTH))
    status.add_class("ut-login-status")  # a stable hook for styling and browser tests
    return LoginLayout(
        header=header,
        client_id=client_id,
        client_secret=client_secret,
        token_url=token_url,
        scope=scope,
        api_url=api_url,
        advanced=advanced,
        connect_button=connect_button,
        disconnect_button=disconnect_button,
        demo_button=demo_button,
        buttons=buttons,
        status=status,
        choose_button=choose_button,
        test_box=test_box,
        box=w.Layout(
            width="fit-content",
            max_width="100%",
            padding="10px 14px",
            border="1px solid var(--jp-border-color2, #d0d7de)",
        ),
    )
