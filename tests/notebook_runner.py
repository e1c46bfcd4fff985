"""Run notebooks top to bottom with nbclient and check what they produced.

Used by tests/test_notebooks.py (in-process) and tests/test_binder.py (as a script,
inside the Binder-like environment)::

    python tests/notebook_runner.py notebooks/ [--cwd DIR]

The kernel is ``python3`` of the Python running this (ipykernel's own spec), started
with this process's environment (plus ``env``), in ``cwd``. Exits non-zero and prints
the failing cell when a notebook fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
FIGURES_WIDGET = "ut_notebook.ui.figures.Figures"  # its _anywidget_id (module.class)


def notebooks_in(folder: str | Path) -> list[Path]:
    """Every notebook of ``folder`` (checkpoints excluded), sorted by name."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def run_notebook(
    path: str | Path,
    *,
    cwd: str | Path,
    env: Mapping[str, str] | None = None,
    timeout: int = 180,
) -> Any:
    """Execute ``path`` (a copy: the file is not changed) and return the executed notebook.

    Raises nbclient's ``CellExecutionError`` when a cell fails.
    """
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    kernel_env = {**os.environ, **(env or {})}
    # The kernel's debugger warns on stderr about frozen modules; not our business.
    kernel_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    client = NotebookClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute(env=kernel_env)
    return nb


def outputs(nb: Any) -> Iterable[Any]:
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", [])


def widget_figures(nb: Any) -> list[dict[str, Any]]:
    """The plotly figures drawn by ``Figures`` widgets (the dashboard's charts), from the
    saved widget state (nbclient saves it). Each as ``{"data": [...], "layout": {...}}``."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    found = []
    for model in state.get("state", {}).values():
        values = model.get("state", {})
        if values.get("_anywidget_id") == FIGURES_WIDGET:
            for section in values.get("sections", []):
                found.extend(section.get("figures", []))
    return found


def mime_types(nb: Any) -> set[str]:
    return {mime for out in outputs(nb) for mime in out.get("data", {})}


def problems(nb: Any) -> list[str]:
    """What is wrong with an executed notebook: errors, stderr output, no plotly figure."""
    found = []
    for out in outputs(nb):
        if out.output_type == "error":
            found.append(f"error output: {out.ename}: {out.evalue}")
        elif out.output_type == "stream" and out.name == "stderr":
            found.append(f"stderr output: {out.text[:500]}")
    if PLOTLY_MIME not in mime_types(nb) and not widget_figures(nb):
        found.append(f"no plotly figure ({PLOTLY_MIME}) in the outputs")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="notebooks, or folders of notebooks")
    parser.add_argument("--cwd", help="the kernels' working folder (default: a temp folder)")
    parser.add_argument("--timeout", type=int, default=180, help="seconds per cell")
    args = parser.parse_args(argv)
    paths: list[Path] = []
    for name in args.paths:
        p = Path(name)
        paths.extend(notebooks_in(p) if p.is_dir() else [p])
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="nb-run-") as tmp:
        cwd = args.cwd or tmp
        for path in paths:
            started = time.monotonic()
            try:
                nb = run_notebook(path, cwd=cwd, timeout=args.timeout)
            except Exception as exc:  # CellExecutionError, kernel death, timeout
                failed += 1
                print(f"FAIL {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            wrong = problems(nb)
            took = time.monotonic() - started
            if wrong:
                failed += 1
                print(f"FAIL {path} ({took:.1f}s): " + "; ".join(wrong), file=sys.stderr)
            else:
                print(f"ok   {path} ({took:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
