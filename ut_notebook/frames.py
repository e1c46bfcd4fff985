"""Build DataFrames with explicit dtypes from lists of API records.

Every loader declares its columns once, as a :data:`Schema` (column name to dtype), and
calls :func:`typed_frame`; that is how an empty result gets the same columns and dtypes
as a full one.

>>> df = typed_frame([{"id": "a", "when": "2026-01-02T03:04:05.678Z"}],
...                  {"id": "string", "when": UTC_DATETIME})
>>> str(df["when"].dtype)
'datetime64[ns, UTC]'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["DURATION", "UTC_DATETIME", "Schema", "typed_frame"]

UTC_DATETIME = "datetime64[ns, UTC]"
DURATION = "timedelta64[ns]"

# Column name -> dtype string understood by pandas ("string", "category", "Int64",
# "Float64", "boolean", UTC_DATETIME, DURATION, "object" for raw JSON).
Schema = Mapping[str, str]


def _convert(values: pd.Series, dtype: str) -> pd.Series:
    if dtype == UTC_DATETIME:
        # format="ISO8601": the API sends ISO 8601 with or without milliseconds.
        return pd.to_datetime(values, utc=True, format="ISO8601").astype(UTC_DATETIME)
    if dtype == DURATION:
        return pd.to_timedelta(values).astype(DURATION)
    if dtype == "category":
        return values.astype("string").astype("category")
    if dtype == "object":
        return values.astype("object")
    return values.astype(dtype)


def typed_frame(records: Iterable[Mapping[str, Any]], schema: Schema) -> pd.DataFrame:
    """A DataFrame with exactly ``schema``'s columns, in order, with its dtypes.

    Missing keys become missing values; extra keys are dropped.
    """
    rows = list(records)
    data = {name: pd.Series([row.get(name) for row in rows], dtype="object") for name in schema}
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    for name, dtype in schema.items():
        frame[name] = _convert(frame[name], dtype)
    return frame
