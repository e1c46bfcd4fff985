"""``ut.load_qx_scores(test_id)``: the QXscore of each QX task group of a test.

QXscore (0-100) combines a behavioral component (navigation task success) and an
attitudinal one (usability, trust, appearance and loyalty ratings), computed by
UserTesting from the test's completed sessions.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> ut.load_qx_scores(ut.demo.TESTS["interaction"])[["label", "qxScore"]].shape
(2, 2)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from ..api.client import Client
from ..api.connect import require_client
from ..errors import APIError
from ..frames import typed_frame
from ..ids import parse_uuid

__all__ = ["QX_SCHEMA", "load_qx_scores"]

QX_PATH = "/api/v2/testResults/{}/qxScores"

QX_SCHEMA = {
    "taskGroupId": "string",
    "label": "string",
    "qxScore": "Float64",
    "behavioral": "Float64",
    "attitudinal": "Float64",
    "usability": "Float64",
    "trust": "Float64",
    "appearance": "Float64",
    "loyalty": "Float64",
    "behavioralTasks": "object",  # success rate (%) of each navigation task, a list
    "completes": "Int64",
}


def _number(value: Any) -> float | None:
    """A finite number, else None (JSON may carry NaN, Infinity or 1e400)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _count(value: Any) -> int | None:
    """A whole number of sessions that fits an Int64 column, else None."""
    number = _number(value)
    if number is None or not number.is_integer() or abs(number) >= 2**63:
        return None
    return int(number)


def _object(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one: a field of the wrong type
    reads as absent instead of raising AttributeError."""
    return value if isinstance(value, Mapping) else {}


def load_qx_scores(
    test_id: str, *, client: Client | None = None, session: Client | None = None
) -> pd.DataFrame:
    """One row per QX task group: ``taskGroupId``, ``label``, ``qxScore``, the
    ``behavioral`` and ``attitudinal`` components, the four attitudinal values
    (``usability``, ``trust``, ``appearance``, ``loyalty``), ``behavioralTasks`` (the
    success rate of each navigation task) and ``completes`` (sessions it is based on).

    Scores are NA while no session has completed. ``df.attrs`` holds ``testId``,
    ``totalQxTasks``, ``completes`` and ``fetched_at``.

    Raises:
        ValueError: ``test_id`` is not a UUID (before any request).
        NotFoundError: unknown test, or a test without QX task groups.
    """
    test_id = parse_uuid(test_id, "test id")
    client = require_client(client, session)
    body = client.get_json(
        QX_PATH.format(test_id),
        not_found=(
            f"No QXscores for test {test_id} (HTTP 404): the test does not exist, is not in "
            "your workspaces, or has no QXscore task groups (only interaction tests do)."
        ),
    )
    try:
        items = body["qxScores"]
        meta = _object(body.get("meta"))
        if not isinstance(items, list):
            raise TypeError("qxScores is not a list")
    except (KeyError, TypeError, AttributeError) as exc:
        raise APIError(
            f"Unexpected answer for the QXscores of test {test_id}: {exc}. "
            "The API may have changed; please report this."
        ) from None
    completes = _count(meta.get("completes"))
    rows = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        components = _object(item.get("components"))
        values = _object(item.get("values"))
        tasks = values.get("behavioral")
        rows.append(
            {
                "taskGroupId": item.get("taskGroupId"),
                "label": item.get("label"),
                "qxScore": _number(item.get("qxScore")),
                "behavioral": _number(components.get("behavioral")),
                "attitudinal": _number(components.get("attitudinal")),
                "usability": _number(values.get("usability")),
                "trust": _number(values.get("trust")),
                "appearance": _number(values.get("appearance")),
                "loyalty": _number(values.get("loyalty")),
                "behavioralTasks": [_number(v) for v in tasks] if isinstance(tasks, list) else None,
                "completes": completes,
            }
        )
    df = typed_frame(rows, QX_SCHEMA)
    df.attrs.update(
        {
            "testId": test_id,
            "totalQxTasks": _number(meta.get("totalQxTasks")),
            "completes": completes,
            "fetched_at": pd.Timestamp(datetime.now(timezone.utc)),
        }
    )
    return df
