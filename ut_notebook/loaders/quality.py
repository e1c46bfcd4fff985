"""What a load could not read: the warnings, and a counter of odd values.

The parsers never fail on an odd value (a string where a number belongs, a number too
large to be a time...): they read it as missing and count it, and a load ends with ONE
warning that names each field and how many rows were affected.

>>> odd = OddValues("session details")
>>> odd.add("tasks[].response.startTimeMs")
>>> odd.add("tasks[].response.startTimeMs")
>>> odd.message()
'Odd values in session details were read as missing: tasks[].response.startTimeMs (2 rows).'
"""

from __future__ import annotations

import warnings
from collections import Counter

from ..frames import MalformedValuesWarning

__all__ = [
    "REPORT_WHERE",
    "MalformedValuesWarning",
    "OddValues",
    "UnreadAnswersWarning",
]

# Where users should send what the package did not understand.
REPORT_WHERE = (
    "please report it (the output of details.answer_report(), no participant data) in "
    "the ut-notebook issue tracker; docs/API_FIDELITY.md lists what is guessed"
)


class UnreadAnswersWarning(UserWarning):
    """Some task answers had a shape the package does not understand: their typed columns
    are ``<NA>`` and the answer is kept in ``rawAnswer``. See ``details.answer_report()``."""


class OddValues:
    """Counts odd values per field, then warns once for all of them."""

    def __init__(self, what: str, outcome: str = "were read as missing") -> None:
        self.what = what
        self.outcome = outcome
        self.counts: Counter[str] = Counter()

    def add(self, field: str, rows: int = 1) -> None:
        self.counts[field] += rows

    def __bool__(self) -> bool:
        return bool(self.counts)

    def message(self) -> str:
        parts = ", ".join(
            f"{name} ({n:,} row{'s' if n != 1 else ''})" for name, n in self.counts.items()
        )
        return f"Odd values in {self.what} {self.outcome}: {parts}."

    def warn(self, stacklevel: int = 3) -> None:
        """One :class:`MalformedValuesWarning` if anything was counted."""
        if self.counts:
            warnings.warn(self.message(), MalformedValuesWarning, stacklevel=stacklevel)
