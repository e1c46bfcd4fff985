"""What a researcher sees of frames and the test picker in a real JupyterLab.

One notebook, run through the menu on the demo data: the demo survey's participants
frame (its INCOME answers read "$25,000 - $49,999") and ``ut.choose_test()``. Checks:

* the ``$`` signs show as written: JupyterLab's MathJax would otherwise typeset the
  text between two ``$`` as maths (an ``mjx-container``, the signs gone);
* the notebook, saved and reopened without running anything, shows the picker's
  plain-text line (which test was chosen, and to run the cell again), not only an
  endless "Loading widget…" or a picker redrawn from the saved widget state that
  cannot do anything.

Screenshots: ``tests/artifacts/tables-participants.png`` and ``tables-reopened.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.jupyter import (
    chromium_page,
    explain_failure,
    jupyter_lab,
    open_and_run,
    open_notebook,
    save_notebook,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

CELLS = [
    "import ut_notebook as ut\nut.connect(demo=True)",
    "details = ut.load_session_details(ut.demo.TESTS['survey'], progress=False)\n"
    "details.participants",
    "test = ut.choose_test()\ntest",
]
INCOME = "$25,000 - $49,999"
# The picker's plain-text line (TestChooser.summary) as a saved notebook keeps it.
NOTE = "The picker needs a running kernel"


def test_dollar_signs_as_written_and_a_saved_picker_says_what_was_chosen(
    chromium: None, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    notebook = write_notebook(tmp_path / "tables.ipynb", CELLS)
    with jupyter_lab(tmp_path) as lab:
        with (
            chromium_page() as page,
            explain_failure(page, lab, artifacts / "tables-failure.png"),
        ):
            page.set_viewport_size({"width": 1280, "height": 1400})
            open_and_run(page, lab.url(notebook.name))
            table = page.locator(".jp-OutputArea-output table.dataframe")
            expect(table).to_have_count(1)
            # The income answers as written, dollar signs and all.
            cell = table.locator("td", has_text=INCOME).first
            expect(cell).to_be_visible()
            assert cell.inner_text().strip() == INCOME
            # MathJax typesets asynchronously: the live picker drawn after the table
            # means the page has settled; then no cell may have been typeset.
            expect(page.locator(".ut-test-chooser select")).to_be_visible()
            assert table.locator("mjx-container").count() == 0
            assert page.locator(".jp-OutputArea-output mjx-container").count() == 0
            # The live picker hides its plain-text line (CSS :has()).
            expect(page.get_by_text(NOTE)).to_be_hidden()
            table.scroll_into_view_if_needed()
            table.screenshot(path=str(artifacts / "tables-participants.png"))
            save_notebook(page, notebook)
        # Reopened in a fresh page, its kernel shut down first: nothing runs, no widget
        # model lives, as for a colleague opening the saved file.
        for kernel in lab.api("GET", "/api/kernels"):
            lab.api("DELETE", f"/api/kernels/{kernel['id']}")
        with (
            chromium_page() as page,
            explain_failure(page, lab, artifacts / "tables-reopened-failure.png"),
        ):
            page.set_viewport_size({"width": 1280, "height": 1400})
            open_notebook(page, lab.url(notebook.name))
            # The lab saves widget state (LAB_SETTINGS), so JupyterLab redraws the
            # picker from it, with no kernel behind it: disconnected. Wait for that
            # final picture, then the note must still be readable above it.
            picker = page.locator(".ut-test-chooser.jupyter-widgets-disconnected")
            expect(picker).to_have_count(1)
            expect(picker.locator("select")).to_contain_text("Fernwood Market")
            note = page.locator(".jp-OutputArea-output", has_text=NOTE)
            expect(note).to_have_count(1)
            expect(note).to_be_visible()
            expect(note).to_contain_text("Test: Fernwood Market")
            expect(note).to_contain_text("run this cell again")
            note.scroll_into_view_if_needed()
            page.locator(".jp-Cell").nth(2).screenshot(path=str(artifacts / "tables-reopened.png"))
