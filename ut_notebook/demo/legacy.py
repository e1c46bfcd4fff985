"""Legacy v1 payloads: workspaces, the studies in a workspace (cursor pages), a study."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .catalog import CATALOG, WORKSPACES, TestSpec
from .data import iso_s
from .plans import PLANS

__all__ = ["PAGE_SIZE", "BadCursor", "study", "task_node", "workspace_studies", "workspaces"]

PAGE_SIZE = 50

# v3 task type -> the legacy taskType string.
_LEGACY_TYPES = {
    "BLANK": "blank",
    "RATING_SCALE": "rating_scale",
    "MULTIPLE_CHOICE": "multiple_choice",
    "IMAGE": "image",
    "NPS": "net_promoter_score",
    "URL": "launch_url",
    "RANK_ORDER": "rank_order",
    "WRITTEN": "written_response",
    "FIGMA": "figma_prototype",
    "MATRIX": "matrix",
    # Types the help centre lists (and the v3 enum lacks): free strings in v1 too.
    "VERBAL": "verbal_response",
    "SKIPPED": "skipped",
}


class BadCursor(ValueError):
    pass


def workspaces() -> list[dict[str, str]]:
    return [{"id": w.id, "name": w.name, "uuid": w.uuid} for w in WORKSPACES]


def encode_cursor(position: int) -> str:
    """Position 1 -> ``MQ`` (unpadded base64 of ``"1"``), as in the API's examples."""
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        position = int(text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(f"Invalid cursor: {cursor}") from None
    if position < 1 or encode_cursor(position) != cursor:
        raise BadCursor(f"Invalid cursor: {cursor}")
    return position


def _studies_of(workspace_uuid: str) -> list[TestSpec]:
    specs = [s for s in CATALOG.values() if s.workspace == workspace_uuid]
    specs.sort(key=lambda s: (-s.ordered_at_ms, s.id))  # newest first
    return specs


def workspace_studies(
    workspace_uuid: str, after: str | None = None, before: str | None = None
) -> list[dict[str, Any]] | None:
    """A page of up to 50 ``WorkspaceStudy``; ``None`` for an unknown workspace.

    ``after=<cursor>``: the 50 following that item; ``before=<cursor>``: the 50 preceding
    it. Past the end the page is empty.
    """
    if not any(w.uuid == workspace_uuid for w in WORKSPACES):
        return None
    specs = _studies_of(workspace_uuid)
    if after is not None:
        lo = decode_cursor(after)
    elif before is not None:
        lo = max(0, decode_cursor(before) - 1 - PAGE_SIZE)
    else:
        lo = 0
    hi = lo + PAGE_SIZE
    if before is not None and after is None:
        hi = min(hi, decode_cursor(before) - 1)
    return [
        {
            "cursor": encode_cursor(i + 1),
            "orderedAt": iso_s(spec.ordered_at_ms),
            "orderedBy": {"email": spec.ordered_by[1], "name": spec.ordered_by[0]},
            "productType": spec.product_type,
            "title": spec.title,
            "type": "STUDYV2",
            "uuid": spec.id,
        }
        for i, spec in enumerate(specs[lo:hi], start=lo)
    ]


def task_node(test_id: str, position: int, task) -> dict[str, Any]:
    """The ``StudyTaskNode`` of a task at 1-based ``position`` in the plan of ``test_id``."""
    p = task.params
    node: dict[str, Any] = {
        "blurPII": False,
        "grouping": "INITIAL" if position == 1 else "MAIN",
        "position": position,
        "resultType": "",
        "taskGroup": {
            "id": base64.b64encode(f"TaskGroups::{task.group or 'Main'}-{test_id}".encode())
            .decode()
            .rstrip("="),
            "type": "QX" if task.group else "MAIN",
        },
        "taskType": _LEGACY_TYPES[task.type],
        "text": task.text,
    }
    if task.type == "MULTIPLE_CHOICE":
        node["choices"] = list(p["options"])
        node["multipleAnswers"] = p["multi"]
        node["resultType"] = "multiple-choice"
    elif task.type in ("RANK_ORDER",):
        node["choices"] = list(p["options"])
    elif task.type == "MATRIX":
        node["choices"] = list(p["columns"])
    elif task.type == "RATING_SCALE":
        node.update(
            scaleMinimum=p["min"],
            scaleMaximum=p["max"],
            lowerEndpoint=p["minLabel"],
            upperEndpoint=p["maxLabel"],
            resultType="rating",
        )
    elif task.type == "NPS":
        node.update(
            scaleMinimum=0,
            scaleMaximum=10,
            lowerEndpoint="Not at all likely",
            upperEndpoint="Extremely likely",
            resultType="rating",
        )
    elif task.type == "URL":
        node["launchUrl"] = p["url"]
    elif task.type == "FIGMA":
        node["launchUrl"] = p["prototypeUrl"]
    elif task.type == "WRITTEN":
        node["resultType"] = "open-ended"
    return node


def study(
    spec: TestSpec, session_count: int, nps: list[dict[str, int]], extra: tuple[Any, ...] = ()
) -> dict[str, Any]:
    """The legacy ``Study`` of a test; ``extra`` tasks follow the plan's (the VERBAL and
    SKIPPED tasks the v3 answers carry when ``help_centre_task_types`` is on)."""
    plan = [*PLANS[spec.plan], *extra]
    return {
        "netPromoterScores": nps,
        "orderedBy": {"email": spec.ordered_by[1], "name": spec.ordered_by[0]},
        "sessionCount": session_count,
        "tasks": [task_node(spec.id, i, t) for i, t in enumerate(plan, start=1)],
        "testPlan": {"shortTest": spec.short_test},
        "title": spec.title,
    }
