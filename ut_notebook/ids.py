"""Validate the ids users paste into notebooks, before any request is made."""

from __future__ import annotations

import re
import uuid

__all__ = ["parse_uuid"]

# Canonical 8-4-4-4-12 hex form only: uuid.UUID alone would also accept braces,
# "urn:uuid:" prefixes and 32 bare hex digits, which the API does not.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def parse_uuid(value: object, what: str = "test id") -> str:
    """Return ``value`` as a canonical lowercase UUID string, or raise ``ValueError``.

    Surrounding whitespace and uppercase are accepted, since ids are often pasted.

    >>> parse_uuid("  3FA85F64-5717-4562-B3FC-2C963F66AFA6\\n")
    '3fa85f64-5717-4562-b3fc-2c963f66afa6'
    >>> parse_uuid("12345")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '12345' is not a valid test id: expected a UUID like ...
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string UUID, not {type(value).__name__}.")
    text = value.strip().lower()
    if not _UUID.match(text):
        shown = value if len(value) <= 60 else value[:57] + "..."
        raise ValueError(
            f"{shown!r} is not a valid {what}: expected a UUID like "
            "3fa85f64-5717-4562-b3fc-2c963f66afa6 (copy it from the test's URL in UserTesting)."
        )
    return text
