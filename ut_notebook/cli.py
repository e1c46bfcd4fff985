"""The ``ut-notebook`` command. ``ut-notebook demo`` is the main job::

    ut-notebook demo                 # JupyterLab on the example notebooks, demo data
    ut-notebook demo --port 9000 --browser
    ut-notebook demo --notebooks ~/my-notebooks

It starts JupyterLab (installs nothing: ``make demo`` or ``pip install jupyterlab``
does that) on 127.0.0.1 with a random token, in demo mode (``UT_DEMO=1``: every
notebook connects to the built-in API simulator, no credentials needed), prints the
URL once the server answers, and stops the server and its kernels cleanly on Ctrl-C
(or SIGTERM).

Which notebooks: ``--notebooks DIR`` if given (served as they are); else, in a checkout
(``make demo``, ``pip install -e .``), a working copy of the repository's ``notebooks/``
in ``.demo/notebooks/`` (git-ignored), so outputs, autosaves and files a notebook writes
(``exports/``) never touch the tracked files; else the copies shipped inside the
package, copied on first run into ``~/ut-notebook/notebooks`` (existing files there are
never overwritten: they may hold your edits).

The working copy is refreshed at each start (:func:`sync_working_copy`): a notebook new in
``notebooks/`` is copied; one changed there replaces its copy only when you have not
edited the copy's cells (outputs do not count as edits: running a notebook is not
editing it). An edited copy is kept and the command says so; delete it to get the new
version.

JupyterLab runs without the "Jupyter news" pop-up (a private copy of the environment's
``share/jupyter/lab/settings`` with an ``overrides.json``) and its kernels talk to it
over CurveZMQ-encrypted sockets (``KernelManager.transport_encryption=auto``), so no
"Kernel is running over TCP without encryption" warning in the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
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
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._version import __version__

__all__ = ["find_notebooks", "main"]

QUICKSTART = "01_quickstart.ipynb"
# In a checkout, the demo serves this git-ignored copy of notebooks/ (see the docstring).
WORKING_COPY = Path(".demo") / "notebooks"
# What the working copy was made from: name -> hash of the cells' sources at copy time.
MANIFEST = ".ut-demo-sources.json"
PACKAGE_DIR = Path(__file__).resolve().parent
# Where a wheel carries the example notebooks (see the README); absent in a checkout.
PACKAGED_NOTEBOOKS = PACKAGE_DIR / "_notebooks"
DEFAULT_PORT = 8888
READY_TIMEOUT = 120.0  # seconds: a first JupyterLab start on a slow machine
STOP_TIMEOUT = 20.0


class CommandError(Exception):
    """A problem the user can fix: printed without a traceback, exit status 2."""


def _user_notebooks_dir() -> Path:
    return Path.home() / "ut-notebook" / "notebooks"


def find_notebooks(
    explicit: str | Path | None = None,
    *,
    package_dir: Path = PACKAGE_DIR,
    packaged: Path | None = None,
    user_dir: Path | None = None,
) -> tuple[Path, str]:
    """``(folder, how it was found)`` of the notebooks to serve; see the module docstring."""
    if explicit is not None:
        folder = Path(explicit).expanduser().resolve()
        if not folder.is_dir():
            raise CommandError(f"--notebooks {explicit}: no such folder.")
        return folder, "the folder you gave"
    checkout = package_dir.parent / "notebooks"
    if (checkout / QUICKSTART).is_file() and (package_dir.parent / "pyproject.toml").is_file():
        copy = package_dir.parent / WORKING_COPY
        notes = sync_working_copy(checkout, copy)
        for note in notes:
            print(f"ut-notebook demo: {note}", file=sys.stderr)
        return copy, "a working copy of the repository's notebooks/"
    packaged = packaged if packaged is not None else package_dir / "_notebooks"
    shipped = sorted(packaged.glob("*.ipynb")) if packaged.is_dir() else []
    if shipped:
        target = user_dir if user_dir is not None else _user_notebooks_dir()
        target.mkdir(parents=True, exist_ok=True)
        copied = 0
        for source in shipped:
            if not (target / source.name).exists():  # never overwrite the user's edits
                shutil.copy2(source, target / source.name)
                copied += 1
        how = f"copied {copied} example notebook(s) there" if copied else "your copies"
        return target, how
    raise CommandError(
        "Cannot find the example notebooks: this installation has none and this is not a "
        "checkout of the ut-notebook repository. Run it from a checkout (make demo), or "
        "pass --notebooks DIR with your own notebooks."
    )


def _cell_sources(path: Path) -> str:
    """A hash of a notebook's cell types and sources: what a person edits (not outputs)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ""  # unreadable: treat as edited, never overwrite it
    text = json.dumps(
        [
            [c.get("cell_type"), "".join(c.get("source", "")) if isinstance(c, dict) else ""]
            for c in cells
            if isinstance(c, dict)
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def sync_working_copy(source: Path, copy: Path) -> list[str]:
    """Refresh ``copy`` from the notebooks in ``source``; return notes for the user.

    A notebook missing from ``copy`` is copied. One whose cells changed in ``source``
    since it was copied replaces the copy only if the copy's cells are still those it
    was copied with (outputs and execution counts do not count: running a notebook is
    not editing it); an edited copy is kept, with a note. The hashes of what was copied
    are kept in ``copy/.ut-demo-sources.json``.

    >>> sync_working_copy(Path("notebooks"), Path(".demo/notebooks"))   # doctest: +SKIP
    []
    """
    copy.mkdir(parents=True, exist_ok=True)
    manifest_path = copy / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    notes = []
    for original in sorted(source.glob("*.ipynb")):
        target = copy / original.name
        if target.exists():
            example, mine = _cell_sources(original), _cell_sources(target)
            made_from = manifest.get(original.name)
            if example == mine:
                manifest[original.name] = example  # the same cells: nothing to refresh
                continue
            if example == made_from:
                continue  # the example did not change since it was copied (maybe you did)
            if mine != made_from:
                notes.append(
                    f"kept your edited {target} although notebooks/{original.name} changed; "
                    "delete the copy to get the new version."
                )
                continue
        shutil.copy2(original, target)
        manifest[original.name] = _cell_sources(target)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return notes


# plugin -> settings that the demo's JupyterLab starts with (as an overrides.json)
LAB_OVERRIDES: dict[str, dict[str, Any]] = {
    # No "Would you like to get notified about official Jupyter news?" toast.
    "@jupyterlab/apputils-extension:notification": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


def lab_settings_dir(into: Path) -> Path:
    """A copy of the environment's JupyterLab app settings, plus :data:`LAB_OVERRIDES`.

    ``--LabApp.app_settings_dir`` then points at it: the environment itself is not
    changed, and whatever it already configures (page_config.json, overrides) is kept.

    >>> lab_settings_dir(Path(tempfile.mkdtemp()))                      # doctest: +SKIP
    """
    original = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    target = into / "lab-settings"
    if original.is_dir():
        shutil.copytree(original, target, dirs_exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    overrides_path = target / "overrides.json"
    try:
        overrides = json.loads(overrides_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        overrides = {}
    for plugin, values in LAB_OVERRIDES.items():
        overrides.setdefault(plugin, {}).update(values)
    overrides_path.write_text(json.dumps(overrides, indent=2), encoding="utf-8")
    return target


def _free_port(preferred: int | None) -> int:
    """``preferred`` if it is free on 127.0.0.1, else any free port."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise CommandError("No free TCP port on 127.0.0.1.")  # pragma: no cover


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _jupyter_command(port: int, root: Path, settings: Path | None = None) -> list[str]:
    if importlib.util.find_spec("jupyterlab") is None:
        raise CommandError(
            "JupyterLab is not installed in this environment "
            f"({sys.executable}). Install it with:  pip install 'jupyterlab>=4.2'  "
            "(make demo does this for you)."
        )
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",  # we open it ourselves once it answers (--browser)
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",  # a busy port is an error, not a silent move
        f"--ServerApp.root_dir={root}",
        # Our banner has the URL; warnings and errors still show.
        "--log-level=WARN",
        "--LabApp.log_level=WARN",
        # Kernels get CurveZMQ keys from the server (their kernelspec says they can):
        # encrypted sockets, and no "running over TCP without encryption" warning.
        "--KernelManager.transport_encryption=auto",
    ]
    if settings is not None:
        cmd.append(f"--LabApp.app_settings_dir={settings}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root
    return cmd


def _wait_ready(proc: subprocess.Popen[Any], base: str, token: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(
        f"{base}/api/status", headers={"Authorization": f"token {token}"}
    )
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(
                f"JupyterLab stopped (exit status {proc.returncode}) before it was ready; "
                "its messages are above. Is the port in use? Try --port."
            )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise CommandError(f"JupyterLab did not answer within {timeout:.0f} s.")


def _stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM (JupyterLab then shuts its kernels down), then SIGKILL the whole group."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError, AttributeError):
            os.killpg(proc.pid, signal.SIGKILL)  # the server and any kernel left
        proc.kill()
        proc.wait()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# The demo server's config. Voila's server extension, imported while the server starts,
# turns on every DeprecationWarning raised from traitlets for the whole process
# (voila/__init__.py): "ServerApp.token config is deprecated" (jupyter_server's own
# default, though the token is given as IdentityProvider.token), "Keyword `trait` is
# deprecated"... -- notes for the authors of Jupyter extensions, noise in a user's
# terminal. A PYTHONWARNINGS filter does not hold against it; importing Voila first and
# filtering after puts ours in front (Python's default: such warnings not shown).
_DEMO_CONFIG = """\
import warnings

try:
    import voila  # noqa: F401
except ImportError:
    pass
warnings.filterwarnings("ignore", category=DeprecationWarning, module="traitlets")
c.IdentityProvider.token = {token}
"""


def demo(port: int | None, browser: bool, notebooks: str | None) -> int:
    folder, how = find_notebooks(notebooks)
    if port is not None and not _port_is_free(port):
        raise CommandError(f"Port {port} on 127.0.0.1 is in use: choose another with --port.")
    port = port if port is not None else _free_port(DEFAULT_PORT)
    state = Path(tempfile.mkdtemp(prefix="ut-notebook-demo-"))
    cmd = _jupyter_command(port, folder, lab_settings_dir(state))
    token = secrets.token_hex(24)
    # The token goes through a private config file, not the command line (visible in `ps`).
    config = state / "jupyter_server_config.py"
    config.write_text(_DEMO_CONFIG.format(token=json.dumps(token)), encoding="utf-8")
    config.chmod(0o600)
    cmd.append(f"--config={config}")
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    env["UT_DEMO"] = "1"
    base = f"http://127.0.0.1:{port}"
    start = QUICKSTART if (folder / QUICKSTART).is_file() else ""
    url = f"{base}/lab/tree/{start}?token={token}" if start else f"{base}/lab?token={token}"
    print(f"ut-notebook {__version__}: starting JupyterLab on {folder} ({how})…", flush=True)

    return _serve(
        cmd,
        env=env,
        cwd=folder,
        state=state,
        ready=lambda proc: _wait_ready(proc, base, token, READY_TIMEOUT),
        banner=(
            "\nJupyterLab is running on the demo data (UT_DEMO=1: no credentials needed).\n"
            f"  Open:  {url}\n"
            f"  Notebooks: {folder}\n"
            "  Stop:  Ctrl-C\n"
        ),
        url=url if browser else None,
        name="JupyterLab",
    )


def _serve(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    state: Path,
    ready: Callable[[subprocess.Popen[Any]], None],
    banner: str,
    url: str | None,
    name: str,
) -> int:
    """Run a server until it stops or we are stopped (Ctrl-C, SIGTERM), then stop it and
    its kernels and remove ``state`` (its private config). ``url``: open it when ready."""
    popen_kw: dict[str, Any] = {"start_new_session": True}  # Ctrl-C reaches us, not it
    if os.name == "nt":  # pragma: no cover
        popen_kw = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    # A shell starting us in the background (`make demo &`) leaves SIGINT ignored;
    # "Stop: Ctrl-C" (or kill -INT) must still stop us.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, **popen_kw)
    try:
        ready(proc)
        print(banner, flush=True)
        if url:
            webbrowser.open(url)
        status = proc.wait()
        print(f"{name} stopped (exit status {status}).", file=sys.stderr)
        return status or 1  # it should only stop when we stop it
    except KeyboardInterrupt:
        print(f"\nStopping {name}…", flush=True)
        _stop(proc)
        print("Stopped.", flush=True)
        return 0
    finally:
        _stop(proc)
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        shutil.rmtree(state, ignore_errors=True)


def report_command(notebook: str, test: str | None, output: str | None, demo_data: bool) -> int:
    """``ut-notebook report``: run a notebook for a test into one HTML file (ut.report)."""
    from .reports import ReportError, report

    if not Path(notebook).is_file():
        raise CommandError(f"{notebook}: no such notebook.")
    print(f"ut-notebook report: running {notebook} for test {test or '(its own)'}…", flush=True)
    try:
        path = report(notebook, test, output, demo=demo_data)
    except ReportError as err:
        raise CommandError(str(err)) from None
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB): open it in any browser, offline.")
    return 0


DASHBOARD = "dashboard.ipynb"


def _voila_ready(proc: subprocess.Popen[Any], base: str, timeout: float) -> None:
    # Voila has no /api/status, and every GET of / runs the notebook: poll a static file.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(
                f"Voila stopped (exit status {proc.returncode}) before it was ready; "
                "its messages are above. Is the port in use? Try --port."
            )
        try:
            with urllib.request.urlopen(f"{base}/voila/static/voila.js", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise CommandError(f"Voila did not answer within {timeout:.0f} s.")


def dashboard_command(
    port: int | None, browser: bool, notebook: str | None, demo_data: bool | None
) -> int:
    """``ut-notebook dashboard``: the dashboard notebook served by Voila, without code.

    Demo data unless credentials are configured (``--demo`` / ``--no-demo`` decide).
    Voila listens on 127.0.0.1 with a random token, given in a private config file.
    """
    if importlib.util.find_spec("voila") is None:
        raise CommandError(
            "Voila is not installed in this environment "
            f"({sys.executable}). Install it with:  pip install 'ut-notebook[dashboard]'"
        )
    if notebook is not None:
        path = Path(notebook).expanduser().resolve()
        if not path.is_file():
            raise CommandError(f"{notebook}: no such notebook.")
    else:
        folder, _how = find_notebooks(None)
        path = folder / DASHBOARD
        if not path.is_file():
            raise CommandError(f"No {DASHBOARD} in {folder}: pass --notebook FILE.")
    if demo_data is None:
        from .api.settings import load_settings

        demo_data = not load_settings().client_id  # no credentials: show the demo data
    if port is not None and not _port_is_free(port):
        raise CommandError(f"Port {port} on 127.0.0.1 is in use: choose another with --port.")
    port = port if port is not None else _free_port(DEFAULT_PORT + 1)
    token = secrets.token_hex(24)
    state = Path(tempfile.mkdtemp(prefix="ut-notebook-dashboard-"))
    # Voila reads voila.json from the Jupyter config path: the token stays out of `ps`,
    # and kernels get CurveZMQ keys (no "running over TCP without encryption" warning).
    config = {"Voila": {"token": token}, "KernelManager": {"transport_encryption": "auto"}}
    (state / "voila.json").write_text(json.dumps(config), encoding="utf-8")
    (state / "voila.json").chmod(0o600)
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(state), env.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    if demo_data:
        env["UT_DEMO"] = "1"
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(path),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
    ]
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/?token={token}"
    data = "the demo data (UT_DEMO=1: no credentials needed)" if demo_data else "your tests"
    print(f"ut-notebook {__version__}: starting the dashboard ({path.name}) on {data}…")
    return _serve(
        cmd,
        env=env,
        cwd=path.parent,
        state=state,
        ready=lambda proc: _voila_ready(proc, base, READY_TIMEOUT),
        banner=f"\nThe dashboard is running.\n  Open:  {url}\n  Stop:  Ctrl-C\n",
        url=url if browser else None,
        name="Voila",
    )


def _add_dashboard_parser(commands: Any) -> None:
    run = commands.add_parser(
        "dashboard",
        help="a code-free dashboard (Voila): pick a test, see its charts",
        description=(
            "Serve notebooks/dashboard.ipynb with Voila on 127.0.0.1 with a random token: "
            "a page without code with a test picker, the session charts and the charts "
            "of a sample's answers, redrawn when another test is picked. Ctrl-C stops it."
        ),
    )
    run.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    run.add_argument(
        "--browser",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="open a web browser on the URL (default: --no-browser)",
    )
    run.add_argument("--notebook", metavar="FILE", default=None, help="serve another notebook")
    run.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the built-in demo data (default: when no credentials are configured)",
    )


def _add_report_parser(commands: Any) -> None:
    run = commands.add_parser(
        "report",
        help="run a notebook for a test into one self-contained HTML file",
        description=(
            "Run NOTEBOOK for the test --test in a fresh kernel and write one HTML file "
            "without code: markdown, tables, interactive charts (plotly.js inside, so it "
            "opens offline). No widget, secret or token is kept in it."
        ),
    )
    run.add_argument("notebook", metavar="NOTEBOOK", help="the .ipynb file to run")
    run.add_argument("--test", metavar="ID", default=None, help="the test id (or demo name)")
    run.add_argument(
        "-o", "--output", metavar="FILE", default=None, help="the HTML file (default: NAME.html)"
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="use the built-in demo data (UT_DEMO=1), no credentials needed",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ut-notebook",
        description="UserTesting results in Jupyter: pandas DataFrames and plotly charts.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "demo",
        help="JupyterLab on the example notebooks with the built-in demo data",
        description=(
            "Start JupyterLab on the example notebooks in demo mode (UT_DEMO=1: the "
            "built-in API simulator, no credentials), on 127.0.0.1 with a random token. "
            "Prints the URL; Ctrl-C stops it."
        ),
    )
    run.add_argument(
        "--port", type=int, default=None, help=f"port (default: {DEFAULT_PORT}, or a free one)"
    )
    run.add_argument(
        "--browser",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="open a web browser on the URL (default: --no-browser)",
    )
    run.add_argument(
        "--notebooks",
        metavar="DIR",
        default=None,
        help="serve the notebooks in DIR (default: the example notebooks)",
    )
    from .store.cli import add_parser as add_sync

    add_sync(commands)
    _add_report_parser(commands)
    _add_dashboard_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "sync":
        from .store.cli import run as run_sync

        return run_sync(args)
    if args.command == "report":
        try:
            return report_command(args.notebook, args.test, args.output, args.demo)
        except CommandError as err:
            print(f"ut-notebook report: {err}", file=sys.stderr)
            return 2
    if args.command == "dashboard":
        if args.port is not None and not 1 <= args.port <= 65535:
            parser.error(f"--port must be between 1 and 65535, not {args.port}")
        try:
            return dashboard_command(args.port, args.browser, args.notebook, args.demo)
        except CommandError as err:
            print(f"ut-notebook dashboard: {err}", file=sys.stderr)
            return 2
    if args.command != "demo":
        parser.print_help()
        return 2
    if args.port is not None and not 1 <= args.port <= 65535:
        parser.error(f"--port must be between 1 and 65535, not {args.port}")
    try:
        return demo(args.port, args.browser, args.notebooks)
    except CommandError as err:
        print(f"ut-notebook demo: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
