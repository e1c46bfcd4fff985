"""Task answers, normalised per task type into flat columns (and kept raw as JSON).

The v3 session details carry each task's answer as an object with one key per task
type (``nps``, ``ratingScale``, ``multipleChoice``, ...), exactly one of them set. The
``tasks`` frame turns the set one into typed columns:

========================  =======================================================
task type                 columns
========================  =======================================================
NPS                       ``nps`` (Int64, 0-10)
RATING_SCALE              ``rating``, ``scaleMin``, ``scaleMax`` (Int64)
MULTIPLE_CHOICE           ``options``, ``selected`` (lists of labels)
RANK_ORDER                ``options``, ``ranking`` (lists; ranking most important first)
MATRIX                    ``options`` (the columns), ``matrix`` (list of {row, column})
WRITTEN                   ``written`` (string)
URL                       ``url``, ``success`` (boolean; NA for "just explore" tasks)
FIGMA                     ``url`` (the prototype), ``success``
IMAGE                     ``url`` (the image)
BLANK                     (nothing beyond ``rawAnswer``)
========================  =======================================================

Every answered task also gets ``rawAnswer``: the JSON of the answer's non-null keys,
so nothing is lost -- including task types this version does not know (their
normalised columns stay empty, their answer is in ``rawAnswer``).

>>> normalise_answer("NPS", {"nps": {"score": 9}, "ratingScale": None})["nps"]
9
>>> normalise_answer("CARD_SORT", {"cardSort": {"cards": ["Bakery"]}})["rawAnswer"]
'{"cardSort": {"cards": ["Bakery"]}}'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ANSWER_KEYS", "ANSWER_SCHEMA", "KNOWN_TASK_TYPES", "normalise_answer"]

# Task type -> the key of its payload in TaskAnswerDto.
ANSWER_KEYS: dict[str, str] = {
    "BLANK": "blank",
    "RATING_SCALE": "ratingScale",
    "MULTIPLE_CHOICE": "multipleChoice",
    "IMAGE": "image",
    "NPS": "nps",
    "URL": "url",
    "RANK_ORDER": "rankOrder",
    "WRITTEN": "written",
    "FIGMA": "figma",
    "MATRIX": "matrix",
}
KNOWN_TASK_TYPES = tuple(ANSWER_KEYS)

# The answer columns of the tasks frame, with their dtypes.
ANSWER_SCHEMA: dict[str, str] = {
    "nps": "Int64",
    "rating": "Int64",
    "scaleMin": "Int64",
    "scaleMax": "Int64",
    "options": "object",
    "selected": "object",
    "ranking": "object",
    "matrix": "object",
    "written": "string",
    "url": "string",
    "success": "boolean",
    "rawAnswer": "string",
}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _labels(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(item) for item in value if item is not None]


def _nps(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"nps": _int(p.get("score"))}


def _rating(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "rating": _int(p.get("value")),
        "scaleMin": _int(p.get("scaleMin")),
        "scaleMax": _int(p.get("scaleMax")),
    }


def _choice(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"options": _labels(p.get("options")), "selected": _labels(p.get("selected"))}


def _rank(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"options": _labels(p.get("options")), "ranking": _labels(p.get("ranking"))}


def _matrix(p: Mapping[str, Any]) -> dict[str, Any]:
    rows = p.get("rows")
    cells = None
    if isinstance(rows, list):
        cells = [
            {"row": _str(r.get("row")), "column": _str(r.get("column"))}
            for r in rows
            if isinstance(r, Mapping)
        ]
    return {"options": _labels(p.get("columns")), "matrix": cells}


def _written(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"written": _str(p.get("text"))}


def _url(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"url": _str(p.get("url")), "success": _bool(p.get("success"))}


def _figma(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"url": _str(p.get("prototypeUrl")), "success": _bool(p.get("success"))}


def _image(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"url": _str(p.get("imageUrl"))}


_NORMALISERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "nps": _nps,
    "ratingScale": _rating,
    "multipleChoice": _choice,
    "rankOrder": _rank,
    "matrix": _matrix,
    "written": _written,
    "url": _url,
    "figma": _figma,
    "image": _image,
    "blank": lambda p: {},
}


def normalise_answer(task_type: str | None, answer: Any) -> dict[str, Any]:
    """The answer columns for one task (only the keys that have a value).

    ``answer`` is the task's ``response.answer`` (``None`` when skipped or unreached).
    Unknown task types, and payloads that do not look as documented, keep only
    ``rawAnswer`` rather than failing the load.
    """
    if not isinstance(answer, Mapping):
        return {}
    present = {key: value for key, value in answer.items() if value is not None}
    if not present:
        return {}
    out: dict[str, Any] = {"rawAnswer": json.dumps(present, ensure_ascii=False)}
    key = ANSWER_KEYS.get(task_type or "")
    payload = present.get(key) if key else None
    if isinstance(payload, Mapping):
        out.update(_NORMALISERS[key](payload))  # type: ignore[index]
    return {name: value for name, value in out.items() if value is not None}
