"""Plain-text notes for a saved notebook reopened without a kernel.

JupyterLab and Notebook 7 do not fall back to a widget output's text/plain: a saved widget
without a live kernel shows an endless "Loading widget..." (no saved widget state), or is
redrawn from the saved state with nothing behind it (its views get the class
``jupyter-widgets-disconnected``). So ``ut.login()`` and ``ut.choose_test()`` display a
plain-text note as its own output just before the widget, and the widget carries a CSS
rule (:func:`hide_note_css`, with ``:has()``) that hides the note while the widget is
live. A dead or disconnected widget cannot hide it: the note stays readable.

Each note is marked in its output's metadata (:data:`NOTE_METADATA`), so that whatever
knows no kernel will ever come back, such as :func:`ut_notebook.report`, can drop it: "run
this cell again" means nothing to a report's reader.

Importing this module loads neither IPython nor ipywidgets (:mod:`ut_notebook.reports`
uses :func:`is_note`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["NOTE_METADATA", "display_note", "hide_note_css", "is_note"]

#: The metadata of a note's output (``output["metadata"]`` in the saved notebook).
NOTE_METADATA: dict[str, dict[str, str]] = {"ut_notebook": {"note": "saved-notebook"}}


def is_note(output: Mapping[str, Any]) -> bool:
    """Whether a notebook output is a note shown by :func:`display_note`.

    >>> is_note({"output_type": "display_data", "data": {"text/plain": "x"},
    ...          "metadata": {"ut_notebook": {"note": "saved-notebook"}}})
    True
    >>> is_note({"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}})
    False
    """
    mark = (output.get("metadata") or {}).get("ut_notebook")
    return isinstance(mark, Mapping) and mark.get("note") == "saved-notebook"


def display_note(text: str) -> None:
    """Display ``text`` as a plain-text output marked as a note; show the widget next."""
    from IPython.display import display

    # A copy: IPython hands the dict to the front end, which must not share ours.
    metadata = {key: dict(value) for key, value in NOTE_METADATA.items()}
    display({"text/plain": text}, raw=True, metadata=metadata)


def hide_note_css(css_class: str) -> str:
    """A ``<style>`` that hides the output just before a live widget of ``css_class``.

    An HTML child of the widget carries it: the rule applies while the widget is drawn,
    and not once the widget is disconnected (a saved notebook redrawn without a kernel).

    >>> hide_note_css("ut-login")  # doctest: +ELLIPSIS
    '<style>.jp-OutputArea-child:has(+ .jp-OutputArea-child .ut-login:not(...
    """
    return (
        "<style>.jp-OutputArea-child:has(+ .jp-OutputArea-child "
        f".{css_class}:not(.jupyter-widgets-disconnected)){{display:none}}</style>"
    )
