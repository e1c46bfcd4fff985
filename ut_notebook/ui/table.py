"""``ut.show(df)``: a frame made readable on screen, its data left as it is.

>>> import ut_notebook as ut
>>> ut.show(sessions, tz="Europe/Paris")          # a pandas Styler       # doctest: +SKIP
>>> ut.show(details.tasks, interactive=True)      # sort, filter, search  # doctest: +SKIP

What is shown, column by column (decided by dtype and name, never by changing them):

* durations (``timedelta64``) as ``m:ss``, or ``h:mm:ss`` from an hour up;
* times (tz-aware ``datetime64``) to the second, in ``tz`` (default UTC), the zone in
  the header;
* ids (``…Id`` / ``id`` columns of UUID-like strings) cut to 8 characters, the whole id in
  the cell's hover title (and in the copied text of the interactive table);
* long free text (a median over 40 characters) left-aligned and wrapped;
* shares (``share``, ``rate``, ``ci_low``, ``ci_high``, ``…Share``, ``…Rate`` between 0 and 1)
  as percentages.

The frame itself is not touched: ``show`` returns a :class:`pandas.io.formats.style.Styler`
over it (``.data`` is the frame), or for big frames (or ``interactive=True``) an itables
DataTable (needs ``pip install 'ut-notebook[tables]'``) over a formatted copy.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from .. import frames  # noqa: F401  (importing it switches MathJax off for frames)

__all__ = ["INTERACTIVE_ROWS", "format_duration", "show"]

#: From this many rows, ``show`` builds an interactive table when itables is installed.
INTERACTIVE_ROWS = 100

_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}$")
_SHARE_NAMES = {"share", "rate", "ci_low", "ci_high"}
_LONG_TEXT = 40


def format_duration(value: Any) -> str:
    """``m:ss`` under an hour, else ``h:mm:ss``; ``''`` for a missing value.

    >>> format_duration(pd.Timedelta(seconds=75.6))
    '1:16'
    >>> format_duration(pd.Timedelta(hours=1, seconds=5))
    '1:00:05'
    """
    if value is None or pd.isna(value):
        return ""
    seconds = round(pd.Timedelta(value).total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def _is_id_column(name: str, values: pd.Series) -> bool:
    if not (name == "id" or name.endswith("Id") or name.endswith("_id")):
        return False
    present = values.dropna().astype(str)
    return not present.empty and bool(present.map(lambda v: bool(_ID.match(v))).all())


def _is_share_column(name: str, values: pd.Series) -> bool:
    if not (name in _SHARE_NAMES or name.endswith("Share") or name.endswith("Rate")):
        return False
    if not pd.api.types.is_float_dtype(values.dtype):
        return False
    present = values.dropna()
    return bool(((present >= 0) & (present <= 1)).all())


def _is_long_text(values: pd.Series) -> bool:
    if not (
        pd.api.types.is_string_dtype(values.dtype) or isinstance(values.dtype, pd.CategoricalDtype)
    ):
        return False
    lengths = values.dropna().astype(str).str.len()
    return not lengths.empty and float(lengths.median()) > _LONG_TEXT


def _short_id(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    text = html.escape(str(value))
    # The whole id stays in the page: the hover title, and the hidden rest for copying.
    return (
        f"<span title='{text}' style='font-family:monospace'>{text[:8]}"
        f"<span style='font-size:0;opacity:0'>{text[8:]}</span>…</span>"
    )


def _formatters(df: pd.DataFrame, tz: str) -> tuple[dict[str, Callable[[Any], str]], list[str]]:
    """Per column: a function from a value to its HTML text; and the long-text columns."""
    out: dict[str, Callable[[Any], str]] = {}
    long_text: list[str] = []
    for name in df.columns:
        values = df[name]
        key = str(name)
        if pd.api.types.is_timedelta64_dtype(values.dtype):
            out[name] = format_duration
        elif isinstance(values.dtype, pd.DatetimeTZDtype):

            def when(value: Any, tz: str = tz) -> str:
                if value is None or pd.isna(value):
                    return ""
                return f"{pd.Timestamp(value).tz_convert(tz):%Y-%m-%d %H:%M:%S}"

            out[name] = when
        elif _is_id_column(key, values):
            out[name] = _short_id
        elif _is_share_column(key, values):
            out[name] = lambda v: "" if v is None or pd.isna(v) else f"{v:.1%}"
        elif _is_long_text(values):
            long_text.append(name)
    return out, long_text


def _header(df: pd.DataFrame, tz: str) -> dict[Any, str]:
    """Time columns' headers name the zone their times are shown in."""
    return {
        name: f"{name} ({tz})"
        for name in df.columns
        if isinstance(df[name].dtype, pd.DatetimeTZDtype)
    }


def show(
    df: pd.DataFrame,
    *,
    tz: str = "UTC",
    interactive: bool | None = None,
    max_rows: int | None = None,
) -> Any:
    """``df`` made readable for a person: see the module docstring for what changes.

    Args:
        df: any frame (those of ut-notebook's loaders are recognised best).
        tz: the time zone times are shown in (an IANA name such as ``"Europe/Paris"``).
        interactive: an itables DataTable (sort, filter, search) instead of a Styler;
            ``None``: from :data:`INTERACTIVE_ROWS` rows when itables is installed.
        max_rows: show only the first rows (a Styler draws every row it is given).

    Returns:
        A pandas ``Styler`` (``.data`` is ``df`` itself) or an ``IPython.display.HTML``.

    >>> styler = ut.show(sessions, tz="America/New_York")              # doctest: +SKIP
    >>> styler.data is sessions                                        # doctest: +SKIP
    True
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"ut.show() takes a DataFrame, not {type(df).__name__}.")
    pd.Timestamp("2026-01-01", tz=tz)  # an unknown zone fails here, with pandas' message
    shown = df if max_rows is None else df.head(max_rows)
    if interactive is None:
        interactive = len(shown) >= INTERACTIVE_ROWS and _has_itables()
    formatters, long_text = _formatters(shown, tz)
    if interactive:
        return _datatable(shown, formatters, long_text, tz)
    styler = shown.style.format(formatters, escape="html", na_rep="")  # type: ignore[arg-type]
    styler = styler.format_index(lambda name: _header(shown, tz).get(name, name), axis=1)
    if long_text:
        styler = styler.set_properties(
            subset=long_text,
            **{
                "text-align": "left",
                "white-space": "normal",
                "min-width": "20em",
                "max-width": "40em",
            },
        )
        # Headers too: a right-aligned header above left-aligned text looks detached.
        styler = styler.set_table_styles(
            {name: [{"selector": "th", "props": "text-align:left"}] for name in long_text},
            overwrite=False,
        )
    return styler


def _escaped(value: Any) -> str:
    if value is None or (not isinstance(value, list | dict | tuple) and pd.isna(value)):
        return ""
    return html.escape(str(value))


def _has_itables() -> bool:
    import importlib.util

    return importlib.util.find_spec("itables") is not None


def _datatable(
    df: pd.DataFrame,
    formatters: dict[Any, Callable[[Any], str]],
    long_text: list[Any],
    tz: str,
) -> Any:
    try:
        from itables import to_html_datatable
    except ModuleNotFoundError:
        raise ImportError(
            "An interactive table needs itables: pip install 'ut-notebook[tables]' "
            "(or itables), or call ut.show(df, interactive=False)."
        ) from None
    from IPython.display import HTML

    copy = pd.DataFrame(index=df.index)
    for name in df.columns:
        values = df[name]
        if name in formatters:
            copy[name] = values.map(formatters[name]).astype(object)
        else:
            # Everything else is escaped here: the table is told our HTML is safe.
            copy[name] = values.map(
                lambda v: (
                    ""
                    if v is None or (not isinstance(v, list | dict) and pd.isna(v))
                    else html.escape(str(v))
                )
            ).astype(object)
    copy = copy.rename(columns=_header(df, tz))
    wrap = [i for i, name in enumerate(df.columns) if name in long_text]
    options: dict[str, Any] = {"allow_html": True, "classes": "display compact"}
    if wrap:  # long text: left-aligned, wrapped within a readable width
        options["columnDefs"] = [{"targets": wrap, "className": "dt-left", "width": "30em"}]
    table = to_html_datatable(copy, **options)
    return HTML(table)
