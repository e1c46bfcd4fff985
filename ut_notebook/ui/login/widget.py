"""``CredentialsWidget``: the login form as one ipywidgets VBox.

It puts a :class:`~.layout.LoginLayout`'s controls in a box, lets a
:class:`~.controller.LoginController` drive them, mirrors the controller's ``state``
trait, and knows how to show itself in a notebook (once per cell, with a text/plain
line that says the connection state).

Saved notebooks. The form is displayed after a plain-text note (:data:`NOTE`) that says
it needs a running kernel and to run the cell again: a notebook reopened without a
kernel shows that instead of an endless "Loading widget..." or a dead form redrawn from
the saved widget state. A live form hides the note with a CSS rule it carries; see
:mod:`ut_notebook.ui.notes`. The note is a fixed sentence: it can hold no secret, token
or host, and never goes stale when the connection changes after it was shown.

>>> form = CredentialsWidget()                                    # doctest: +SKIP
>>> form.observe(lambda change: print(change["new"]), names="state")  # doctest: +SKIP
>>> form.use_demo()                                               # doctest: +SKIP
connecting
connected
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as w

from ...api.client import Client
from ...api.settings import Settings, load_settings
from ...errors import UTError
from ..notes import display_note, hide_note_css
from ..terminal import describe_session
from .controller import LoginController, state_trait
from .layout import LoginLayout, build_layout, reachable

if TYPE_CHECKING:
    from ..chooser import TestChooser

__all__ = ["NOTE", "CredentialsWidget"]

#: What a saved notebook shows before the form (see the module docstring).
NOTE = (
    "The login form needs a running kernel: if it is missing or does not respond, "
    "run this cell again."
)

# The controls, exposed as attributes of the form (notebooks and tests drive them).
_CONTROLS = (
    "header",
    "client_id",
    "client_secret",
    "token_url",
    "scope",
    "api_url",
    "advanced",
    "connect_button",
    "disconnect_button",
    "demo_button",
    "buttons",
    "status",
    "choose_button",
    "test_box",
)


class CredentialsWidget(w.VBox):
    """The ``ut.login()`` form. Build it with :func:`ut_notebook.login` (which shows it).

    Attributes:
        state: ``disconnected``, ``connecting``, ``connected``, ``expired`` or ``error``;
            a read-only trait: ``form.observe(callback, names="state")``.
        client_id, client_secret, token_url, scope, api_url: the fields.
        connect_button, disconnect_button, demo_button, choose_button: the buttons.
        test_box: where "Choose a test" puts the test picker (:attr:`chooser`); the
            chosen test's id is :attr:`test_id`.
        status: the HTML status line (CSS class ``ut-login-status``; the form has
            ``ut-login``).
        form: the :class:`~.layout.LoginLayout` holding all of them.
        controller: the :class:`~.controller.LoginController` driving them.
        error: the :class:`~ut_notebook.UTError` shown after a failed attempt, or ``None``.
        callback_error: the last *unexpected* exception a callback caught (a bug), or
            ``None``. It is shown in the status line too.

    ``auto=True`` connects at once when the environment or a ``.env`` file has
    credentials, or ``UT_DEMO=1`` is set, and no session is current yet.
    """

    state = state_trait()

    #: The controller class; a subclass may swap in its own.
    controller_class: ClassVar[type[LoginController]] = LoginController

    def __init__(self, *, auto: bool = False, settings: Settings | None = None) -> None:
        settings = settings if settings is not None else load_settings()
        form = build_layout(settings)
        # The last child only carries the CSS rule that hides the note shown before a
        # live form; hidden itself, so it adds no empty line (a <style> applies anyway).
        self._note_css = w.HTML(hide_note_css("ut-login"), layout=w.Layout(display="none"))
        super().__init__([*form.children, self._note_css], layout=form.box)
        self.add_class("ut-login")
        self._shown_in: object = None
        self._closed = False
        self.form: LoginLayout = form
        for name in _CONTROLS:
            setattr(self, name, getattr(form, name))
        self.controller = self.controller_class(form, settings)
        # Subscribed before start(): the first state is mirrored too.
        self.controller.observe(self._mirror_state, names="state")
        self.controller.start(auto=auto)

    def _mirror_state(self, change: dict[str, Any]) -> None:
        self.set_trait("state", change["new"])

    # -- the controller's actions and findings ---------------------------------------------

    @property
    def client(self) -> Client | None:
        """The client this form shows (the kernel's current one), or ``None``."""
        return self.controller.client

    @property
    def session(self) -> Client | None:
        """Deprecated name of :attr:`client`."""
        return self.client

    @property
    def error(self) -> UTError | None:
        """The error of the last failed attempt, shown in the status line, or ``None``."""
        return self.controller.error

    @property
    def callback_error(self) -> BaseException | None:
        """The last unexpected exception a callback caught (a bug), or ``None``."""
        return self.controller.callback_error

    @property
    def chooser(self) -> TestChooser | None:
        """The test picker "Choose a test" built below the form, or ``None``."""
        return self.controller.chooser

    @property
    def test_id(self) -> str | None:
        """The id of the test chosen in the form's picker; ``None`` before "Choose a
        test" (or after a disconnect, which drops the picker)."""
        chooser = self.controller.chooser
        return chooser.value or None if chooser is not None else None

    def choose_test(self) -> TestChooser | None:
        """List the tests and show the picker below the form: what "Choose a test" does."""
        return self.controller.choose_test()

    def connect(self) -> None:
        """Connect with the form's values: what the Connect button does."""
        self.controller.connect()

    def use_demo(self) -> None:
        """Connect to the built-in simulator: what "Use demo data" does."""
        self.controller.use_demo()

    def disconnect(self) -> None:
        """Forget the kernel's session: what the Disconnect button does."""
        self.controller.disconnect()

    def summary(self) -> str:
        """One line about the connection, for places that cannot show the form."""
        return self.controller.summary()

    def close(self) -> None:
        """Close the form and its controls; stop following the session's token."""
        # Also called by Widget.__del__, possibly on a half-built form: check each part.
        if self.__dict__.get("_closed", True):
            return
        self._closed = True
        self.controller.close()
        self.form.close()
        for widget in reachable([self._note_css]):  # with its Layout and Style models
            widget.close()
        super().close()

    def __repr__(self) -> str:
        controller = self.__dict__.get("controller")
        session = controller.session if controller is not None else None
        where = f" to {describe_session(session)}" if session is not None else ""
        return f"<ut_notebook.CredentialsWidget {self.state}{where}>"

    # -- display ------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            # What a notebook keeps besides the form, and what shows where widgets do not
            # (nbconvert, GitHub, jupyter console): the truth, in words.
            data["text/plain"] = self.summary()
        return data

    def _ipython_display_(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        shell = get_ipython()
        if self._shown_in is not None and self._shown_in == getattr(shell, "execution_count", None):
            # login() showed this form already in this cell: the cell's own result
            # (`ut.login()` as the last line) must not show it a second time.
            self._shown_in = None
            return
        self.controller.refresh()  # an old form shown again: bring its status up to date
        display_note(NOTE)  # its own output, just before the form: see the module docstring
        display(self._repr_mimebundle_(), raw=True)

    def _show_once(self) -> None:
        from IPython import get_ipython
        from IPython.display import display

        self._shown_in = None
        display_note(NOTE)
        display(self._repr_mimebundle_(), raw=True)
        self._shown_in = getattr(get_ipython(), "execution_count", None)
