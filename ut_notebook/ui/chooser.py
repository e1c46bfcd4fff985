"""``ut.choose_test()``: pick a test from a searchable list instead of pasting its id.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                      # doctest: +SKIP
>>> test = ut.choose_test()              # a search box over a dropdown  # doctest: +SKIP
>>> df = ut.load_sessions(test.value)    # the chosen test's id          # doctest: +SKIP

The dropdown lists :func:`ut_notebook.list_tests` as "title · product type · date"
(plus "· N sessions" once :func:`ut_notebook.load_test` has read the count: the
workspace listing has none, and asking for it would cost a request per test). It starts
on ``TEST_ID`` / ``UT_TEST_ID`` / the demo test (:func:`~ut_notebook.ui.lab.pick_test_id`),
so a notebook run unattended (nbclient, Voilà, ``Run All``) loads that test.

Saved notebooks. JupyterLab and Notebook 7 do not fall back to a widget's text/plain:
a saved widget without a live kernel shows "Loading widget..." (no kernel) or "Error
displaying widget: model not found". So the picker is displayed after a plain-text
line that says what was chosen and to run the cell again; a live picker hides that line
with a CSS rule it carries (``:has()``), a dead one cannot, so the line stays readable.
With "Save widget state" on, JupyterLab redraws a saved picker from that state, but
without a kernel behind it (its view has ``jupyter-widgets-disconnected``): it shows the
chosen test and does nothing, so the rule spares the line then too. The line is marked
as a note in its output's metadata (:mod:`ut_notebook.ui.notes`): reports drop it.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pandas as pd
from traitlets import Unicode

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from .lab import DEFAULT_DEMO_TEST, pick_test_id
from .notes import display_note, hide_note_css

__all__ = ["TestChooser", "choose_test", "test_option_label"]

_PRODUCT_TYPES = {
    "SURVEY": "survey",
    "THINK_OUT_LOUD": "think-out-loud",
    "NON_THINK_OUT_LOUD": "interaction",
    "LIVE_CONVERSATION": "live conversation",
}

# Hides the plain-text note printed before a live picker (see the module docstring); a
# picker redrawn from saved state without a kernel is "disconnected": the note stays.
_HIDE_NOTE_CSS = hide_note_css("ut-test-chooser")


def test_option_label(row: pd.Series | dict[str, Any]) -> str:
    """One dropdown line: ``title · product type · date · sessions`` (known parts only).

    >>> test_option_label({"title": "Checkout", "productType": "SURVEY",
    ...                    "created": pd.Timestamp("2026-03-01", tz="UTC"), "testId": "x"})
    'Checkout · survey · 2026-03-01'
    """
    get = row.get
    test_id = str(get("testId") or "")
    parts = [str(get("title") or "") or f"test {test_id[:8]}…"]
    product = get("productType")
    if isinstance(product, str) and product:
        parts.append(_PRODUCT_TYPES.get(product, product.replace("_", " ").lower()))
    created = get("created")
    if isinstance(created, pd.Timestamp) and not pd.isna(created):
        parts.append(f"{created:%Y-%m-%d}")
    sessions = known_tests.sessions_of(test_id)
    if sessions is not None:
        parts.append(f"{sessions:,} session" + ("" if sessions == 1 else "s"))
    return " · ".join(parts)


class TestChooser(w.VBox):
    """A search box above a dropdown of tests; ``.value`` is the chosen test's id.

    ``chooser.observe(callback, names="value")`` follows the choice. Typing in the search
    box keeps only the tests whose line contains every typed word (any case); the choice
    changes only when it no longer matches.

    >>> chooser = TestChooser([("Checkout · survey", "id-1"), ("Onboarding", "id-2")])
    >>> chooser.value
    'id-1'
    >>> chooser.search.value = "onboard"
    >>> chooser.value
    'id-2'
    """

    __test__ = False  # not a pytest test class, whatever its name says

    value = Unicode("", help="The chosen test's id (kernel side).")

    def __init__(self, options: list[tuple[str, str]], value: str | None = None) -> None:
        self._all = list(options)
        self._filtering = False
        if value and value not in {tid for _, tid in self._all}:
            # An id that is not listed (another workspace, a typo): offer it as it is.
            self._all.insert(0, (known_tests.test_label(value), value))
        self.search = w.Text(
            placeholder="search: title, type, date",
            description="Test",
            continuous_update=True,
            layout=w.Layout(width="36em", max_width="100%"),
        )
        self.dropdown = w.Dropdown(
            options=self._all,
            value=value or (self._all[0][1] if self._all else None),
            layout=w.Layout(width="36em", max_width="100%", margin="2px 0 2px 90px"),
        )
        self.note = w.HTML(_HIDE_NOTE_CSS)
        super().__init__([self.search, self.dropdown, self.note])
        self.add_class("ut-test-chooser")
        self.value = self.dropdown.value or ""
        self.dropdown.observe(self._on_dropdown, names="value")
        self.search.observe(self._on_search, names="value")
        self.observe(self._on_value, names="value")

    @property
    def label(self) -> str:
        """The chosen test's dropdown line ('' when none)."""
        return next((text for text, tid in self._all if tid == self.value), "")

    def _on_dropdown(self, change: dict[str, Any]) -> None:
        if change["new"] and not self._filtering:
            self.value = change["new"]

    def _on_value(self, change: dict[str, Any]) -> None:
        if change["new"] == self.dropdown.value:
            return
        if change["new"] not in {tid for _, tid in self.dropdown.options}:
            self.search.value = ""  # set from code: show every test again, then choose
        self.dropdown.value = change["new"]

    def _on_search(self, change: dict[str, Any]) -> None:
        words = str(change["new"]).lower().split()
        kept = [(t, tid) for t, tid in self._all if all(word in t.lower() for word in words)]
        current = self.value
        ids = [tid for _, tid in kept]
        # New options reset the dropdown to their first one: that is no user's choice.
        self._filtering = True
        try:
            self.dropdown.options = kept
            self.dropdown.value = current if current in ids else (ids[0] if ids else None)
        finally:
            self._filtering = False
        if self.dropdown.value:
            self.value = self.dropdown.value

    def summary(self) -> str:
        """What a notebook shows where the widget cannot be drawn."""
        if not self.value:
            return "No test to choose from. Run this cell again once connected."
        return (
            f"Test: {self.label} (id {self.value}). The picker needs a running kernel: "
            "run this cell again to choose another test."
        )

    def __repr__(self) -> str:
        return f"<ut_notebook.TestChooser {self.value!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        data = super()._repr_mimebundle_(**kwargs)
        if data is not None:
            data["text/plain"] = self.summary()
        return data

    def _ipython_display_(self) -> None:
        from IPython.display import display

        # The note first, as its own output: JupyterLab shows it while the picker cannot
        # be drawn (a saved notebook), and the live picker's CSS hides it.
        display_note(self.summary())
        display(self._repr_mimebundle_(), raw=True)


def choose_test(
    test_id: str | None = None,
    *,
    demo: str = DEFAULT_DEMO_TEST,
    tests: pd.DataFrame | None = None,
    client: Client | None = None,
) -> TestChooser:
    """A searchable dropdown of your tests; its ``.value`` is the chosen test's id.

    Args:
        test_id: the test to start on (a notebook's ``TEST_ID``); default ``UT_TEST_ID``,
            or with the demo data the demo test named ``demo``.
        demo: the demo test to start on with the demo data (``ut.demo.TESTS``).
        tests: a :func:`~ut_notebook.list_tests` frame to choose from; default: listed
            now (one request per workspace page).
        client: the connection; default the current one.

    Returns:
        A :class:`TestChooser`. The last line of a cell shows it; the next cells read
        ``chooser.value`` when they run, so a choice made later needs them run again.

    Raises:
        NotConnectedError: no connection (call ``ut.login()`` first).

    >>> test = ut.choose_test(TEST_ID)                                  # doctest: +SKIP
    >>> sessions = ut.load_sessions(test.value)                        # doctest: +SKIP
    """
    client = require_client(client, None)
    if tests is None:
        from ..loaders.catalog import list_tests

        tests = list_tests(client=client, progress=False)
    try:
        default: str | None = pick_test_id(test_id, demo=demo, client=client)
    except ValueError:
        default = None  # no TEST_ID and no UT_TEST_ID: start on the newest test
    options = [(test_option_label(row), str(row["testId"])) for _, row in tests.iterrows()]
    if default is not None:
        # Listed ids may differ in case from a pasted one: choose the listed spelling.
        default = next((tid for _, tid in options if tid.lower() == default.lower()), default)
    return TestChooser(options, default)
