"""ut.login() in a real JupyterLab: type credentials into the rendered form, connect, save.

The simulator runs in this test process; the kernel reaches it through UT_TOKEN_URL and
UT_API_URL in its environment. The client id and secret exist only in this test: they
reach the kernel by being typed into the form, as a user would.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.jupyter import (
    chromium_page,
    console_messages,
    jupyter_lab,
    open_and_run,
    run_all,
    save_notebook,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

NOTEBOOK = "login.ipynb"
CELLS = [
    "import ut_notebook as ut",
    "ut.login(auto=False)",
    "session = ut.current_client()\n"
    "print('workspaces:', len(session.get_json('/usertesting/api/v1/workspaces'))"
    " if session else 'not connected')",
]
CLIENT_ID = ".widget-text input[placeholder='your client ID']"
SECRET = ".widget-text input[type='password']"
STATUS = ".ut-login-status .widget-html-content"  # the form adds this class to its status
TOKEN_PATH = "/oauth2/default/v1/token"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def test_login_form_connects_and_the_saved_notebook_holds_no_secret(
    chromium: None, artifacts: Path, make_server: Callable[..., Any], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server = make_server()
    wrong = "wrong-secret-" + secrets.token_hex(8)
    path = write_notebook(tmp_path / NOTEBOOK, CELLS)
    env = {"UT_TOKEN_URL": server.token_url, "UT_API_URL": server.url}
    started = time.monotonic()
    with jupyter_lab(tmp_path, env=env) as lab, chromium_page() as page:
        try:
            open_and_run(page, lab.url(NOTEBOOK))
            secret = page.locator(SECRET)
            expect(secret).to_have_count(1)  # `ut.login()` as the last line: shown once
            expect(page.locator(STATUS, has_text="Not connected")).to_be_visible()
            # By text: an icon's glyph is part of the button's accessible name.
            connect = page.locator("button.jupyter-button", has_text=re.compile(r"^Connect$"))

            page.locator(CLIENT_ID).fill(server.config.client_id)
            # A wrong secret, submitted with Enter: the error is shown, the field emptied.
            secret.click()
            secret.press_sequentially(wrong)
            secret.press("Enter")
            failed = page.locator(STATUS, has_text="Could not connect")
            expect(failed).to_be_visible()
            expect(failed).to_contain_text("invalid_client")
            expect(secret).to_have_value("")

            # The right secret, then a click on Connect (the field loses focus first).
            secret.press_sequentially(server.config.client_secret)
            connect.click()
            connected = page.locator(STATUS, has_text="Connected")
            expect(connected).to_be_visible()
            expect(connected).to_contain_text("scope public_api.read")
            expect(connected).to_contain_text(server.url.split("//")[1])
            expect(secret).to_have_value("")
            expect(page.locator(SECRET)).to_have_attribute(
                "placeholder", "in use — leave empty to keep it"
            )
            assert server.count(TOKEN_PATH, method="POST") == 2  # Enter once, click once
            page.locator(".jp-Notebook .jp-Cell").nth(1).screenshot(
                path=str(artifacts / "login-connected.png")
            )

            # Run everything again: the form shows the session instead of forgetting it,
            # and the last cell uses it (so the token is in the simulator's log).
            run_all(page)
            expect(page.locator(STATUS)).to_have_count(1)
            expect(page.locator(STATUS)).to_contain_text("Connected")
            expect(page.locator(".jp-OutputArea-output", has_text="workspaces:")).to_be_visible()
            assert server.count(TOKEN_PATH, method="POST") == 2

            save_notebook(page, path)
        except Exception:
            page.screenshot(path=str(artifacts / "login-failure.png"))
            print("\n".join(console_messages(page)[-30:]))
            print(lab.log_tail())
            raise
    print(f"browser test: {time.monotonic() - started:.1f}s from server start to saved file")

    text = path.read_text()
    tokens = {r.headers["token"] for r in server.requests if "token" in r.headers}
    assert len(tokens) == 1, "the last cell should have used the session's token"
    for value in (server.config.client_secret, wrong, *tokens):
        assert value not in text
    # The file was saved with the widget state: the check above covers the form's model.
    nb = json.loads(text)
    state = nb["metadata"]["widgets"][WIDGET_STATE]["state"]
    passwords = [m["state"] for m in state.values() if m["model_name"] == "PasswordModel"]
    assert passwords and all(p.get("value", "") == "" for p in passwords)
    assert "workspaces:" in json.dumps(nb["cells"][2]["outputs"])
