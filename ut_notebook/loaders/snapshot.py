"""Assembled frames as one binary blob (Arrow IPC), for the cache's per-test snapshot.

A cached reload of a big test used to rebuild its frames from every session's parsed
columns: two thousand small JSON documents decoded, hundreds of thousands of Python
objects made, then converted column by column into pandas. The frames themselves,
kept column-wise in Arrow's format, read back in a few milliseconds with no Python
object per value. :func:`encode_frames` and :func:`decode_frames` make and read such a
blob; what it is kept for, and when it is valid, is the loader's business
(``loaders/details.py``).

Arrow IPC, not pickle: the cache is a file on disk, and reading it must never run code.
What Arrow cannot carry exactly is handled here, so that ``decode(encode(frames))``
equals ``frames`` (values, dtypes, category order):

* ``object`` columns (answer lists, matrices) go as JSON text, one value per row;
* a category column goes as its codes, its categories (with their own dtype, ``str``
  or ``string``, and the unused ones) in the header.

>>> frame = pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "x": [["a"], None]})
>>> frames, meta = decode_frames(encode_frames({"f": frame}, {"k": 1}))
>>> frames["f"].equals(frame), meta
(True, {'k': 1})
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["SnapshotError", "decode_frames", "encode_frames", "read_meta"]

MAGIC = b"ut-notebook frames 1\n"
_LENGTH = 8  # bytes of the header's length, little-endian

try:  # orjson reads the JSON-encoded object columns faster; json is the fallback
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is a dependency
    _orjson_loads = json.loads


def _loads(text: str) -> Any:
    try:
        return _orjson_loads(text)
    except ValueError:  # NaN, Infinity, huge integers: what json.dumps wrote, json reads
        return json.loads(text)


class SnapshotError(ValueError):
    """The blob is not a readable snapshot (truncated, corrupt, another version)."""


def _arrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.ipc as ipc
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise SnapshotError("pyarrow is not installed") from exc
    return pa, ipc


def encode_frames(frames: Mapping[str, pd.DataFrame], meta: Mapping[str, Any]) -> bytes:
    """``frames`` (with a RangeIndex) and a JSON-ready ``meta`` as one blob."""
    pa, ipc = _arrow()
    layout: list[dict[str, Any]] = []
    buffers: list[bytes] = []
    for name, frame in frames.items():
        frame = frame.reset_index(drop=True)
        json_columns = [str(c) for c, t in frame.dtypes.items() if t == "object"]
        for column in json_columns:
            frame[column] = [
                None if value is None else json.dumps(value, ensure_ascii=False)
                for value in frame[column]
            ]
        categories: dict[str, list[Any]] = {}
        for column, dtype in frame.dtypes.items():
            if isinstance(dtype, pd.CategoricalDtype):  # codes here, categories in the header
                categories[str(column)] = [
                    str(dtype.categories.dtype),
                    bool(dtype.ordered),
                    dtype.categories.tolist(),
                ]
                frame[column] = frame[column].cat.codes
        table = pa.Table.from_pandas(frame, preserve_index=False)
        sink = pa.BufferOutputStream()
        # zstd: a tenth of the size (answers' text repeats) for a few ms more to read.
        codec = "zstd" if pa.Codec.is_available("zstd") else None
        options = ipc.IpcWriteOptions(compression=codec)
        with ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        buffers.append(sink.getvalue().to_pybytes())
        layout.append({
            "name": name,
            "bytes": len(buffers[-1]),
            "json": json_columns,
            "categories": categories,
            "dtypes": [str(t) for t in frames[name].dtypes],
        })  # fmt: skip
    header = json.dumps({"meta": dict(meta), "frames": layout}).encode()
    return MAGIC + len(header).to_bytes(_LENGTH, "little") + header + b"".join(buffers)


def _header(blob: bytes) -> tuple[dict[str, Any], int]:
    if not isinstance(blob, bytes) or not blob.startswith(MAGIC):
        raise SnapshotError("not a ut-notebook snapshot")
    start = len(MAGIC) + _LENGTH
    size = int.from_bytes(blob[len(MAGIC) : start], "little")
    try:
        header = json.loads(blob[start : start + size])
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"unreadable header ({exc})") from None
    if not isinstance(header, dict) or not isinstance(header.get("meta"), dict):
        raise SnapshotError("unreadable header")
    return header, start + size


def read_meta(blob: bytes) -> dict[str, Any]:
    """Only the ``meta`` of a blob: cheap, to decide whether to read the frames."""
    return _header(blob)[0]["meta"]


def decode_frames(blob: bytes) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The frames and meta of :func:`encode_frames`' blob; :class:`SnapshotError` if it
    is not one, or does not give back exactly the dtypes it was written with."""
    pa, ipc = _arrow()
    header, offset = _header(blob)
    frames: dict[str, pd.DataFrame] = {}
    try:
        for part in header["frames"]:
            end = offset + int(part["bytes"])
            if end > len(blob):
                raise SnapshotError("truncated")
            table = ipc.open_stream(pa.py_buffer(blob[offset:end])).read_all()
            offset = end
            frames[part["name"]] = _restore(table, part)
    except (pa.ArrowException, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"unreadable frames ({type(exc).__name__})") from exc
    return frames, header["meta"]


def _restore(table: Any, part: Mapping[str, Any]) -> pd.DataFrame:
    frame = table.to_pandas()
    for column in part["json"]:
        texts = table.column(column).to_pylist()  # None where missing (pandas: NaN)
        frame[column] = pd.Series(
            [None if text is None else _loads(text) for text in texts],
            index=frame.index,
            dtype="object",
        )
    for column, (dtype, ordered, categories) in part["categories"].items():
        frame[column] = pd.Categorical.from_codes(
            frame[column].to_numpy(),
            categories=pd.Index(categories, dtype=dtype),
            ordered=bool(ordered),
        )
    if [str(t) for t in frame.dtypes] != part["dtypes"]:
        raise SnapshotError("dtypes differ from those written")
    return frame
