"""WebVTT transcripts parsed into a frame of cues.

The API documents its transcripts as bare WebVTT (its example has no cue numbers and no
``<v>`` voice tags), but any valid WebVTT file is read: cue identifiers or none, cue
settings after the timing, multi-line cue text, ``NOTE``/``STYLE``/``REGION`` blocks,
``&amp;``-style entities, and ``<c>``/``<i>``/``<b>``/... spans (removed from ``text``).
``speaker`` comes from a voice tag (``<v Name>``) when there is one, else ``<NA>``.

>>> cues = parse_webvtt('''WEBVTT
...
... 00:01:09.004 --> 00:01:15.364 align:start
... Um, I'd search by <i>recipe</i> &amp; price.
... ''')
>>> cues.loc[0, "start"], cues.loc[0, "text"], cues.loc[0, "speaker"]
(Timedelta('0 days 00:01:09.004000'), "Um, I'd search by recipe & price.", nan)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..frames import DURATION, typed_frame
from .quality import OddValues

__all__ = ["CUE_SCHEMA", "parse_webvtt"]

CUE_SCHEMA = {
    "cue": "string",  # the cue identifier ("1", "2", ...), when the file has one
    "start": DURATION,
    "end": DURATION,
    "speaker": "category",
    "text": "string",
}

# hh:mm:ss.ttt or mm:ss.ttt (hours optional in WebVTT). At most 20 digits of hours
# (then checked against _MAX_MS): int() of thousands of digits raises.
_STAMP = r"(?:(\d{1,20}):)?([0-5]?\d):([0-5]?\d)[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_STAMP}\s+-->\s+{_STAMP}(?:[ \t].*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
_TAG = re.compile(r"</?[^>]*>")
_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
# Beyond ~31 years a cue time is garbage (and would overflow a Timedelta).
_MAX_MS = 10**12
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def _ms(hours: str | None, minutes: str, seconds: str, fraction: str) -> int:
    return (int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)) * 1000 + int(
        fraction.ljust(3, "0")[:3]
    )


def _blocks(lines: list[str]) -> Iterable[list[str]]:
    block: list[str] = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _cue_text(lines: list[str]) -> tuple[str | None, str]:
    speaker = None
    parts = []
    for line in lines:
        voice = _VOICE.search(line)
        if voice and speaker is None and voice.group(1):
            speaker = html.unescape(voice.group(1).strip()) or None
        # Tags first, then entities: "&lt;b&gt;" is text, not a tag.
        parts.append(html.unescape(_TAG.sub("", line)).strip())
    return speaker, "\n".join(part for part in parts if part)


def _utf8(text: str) -> str:
    """Undo UTF-8 read as Latin-1. WebVTT is always UTF-8, but the API sends
    ``Content-Type: text/vtt`` without a charset, for which HTTP clients (requests) assume
    ISO-8859-1: "crème" arrives as "crÃ¨me". Such text encodes back to Latin-1 bytes that
    are valid UTF-8; real Latin-1 text with accents does not (its bytes are not UTF-8)."""
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text  # already decoded right (or not repairable): leave it


def _special(line: str) -> bool:
    word = line.split(None, 1)[0] if line.strip() else ""
    return word in _SKIPPED_BLOCKS


def parse_webvtt(text: str | bytes) -> pd.DataFrame:
    """Cues of a WebVTT file: ``cue`` (identifier, or NA), ``start``/``end`` (Timedelta
    from the start of the video), ``speaker`` (from a ``<v Name>`` tag, else NA) and
    ``text`` (tags removed, entities decoded, lines of one cue joined with newlines).

    ``bytes`` are decoded as UTF-8 (WebVTT is always UTF-8, whatever a
    ``Content-Type`` says), and text that was wrongly decoded as Latin-1 is repaired.
    Raises ``ValueError`` if the text is not WebVTT (it does not start with ``WEBVTT``,
    or is not UTF-8). Odd cues -- a timing that is not one, times
    too large to be real, lines that belong to no cue -- never raise: they are skipped,
    with ONE :class:`~ut_notebook.loaders.quality.MalformedValuesWarning` saying how many.

    >>> parse_webvtt("not a transcript")
    Traceback (most recent call last):
    ...
    ValueError: Not a WebVTT transcript: it does not start with 'WEBVTT'.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("Not a WebVTT transcript: it is not UTF-8 text.") from None
    if not isinstance(text, str):
        raise TypeError(f"parse_webvtt() takes the text of a file, not {type(text).__name__}")
    lines = _utf8(text).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not _HEADER.match(lines[0]):
        raise ValueError("Not a WebVTT transcript: it does not start with 'WEBVTT'.")
    odd = OddValues("the transcript", "were skipped")
    rows: list[dict[str, Any]] = []
    blocks = _blocks(lines)
    next(blocks, None)  # the header (and its optional metadata lines)
    for block in blocks:
        if _special(block[0]):
            continue  # NOTE, STYLE and REGION blocks carry no cue
        identifier = None
        if "-->" not in block[0]:
            identifier, block = block[0].strip(), block[1:]
        if not block or "-->" not in block[0]:
            odd.add("lines that are not cues")
            continue
        timing = _TIMING.match(block[0])
        if not timing:
            odd.add("cue timings")
            continue
        groups = timing.groups()
        start, end = _ms(*groups[:4]), _ms(*groups[4:])
        if start > _MAX_MS or end > _MAX_MS:
            odd.add("cue times (too large)")
            continue
        speaker, body = _cue_text(block[1:])
        rows.append(
            {
                "cue": identifier,
                "start": pd.Timedelta(milliseconds=start),
                "end": pd.Timedelta(milliseconds=end),
                "speaker": speaker,
                "text": body,
            }
        )
    odd.warn(stacklevel=2)
    return typed_frame(rows, CUE_SCHEMA)
