"""The ``ut-notebook`` command. ``ut-notebook demo`` is the main job::

    ut-notebook demo                 # JupyterLab on the example notebooks, demo data
    ut-notebook demo --port 9000 --browser
    ut-notebook demo --notebooks ~/my-notebooks

It starts JupyterLab (installs nothing: ``make demo`` or ``pip install jupyterlab``
does that) on 127.0.0.1 with a random token, in demo mode (``UT_DEMO=1``: every
notebook connects to the built-in API simulator, no credentials needed), prints the
URL once the server answers, and stops the server and its kernels cleanly on Ctrl-C
(or SIGTERM).

Which notebooks: ``--notebooks DIR`` if given; else the repository's ``notebooks/``
when running from a checkout (``make demo``, ``pip install -e .``); else the copies
shipped inside the package, copied on first run into ``~/ut-notebook/notebooks``
(existing files there are never overwritten: they may hold your edits).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._version import __version__

__all__ = ["find_notebooks", "main"]

QUICKSTART = "01_quickstart.ipynb"
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
        return checkout, "the repository checkout"
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


def _jupyter_command(port: int, root: Path) -> list[str]:
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
    ]
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


def demo(port: int | None, browser: bool, notebooks: str | None) -> int:
    folder, how = find_notebooks(notebooks)
    if port is not None and not _port_is_free(port):
        raise CommandError(f"Port {port} on 127.0.0.1 is in use: choose another with --port.")
    port = port if port is not None else _free_port(DEFAULT_PORT)
    cmd = _jupyter_command(port, folder)
    token = secrets.token_hex(24)
    # The token goes through the environment, not the command line (visible in `ps`).
    env = {**os.environ, "UT_DEMO": "1", "JUPYTER_TOKEN": token}
    base = f"http://127.0.0.1:{port}"
    start = QUICKSTART if (folder / QUICKSTART).is_file() else ""
    url = f"{base}/lab/tree/{start}?token={token}" if start else f"{base}/lab?token={token}"
    print(f"ut-notebook {__version__}: starting JupyterLab on {folder} ({how})…", flush=True)

    popen_kw: dict[str, Any] = {"start_new_session": True}  # Ctrl-C reaches us, not it
    if os.name == "nt":  # pragma: no cover
        popen_kw = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    proc = subprocess.Popen(cmd, env=env, cwd=folder, stdin=subprocess.DEVNULL, **popen_kw)
    try:
        _wait_ready(proc, base, token, READY_TIMEOUT)
        print(
            "\nJupyterLab is running on the demo data (UT_DEMO=1: no credentials needed).\n"
            f"  Open:  {url}\n"
            f"  Notebooks: {folder}\n"
            "  Stop:  Ctrl-C\n",
            flush=True,
        )
        if browser:
            webbrowser.open(url)
        status = proc.wait()
        print(f"JupyterLab stopped (exit status {status}).", file=sys.stderr)
        return status or 1  # it should only stop when we stop it
    except KeyboardInterrupt:
        print("\nStopping JupyterLab…", flush=True)
        _stop(proc)
        print("Stopped.", flush=True)
        return 0
    finally:
        _stop(proc)
        signal.signal(signal.SIGTERM, previous)


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "sync":
        from .store.cli import run as run_sync

        return run_sync(args)
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
