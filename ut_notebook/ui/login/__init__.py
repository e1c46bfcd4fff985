"""The credentials form: ``ut.login()`` connects the notebook's kernel to UserTesting.

>>> import ut_notebook as ut
>>> ut.login()                      # doctest: +SKIP

shows a form built from standard ipywidgets 8 controls (no custom JavaScript, so it
renders in JupyterLab, Notebook 7, VS Code, Voilà and Binder): Client ID, Client secret,
an "Advanced" section (token URL, scope, API URL), the buttons Connect, Disconnect and
"Use demo data", and a status line. Outside Jupyter, ``ut.login()`` prompts in the
terminal (:mod:`ut_notebook.ui.terminal`).

The form is three parts:

- :mod:`.layout` builds the controls and nothing else (:func:`~.layout.build_layout`);
- :mod:`.controller` handles clicks and Enter, connects, and renders the status; it
  holds the form's state as a traitlets trait (:class:`~.controller.LoginController`);
- :mod:`.widget` is the VBox a notebook shows, :class:`CredentialsWidget`, which mirrors
  the state: ``form.observe(callback, names="state")``.

Secrets. The Password field's value is synced to the kernel (that is how the kernel gets
it) and would be saved with the widget state, so Connect empties it before it sends
anything, and never echoes it to other front ends. A secret found in the environment or
a ``.env`` file is never put into the field: its placeholder says so. No status text,
repr or log line holds a secret or a token.

Import cost. Importing this module loads neither ipywidgets nor IPython: the widget
classes are imported on first use, and :func:`login` outside a kernel never needs them.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...api.client import Client
    from .controller import LoginController
    from .layout import LoginLayout
    from .widget import CredentialsWidget

__all__ = ["INSTALL_HINT", "CredentialsWidget", "LoginController", "LoginLayout", "login"]

INSTALL_HINT = (
    "ut.login() draws its form with ipywidgets 8, which is not installed in this kernel's "
    "environment. Install it with  pip install 'ipywidgets>=8'  (it comes with "
    "ut-notebook's own dependencies) and restart the kernel. Without widgets, use "
    "ut.connect(client_id, client_secret), or ut.connect(demo=True) for the demo data."
)

# name -> submodule; each needs ipywidgets (or traitlets), so each is imported on use.
_LAZY = {
    "CredentialsWidget": ".widget",
    "LoginController": ".controller",
    "LoginLayout": ".layout",
}

# Without these the form cannot exist; anything else missing is a real error.
_WIDGET_PACKAGES = ("ipywidgets", "traitlets", "comm")


class _NoWidgets:
    """Stands in for a form class when ipywidgets is missing: using it says what to do.

    Returned instead of raising at attribute access, so that ``dir(ut)``, ``from
    ut_notebook import *`` and ``import ut_notebook`` keep working without ipywidgets.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError(INSTALL_HINT)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(_LAZY[name], __name__)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _WIDGET_PACKAGES:
            raise
        return type(name, (_NoWidgets,), {"__doc__": _NoWidgets.__doc__})
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (a widget front end may be listening)."""
    # A kernel imports IPython before it runs any cell: if nobody has, this is no kernel,
    # and importing IPython (a tenth of a second or more) only to find that out is waste.
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
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

    >>> import ut_notebook as ut
    >>> form = ut.login()                                          # doctest: +SKIP
    >>> form.state                                                 # doctest: +SKIP
    'connected'
    """
    if not _in_kernel():
        from ..terminal import terminal_login

        return terminal_login(auto=auto)
    try:
        from .widget import CredentialsWidget
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _WIDGET_PACKAGES:
            raise
        raise ImportError(INSTALL_HINT) from None
    # Connect before showing: a notebook saved without widget state (nbconvert, GitHub)
    # then keeps a text line that tells the truth ("connected to ...").
    widget = CredentialsWidget(auto=auto)
    widget._show_once()
    return widget
