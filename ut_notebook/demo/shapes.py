"""The answer objects the simulator sends, in more than one shape per task type.

UserTesting documents the ten answer containers of the v3 session details but not what
is inside most of them (docs/API_FIDELITY.md). The simulator therefore does not send one
guess as if it were the truth: each session's answers come in one of several plausible
shapes, chosen by ``SimulatorConfig.answer_shapes``:

``"guessed"``
    the keys ut-notebook reads first (``nps.score``, ``ratingScale.value``...).
``"alternate"``
    other keys that a tolerant reader can still read without guessing: one integer
    under another name, ``[{"label", "selected"}]`` lists, ``{row: column}`` objects...
``"mixed"`` (the default)
    each session, seeded by the simulator seed and the session id, is guessed or
    alternate.
``"ambiguous"``
    shapes no reader may guess (two integers in an NPS answer, two booleans in a URL
    answer...): the package must leave the typed columns empty and say so.

Documented fields (``multipleChoice.multiSelect``/``randomizedOptions``/``maxLimit``,
``figma.prototypeUrl``/``figmaPrototypeTitle``/``figmaPrototypeDisplaySetting``) keep
their names in every shape.

>>> shaped("NPS", {"score": 9}, "alternate")
{'value': 9}
>>> session_shape("mixed", 0, "a-session") in ("guessed", "alternate")
True
"""

from __future__ import annotations

import random
from typing import Any

from .config import ANSWER_SHAPES

__all__ = ["ANSWER_SHAPES", "session_shape", "shaped"]


def session_shape(setting: str, seed: int, session_id: str) -> str:
    """The shape of one session's answers under the ``answer_shapes`` setting."""
    if setting != "mixed":
        return setting
    rng = random.Random(f"ut-demo:shape:{seed}:{session_id}")
    return "guessed" if rng.random() < 0.5 else "alternate"


def _without_none(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if v is not None}


def _alternate(kind: str, p: dict[str, Any]) -> dict[str, Any]:
    if kind == "NPS":
        return {"value": p["score"]}
    if kind == "RATING_SCALE":
        scale = {"min": p["scaleMin"], "max": p["scaleMax"]}
        scale.update(minLabel=p["minLabel"], maxLabel=p["maxLabel"])
        return {"score": p["value"], "scale": scale}
    if kind == "MULTIPLE_CHOICE":
        documented = {k: p[k] for k in ("multiSelect", "randomizedOptions", "maxLimit")}
        choices = [{"label": o, "selected": o in p["selected"]} for o in p["options"]]
        return {**documented, "choices": choices}
    if kind == "RANK_ORDER":
        ranks = {o: i for i, o in enumerate(p["ranking"], 1)}
        return {"rankedOptions": [{"label": o, "rank": ranks[o]} for o in p["options"]]}
    if kind == "MATRIX":
        return {"columns": p["columns"], "answers": {r["row"]: r["column"] for r in p["rows"]}}
    if kind == "WRITTEN":
        return {"response": p["text"]}
    if kind == "URL":
        return _without_none({"taskUrl": p["url"], "completed": p["success"]})
    if kind == "FIGMA":
        rest = {k: v for k, v in p.items() if k != "success"}
        return {**rest, "completed": p["success"]}
    if kind == "IMAGE":
        return {"src": p["imageUrl"], "viewDurationMs": p["viewTimeMs"]}
    if kind == "BLANK":
        return {}
    return p


def _ambiguous(kind: str, p: dict[str, Any]) -> dict[str, Any]:
    if kind == "NPS":
        return {"selected": p["score"], "max": 10}
    if kind == "RATING_SCALE":
        return {"selected": p["value"], "low": p["scaleMin"], "high": p["scaleMax"]}
    if kind == "MULTIPLE_CHOICE":
        documented = {k: p[k] for k in ("multiSelect", "randomizedOptions", "maxLimit")}
        lists = {"options": p["options"], "picked": p["selected"], "shown": p["options"]}
        return {**documented, **lists}
    if kind == "RANK_ORDER":
        return {"items": p["options"], "order": p["ranking"]}
    if kind == "MATRIX":
        return {"grid": [{"r": r["row"], "c": r["column"]} for r in p["rows"]]}
    if kind == "WRITTEN":
        return {"response": p["text"], "language": "en"}
    if kind == "URL":
        if p["success"] is None:
            return {"taskUrl": p["url"]}
        return {"taskUrl": p["url"], "completed": p["success"], "abandoned": not p["success"]}
    if kind == "FIGMA":
        rest = {k: v for k, v in p.items() if k != "success"}
        return {**rest, "completed": p["success"], "abandoned": not p["success"]}
    if kind == "IMAGE":
        return {"src": p["imageUrl"], "thumbnail": p["imageUrl"] + "?w=120"}
    return p


def shaped(kind: str, payload: dict[str, Any], shape: str) -> dict[str, Any]:
    """``payload`` (in the guessed shape, as :mod:`.answers` draws it) in ``shape``."""
    if shape == "alternate":
        return _alternate(kind, payload)
    if shape == "ambiguous":
        return _ambiguous(kind, payload)
    return payload
