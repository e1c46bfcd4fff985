"""The login form in a saved notebook reopened without a kernel, in a real JupyterLab.

A notebook with ``ut.login()`` runs on the demo data (``UT_DEMO=1``: the form connects by
itself), is saved with its widget state, and is reopened in a fresh page after its
kernel was shut down, as a colleague opening the file would. Checks:

* while the form is live, the plain-text note before it is in the page but hidden (the
  form's CSS rule);
* reopened, the note is readable (the login form needs a running kernel: run this cell
  again) and no endless "Loading widget…" stands where the form was: JupyterLab redraws
  the form from the saved state, disconnected;
* the saved file keeps the note marked as such in its output's metadata (reports drop
  it), and no password value.

Screenshots: ``tests/artifacts/login-live.png`` and ``login-reopened.png``.
"""

from __future__ import annotations

import json
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
from ut_notebook.ui.login.widget import NOTE
from ut_notebook.ui.notes import is_note

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

CELLS = ["import ut_notebook as ut", "ut.login()"]
STATUS = ".ut-login-status .widget-html-content"
SECRET = ".widget-text input[type='password']"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_a_saved_login_form_reopened_without_a_kernel_says_to_run_the_cell_again(
    chromium: None, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    notebook = write_notebook(tmp_path / "login-saved.ipynb", CELLS)
    with jupyter_lab(tmp_path, env={"UT_DEMO": "1"}) as lab:
        with (
            chromium_page() as page,
            explain_failure(page, lab, artifacts / "login-saved-failure.png"),
        ):
            page.set_viewport_size({"width": 1280, "height": 1000})
            open_and_run(page, lab.url(notebook.name))
            cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
            form = cell.locator(".ut-login")
            expect(form).to_have_count(1)
            expect(cell.locator(STATUS)).to_contain_text("Connected")
            expect(cell.locator(".ut-login.jupyter-widgets-disconnected")).to_have_count(0)
            # The note is in the page, just before the form, and hidden by its CSS.
            note = cell.locator(".jp-OutputArea-output", has_text="run this cell again")
            expect(note).to_have_count(1)
            expect(note).to_be_hidden()
            expect(form).to_be_visible()
            cell.screenshot(path=str(artifacts / "login-live.png"))
            save_notebook(page, notebook)

        # The file holds the note, marked, just before the form, and no password value.
        saved = json.loads(notebook.read_text(encoding="utf-8"))
        outputs = saved["cells"][1]["outputs"]
        assert [(is_note(o), WIDGET_VIEW in o.get("data", {})) for o in outputs] == [
            (True, False),
            (False, True),
        ]
        assert "".join(outputs[0]["data"]["text/plain"]) == NOTE
        state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]
        passwords = [
            m["state"] for m in state["state"].values() if m["model_name"] == "PasswordModel"
        ]
        assert passwords and all(p.get("value", "") == "" for p in passwords)

        # Reopened in a fresh page, its kernel shut down first: nothing runs, no widget
        # model lives, as for a colleague opening the saved file.
        for kernel in lab.api("GET", "/api/kernels"):
            lab.api("DELETE", f"/api/kernels/{kernel['id']}")
        with (
            chromium_page() as page,
            explain_failure(page, lab, artifacts / "login-reopened-failure.png"),
        ):
            page.set_viewport_size({"width": 1280, "height": 1000})
            open_notebook(page, lab.url(notebook.name))
            cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
            # The lab saves widget state, so JupyterLab redraws the form from it with
            # no kernel behind it: disconnected. Wait for that final picture.
            dead = cell.locator(".ut-login.jupyter-widgets-disconnected")
            expect(dead).to_have_count(1)
            expect(dead.locator(SECRET)).to_have_value("")
            note = cell.locator(".jp-OutputArea-output", has_text="run this cell again")
            expect(note).to_have_count(1)
            expect(note).to_be_visible()
            expect(note).to_contain_text("The login form needs a running kernel")
            expect(cell.get_by_text("Loading widget")).to_have_count(0)
            cell.screenshot(path=str(artifacts / "login-reopened.png"))
