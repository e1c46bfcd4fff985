"""``import ut_notebook`` stays light: the heavy front-end libraries load on first use.

Wall-clock import time is measured by ``benchmarks/import_time.py`` (docs/benchmarks.md),
not asserted here: a shared CI machine makes any time bound flaky. What is asserted is
the cause of the cost: which modules a fresh ``import ut_notebook`` drags in.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ut_notebook as ut
from ut_notebook import errors

REPO = Path(__file__).resolve().parents[1]

# Heavy, and needed only for widgets, progress bars and charts.
FRONT_END = ("ipywidgets", "IPython", "tqdm", "plotly")


def loaded_after(code: str, cwd: Path) -> set[str]:
    """Top-level packages in ``sys.modules`` after running ``code`` in a fresh process."""
    script = (
        "import sys, json\n"
        f"{code}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,  # an empty folder: no .env file to connect with
        check=False,
        # No UT_* variables and no notebook: the package as a fresh `python` sees it.
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_import_loads_no_front_end_library(tmp_path: Path) -> None:
    loaded = loaded_after("import ut_notebook", tmp_path)
    assert "ut_notebook" in loaded
    assert not loaded & set(FRONT_END), sorted(loaded & set(FRONT_END))


def test_import_does_not_load_the_http_stack(tmp_path: Path) -> None:
    # requests alone costs about 1.2x pandas' import time (docs/benchmarks.md), more than
    # the whole budget of 1.15x: it loads with the first name that talks to the API.
    loaded = loaded_after("import ut_notebook", tmp_path)
    assert "requests" not in loaded


def test_the_check_itself_sees_a_front_end_import(tmp_path: Path) -> None:
    # The probe must be able to fail: building the login form does load ipywidgets.
    loaded = loaded_after("import ut_notebook as ut\nut.CredentialsWidget", tmp_path)
    assert {"ipywidgets", "traitlets"} <= loaded
    assert "plotly" in loaded_after("import ut_notebook as ut\nut.charts", tmp_path)


def test_login_outside_a_kernel_loads_no_widgets(tmp_path: Path) -> None:
    loaded = loaded_after(
        "import ut_notebook as ut\n"
        "try:\n"
        "    ut.login()\n"  # no kernel, no terminal: raises NotConnectedError
        "except ut.NotConnectedError:\n"
        "    pass\n",
        tmp_path,
    )
    assert not loaded & {"ipywidgets", "IPython", "plotly"}


@pytest.mark.parametrize("name", ut.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(ut, name) is not None
    assert name in dir(ut)


def test_lazy_table_matches_all() -> None:
    eager = {"__version__", *(set(vars(errors)) & set(ut.__all__))}
    lazy = set(ut._LAZY)
    assert lazy | eager == set(ut.__all__)
    assert lazy <= set(ut.__all__)  # nothing lazily importable that is not public


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        ut.no_such_name  # noqa: B018
    from ut_notebook import load_sessions  # a lazy name through `from ... import`

    assert load_sessions is ut.load_sessions
