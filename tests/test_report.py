"""Shareable reports: ``ut.report`` / ``ut-notebook report`` run a notebook for a test into
one HTML file without code, with the charts' plotly.js inside, and nothing secret in it.

The notebooks run in real kernels (nbclient), on the demo data or on the simulator over
HTTP with credentials; the files are then read as a stakeholder's browser would get them
(tests/browser/test_report_browser.py opens one offline).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from notebook_runner import run_notebook

import ut_notebook as ut
from ut_notebook.reports import WIDGET_STATE, WIDGET_VIEW, ReportError, inject_test_id
from ut_notebook.ui.login.widget import NOTE as LOGIN_NOTE
from ut_notebook.ui.notes import is_note

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "notebooks" / "01_quickstart.ipynb"

pytest.importorskip("nbconvert")


def notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_a_report_of_the_quickstart_for_another_test(tmp_path: Path) -> None:
    out = ut.report(QUICKSTART, "interaction", tmp_path / "reports" / "q.html", demo=True)
    assert out == tmp_path / "reports" / "q.html"
    html = out.read_text(encoding="utf-8")
    # The test asked for, not the notebook's default (the survey).
    ut.connect(demo=True)
    sessions = ut.load_sessions(ut.demo.TESTS["interaction"], progress=False)
    assert sessions.attrs["testId"] != ut.demo.TESTS["survey"]
    assert f"{len(sessions)} rows" in html
    assert sessions["sessionId"].iloc[0] in html
    # Markdown and outputs, no code.
    assert "Quickstart: your UserTesting sessions" in html
    for code in ("import ut_notebook", "ut.login()", "ut.charts.sessions_per_day(df)"):
        assert code not in html
    assert "jp-CodeMirrorEditor jp-Editor" not in html  # no code input areas
    # The chart: plotly.js embedded once (offline), and a figure drawn with it.
    assert len(re.findall(r"plotly\.js v\d", html)) == 1
    assert "Plotly.newPlot" in html and 'src="https://cdn.plot.ly' not in html
    assert "Sessions completed per day" in html
    # No widget (the login form) and no widget state.
    assert WIDGET_VIEW not in html and WIDGET_STATE not in html
    assert "CredentialsWidget" not in html
    # Nor the notes for a saved notebook reopened without a kernel (the login form's,
    # the picker's): "run this cell again" means nothing to a report's reader.
    assert "run this cell again" not in html and "needs a running kernel" not in html


@pytest.mark.slow
def test_the_notes_for_a_saved_notebook_stay_out_of_a_report(tmp_path: Path) -> None:
    source = notebook(
        tmp_path / "notes.ipynb",
        [
            'TEST_ID = ""',
            "import ut_notebook as ut\nut.login()",
            "test = ut.choose_test(TEST_ID)\ntest",
            'print("chosen:", test.value)',
        ],
    )
    # Run as it is, the notebook shows both notes (so their absence below means something).
    ran = run_notebook(source, cwd=tmp_path, env={"UT_DEMO": "1"})
    notes = [o["data"]["text/plain"] for c in ran.cells for o in c.outputs if is_note(o)]
    assert len(notes) == 2
    assert notes[0] == LOGIN_NOTE and "The picker needs a running kernel" in notes[1]

    out = ut.report(source, "interaction", tmp_path / "notes.html", demo=True)
    html = out.read_text(encoding="utf-8")
    # The cells ran for that test and printed output is kept; only the notes are gone.
    assert f"chosen: {ut.demo.TESTS['interaction']}" in html
    assert "needs a running kernel" not in html and "run this cell again" not in html
    assert "The login form" not in html and "The picker" not in html


@pytest.mark.slow
def test_a_report_holds_no_secret_or_token(server: Any, tmp_path: Path) -> None:
    secret = server.config.client_secret
    source = notebook(
        tmp_path / "leaky.ipynb",
        [
            'TEST_ID = ""',
            "import os\nimport ut_notebook as ut\nut.login()",
            'print("secret:", os.environ["UT_CLIENT_SECRET"])',
            "client = ut.current_client()\nclient",
            "df = ut.load_sessions(ut.pick_test_id(TEST_ID))\ndf.head()",
        ],
    )
    env = {
        "UT_CLIENT_ID": server.config.client_id,
        "UT_CLIENT_SECRET": secret,
        "UT_TOKEN_URL": server.token_url,
        "UT_API_URL": server.url,
        "UT_CACHE": "0",
    }
    out = ut.report(source, ut.demo.TESTS["survey"], tmp_path / "leaky.html", env=env)
    html = out.read_text(encoding="utf-8")
    tokens = list(server._tokens._grants)  # what the simulator issued to the kernel
    assert tokens, "the notebook never connected: nothing was tested"
    assert "sessionId" in html  # it loaded the sessions with that token
    assert secret not in html
    for token in tokens:
        assert token not in html
    assert "secret: ***" in html  # the printed secret was masked, the output kept
    assert WIDGET_VIEW not in html and WIDGET_STATE not in html


def test_the_test_id_goes_after_the_parameters_cell() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("import ut_notebook as ut"),
        nbformat.v4.new_code_cell('# the test\nTEST_ID = ""'),
        nbformat.v4.new_code_cell("ut.pick_test_id(TEST_ID)"),
    ]
    inject_test_id(nb, "abc'd")
    assert nb.cells[3].source == 'TEST_ID = "abc\'d"'
    assert nb.cells[3].metadata["tags"] == ["injected-parameters"]
    # A cell tagged "parameters" wins over one that merely assigns TEST_ID.
    nb.cells[1].metadata["tags"] = ["parameters"]
    inject_test_id(nb, "xyz")
    assert nb.cells[2].source == "TEST_ID = 'xyz'"


@pytest.mark.slow
def test_a_failing_cell_fails_the_report_and_writes_nothing(tmp_path: Path) -> None:
    source = notebook(tmp_path / "broken.ipynb", ["x = 1", "1 / 0"])
    with pytest.raises(ReportError, match="ZeroDivisionError"):
        ut.report(source, None, tmp_path / "broken.html")
    assert not (tmp_path / "broken.html").exists()


def command() -> list[str]:
    script = Path(sys.executable).with_name("ut-notebook")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ut_notebook.cli"]


@pytest.mark.slow
def test_the_report_command(tmp_path: Path) -> None:
    out = tmp_path / "overview.html"
    result = subprocess.run(
        [*command(), "report", str(QUICKSTART), "--test", "think_out_loud", "--demo", "-o", out],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout
    assert "without encryption" not in result.stderr  # the report's kernel is encrypted
    html = out.read_text(encoding="utf-8")
    assert "<title>01_quickstart — test think_out_loud</title>" in html
    ut.connect(demo=True)
    newest = ut.load_sessions(ut.demo.TESTS["think_out_loud"], progress=False)["sessionId"]
    assert newest.iloc[0] in html

    missing = subprocess.run(
        [*command(), "report", str(tmp_path / "nope.ipynb")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no such notebook" in missing.stderr
