"""The example notebooks: committed clean, and each runs top to bottom on the demo data.

Each notebook is executed with nbclient in a kernel of this test environment, with
``UT_DEMO=1`` and a temporary working folder (no ``.env`` found, nothing written into
the repo), exactly as a visitor on Binder would run it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from notebook_runner import (
    PLOTLY_MIME,
    WIDGET_MIME,
    notebooks_in,
    problems,
    run_notebook,
    widget_figures,
)

from ut_notebook.ui.login.widget import NOTE as LOGIN_NOTE
from ut_notebook.ui.notes import is_note

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = notebooks_in(ROOT / "notebooks")
IDS = [p.name for p in NOTEBOOKS]


def test_the_example_notebooks_are_there() -> None:
    assert {
        "01_quickstart.ipynb",
        "02_sessions_overview.ipynb",
        "06_findings.ipynb",
        "07_across_tests.ipynb",
    } <= set(IDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs_counts_or_widget_state(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    assert "widgets" not in raw["metadata"], "strip metadata.widgets (saved widget state)"
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"outputs in {cell['source'][:60]!r}"
            assert cell["execution_count"] is None
        assert "execution" not in cell.get("metadata", {})
    assert raw["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_first_code_cell_is_the_marked_test_id(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "TEST_ID = " in first.source and "UT_TEST_ID" in first.source
    # ... and the picker, started on it, is what the loads read.
    picker = next(c for c in nb.cells if "ut.choose_test(TEST_ID" in c.source)
    later = "".join(c.source for c in nb.cells[nb.cells.index(picker) + 1 :])
    # (the dashboard hands the picker itself over: it redraws when the value changes)
    assert "test.value" in later or "dashboard(test)" in later


def _text(out: Any) -> str:
    return str(out.get("data", {}).get("text/plain", "")) + str(out.get("text", ""))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_runs_top_to_bottom_on_the_demo_data(path: Path, tmp_path: Path) -> None:
    nb = run_notebook(path, cwd=tmp_path, env={"UT_DEMO": "1"})
    assert problems(nb) == []
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    figures = [o for c in code for o in c.outputs if PLOTLY_MIME in o.get("data", {})]
    if path.name == "dashboard.ipynb":
        figures = _dashboard_figures(nb, code)
    assert figures, "no plotly figure"
    for figure in figures:
        spec = figure["data"][PLOTLY_MIME]
        assert spec["data"], "an empty figure: the demo test should have sessions"
        assert spec["layout"]["title"]["text"]
    # ut.login() drew the form, connected to the demo data by itself.
    login = next(c for c in code if "ut.login()" in c.source)
    assert any(WIDGET_MIME in o.get("data", {}) for o in login.outputs)
    assert "connected" in " ".join(_text(o) for o in login.outputs).lower()
    # ... just after a plain line, marked as a note (reports drop it), for a saved notebook
    # reopened without a kernel: it says to run the cell again.
    kinds = [(is_note(o), WIDGET_MIME in o.get("data", {})) for o in login.outputs]
    assert kinds == [(True, False), (False, True)]
    assert _text(login.outputs[0]) == LOGIN_NOTE and "run this cell again" in LOGIN_NOTE
    # ut.choose_test() drew the picker, after a plain line for when it cannot be drawn.
    picker = next(c for c in code if "ut.choose_test(" in c.source)
    kinds = [(is_note(o), WIDGET_MIME in o.get("data", {})) for o in picker.outputs]
    assert kinds == [(True, False), (False, True)]
    assert "run this cell again" in _text(picker.outputs[0])
    if path.name == "06_findings.ipynb":
        _check_findings(code)


def _dashboard_figures(nb: Any, code: list[Any]) -> list[Any]:
    """The dashboard draws its charts with a Figures widget: they are in widget state."""
    shown = next(c for c in code if "dashboard(test)" in c.source)
    assert any(WIDGET_MIME in o.get("data", {}) for o in shown.outputs)
    figures = widget_figures(nb)
    titles = [str(f["layout"].get("title", {}).get("text", "")) for f in figures]
    assert len(figures) >= 5, titles  # 3 session charts, at least 2 of the answers
    assert any("Sessions completed per day" in t for t in titles)
    assert any("Time on task" in t for t in titles)
    assert all(f["data"] for f in figures)
    return [{"data": {PLOTLY_MIME: f}} for f in figures]  # shaped as cell outputs


def _check_findings(code: list[Any]) -> None:
    """06: the viewer opened at the hardest task, verbatims, and the report's tables."""
    viewer = next(c for c in code if "ut.show_session(" in c.source)
    shown = [o for o in viewer.outputs if WIDGET_MIME in o.get("data", {})]
    assert shown and "SessionViewer(" in _text(shown[0])
    assert "video=yes" in _text(shown[0])  # the demo session has a video
    where = next(c for c in code if "viewer.current_time" in c.source)
    assert float(_text(where.outputs[0]).split(" s into")[0]) > 0  # at the task, not 0
    kwic = next(c for c in code if "ut.kwic(" in c.source)
    uses = int(_text(kwic.outputs[0]).split(" uses")[0])
    assert uses > 0
    table = next(c for c in code if "Completion (95% CI)" in c.source)
    html = " ".join(str(o.get("data", {}).get("text/html", "")) for o in table.outputs)
    for column in ("Completion (95% CI)", "Time on task (95% CI)", "NPS (95% CI)"):
        assert column in html
    assert "%)" in html  # a completion rate with its interval
    for name in ("ut.stats.compare(", "ut.stats.crosstab("):
        cell = next(c for c in code if name in c.source)
        assert cell.outputs and "p = " in " ".join(_text(o) for o in cell.outputs)


def test_pick_test_id_uses_a_demo_test_in_demo_mode(client: Any) -> None:
    import ut_notebook as ut
    from ut_notebook.ui.lab import pick_test_id

    demo = ut.connect(demo=True)
    assert pick_test_id("") == ut.demo.TESTS["survey"]
    assert pick_test_id("interaction") == ut.demo.TESTS["interaction"]
    assert pick_test_id(ut.demo.TESTS["empty"].upper()) == ut.demo.TESTS["empty"].upper()
    assert pick_test_id("", demo="think_out_loud") == ut.demo.TESTS["think_out_loud"]
    # an id of another server means nothing to the simulator: the demo test is used
    assert pick_test_id("3fa85f64-5717-4562-b3fc-2c963f66afa6") == ut.demo.TESTS["survey"]
    with pytest.raises(ValueError, match="Unknown demo test 'nope'"):
        pick_test_id("", demo="nope")
    assert demo.demo


def test_pick_test_id_otherwise_reads_the_cell_then_the_environment_then_dotenv(
    client: Any, server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import ut_notebook
    from tests.conftest import connect_to
    from ut_notebook.ui.lab import pick_test_id

    assert not client.demo  # connected to a simulator as if it were the real API
    assert pick_test_id(" abc ") == "abc"
    with pytest.raises(ValueError, match="paste your test's id into TEST_ID"):
        pick_test_id("")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("UT_TEST_ID=from-dotenv\n")
    # Settings are read once per connect: a client keeps what it was connected with.
    with pytest.raises(ValueError):
        pick_test_id("")
    connect_to(server)
    assert pick_test_id("") == "from-dotenv"
    monkeypatch.setenv("UT_TEST_ID", "from-env")
    connect_to(server)
    assert pick_test_id("") == "from-env"
    assert pick_test_id("from-cell") == "from-cell"
    ut_notebook.disconnect()  # not connected: read now
    monkeypatch.setenv("UT_TEST_ID", "read-now")
    assert pick_test_id("") == "read-now"
