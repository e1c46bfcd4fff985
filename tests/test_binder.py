"""Binder: the closest check of binder/ without Docker (repo2docker is not available).

A fresh virtual environment (no system site-packages) gets only what binder/ asks for:
``pip install -r binder/requirements.txt``, then ``binder/postBuild`` run from a copy
of the repository (as repo2docker does from the repo root). Every notebook then runs
through ``binder/start``, so demo mode comes from that script alone, with a kernel of
that environment. pip uses its local cache, so a second run is quick.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

_SKIP = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "artifacts", "*.egg-info",
    "build", "dist", ".ipynb_checkpoints", "benchmarks",
)  # fmt: skip


def run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
        f"{result.stderr[-3000:]}"
    )
    return result.stdout


def test_binder_files_are_there_and_executable() -> None:
    for name in ("requirements.txt", "postBuild", "start"):
        assert (BINDER / name).is_file(), name
    for name in ("postBuild", "start"):
        assert os.access(BINDER / name, os.X_OK), f"binder/{name} must be executable"
        assert (BINDER / name).read_text().startswith("#!/bin/bash")
    start = (BINDER / "start").read_text()
    assert "UT_DEMO" in start and 'exec "$@"' in start


def test_notebooks_run_in_an_environment_built_only_from_binder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=_SKIP)  # like a fresh clone: nothing built, no venv
    env_dir = tmp_path / "binder-env"
    venv.EnvBuilder(with_pip=True, system_site_packages=False, clear=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = str(bin_dir / "python")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UT_", "CLIENT_", "VIRTUAL_ENV", "PYTHON", "JUPYTER", "PIP_"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(env_dir),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_PROGRESS_BAR="off",
        HOME=env.get("HOME", str(tmp_path)),  # pip's cache (~/.cache/pip) makes reruns fast
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        IPYTHONDIR=str(tmp_path / "ipython"),
    )

    run(
        [python, "-m", "pip", "install", "-q", "-r", str(repo / "binder" / "requirements.txt")],
        cwd=repo,
        env=env,
        timeout=900,
    )
    run(["bash", str(repo / "binder" / "postBuild")], cwd=repo, env=env, timeout=600)

    # The package comes from the environment, not from the copy of the repository.
    where = run(
        [
            python,
            "-c",
            "import ut_notebook, plotly, ipywidgets, voila, nbconvert, nbclient, openpyxl; "
            "print(ut_notebook.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert Path(where.strip()).is_relative_to(env_dir)
    overrides = env_dir / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert '"fetchNews": "false"' in overrides.read_text()

    # binder/start alone switches demo mode on; the runner starts kernels of this env.
    assert (
        "UT_DEMO=1"
        in run([str(repo / "binder" / "start"), "env"], cwd=repo, env=env, timeout=30).splitlines()
    )
    out = run(
        [
            str(repo / "binder" / "start"),
            python,
            str(repo / "tests" / "notebook_runner.py"),
            str(repo / "notebooks"),
        ],
        cwd=repo,
        env=env,
        timeout=600,
    )
    ran = [line for line in out.splitlines() if line.startswith("ok ")]
    assert len(ran) == len(list((repo / "notebooks").glob("*.ipynb"))) >= 2, out
    # The dashboard ran too (Voila serves it there: /voila/render/notebooks/dashboard.ipynb).
    assert any("dashboard.ipynb" in line for line in ran), out
