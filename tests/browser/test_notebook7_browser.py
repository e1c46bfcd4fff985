"""01_quickstart.ipynb in Jupyter Notebook 7 (not JupyterLab), driven by headless Chromium:
the login form connects to the demo data and the chart is drawn.

Saves ``tests/artifacts/notebook7-quickstart.png``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.jupyter import chromium_page, console_messages, jupyter_lab, open_and_run

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
STATUS = ".ut-login-status .widget-html-content"


def test_quickstart_in_notebook_7(chromium: None, artifacts: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    pytest.importorskip("notebook")
    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    with (
        jupyter_lab(root, env={"UT_DEMO": "1"}, app="notebook") as server,
        chromium_page() as page,
    ):
        try:
            page.set_viewport_size({"width": 1280, "height": 2300})
            open_and_run(page, server.url("01_quickstart.ipynb", app="notebooks"))
            # Notebook 7's own page, not JupyterLab's.
            assert "/notebooks/01_quickstart.ipynb" in page.url
            assert page.locator("#jp-top-panel, .jp-NotebookPanel").count() >= 1
            connected = page.locator(STATUS, has_text="Connected")
            expect(connected).to_be_visible()
            expect(connected).to_contain_text("demo")
            plot = page.locator(".js-plotly-plot")
            expect(plot).to_have_count(1)
            expect(plot.locator("svg.main-svg").first).to_be_visible()
            expect(plot.locator(".gtitle")).to_contain_text("Sessions completed per day")
            assert plot.locator("g.point").count() >= 10
            page.screenshot(path=str(artifacts / "notebook7-quickstart.png"))
        except Exception:
            page.screenshot(path=str(artifacts / "notebook7-failure.png"), full_page=True)
            print("\n".join(console_messages(page)[-30:]))
            print(server.log_tail())
            raise
