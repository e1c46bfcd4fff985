"""Task answers, normalised per task type into flat columns (and kept raw as JSON).

The v3 session details carry each task's answer as an object with one key per task
type (``nps``, ``ratingScale``, ``multipleChoice``, ...), exactly one of them set. The
``tasks`` frame turns the set one into typed columns:

========================  =======================================================
task type                 columns
========================  =======================================================
NPS                       ``nps`` (Int64, 0-10)
RATING_SCALE              ``rating``, ``scaleMin``, ``scaleMax`` (Int64)
MULTIPLE_CHOICE           ``options``, ``selected`` (lists of labels),
                          ``multiSelect``, ``randomizedOptions`` (boolean),
                          ``maxLimit`` (Int64) -- the last three documented
RANK_ORDER                ``options``, ``ranking`` (lists; ranking most important first)
MATRIX                    ``options`` (the columns), ``matrix`` (list of {row, column})
WRITTEN                   ``written`` (string)
URL                       ``url``, ``success`` (boolean; NA for "just explore" tasks)
FIGMA                     ``prototypeUrl``, ``figmaPrototypeTitle``,
                          ``figmaPrototypeDisplaySetting`` (documented; ``url`` repeats
                          the prototype URL), ``success``
IMAGE                     ``url`` (the image)
BLANK                     (nothing beyond ``rawAnswer``)
========================  =======================================================

Only the containers and the documented fields above are specified by UserTesting; every
other inner key (``nps.score``, ``ratingScale.value``, ``url.success``...) is a guess
(docs/API_FIDELITY.md). So each reader first tries the guessed key and, when that key
is absent, falls back to a reading that cannot be wrong: a single integer 0-10 in an
NPS answer, a single number in a rating, a single boolean in a success/failure answer,
a single string in a written answer... Anything ambiguous is not guessed: the typed
columns stay ``<NA>``, and ``rawAnswer`` (the JSON of the answer's non-null keys) keeps
everything, including answers of task types this version does not know.

>>> normalise_answer("NPS", {"nps": {"score": 9}, "ratingScale": None})["nps"]
9
>>> normalise_answer("NPS", {"nps": {"npsValue": 3}})["nps"]     # one integer 0-10
3
>>> "nps" in normalise_answer("NPS", {"nps": {"a": 3, "b": 9}})  # ambiguous: not guessed
False
>>> normalise_answer("CARD_SORT", {"cardSort": {"cards": ["Bakery"]}})["rawAnswer"]
'{"cardSort": {"cards": ["Bakery"]}}'
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ANSWER_KEYS",
    "ANSWER_SCHEMA",
    "KNOWN_TASK_TYPES",
    "AnswerReading",
    "normalise_answer",
    "read_answer",
]

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
    # Documented by the spec (TaskAnswerDto.multipleChoice / .figma descriptions).
    "multiSelect": "boolean",
    "randomizedOptions": "boolean",
    "maxLimit": "Int64",
    "prototypeUrl": "string",
    "figmaPrototypeTitle": "string",
    "figmaPrototypeDisplaySetting": "string",
    "rawAnswer": "string",
}

# Integers beyond this are not answers (and would overflow Int64): read as missing.
_INT_LIMIT = 2**53


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if abs(value) <= _INT_LIMIT else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value) if abs(value) <= _INT_LIMIT else None
    return None


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _labels(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [item if isinstance(item, str) else str(item) for item in value if item is not None]


def _strings(value: Any) -> list[str] | None:
    """A list made only of strings (else ``None``)."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _only(values: list[Any]) -> Any:
    """The single element of ``values``, or ``None`` when there are none or several
    (several candidates are ambiguous: never pick one)."""
    return values[0] if len(values) == 1 else None


def _others(p: Mapping[str, Any], *known: str) -> list[Any]:
    """Values of ``p`` under keys other than ``known``, nulls left out."""
    return [v for k, v in p.items() if k not in known and v is not None]


def _key_or_single(p: Mapping[str, Any], key: str, keep: Callable[[Any], bool]) -> Any:
    """``p[key]`` when the guessed key is there; else the single value passing ``keep``
    (``None`` when none or several do)."""
    if key in p:
        return p[key]
    return _only([v for v in p.values() if keep(v)])


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _pairs(value: Any, second: Callable[[Any], bool]) -> list[tuple[str, Any]] | None:
    """``[(label, x), ...]`` from a list of objects that each hold exactly one string and
    exactly one value passing ``second`` (e.g. ``{"label": "A", "selected": true}``);
    ``None`` when any item has another shape."""
    if not isinstance(value, list) or not value:
        return None
    out = []
    for item in value:
        if not isinstance(item, Mapping):
            return None
        texts = [v for v in item.values() if isinstance(v, str)]
        marks = [v for v in item.values() if second(v)]
        if len(texts) != 1 or len(marks) != 1:
            return None
        out.append((texts[0], marks[0]))
    return out


# Each reader returns (columns, understood): understood is False when the answer's main
# column could not be read with certainty (then only rawAnswer has it).
Reading = tuple[dict[str, Any], bool]


def _nps(p: Mapping[str, Any]) -> Reading:
    if "score" in p:
        score = _int(p["score"])
    else:  # any key: a single integer 0-10
        score = _only([v for v in p.values() if _int(v) is not None])
        score = _int(score)
    if score is not None and not 0 <= score <= 10:
        score = None  # not an NPS: never report a wrong value
    return {"nps": score}, score is not None


def _rating(p: Mapping[str, Any]) -> Reading:
    if "value" in p:
        rating = _int(p["value"])
    else:  # a single number besides the scale's ends
        rating = _int(_only([v for v in _others(p, "scaleMin", "scaleMax") if _number(v)]))
    return {
        "rating": rating,
        "scaleMin": _int(p.get("scaleMin")),
        "scaleMax": _int(p.get("scaleMax")),
    }, rating is not None


def _documented_choice(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "multiSelect": _bool(p.get("multiSelect")),
        "randomizedOptions": _bool(p.get("randomizedOptions")),
        "maxLimit": _int(p.get("maxLimit")),
    }


_CHOICE_KNOWN = ("multiSelect", "randomizedOptions", "maxLimit", "options", "selected")


def _choice(p: Mapping[str, Any]) -> Reading:
    out = _documented_choice(p)
    options, selected = _labels(p.get("options")), _labels(p.get("selected"))
    if "selected" not in p:
        rest = _others(p, *_CHOICE_KNOWN)
        lists = [v for v in rest if isinstance(v, list)]
        pairs = _pairs(_only(lists), lambda v: isinstance(v, bool))
        if pairs is not None and options is None:  # [{"label": "A", "selected": true}, ...]
            options = [label for label, _ in pairs]
            selected = [label for label, on in pairs if on]
        elif options is not None:
            # One other list of strings, all of them options: the selection.
            picked = _strings(_only(lists))
            if picked is not None and set(picked) <= set(options):
                selected = picked
    return {**out, "options": options, "selected": selected}, selected is not None


def _rank(p: Mapping[str, Any]) -> Reading:
    options, ranking = _labels(p.get("options")), _labels(p.get("ranking"))
    if "ranking" not in p:
        lists = [v for v in _others(p, "options") if isinstance(v, list)]
        pairs = _pairs(_only(lists), lambda v: _int(v) is not None)
        ranks = [rank for _, rank in pairs or []]
        if pairs is not None and len(set(ranks)) == len(ranks):  # [{"label", "rank"}, ...]
            ranking = [label for label, _ in sorted(pairs, key=lambda pair: pair[1])]
            options = options if options is not None else [label for label, _ in pairs]
        elif options is not None:
            # One other list of strings that orders exactly the options: the ranking.
            order = _strings(_only(lists))
            if order is not None and sorted(order) == sorted(options):
                ranking = order
    return {"options": options, "ranking": ranking}, ranking is not None


def _matrix(p: Mapping[str, Any]) -> Reading:
    rows = p.get("rows")
    cells = None
    if isinstance(rows, list):
        cells = [
            {"row": _str(r.get("row")), "column": _str(r.get("column"))}
            for r in rows
            if isinstance(r, Mapping)
        ]
    elif "rows" not in p:
        # One object of strings: {"row label": "column label", ...}.
        grids = [v for v in _others(p, "columns") if isinstance(v, Mapping)]
        grid = _only(grids)
        if isinstance(grid, Mapping) and grid and all(isinstance(v, str) for v in grid.values()):
            cells = [{"row": row, "column": column} for row, column in grid.items()]
    return {"options": _labels(p.get("columns")), "matrix": cells}, cells is not None


def _written(p: Mapping[str, Any]) -> Reading:
    text = _str(_key_or_single(p, "text", lambda v: isinstance(v, str)))
    return {"written": text}, text is not None


def _success(p: Mapping[str, Any], *known: str) -> tuple[bool | None, bool]:
    """``(success, understood)``: the guessed key, else a single boolean; understood
    unless there are booleans we could not attribute."""
    if "success" in p:
        value = _bool(p["success"])
        return value, value is not None or p["success"] is None
    flags = [v for v in _others(p, *known) if isinstance(v, bool)]
    if len(flags) == 1:
        return flags[0], True
    return None, not flags  # no boolean: a "just explore" task; several: ambiguous


def _url(p: Mapping[str, Any]) -> Reading:
    url = _str(_key_or_single(p, "url", _is_url))
    success, understood = _success(p)
    return {"url": url, "success": success}, understood and url is not None


def _figma(p: Mapping[str, Any]) -> Reading:
    documented = {
        "prototypeUrl": _str(p.get("prototypeUrl")),
        "figmaPrototypeTitle": _str(p.get("figmaPrototypeTitle")),
        "figmaPrototypeDisplaySetting": _str(p.get("figmaPrototypeDisplaySetting")),
    }
    success, understood = _success(p, *documented)
    return {**documented, "url": documented["prototypeUrl"], "success": success}, understood


def _image(p: Mapping[str, Any]) -> Reading:
    url = _str(_key_or_single(p, "imageUrl", _is_url))
    return {"url": url}, url is not None


_READERS: dict[str, Callable[[Mapping[str, Any]], Reading]] = {
    "nps": _nps,
    "ratingScale": _rating,
    "multipleChoice": _choice,
    "rankOrder": _rank,
    "matrix": _matrix,
    "written": _written,
    "url": _url,
    "figma": _figma,
    "image": _image,
    "blank": lambda p: ({}, True),  # nothing to read: always understood
}


@dataclass(frozen=True)
class AnswerReading:
    """What was read from one task's answer.

    ``columns``: the answer columns that have a value (``rawAnswer`` included);
    ``status``: ``"typed"`` (read into typed columns), ``"raw"`` (only ``rawAnswer``) or
    ``None`` (no answer); ``keys``: the inner keys seen, as ``container.key``.
    """

    columns: dict[str, Any]
    status: str | None
    keys: tuple[str, ...]


def read_answer(task_type: str | None, answer: Any) -> AnswerReading:
    """Read one task's ``response.answer``, saying whether it was understood.

    >>> read_answer("NPS", {"nps": {"score": 9}}).status
    'typed'
    >>> reading = read_answer("NPS", {"nps": {"a": 1, "b": 2}})
    >>> reading.status, reading.keys
    ('raw', ('nps.a', 'nps.b'))
    """
    if not isinstance(answer, Mapping):
        return AnswerReading({}, None, ())
    present = {str(key): value for key, value in answer.items() if value is not None}
    if not present:
        return AnswerReading({}, None, ())
    keys: list[str] = []
    for container, payload in present.items():
        if isinstance(payload, Mapping) and payload:
            keys.extend(f"{container}.{inner}" for inner in payload)
        else:
            keys.append(container)
    out: dict[str, Any] = {"rawAnswer": json.dumps(present, ensure_ascii=False, default=str)}
    key = ANSWER_KEYS.get(task_type) if isinstance(task_type, str) else None
    payload = present.get(key) if key else None
    understood = False
    if isinstance(payload, Mapping):
        columns, understood = _READERS[key](payload)  # type: ignore[index]
        out.update(columns)
    columns = {name: value for name, value in out.items() if value is not None}
    return AnswerReading(columns, "typed" if understood else "raw", tuple(sorted(set(keys))))


def normalise_answer(task_type: str | None, answer: Any) -> dict[str, Any]:
    """The answer columns for one task (only the keys that have a value).

    ``answer`` is the task's ``response.answer`` (``None`` when skipped or unreached).
    Unknown task types, and payloads that do not look as expected, keep only
    ``rawAnswer`` (and what could be read without guessing) rather than failing the load.
    """
    return read_answer(task_type, answer).columns
