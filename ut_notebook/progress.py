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

__all__ = ["Progress", "progress_bar", "wants_progress"]


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


def _make(total: int | None, desc: str, unit: str) -> Any:
    try:
        with warnings.catch_warnings():
            # tqdm.auto warns and degrades when ipywidgets cannot render (e.g. IPython
            # in a terminal); fall back to the text bar quietly instead.
            warnings.simplefilter("error")
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc, unit=unit, leave=True, dynamic_ncols=True)
    except Exception:
        from tqdm.std import tqdm as text_tqdm

        return text_tqdm(total=total, desc=desc, unit=unit, leave=True, dynamic_ncols=True)


@contextmanager
def progress_bar(
    total: int | None, desc: str, *, enabled: bool = True, unit: str = "it"
) -> Iterator[Any]:
    """A tqdm bar (or a silent one) that is closed however the block exits."""
    bar = _make(total, desc, unit) if enabled else _Silent()
    try:
        yield bar
    finally:
        bar.close()
