"""01_quickstart.ipynb in a real JupyterLab on the demo data, as a Binder visitor runs it.

The quickstart runs in the JupyterLab that ``ut-notebook demo`` starts (what ``make demo``
runs: the working copy of the notebooks, no news pop-up, no kernel transport warning in
its terminal). The overview opens a copy of the notebooks in JupyterLab (``UT_DEMO=1``).
Each runs every cell
through the menu, and checks what a person would see: the ``ut.login()`` form connected
to the demo data, the sessions table, and a plotly chart drawn with its bars. Saves a
screenshot to ``tests/artifacts/quickstart.png``.
"""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.browser.jupyter import chromium_page, console_messages, jupyter_lab, open_and_run
from tests.test_demo_command import URL, Demo, free_port, isolated_env

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
STATUS = ".ut-login-status .widget-html-content"


def test_quickstart_connects_loads_and_draws_a_chart(
    chromium: None, artifacts: Path, tmp_path: Path
) -> None:
    """Started the way `make demo` starts it: the console script ``ut-notebook demo``."""
    from playwright.sync_api import expect

    port = free_port()
    demo = Demo(["--port", str(port)], cwd=tmp_path, env=isolated_env(tmp_path))
    started = time.monotonic()
    try:
        url = demo.wait_for(URL, timeout=120).group(1)
        with chromium_page() as page:
            try:
                # Tall enough for the whole notebook: the screenshot shows form, table, chart.
                page.set_viewport_size({"width": 1280, "height": 2300})
                open_and_run(page, url)

                connected = page.locator(STATUS, has_text="Connected")
                expect(connected).to_be_visible()
                expect(connected).to_contain_text("demo")
                # The table: one row per session of the demo survey (240).
                table = page.locator(".jp-RenderedHTMLCommon table.dataframe")
                expect(table).to_be_visible()
                expect(page.locator(".jp-OutputArea-output", has_text="240 rows")).to_be_visible()
                # The chart: plotly drew it, bars and the running-total line included.
                plot = page.locator(".js-plotly-plot")
                expect(plot).to_have_count(1)
                expect(plot.locator("svg.main-svg").first).to_be_visible()
                expect(plot.locator(".gtitle")).to_contain_text("Sessions completed per day")
                assert plot.locator("g.point").count() >= 10  # one bar per day
                expect(plot.locator("g.scatterlayer path.js-line")).to_have_count(1)
                assert not page.locator(".jp-OutputArea-output[data-mime-type*=error]").count()
                # No "Would you like to get notified about official Jupyter news?" toast.
                assert page.get_by_text("Jupyter news").count() == 0
                assert page.locator(".Toastify__toast").count() == 0

                page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
                page.screenshot(path=str(artifacts / "quickstart.png"))
                plot.screenshot(path=str(artifacts / "quickstart-chart.png"))
            except Exception:
                page.screenshot(path=str(artifacts / "quickstart-failure.png"), full_page=True)
                print("\n".join(console_messages(page)[-30:]))
                raise
        demo.proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.proc.wait(timeout=60) == 0
        output = demo.output()
        # The terminal a user watches: no kernel transport warning, no traceback.
        assert "without encryption" not in output, output
        assert "Traceback" not in output, output
    finally:
        demo.kill()
    print(f"quickstart browser test: {time.monotonic() - started:.1f}s")


def test_sessions_overview_draws_every_chart(
    chromium: None, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    root = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", root)
    with jupyter_lab(root, env={"UT_DEMO": "1"}) as lab, chromium_page() as page:
        try:
            page.set_viewport_size({"width": 1280, "height": 1400})
            open_and_run(page, lab.url("02_sessions_overview.ipynb"))
            expect(page.locator(STATUS, has_text="Connected")).to_be_visible()
            plots = page.locator(".js-plotly-plot")
            expect(plots).to_have_count(6)  # per day, duration, status, 2 heatmaps, custom
            titles = [plots.nth(i).locator("text.gtitle").text_content() for i in range(6)]
            assert titles[:4] == [
                "Sessions completed per day",
                "Session duration",
                "Sessions by status",
                "When sessions start",
            ]
            for i in range(6):
                expect(plots.nth(i).locator("svg.main-svg").first).to_be_visible()
            plots.nth(1).screenshot(path=str(artifacts / "overview-duration.png"))
            plots.nth(3).screenshot(path=str(artifacts / "overview-heatmap.png"))
        except Exception:
            page.screenshot(path=str(artifacts / "overview-failure.png"), full_page=True)
            print("\n".join(console_messages(page)[-30:]))
            print(lab.log_tail())
            raise
