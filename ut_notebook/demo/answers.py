"""One participant's answer to one task: the payload under the task type's answer key.

Every payload is drawn from ``random.Random`` seeded with the session id and the task
uuid, plus the session's mood (a standard-normal number shared by all of the session's
tasks, so a happy participant is happy throughout). The shapes are documented in
docs/simulator.md.
"""

from __future__ import annotations

import random
from typing import Any

from .plans import ANSWER_KEYS, WRITTEN, TaskDef

__all__ = ["answer_key", "answer_object", "task_answer", "task_rng"]


def task_rng(session_id: str, task_id: str) -> random.Random:
    return random.Random(f"ut-demo:answer:{session_id}:{task_id}")


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _mood_bucket(mood: float, rng: random.Random) -> int:
    m = mood + rng.gauss(0, 0.4)
    return 0 if m < -0.6 else 2 if m > 0.5 else 1


def task_answer(
    task: TaskDef, rng: random.Random, mood: float, duration_ms: int = 0
) -> tuple[bool, dict[str, Any] | None]:
    """``(skipped, payload)``; ``payload`` is ``None`` when skipped."""
    if rng.random() < task.skip:
        return True, None
    p = task.params
    kind = task.type
    if kind == "NPS":
        return False, {"score": int(_clamp(round(7.9 + 1.9 * mood + rng.gauss(0, 1.2)), 0, 10))}
    if kind == "RATING_SCALE":
        lo, hi = p["min"], p["max"]
        frac = p["bias"] + 0.22 * mood + rng.gauss(0, 0.16)
        return False, {
            "value": int(_clamp(round(lo + frac * (hi - lo)), lo, hi)),
            "scaleMin": lo,
            "scaleMax": hi,
            "minLabel": p["minLabel"],
            "maxLabel": p["maxLabel"],
        }
    if kind == "MULTIPLE_CHOICE":
        options, weights = p["options"], p["weights"]
        if p["multi"]:
            selected = [o for o, w in zip(options, weights, strict=True) if rng.random() < w]
            if not selected:
                selected = [options[weights.index(max(weights))]]
        else:
            selected = rng.choices(options, weights=weights)
        return False, {
            "multiSelect": p["multi"],
            "randomizedOptions": p["randomized"],
            "maxLimit": p["maxLimit"],
            "options": list(options),
            "selected": selected,
        }
    if kind == "RANK_ORDER":
        keyed = [
            (w + rng.gauss(0, 0.8), o) for o, w in zip(p["options"], p["importance"], strict=True)
        ]
        return False, {
            "options": list(p["options"]),
            "ranking": [o for _, o in sorted(keyed, key=lambda x: -x[0])],
        }
    if kind == "MATRIX":
        columns = p["columns"]
        top = len(columns) - 1
        rows = []
        for row, bias in zip(p["rows"], p["bias"], strict=True):
            i = int(_clamp(round(bias * top + 0.9 * mood + rng.gauss(0, 0.8)), 0, top))
            rows.append({"row": row, "column": columns[i]})
        return False, {"rows": rows, "columns": list(columns)}
    if kind == "WRITTEN":
        pool = WRITTEN[p["topic"]][_mood_bucket(mood, rng)]
        return False, {"text": rng.choice(pool)}
    if kind == "URL":
        success = p["success"]
        if success is not None:
            success = rng.random() < _clamp(success + 0.08 * mood, 0.05, 0.98)
        return False, {"url": p["url"], "success": success}
    if kind == "IMAGE":
        return False, {"imageUrl": p["imageUrl"], "viewTimeMs": int(duration_ms)}
    if kind == "FIGMA":
        return False, {
            "prototypeUrl": p["prototypeUrl"],
            "figmaPrototypeTitle": p["title"],
            "figmaPrototypeDisplaySetting": p["display"],
            "success": rng.random() < _clamp(p["success"] + 0.08 * mood, 0.05, 0.98),
        }
    if kind == "BLANK":
        return False, {"completed": True}
    if kind == "CARD_SORT":
        groups = {g: [] for g in p["groups"]}
        for card in p["cards"]:
            groups[rng.choice(p["groups"])].append(card)
        return False, {
            "cards": list(p["cards"]),
            "groups": [{"name": g, "cards": c} for g, c in groups.items()],
        }
    raise ValueError(f"no answer generator for task type {kind}")


def answer_key(task_type: str) -> str:
    """The answer key of a task type: ``RATING_SCALE`` -> ``ratingScale``."""
    if task_type in ANSWER_KEYS:
        return ANSWER_KEYS[task_type]
    head, *rest = task_type.lower().split("_")
    return head + "".join(w.capitalize() for w in rest)


def answer_object(task_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """All ten documented answer keys, ``None`` except the task type's own."""
    answer: dict[str, Any] = dict.fromkeys(ANSWER_KEYS.values())
    answer[answer_key(task_type)] = payload
    return answer
