"""Import time of ``ut_notebook`` relative to ``pandas``, each in a fresh process.

``import ut_notebook`` always pays for pandas (its results are DataFrames), so the fair
yardstick is pandas itself: this runs ``--runs`` fresh interpreters for each of
``import pandas`` and ``import pandas; import ut_notebook``, alternating them so that
both see the same machine load, and prints the ratio of the two medians. The target
is at most 1.15 (see docs/benchmarks.md).

    python -m benchmarks.import_time                 # 15 runs of each
    python -m benchmarks.import_time --runs 31 --json

Each timing is taken *inside* the child (``perf_counter`` around the import), so the
interpreter's own start-up, which both commands share, does not dilute the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

__all__ = ["CASES", "main", "measure"]

REPO = Path(__file__).resolve().parents[1]

# The child prints the seconds its imports took; nothing else is timed.
_TEMPLATE = "import time; t = time.perf_counter(); {imports}; print(time.perf_counter() - t)"

CASES = {
    "pandas": "import pandas",
    "ut_notebook": "import pandas; import ut_notebook",
    # Not part of the ratio: how much of ut_notebook's extra cost is requests (imported
    # by ut_notebook.api), which the package needs for every call to the API.
    "requests": "import pandas; import requests",
    # Not part of the ratio: what the first call to the API adds (requests, api/,
    # loaders/), which `import ut_notebook` defers rather than saves.
    "first_use": "import pandas; import ut_notebook; ut_notebook.load_sessions",
}


def _time_once(imports: str, env: dict[str, str], root: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TEMPLATE.format(imports=imports)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=root,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(runs: int = 15, warmup: int = 2, root: Path = REPO) -> dict[str, object]:
    """Median import seconds of each case and their ratio.

    >>> figures = measure(runs=3)                                  # doctest: +SKIP
    >>> figures["ratio"] < 1.15                                    # doctest: +SKIP
    True
    """
    env = dict(os.environ)
    # This checkout's package, not whichever one the venv has installed.
    env["PYTHONPATH"] = str(root)
    env.pop("PYTHONSTARTUP", None)
    for _ in range(warmup):  # fill the OS file cache so run 1 is not an outlier
        for imports in CASES.values():
            _time_once(imports, env, root)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, imports in CASES.items():  # side by side: same load for both
            samples[name].append(_time_once(imports, env, root))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "runs": runs,
        "median_seconds": medians,
        "ratio": medians["ut_notebook"] / medians["pandas"],
        "requests_ratio": medians["requests"] / medians["pandas"],
        "first_use_ratio": medians["first_use"] / medians["pandas"],
        "samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per case")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--root", type=Path, default=REPO, help="folder holding the ut_notebook to time"
    )
    args = parser.parse_args(argv)
    figures = measure(args.runs, root=args.root.resolve())
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    medians = figures["median_seconds"]
    assert isinstance(medians, dict)
    print(f"runs per case: {args.runs} (alternating, fresh interpreters), {args.root}")
    for name, seconds in medians.items():
        print(f"  {name:<12} median {seconds * 1000:7.1f} ms   {CASES[name]}")
    print(f"ratio ut_notebook / pandas: {figures['ratio']:.3f}  (target <= 1.15)")
    print(f"reference: pandas + requests / pandas:  {figures['requests_ratio']:.3f}")
    print(f"reference: + first API name / pandas:   {figures['first_use_ratio']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
