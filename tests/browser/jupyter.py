"""Run notebooks in a real JupyterLab, driven by headless Chromium through Playwright.

Reusable by every browser test. The usual shape::

    from tests.browser.jupyter import (
        chromium_page, jupyter_lab, open_and_run, save_notebook, write_notebook,
    )

    def test_something(tmp_path):
        write_notebook(tmp_path / "demo.ipynb", ["import ut_notebook as ut", "ut.login()"])
        with jupyter_lab(tmp_path, env={"UT_DEMO": "1"}) as lab, chromium_page() as page:
            open_and_run(page, lab.url("demo.ipynb"))
            page.locator(".widget-html-content", has_text="Connected").wait_for()
            save_notebook(page, tmp_path / "demo.ipynb")

What each piece does:

``jupyter_lab(root_dir, env=None)`` (context manager -> :class:`JupyterLab`)
    Starts ``python -m jupyter lab`` from the test's own Python on 127.0.0.1, a free
    port (``--ServerApp.port_retries=0``: a busy port fails instead of moving), a random
    token (``--IdentityProvider.token``) and ``--allow-root`` (CI runs as root).
    Everything Jupyter writes goes to a temporary folder: ``JUPYTER_CONFIG_DIR``,
    ``JUPYTER_RUNTIME_DIR``, ``IPYTHONDIR``, the workspaces and the user settings, so no
    tab layout, kernel or setting carries over between runs or into ``~/.jupyter``.
    The settings (:data:`LAB_SETTINGS`) silence the news/update toast, keep every cell in
    the page (``windowingMode: none``: long notebooks keep their widgets and charts
    rendered), turn autosave off (tests save explicitly) and turn on "Save Jupyter
    widget state in notebooks", so a saved file holds what a user's file would.
    The kernel inherits ``env`` on top of the test's environment without any ``UT_*`` /
    ``CLIENT_*`` variable. Ready when ``GET /api/status`` answers; on exit every kernel
    is shut down, then the server (``POST /api/shutdown``), then the process group is
    killed if it is still there. ``lab.url("x.ipynb")`` is the page to open;
    ``lab.log_path`` the server's log (shown in errors).

``chromium_page()`` (context manager -> Playwright ``Page``)
    Debian's ``/usr/bin/chromium`` (Playwright's own browser download cannot work here),
    headless, with :data:`CHROMIUM_ARGS`. Skips the test when Chromium is missing, fails
    instead when ``CI`` is set. Actions wait up to 120 s and ``expect()`` up to 60 s
    (a 2-core machine running other tests is slow). ``console_messages(page)`` lists
    what the page logged.

``open_and_run(page, url)``
    ``open_notebook`` (load the page, wait for the notebook *and* a started kernel: the
    execution indicator idle *and* the toolbar's kernel name no longer "No Kernel" --
    idle alone is reported before the kernel exists, and Run All then does nothing),
    then ``run_all`` (menu Run > Run All Cells; works again for a second run: it waits
    for execution counts above the previous ones), raising with the error text if a
    cell failed.

``save_notebook(page, path)``
    Ctrl+S from command mode, then waits until the file on disk changed.

``write_notebook(path, cells)``
    A throwaway notebook from code strings (Python 3 kernel).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "LAB_SETTINGS",
    "JupyterLab",
    "chromium_page",
    "console_messages",
    "jupyter_lab",
    "open_and_run",
    "open_notebook",
    "require_chromium",
    "run_all",
    "save_notebook",
    "wait_kernel_ready",
    "write_notebook",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# plugin id -> settings, written as the lab's user settings in its private config folder.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
}
# Removed from the kernel's environment: credentials must come from the test alone.
_PRIVATE_PREFIXES = ("UT_", "CLIENT_ID", "CLIENT_SECRET")

START_TIMEOUT = 120.0  # seconds: server start on a busy 2-core machine
PAGE_TIMEOUT = 120_000  # milliseconds: page load, kernel start, one Run All
EXPECT_TIMEOUT = 60_000  # milliseconds: Playwright's expect() (its default 5 s is too short)


# -- the server ---------------------------------------------------------------------------


@dataclass
class JupyterLab:
    """A running JupyterLab started by :func:`jupyter_lab`."""

    base_url: str
    token: str
    root_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def url(self, path: str, app: str = "lab/tree") -> str:
        """The page of ``path`` (relative to ``root_dir``), token included."""
        return f"{self.base_url}/{app}/{path.lstrip('/')}?token={self.token}"

    def api(self, method: str, path: str, timeout: float = 30.0) -> Any:
        """Call the server's REST API; returns the decoded JSON body (or ``None``)."""
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method in ("POST", "PUT", "PATCH") else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


# The traitlets class of each app, for its workspace and settings folders.
_APP_CLASS = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        package, _, name = plugin.partition(":")
        path = settings_dir / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))


def _lab_environment(home: Path, env: Mapping[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
    base.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
    )
    # The kernel must import this checkout's ut_notebook even without an editable install.
    repo = str(Path(__file__).resolve().parents[2])
    base["PYTHONPATH"] = os.pathsep.join(p for p in (repo, base.get("PYTHONPATH", "")) if p)
    base.update(env or {})
    return base


def _wait_ready(lab: JupyterLab, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if lab.process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {lab.process.returncode} before it was ready:\n"
                + lab.log_tail()
            )
        try:
            lab.api("GET", "/api/status", timeout=5)
            return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"JupyterLab not ready after {timeout:.0f}s:\n" + lab.log_tail())
        time.sleep(0.25)


def _stop(lab: JupyterLab) -> None:
    process = lab.process
    if process.poll() is None:
        # Kernels run in their own process groups: ask the server to end them first.
        with contextlib.suppress(Exception):
            for kernel in lab.api("GET", "/api/kernels", timeout=10) or []:
                with contextlib.suppress(Exception):
                    lab.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
        with contextlib.suppress(Exception):
            lab.api("POST", "/api/shutdown", timeout=10)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # The group we created with start_new_session (the server and helpers).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@contextlib.contextmanager
def jupyter_lab(
    root_dir: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT,
    extra_args: Sequence[str] = (),
    app: str = "lab",
) -> Iterator[JupyterLab]:
    """Start JupyterLab on ``root_dir`` (see the module docstring); stop it on exit.

    ``app="notebook"`` starts Jupyter Notebook 7 instead (pages at ``/notebooks/NAME``)."""
    root = Path(root_dir).resolve()
    home = Path(tempfile.mkdtemp(prefix="ut-lab-"))
    try:
        for sub in ("config", "runtime", "ipython", "workspaces", "settings"):
            (home / sub).mkdir()
        _write_settings(home / "settings")
        lab_env = _lab_environment(home, env)
        token = secrets.token_hex(16)
        attempts = 3  # a free port can be taken between the check and the bind
        for attempt in range(1, attempts + 1):
            port = _free_port()
            log_path = home / f"lab-{attempt}.log"
            cmd = [
                sys.executable,
                "-m",
                "jupyter",
                app,
                "--allow-root",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                f"--{_APP_CLASS[app]}.workspaces_dir={home / 'workspaces'}",
                f"--{_APP_CLASS[app]}.user_settings_dir={home / 'settings'}",
                *extra_args,
            ]
            with open(log_path, "wb") as log:
                process = subprocess.Popen(
                    cmd,
                    cwd=root,
                    env=lab_env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            lab = JupyterLab(f"http://127.0.0.1:{port}", token, root, log_path, process)
            try:
                _wait_ready(lab, timeout)
                break
            except RuntimeError:
                _stop(lab)
                busy = "address already in use" in lab.log_tail(200).lower()
                if not busy or attempt == attempts:
                    raise
        try:
            yield lab
        finally:
            _stop(lab)
    finally:
        shutil.rmtree(home, ignore_errors=True)


# -- the browser --------------------------------------------------------------------------


def require_chromium() -> None:
    """Skip (fail when ``CI`` is set) unless Debian's Chromium and Playwright are here."""
    problems = []
    if not os.access(CHROMIUM, os.X_OK):
        problems.append(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`, "
            "or `make test`, which does it)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package is missing: pip install -e '.[test]'")
    if problems:
        message = "browser tests need a browser: " + "; ".join(problems)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


_CONSOLE: dict[int, list[str]] = {}


def console_messages(page: Any) -> list[str]:
    """What the page logged to the console (``type: text``), oldest first."""
    return list(_CONSOLE.get(id(page), []))


@contextlib.contextmanager
def explain_failure(page: Any, server: Any, screenshot: str | os.PathLike[str]) -> Iterator[None]:
    """On a failure inside: a full-page screenshot, the page's last console lines and
    the server's log tail (``server.log_tail()``), then the failure itself."""
    try:
        yield
    except Exception:
        page.screenshot(path=str(screenshot), full_page=True)
        print("\n".join(console_messages(page)[-30:]))
        print(server.log_tail())
        raise


@contextlib.contextmanager
def chromium_page(
    *, width: int = 1280, height: int = 900, timeout_ms: float = PAGE_TIMEOUT
) -> Iterator[Any]:
    """A fresh headless Chromium page (see the module docstring)."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        log: list[str] = []
        page = None
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(timeout_ms)
            _CONSOLE[id(page)] = log
            page.on("console", lambda msg: log.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda err: log.append(f"pageerror: {err}"))
            yield page
        finally:
            if page is not None:
                _CONSOLE.pop(id(page), None)
            browser.close()


# -- notebooks ----------------------------------------------------------------------------

_KERNEL_READY_JS = """() => {
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const name = document.querySelector('.jp-Toolbar-kernelName');
    if (!indicator || !name) return false;
    const label = name.textContent.trim();
    return indicator.getAttribute('data-status') === 'idle'
        && label !== '' && !/no kernel/i.test(label);
}"""

_PROMPTS_JS = """() => Array.from(
    document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')
).map(p => p.textContent.trim())"""

_RUN_STATE_JS = """(previous) => {
    const prompts = Array.from(
        document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')
    ).map(p => p.textContent.trim());
    const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
    const errors = Array.from(document.querySelectorAll('.jp-Notebook ' + stderr))
        .filter(e => /Traceback|Error/.test(e.textContent));
    if (errors.length) return {error: errors.map(e => e.textContent).join('\\n---\\n')};
    const counts = prompts.map(p => {
        const m = /^\\[(\\d+)\\]/.exec(p);
        return m ? +m[1] : null;
    });
    const done = counts.length > 0 && counts.every(n => n !== null && n > previous);
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const idle = indicator && indicator.getAttribute('data-status') === 'idle';
    return done && idle ? {done: true} : false;
}"""


def wait_kernel_ready(page: Any, timeout_ms: float = PAGE_TIMEOUT) -> None:
    """Wait until the notebook's kernel is started *and* idle (see the module docstring)."""
    page.wait_for_function(_KERNEL_READY_JS, timeout=timeout_ms)


def open_notebook(page: Any, url: str, timeout_ms: float = PAGE_TIMEOUT) -> None:
    """Load a notebook page and wait for its kernel."""
    page.goto(url, timeout=timeout_ms)
    page.locator(".jp-Notebook").first.wait_for(timeout=timeout_ms)
    wait_kernel_ready(page, timeout_ms)


def _execution_counts(page: Any) -> list[int]:
    counts = []
    for prompt in page.evaluate(_PROMPTS_JS):
        digits = prompt.strip("[]: ")
        if digits.isdigit():
            counts.append(int(digits))
    return counts


def run_all(page: Any, timeout_ms: float = PAGE_TIMEOUT) -> None:
    """Run > Run All Cells, and wait until every code cell ran (again) and the kernel idles.

    Raises ``AssertionError`` with the traceback text if a cell failed.
    """
    previous = max(_execution_counts(page), default=0)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    state = page.wait_for_function(_RUN_STATE_JS, arg=previous, timeout=timeout_ms).json_value()
    if "error" in state:
        raise AssertionError("a notebook cell failed:\n" + state["error"])


def open_and_run(page: Any, url: str, timeout_ms: float = PAGE_TIMEOUT) -> None:
    """Open the notebook at ``url``, wait for its kernel, run all cells, wait for the end."""
    open_notebook(page, url, timeout_ms)
    run_all(page, timeout_ms)


def save_notebook(page: Any, path: str | os.PathLike[str], timeout: float = 60.0) -> None:
    """Save with Ctrl+S from command mode and wait until ``path`` changed on disk."""
    path = Path(path)
    before = path.stat().st_mtime_ns if path.exists() else 0
    # Widget inputs keep key presses to themselves: select a cell (command mode) first.
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_mtime_ns != before):
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was not saved within {timeout:.0f}s")
        time.sleep(0.1)
    # The server writes in one go, but give a just-renamed file a moment to settle.
    time.sleep(0.2)


def write_notebook(path: str | os.PathLike[str], cells: Sequence[str]) -> Path:
    """Write a notebook of code cells (Python 3 kernel) and return its path."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = Path(path)
    nbformat.write(nb, path)
    return path
