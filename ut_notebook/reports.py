"""Shareable reports: a notebook run for one test, as one self-contained HTML file.

>>> import ut_notebook as ut
>>> ut.report("notebooks/02_sessions_overview.ipynb", test_id, "overview.html")  # doctest: +SKIP
PosixPath('overview.html')

or, from a terminal, ``ut-notebook report notebooks/02_sessions_overview.ipynb --test ID
-o overview.html`` (``--demo`` for the demo data).

How it works:

* **The test.** A cell ``TEST_ID = "<id>"`` (tagged ``injected-parameters``, as papermill
  does) is inserted after the notebook's parameters cell (the one tagged ``parameters``,
  else the first code cell that assigns ``TEST_ID``), and the kernel gets
  ``UT_TEST_ID`` too, so notebooks that call ``ut.pick_test_id`` without a ``TEST_ID``
  cell load the same test.
* **Execution.** nbclient runs a copy of the notebook in a fresh kernel in a temporary
  folder (files a notebook writes do not land beside the report), with
  ``PLOTLY_RENDERER=notebook``: each figure is then HTML with plotly.js embedded once, so
  the charts stay interactive offline (the default renderer only leaves a JSON mime type
  that nbconvert drops).
* **What a stakeholder sees.** nbconvert's HTML without code cells or prompts: markdown,
  tables, charts and printed text. Widgets (the login form, progress bars, the session
  viewer) are removed with their saved state: they cannot work without a kernel, and their
  state is nothing to share. So are the plain-text notes shown before the login form and
  the test picker for a saved notebook reopened without a kernel ("run this cell
  again": a report's reader has no kernel to run it in; :mod:`ut_notebook.ui.notes`).
  Error output makes the report fail instead.
* **No secrets.** The client secret and any value ``ut_notebook`` registered as secret in
  this process are replaced by ``***`` in the file, whatever a cell printed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .ui.notes import is_note

__all__ = ["ReportError", "report"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Environment variables whose values must never be in a report.
SECRET_VARIABLES = ("UT_CLIENT_SECRET", "CLIENT_SECRET")
DEFAULT_TIMEOUT = 900  # seconds per cell: a first load of details waits for the rate limit


class ReportError(Exception):
    """The notebook could not be run into a report (the message says which cell failed)."""


def _parameters_cell(cells: list[Any]) -> int | None:
    """Index of the cell to inject after: tagged ``parameters``, else assigns TEST_ID."""
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    for i, cell in code:
        if "parameters" in cell.metadata.get("tags", []):
            return i
    for i, cell in code:
        if any(line.lstrip().startswith("TEST_ID") for line in cell.source.splitlines()):
            return i
    return None


def inject_test_id(nb: Any, test_id: str) -> None:
    """Insert ``TEST_ID = "<test_id>"`` after the parameters cell (or first, if none).

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('TEST_ID = ""')])
    >>> inject_test_id(nb, "abc")
    >>> nb.cells[1].source
    "TEST_ID = 'abc'"
    """
    import nbformat

    cell = nbformat.v4.new_code_cell(f"TEST_ID = {test_id!r}")
    cell.metadata["tags"] = ["injected-parameters"]
    at = _parameters_cell(nb.cells)
    nb.cells.insert(0 if at is None else at + 1, cell)


def _strip_widgets(nb: Any) -> None:
    """Drop widget outputs, their notes, saved widget state and stderr (progress bars)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data or WIDGET_STATE in data:
                continue  # a widget without a kernel is a dead control: leave it out
            if is_note(output):
                continue  # "run this cell again": no reader of a report can
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue  # progress bars and warnings are for the analyst, not the reader
            kept.append(output)
        cell.outputs = kept


def _errors(nb: Any) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") == "error"
    ]


def _secrets(env: Mapping[str, str]) -> list[str]:
    from .errors import _SECRETS, _SECRETS_LOCK

    values = {env.get(name, "") for name in SECRET_VARIABLES}
    with _SECRETS_LOCK:
        values |= set(_SECRETS)
    # Short values would mask ordinary words (errors.register_secret has the same rule).
    return sorted((v for v in values if v and len(v) >= 6), key=len, reverse=True)


def report(
    notebook: str | os.PathLike[str],
    test_id: str | None = None,
    output: str | os.PathLike[str] | None = None,
    *,
    demo: bool = False,
    timeout: int = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    kernel_name: str = "python3",
) -> Path:
    """Run ``notebook`` for ``test_id`` and write a self-contained HTML report.

    Args:
        notebook: the ``.ipynb`` file (it is not changed).
        test_id: the test to report on (a demo name such as ``"interaction"`` works with
            the demo data); ``None`` leaves the notebook's own choice.
        output: the HTML file; default ``<notebook name>.html`` in the current folder.
        demo: run on the built-in demo data (``UT_DEMO=1``), no credentials needed.
        timeout: seconds allowed per cell.
        env: more environment variables for the kernel.

    Returns the path written. Raises :class:`ReportError` when a cell fails.

    >>> ut.report("notebooks/01_quickstart.ipynb", "interaction", "q.html",
    ...           demo=True)                                           # doctest: +SKIP
    PosixPath('q.html')
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(f"No notebook {source}")
    out = Path(output) if output is not None else Path.cwd() / f"{source.stem}.html"
    nb = nbformat.read(source, as_version=4)

    kernel_env = {**os.environ, **(env or {})}
    if test_id:
        inject_test_id(nb, test_id)
        kernel_env["UT_TEST_ID"] = test_id
    if demo:
        kernel_env["UT_DEMO"] = "1"
    # Plotly figures as HTML with plotly.js inside: interactive and offline.
    kernel_env["PLOTLY_RENDERER"] = "notebook"
    kernel_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugger noise on stderr

    with tempfile.TemporaryDirectory(prefix="ut-report-") as workdir:
        from jupyter_client.manager import AsyncKernelManager

        # CurveZMQ keys for the kernel (its kernelspec supports them): encrypted local
        # sockets, and no "running over TCP without encryption" warning in the terminal.
        km = AsyncKernelManager(kernel_name=kernel_name, transport_encryption="auto")
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            startup_timeout=120,
            kernel_name=kernel_name,
            resources={"metadata": {"path": workdir}},
        )
        try:
            client.execute(env=kernel_env)
        except CellExecutionError as err:
            raise ReportError(f"{source.name} failed for test {test_id}:\n{err}") from None
    if problems := _errors(nb):
        raise ReportError(f"{source.name} failed for test {test_id}: " + "; ".join(problems))
    _strip_widgets(nb)

    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    title = nb.metadata.get("title") or source.stem
    if test_id:
        title = f"{title} — test {test_id}"
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    for secret in _secrets(kernel_env):
        html = html.replace(secret, "***")
        # A secret may also sit JSON-escaped inside an output.
        html = html.replace(json.dumps(secret)[1:-1], "***")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
