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

import re
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "DURATION",
    "UTC_DATETIME",
    "MalformedValuesWarning",
    "Schema",
    "natural_order",
    "typed_columns",
    "typed_frame",
]

UTC_DATETIME = "datetime64[ns, UTC]"
DURATION = "timedelta64[ns]"

# Column name -> dtype string understood by pandas ("string", "category", "Int64",
# "Float64", "boolean", UTC_DATETIME, DURATION, "object" for raw JSON).
Schema = Mapping[str, str]


# JupyterLab and Notebook 7 typeset text between two `$` in a DataFrame's HTML as maths
# (pandas marks its tables for MathJax by default): "$25,000 - $49,999", an income band,
# showed as "25,000−49,999". Every frame ut-notebook returns is built here, so this is
# the one place that runs before any of them can be displayed — and a bare
# `import ut_notebook` (which does not import this module) leaves pandas alone. The
# option is pandas' own and global: undo it with
# pd.set_option("display.html.use_mathjax", True) after the first load.
pd.set_option("display.html.use_mathjax", False)


# Answer scales whose words have an order an alphabet does not know (lower case).
_WORD_SCALES = (
    ("beginner", "novice", "average", "intermediate", "advanced", "expert"),
    ("never", "rarely", "sometimes", "often", "very often", "always"),
    ("strongly disagree", "disagree", "neutral", "agree", "strongly agree"),
)
_CATCH_ALL = ("prefer not", "none of these", "other", "not applicable", "n/a")
_BELOW = ("less than", "under", "below", "up to", "<")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def natural_order(labels: Iterable[Any]) -> list[str]:
    """Answer labels in reading order: numeric ranges by their first number, words of a
    known scale (Beginner → Expert, Never → Always) by rank, other words as given,
    catch-alls ("Prefer not to say", "Other") last.

    >>> natural_order(["Expert", "Average", "Beginner", "Prefer not to say", "Advanced"])
    ['Beginner', 'Average', 'Advanced', 'Expert', 'Prefer not to say']
    >>> natural_order(["$100,000 or more", "Less than $25,000", "$25,000 - $49,999"])
    ['Less than $25,000', '$25,000 - $49,999', '$100,000 or more']
    """
    unique = list(dict.fromkeys(str(v) for v in labels if v is not None and not pd.isna(v)))
    lowered = {label: label.lower().strip() for label in unique}
    scale = next(
        (words for words in _WORD_SCALES if sum(w in words for w in lowered.values()) >= 2),
        (),
    )

    def key(item: tuple[int, str]) -> tuple[int, float, int]:
        position, label = item
        lower = lowered[label]
        if any(lower.startswith(prefix) for prefix in _CATCH_ALL):
            return (3, 0.0, position)
        number = _NUMBER.search(label)
        if number:
            value = float(number.group().replace(",", ""))
            # "Less than $25,000" comes before "$25,000 - $49,999"
            return (0, value - 0.5 if lower.startswith(_BELOW) else value, position)
        if lower in scale:
            return (1, float(scale.index(lower)), position)
        return (2, 0.0, position)

    return [label for _, label in sorted(enumerate(unique), key=key)]


class MalformedValuesWarning(UserWarning):
    """The API sent values of the wrong type or out of range (a date that is not ISO
    8601, a number that is not a number): they were read as missing (NaT / ``<NA>``).
    The message names each field and how many rows."""


def _convert_all(values: pd.Series, dtype: str) -> pd.Series:
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


def _readable(value: Any, dtype: str) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return True
    try:
        _convert_all(pd.Series([value], dtype="object"), dtype)
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        return False
    # Text where a date or number belongs would be readable as a string, not as this.
    return not (dtype in ("string", "category") and isinstance(value, (dict, list)))


def _convert(values: pd.Series, dtype: str, name: str = "") -> pd.Series:
    """``values`` as ``dtype``; values that cannot be read become missing, with one
    :class:`MalformedValuesWarning` naming the column and how many rows."""
    try:
        return _convert_all(values, dtype)
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        pass
    keep = values.map(lambda v: _readable(v, dtype))
    odd = int((~keep).sum())
    warnings.warn(
        f"{odd:,} value(s) of {name or 'a column'!r} could not be read as {dtype} and are "
        "left missing; the API may have sent something new. Please report it (without "
        "credentials) if it persists.",
        MalformedValuesWarning,
        stacklevel=4,
    )
    return _convert_all(values.where(keep, None), dtype)


def typed_frame(records: Iterable[Mapping[str, Any]], schema: Schema) -> pd.DataFrame:
    """A DataFrame with exactly ``schema``'s columns, in order, with its dtypes.

    Missing keys become missing values; extra keys are dropped; records that are not
    objects are skipped; values that cannot be read as their column's type become
    missing values (with one :class:`MalformedValuesWarning` per column).
    """
    rows = [row for row in records if isinstance(row, Mapping)]
    columns = {name: [row.get(name) for row in rows] for name in schema}
    return typed_columns(columns, len(rows), schema)


def typed_columns(columns: Mapping[str, list[Any]], n: int, schema: Schema) -> pd.DataFrame:
    """Like :func:`typed_frame`, from columns (name -> ``n`` values) instead of rows:
    the fast way when the data is already column-wise. A column missing from
    ``columns`` is all missing values.

    >>> df = typed_columns({"id": ["a", "b"]}, 2, {"id": "string", "n": "Int64"})
    >>> [str(dtype) for dtype in df.dtypes]
    ['string', 'Int64']
    """
    index = pd.RangeIndex(n)
    data: dict[str, pd.Series] = {}
    for name, dtype in schema.items():
        values = columns.get(name)
        if values is None and dtype == "object":  # lists, JSON: missing is None
            data[name] = pd.Series([None] * n, index=index, dtype="object")
        elif values is None:  # absent everywhere: all missing, no conversion needed
            data[name] = pd.Series(index=index, dtype=dtype)
        elif dtype in _DIRECT:
            # Straight to the dtype (about half the time of object-then-astype);
            # anything odd takes the checked path.
            try:
                data[name] = pd.Series(values, index=index, dtype=dtype)
            except (ValueError, TypeError, OverflowError, ArithmeticError):
                data[name] = _convert(pd.Series(values, index=index, dtype="object"), dtype, name)
        else:
            data[name] = _convert(pd.Series(values, index=index, dtype="object"), dtype, name)
    return pd.DataFrame(data, index=index)


# Dtypes a list converts to directly, exactly as astype() from object does.
_DIRECT = ("Int64", "Float64", "boolean")
