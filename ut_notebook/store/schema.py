"""The store's tables: their columns (the loaders' schemas plus ``testId``), primary keys,
DuckDB types, and the conversions between DuckDB rows and typed pandas frames.

Each table declares its columns once, as the loaders do (column → pandas dtype); the
DuckDB DDL, the frame written and the frame read back are derived from that, so a
``read_store("tasks")`` frame has the dtypes of ``load_session_details(...).tasks``.

>>> TABLES["tasks"].key
('testId', 'sessionId', 'position')
>>> ddl("qx_scores").splitlines()[0]
'CREATE TABLE IF NOT EXISTS qx_scores ('
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..frames import DURATION, UTC_DATETIME, typed_frame
from ..loaders.catalog import TESTS_SCHEMA
from ..loaders.details import (
    DEMOGRAPHICS_SCHEMA,
    PARTICIPANT_SCHEMA,
    TASK_GROUP_SCHEMA,
    TASK_SCHEMA,
)
from ..loaders.qxscores import QX_SCHEMA
from ..loaders.sessions import SESSION_SCHEMA
from ..loaders.transcripts import TRANSCRIPTS_SCHEMA

__all__ = ["DATA_TABLES", "TABLES", "Table", "ddl", "from_db", "to_db"]

try:  # the clips loader arrives with another branch; until then its columns are known here
    from ..loaders.clips import CLIPS_SCHEMA  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on which branches are merged
    CLIPS_SCHEMA = {
        "sessionId": "string",
        "clipId": "string",
        "name": "string",
        "description": "string",
        "start": DURATION,
        "end": DURATION,
        "duration": DURATION,
        "videoUuid": "string",
        "hasAudio": "boolean",
        "hasCamera": "boolean",
        "mainStream": "category",
        "pipPosition": "category",
        "pipState": "category",
    }

# pandas dtype -> DuckDB type. Lists and objects ("object") are stored as JSON text:
# every warehouse reads a string, not every one reads a nested Parquet type the same way.
_SQL = {
    "string": "VARCHAR",
    "category": "VARCHAR",
    "object": "VARCHAR",
    "Int64": "BIGINT",
    "Float64": "DOUBLE",
    "float64": "DOUBLE",
    "boolean": "BOOLEAN",
    UTC_DATETIME: "TIMESTAMPTZ",
    DURATION: "INTERVAL",
}


@dataclass(frozen=True)
class Table:
    """One table: name, columns (name → pandas dtype) and primary key."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    doc: str


def _with_test(schema: dict[str, str], **extra: str) -> dict[str, str]:
    return {"testId": "string", **schema, **extra}


_SESSIONS = _with_test(SESSION_SCHEMA, duration=DURATION)
_TESTS = {"testId": "string", **{k: v for k, v in TESTS_SCHEMA.items() if k != "testId"}}

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("tests", _TESTS, ("testId",), "one row per test: list_tests()"),
        Table("sessions", _SESSIONS, ("testId", "sessionId"), "load_sessions()"),
        Table(
            "participants",
            _with_test(PARTICIPANT_SCHEMA),
            ("testId", "sessionId"),
            "details.participants without the wide demographic columns (see demographics)",
        ),
        # seq: the row's order within its session -- demographics and cues have no id of
        # their own that is always present, and a primary key needs one.
        Table(
            "demographics",
            _with_test(DEMOGRAPHICS_SCHEMA, seq="Int64"),
            ("testId", "sessionId", "seq"),
            "details.demographics",
        ),
        Table(
            "tasks", _with_test(TASK_SCHEMA), ("testId", "sessionId", "position"), "details.tasks"
        ),
        Table(
            "task_groups",
            _with_test(TASK_GROUP_SCHEMA),
            ("testId", "sessionId", "position"),
            "details.task_groups",
        ),
        Table("qx_scores", _with_test(QX_SCHEMA), ("testId", "taskGroupId"), "load_qx_scores()"),
        Table(
            "transcript_cues",
            _with_test(TRANSCRIPTS_SCHEMA, seq="Int64"),
            ("testId", "sessionId", "seq"),
            "load_transcripts()",
        ),
        Table("clips", _with_test(CLIPS_SCHEMA), ("testId", "sessionId", "clipId"), "load_clips()"),
        Table(
            "sync_runs",
            {
                "runId": "Int64",
                "started": UTC_DATETIME,
                "finished": UTC_DATETIME,
                "status": "string",  # running / ok / budget / errors / interrupted / failed
                "what": "string",
                "tests": "Int64",
                "requests": "Int64",
                "fetched": "Int64",  # session answers fetched (details, transcripts, clips)
                "errors": "string",
            },
            ("runId",),
            "one row per sync: when, what, how many requests, errors",
        ),
        # Bookkeeping: which answer of which session was stored, at which session status.
        # sessionId '' is a per-test item (qx_scores); status is then a fingerprint.
        Table(
            "sync_state",
            {
                "testId": "string",
                "sessionId": "string",
                "what": "string",
                "status": "string",
                "synced": UTC_DATETIME,
            },
            ("testId", "sessionId", "what"),
            "what the sync has stored (so that a next run fetches only what changed)",
        ),
        Table(
            "store_meta",
            {"key": "string", "value": "string"},
            ("key",),
            "which API and client id hash the store was synced from (never a secret)",
        ),
    )
}

# The tables a user reads (the others are the sync's own).
DATA_TABLES = (
    "tests",
    "sessions",
    "participants",
    "demographics",
    "tasks",
    "task_groups",
    "qx_scores",
    "transcript_cues",
    "clips",
    "sync_runs",
)


def ddl(name: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for table ``name``, with its primary key."""
    table = TABLES[name]
    columns = ",\n".join(f'    "{c}" {_SQL[t]}' for c, t in table.columns.items())
    key = ", ".join(f'"{c}"' for c in table.key)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n{columns},\n    PRIMARY KEY ({key})\n)"


def _json(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def to_db(name: str, frame: pd.DataFrame, test_id: str | None = None) -> pd.DataFrame:
    """``frame`` with exactly table ``name``'s columns, ready for DuckDB: ``testId`` set
    (when given), categories as text, lists and objects as JSON text."""
    table = TABLES[name]
    out = frame.copy()
    if test_id is not None:
        out["testId"] = test_id
    out = out.reindex(columns=list(table.columns))
    for column, dtype in table.columns.items():
        if dtype == "object":
            out[column] = out[column].map(_json).astype("object")
        elif dtype in ("category", "string"):
            out[column] = out[column].astype("string").astype("object")
        elif dtype in (UTC_DATETIME, DURATION, "Int64", "Float64", "boolean"):
            out[column] = out[column].astype(dtype)
    return out.reset_index(drop=True)


def _decode(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def from_db(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read from DuckDB with the loaders' dtypes again (an empty one too)."""
    table = TABLES[name]
    if frame.empty:
        return typed_frame([], table.columns)
    out = frame.reindex(columns=list(table.columns))
    for column, dtype in table.columns.items():
        values = out[column]
        if dtype == "object":
            out[column] = values.map(_decode).astype("object")
        elif dtype == "category":
            out[column] = values.astype("string").astype("category")
        elif dtype == UTC_DATETIME:
            out[column] = pd.to_datetime(values, utc=True).astype(UTC_DATETIME)
        elif dtype == DURATION:
            out[column] = pd.to_timedelta(values).astype(DURATION)
        else:
            out[column] = values.astype(dtype)
    return out.reset_index(drop=True)
