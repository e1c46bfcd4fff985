"""Parquet export of the store: every table, partitioned by ``testId``.

Hive-style folders (``tasks/testId=<uuid>/data_0.parquet``) are what DuckDB, Spark,
BigQuery external tables and ``pandas.read_parquet`` read as one table with a
``testId`` column. Durations are written as seconds (``<name>_seconds``, DOUBLE):
Parquet's INTERVAL type is not read by Spark or BigQuery.

>>> export_parquet("exports/", db="research.duckdb")                  # doctest: +SKIP
{'tests': PosixPath('exports/tests'), ...}
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from ..errors import UTError
from .db import connect, store_path
from .schema import DATA_TABLES, TABLES

__all__ = ["export_parquet"]


def _quoted(path: Path) -> str:
    return "'" + path.as_posix().replace("'", "''") + "'"


def _select(name: str) -> str:
    columns = []
    for column, dtype in TABLES[name].columns.items():
        if dtype == "timedelta64[ns]":
            columns.append(f'epoch("{column}") AS "{column}_seconds"')
        else:
            columns.append(f'"{column}"')
    return f"SELECT {', '.join(columns)} FROM {name}"


def _single(name: str, folder: Path) -> str:
    """COPY of a whole table into one file of ``folder``."""
    return f"COPY ({_select(name)}) TO {_quoted(folder / 'data_0.parquet')} (FORMAT parquet)"


def export_parquet(
    folder: str | os.PathLike[str], *, db: str | os.PathLike[str] | None = None
) -> dict[str, Path]:
    """Write every table of the store into ``folder/<table>/``, Parquet partitioned by
    ``testId`` (``sync_runs``, which is not per test, as one file). A table's folder is
    replaced as a whole, so an export never mixes old and new files.

    Returns the folders by table name.

    >>> ut.export_parquet("exports/")                                     # doctest: +SKIP
    >>> pd.read_parquet("exports/tasks")                                  # doctest: +SKIP
    """
    out = Path(folder).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    with contextlib.closing(connect(store_path(db), read_only=True)) as con:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for name in DATA_TABLES:
            if name not in present:
                continue
            target = out / name
            staging = out / f".{name}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            if name == "sync_runs":
                staging.mkdir()
                sql = _single(name, staging)
            else:
                sql = (
                    f"COPY ({_select(name)}) TO {_quoted(staging)} "
                    "(FORMAT parquet, PARTITION_BY (testId))"
                )
            try:
                con.execute(sql)
            except Exception as exc:  # duckdb's IO errors: a full disk, no permission
                shutil.rmtree(staging, ignore_errors=True)
                raise UTError(f"Could not write {target}: {exc}") from None
            if not any(staging.iterdir()):  # an empty table: a file with its columns
                con.execute(_single(name, staging))
            # Swap in the new folder only once it is complete.
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
            paths[name] = target
    return paths
