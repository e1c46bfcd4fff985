"""``ut-notebook demo``: JupyterLab on the example notebooks, in demo mode, stopped cleanly.

The command runs as a real subprocess (the console script ``make demo`` runs); the test
reads the URL it prints, asks the Jupyter contents API for the quickstart notebook with
the token, then presses Ctrl-C (SIGINT) and checks that the server is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ut_notebook import cli

ROOT = Path(__file__).resolve().parent.parent
URL = re.compile(r"Open:\s+(http://127\.0\.0\.1:(\d+)/lab(?:/tree/(\S*))?\?token=([0-9a-f]+))")


def command() -> list[str]:
    script = Path(sys.executable).with_name("ut-notebook")
    if script.is_file():
        return [str(script)]  # what `make demo` runs
    return [sys.executable, "-m", "ut_notebook.cli"]  # pragma: no cover


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolated_env(tmp: Path) -> dict[str, str]:
    """Keep the test's JupyterLab out of ~/.jupyter (settings, workspaces, runtime files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UT_", "JUPYTER"))}
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        (tmp / name).mkdir()
        env[name] = str(tmp / name)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Demo:
    """The running command: its output lines, its URL, and a way to press Ctrl-C."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        subcommand: str = "demo",
        *,
        background_job: bool = False,
    ) -> None:
        # A shell's background job (`make demo &`) starts with SIGINT ignored.
        def ignore_sigint() -> None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

        self.proc = subprocess.Popen(
            [*command(), subcommand, *args],
            preexec_fn=ignore_sigint if background_job else None,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # so kill() can end the server's whole group
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if match := pattern.search(line):
                return match
        raise AssertionError("no URL printed; output:\n" + "".join(self.lines))

    def output(self) -> str:
        while True:
            try:
                line = self._queue.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return "".join(self.lines)

    def kill(self) -> None:
        """Stop the command if a test left it running (a failed assertion): Ctrl-C first,
        so it stops its server (which runs in a process group of its own), then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def get(url: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, None


def send(url: str, token: str, method: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, None


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_demo_serves_the_quickstart_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    demo = Demo(["--port", str(port)], cwd=tmp_path, env=isolated_env(tmp_path))
    try:
        _url, printed_port, start, token = demo.wait_for(URL, timeout=120).groups()
        assert int(printed_port) == port and start == "01_quickstart.ipynb"
        assert len(token) >= 32

        status, model = get(f"http://127.0.0.1:{port}/api/contents/{start}", token)
        assert status == 200
        assert model["type"] == "notebook" and model["name"] == "01_quickstart.ipynb"
        assert any("ut.login()" in "".join(c["source"]) for c in model["content"]["cells"])
        status, listing = get(f"http://127.0.0.1:{port}/api/contents?content=1", token)
        names = {item["name"] for item in listing["content"]}
        assert {"01_quickstart.ipynb", "02_sessions_overview.ipynb"} <= names
        # The token is required: without it the server refuses.
        assert get(f"http://127.0.0.1:{port}/api/contents/{start}", "wrong")[0] == 403
        assert "running on the demo data (UT_DEMO=1" in "".join(demo.lines)

        # It serves the git-ignored working copy, not the tracked notebooks.
        served = ROOT / ".demo" / "notebooks"
        assert f"starting JupyterLab on {served} " in "".join(demo.lines)
        tracked = (ROOT / "notebooks" / start).read_bytes()
        model["content"]["cells"][0]["source"] = "# saved by the demo test"
        status, _ = send(f"http://127.0.0.1:{port}/api/contents/{start}", token, "PUT", model)
        assert status == 200
        assert "saved by the demo test" in (served / start).read_text()
        assert (ROOT / "notebooks" / start).read_bytes() == tracked
        (served / start).unlink()  # the next start copies the example again

        # A kernel starts without the "running over TCP without encryption" warning.
        status, kernel = send(
            f"http://127.0.0.1:{port}/api/kernels", token, "POST", {"name": "python3"}
        )
        assert status == 201
        first = kernel["last_activity"]
        deadline = time.monotonic() + 90  # a hang guard: the kernel's first message
        while (
            get(f"http://127.0.0.1:{port}/api/kernels/{kernel['id']}", token)[1]["last_activity"]
            == first
        ):
            assert time.monotonic() < deadline, "the kernel never started"
            time.sleep(0.5)

        demo.proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.proc.wait(timeout=40) == 0
        output = demo.output()
        assert "Stopping JupyterLab" in output and "Stopped." in output
        assert "Traceback" not in output
        assert "without encryption" not in output
        assert "Warning" not in output, output  # e.g. ServerApp.token's DeprecationWarning
        assert not port_open(port)
    finally:
        demo.kill()


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT to a background job"])
def test_demo_serves_another_folder_and_stops_on_sigterm(tmp_path: Path, stop: str) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "hello.ipynb").write_text((ROOT / "notebooks" / "01_quickstart.ipynb").read_text())
    port = free_port()
    demo = Demo(
        ["--port", str(port), "--notebooks", str(mine), "--no-browser"],
        cwd=tmp_path,
        env=isolated_env(tmp_path),
        background_job=stop != "SIGTERM",
    )
    try:
        _, _, start, token = demo.wait_for(URL, timeout=120).groups()
        assert start is None  # no quickstart in that folder: the URL opens JupyterLab itself
        status, model = get(f"http://127.0.0.1:{port}/api/contents/hello.ipynb", token)
        assert status == 200 and model["type"] == "notebook"
        demo.proc.send_signal(signal.SIGTERM if stop == "SIGTERM" else signal.SIGINT)
        assert demo.proc.wait(timeout=40) == 0
        assert not port_open(port)
    finally:
        demo.kill()


def test_a_busy_port_or_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*command(), "demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    result = subprocess.run(
        [*command(), "demo", "--notebooks", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "no such folder" in result.stderr


def test_help_names_the_options() -> None:
    result = subprocess.run(
        [*command(), "demo", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for option in ("--port", "--no-browser", "--notebooks"):
        assert option in result.stdout


def fake_checkout(tmp_path: Path) -> Path:
    """A checkout's layout: pyproject.toml, ut_notebook/ and notebooks/ (two examples)."""
    repo = tmp_path / "repo"
    (repo / "ut_notebook").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    (repo / "pyproject.toml").write_text("")
    for name in ("01_quickstart.ipynb", "02_sessions_overview.ipynb"):
        shutil.copy2(ROOT / "notebooks" / name, repo / "notebooks" / name)
    return repo


def set_cell(path: Path, index: int, source: str, outputs: list[Any] | None = None) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][index]["source"] = source
    if outputs is not None:
        nb["cells"][index]["outputs"] = outputs
    path.write_text(json.dumps(nb))


def test_a_checkout_serves_a_working_copy_of_its_notebooks(tmp_path: Path) -> None:
    repo = fake_checkout(tmp_path)
    folder, how = cli.find_notebooks(package_dir=repo / "ut_notebook")
    assert folder == repo / ".demo" / "notebooks" and "working copy" in how
    names = sorted(p.name for p in folder.glob("*.ipynb"))
    assert names == ["01_quickstart.ipynb", "02_sessions_overview.ipynb"]
    for name in names:
        assert (folder / name).read_bytes() == (repo / "notebooks" / name).read_bytes()


def test_the_working_copy_is_refreshed_unless_you_edited_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = fake_checkout(tmp_path)
    examples, copy = repo / "notebooks", repo / ".demo" / "notebooks"
    assert cli.sync_working_copy(examples, copy) == []
    quick, overview = "01_quickstart.ipynb", "02_sessions_overview.ipynb"

    # Running a copy (outputs, counts) is not editing it: a changed example replaces it.
    ran = json.loads((copy / quick).read_text())
    code = next(i for i, c in enumerate(ran["cells"]) if c["cell_type"] == "code")
    output = {"output_type": "stream", "name": "stdout", "text": "ran"}
    set_cell(copy / quick, code, "".join(ran["cells"][code]["source"]), [output])
    set_cell(examples / quick, 0, "# Quickstart, new version")
    # An edited copy is kept when its example changes, and the user is told.
    set_cell(copy / overview, 0, "# my own notes")
    set_cell(examples / overview, 0, "# Overview, new version")

    notes = cli.sync_working_copy(examples, copy)
    assert (copy / quick).read_bytes() == (examples / quick).read_bytes()
    assert "my own notes" in (copy / overview).read_text()
    assert len(notes) == 1 and overview in notes[0] and "delete the copy" in notes[0]

    # Once the edited copy is deleted, the next start brings the new example.
    (copy / overview).unlink()
    assert cli.sync_working_copy(examples, copy) == []
    assert (copy / overview).read_bytes() == (examples / overview).read_bytes()
    # A notebook the user only edited (example unchanged) stays as it is, without a note.
    set_cell(copy / quick, 0, "# mine again")
    assert cli.sync_working_copy(examples, copy) == []
    assert "mine again" in (copy / quick).read_text()

    # find_notebooks prints the note where the demo's terminal shows it.
    set_cell(examples / quick, 0, "# Quickstart, third version")
    cli.find_notebooks(package_dir=repo / "ut_notebook")
    assert "kept your edited" in capsys.readouterr().err


def test_lab_settings_keep_the_environment_s_and_switch_the_news_off(tmp_path: Path) -> None:
    settings = cli.lab_settings_dir(tmp_path)
    overrides = json.loads((settings / "overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"checkForUpdates": False, "fetchNews": "false"}
    own = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    if own.is_dir():  # whatever the environment configures is still there
        assert {p.name for p in own.iterdir()} <= {p.name for p in settings.iterdir()}
    command = cli._jupyter_command(8888, tmp_path, settings)
    assert f"--LabApp.app_settings_dir={settings}" in command
    assert "--KernelManager.transport_encryption=auto" in command


def test_notebooks_shipped_in_a_package_are_copied_once_and_never_overwritten(
    tmp_path: Path,
) -> None:
    installed = tmp_path / "site-packages" / "ut_notebook"  # no checkout around it
    shipped = installed / "_notebooks"
    shipped.mkdir(parents=True)
    examples = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb in examples:
        (shipped / nb.name).write_bytes(nb.read_bytes())
    home = tmp_path / "home" / "ut-notebook" / "notebooks"

    folder, how = cli.find_notebooks(package_dir=installed, user_dir=home)
    assert folder == home and how == f"copied {len(examples)} example notebook(s) there"
    assert (home / "01_quickstart.ipynb").read_bytes() == (
        shipped / "01_quickstart.ipynb"
    ).read_bytes()

    (home / "01_quickstart.ipynb").write_text("my edits")
    folder, how = cli.find_notebooks(package_dir=installed, user_dir=home)
    assert how == "your copies" and (home / "01_quickstart.ipynb").read_text() == "my edits"

    with pytest.raises(cli.CommandError, match="Cannot find the example notebooks"):
        cli.find_notebooks(package_dir=tmp_path / "bare" / "ut_notebook", user_dir=home)
