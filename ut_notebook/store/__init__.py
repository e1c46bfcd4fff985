"""The research store: a DuckDB file kept in sync with the API, for work across tests.

At 10 requests per minute the API, not compute, is the limit; so the data of many tests
is fetched once, incrementally, into one embedded analytical database (one file, SQL,
Parquet export any warehouse reads), and analyses read it from there.

* :func:`sync` -- bring the store up to date (``ut-notebook sync`` from cron);
* :func:`open_store` -- a DuckDB connection (read-only by default);
* :func:`read_store` -- one table as a typed DataFrame;
* :func:`export_parquet` -- every table as Parquet, partitioned by ``testId``;
* :func:`benchmark` -- one row per test with QXscore, completion, time on task and NPS.

DuckDB is optional: ``pip install 'ut-notebook[store]'``. See docs/STORE.md.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                              # doctest: +SKIP
>>> ut.sync(db="research.duckdb", tests=[ut.demo.TESTS["survey"]])    # doctest: +SKIP
>>> ut.read_store("tasks", db="research.duckdb")                      # doctest: +SKIP
"""

from __future__ import annotations

from .db import default_store_path, open_store, read_store
from .export import export_parquet
from .metrics import METRICS, benchmark
from .schema import DATA_TABLES, TABLES
from .sync import WHAT, SyncResult, sync

__all__ = [
    "DATA_TABLES",
    "METRICS",
    "TABLES",
    "WHAT",
    "SyncResult",
    "benchmark",
    "default_store_path",
    "export_parquet",
    "open_store",
    "read_store",
    "sync",
]
