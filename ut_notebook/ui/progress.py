"""Progress bars that work in notebooks and terminals, and can be switched off.

A thin layer over ``tqdm.auto``: a widget bar in Jupyter, a text bar in a terminal,
and a plain text bar if the notebook front end cannot show widgets. Progress text
only ever shows counts and ids, never credentials.

>>> with progress_bar(total=3, desc="pages", enabled=False) as bar:
...     bar.update(1)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["LoadBar", "Progress", "format_seconds", "progress_bar", "wants_progress"]


class Progress(Protocol):
    def update(self, n: int = 1) -> Any: ...
    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...
    def close(self) -> Any: ...


class _Silent:
    """A progress bar that shows nothing (``progress=False``)."""

    n = 0
    total: int | None = None

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def set_description_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def wants_progress(progress: bool | None, pages: int) -> bool:
    """``None`` means automatic: a bar only when there is more than one page."""
    return pages > 1 if progress is None else bool(progress)


def _make(total: int | None, desc: str, unit: str, **options: Any) -> Any:
    options = {k: v for k, v in options.items() if v is not None}
    try:
        with warnings.catch_warnings():
            # tqdm.auto warns and degrades when ipywidgets cannot render (e.g. IPython
            # in a terminal); fall back to the text bar quietly instead.
            warnings.simplefilter("error")
            from tqdm.auto import tqdm

            return tqdm(
                total=total, desc=desc, unit=unit, leave=True, dynamic_ncols=True, **options
            )
    except Exception:
        from tqdm.std import tqdm as text_tqdm

        return text_tqdm(
            total=total, desc=desc, unit=unit, leave=True, dynamic_ncols=True, **options
        )


@contextmanager
def progress_bar(
    total: int | None,
    desc: str,
    *,
    enabled: bool = True,
    unit: str = "it",
    initial: int = 0,
    bar_format: str | None = None,
) -> Iterator[Any]:
    """A tqdm bar (or a silent one) that is closed however the block exits.

    ``bar_format`` replaces tqdm's layout (e.g. to show our own ETA instead of tqdm's).
    """
    if enabled:
        bar = _make(total, desc, unit, initial=initial or None, bar_format=bar_format)
    else:
        bar = _Silent()
        bar.n = initial
    try:
        yield bar
    finally:
        bar.close()


def format_seconds(seconds: float | None) -> str:
    """A short human duration: ``'45s'``, ``'3m 05s'``, ``'1h 02m'``.

    >>> format_seconds(5.2), format_seconds(185), format_seconds(3720), format_seconds(None)
    ('5s', '3m 05s', '1h 02m', '?')
    """
    if seconds is None or seconds != seconds:  # None or NaN
        return "?"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


class LoadBar:
    """Progress of one load: appears only once the total is known, can be switched off,
    and says why it stopped moving while the API's rate limit makes it wait.

    ``progress`` is ``None`` (a bar when ``total`` > 1), ``True`` or ``False``::

        with LoadBar(None, "sessions of 3fa85f64…", unit="page") as bar:
            bar.start(3)
            bar.advance(postfix="500 sessions")   # after each step
    """

    def __init__(
        self,
        progress: bool | None,
        desc: str,
        *,
        unit: str = "it",
        bar_format: str | None = None,
    ) -> None:
        self.progress = progress
        self.desc = desc
        self.unit = unit
        self.bar_format = bar_format
        self.bar: Any = None
        self._cm: Any = None

    def __enter__(self) -> LoadBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)
            self._cm = None

    def start(self, total: int, *, initial: int = 0, desc: str | None = None) -> None:
        """Show the bar (if wanted) now that ``total`` is known."""
        if self._cm is not None:
            return
        self._cm = progress_bar(
            total,
            desc or self.desc,
            enabled=wants_progress(self.progress, total),
            unit=self.unit,
            initial=initial,
            bar_format=self.bar_format,
        )
        self.bar = self._cm.__enter__()

    def advance(self, n: int = 1, *, postfix: str | None = None) -> None:
        if self.bar is not None:
            if postfix is not None:
                self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.update(n)

    def postfix(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(text)

    def waiting(self, seconds: float) -> None:
        # Say why the bar stopped moving: no silent multi-second sleeps.
        self.postfix(f"waiting {format_seconds(seconds)} for the API rate limit")
