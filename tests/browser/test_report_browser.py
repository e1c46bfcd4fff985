"""A report opened offline: every request that is not for a file:// URL is aborted, and
the charts still draw (plotly.js is inside the file), the table shows, no code shows.

Saves ``tests/artifacts/report-offline.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ut_notebook as ut
from tests.browser.jupyter import chromium_page, console_messages

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]


def test_a_report_renders_its_charts_offline(
    chromium: None, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    out = ut.report(
        ROOT / "notebooks" / "02_sessions_overview.ipynb",
        "interaction",
        tmp_path / "overview.html",
        demo=True,
    )
    blocked: list[str] = []

    def offline(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith("file://"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(url)
            route.abort()  # type: ignore[attr-defined]

    with chromium_page() as page:
        try:
            page.context.route("**/*", offline)
            page.set_viewport_size({"width": 1280, "height": 1600})
            page.goto(out.as_uri())
            plots = page.locator(".js-plotly-plot")
            expect(plots).to_have_count(6)  # every chart of notebook 02
            for i in range(6):
                expect(plots.nth(i).locator("svg.main-svg").first).to_be_visible()
            assert plots.first.locator("g.point").count() >= 5  # the bars were drawn
            expect(plots.first.locator(".gtitle")).to_contain_text("Sessions completed per day")
            # Drawn by plotly.js in the page (interactive), not a picture: its live
            # figure objects are there, with the data of every trace.
            traces = page.evaluate(
                "() => [...document.querySelectorAll('.js-plotly-plot')]"
                ".map(el => (el._fullData || []).length)"
            )
            assert page.evaluate("() => typeof window.Plotly") == "object"
            assert len(traces) == 6 and all(n >= 1 for n in traces)
            expect(page.locator("table.dataframe").first).to_be_visible()
            assert page.locator(".jp-CodeMirrorEditor, .cm-editor").count() == 0
            assert "ut.login()" not in page.content()
            # Something was indeed blocked (nbconvert's require.js and MathJax CDN links).
            assert blocked and not any("plot.ly" in url for url in blocked)
            page.screenshot(path=str(artifacts / "report-offline.png"))
        except Exception:
            page.screenshot(path=str(artifacts / "report-failure.png"), full_page=True)
            print("\n".join(console_messages(page)[-30:]))
            raise
