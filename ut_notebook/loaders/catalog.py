"""``ut.list_tests()``: the tests you can see, so nobody copies UUIDs from the web app.

Uses the legacy v1 API: the workspaces, then each workspace's tests ("studies"),
following its cursor pagination (50 per page).

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                                                 # doctest: +ELLIPSIS
<ut_notebook.Client demo ...>
>>> tests = ut.list_tests(progress=False)
>>> list(tests.columns)[:3]
['title', 'testId', 'created']
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from .. import known_tests
from ..api.client import Client
from ..api.connect import require_client
from ..errors import UTError
from ..frames import UTC_DATETIME, typed_frame
from ..ids import parse_uuid
from ..ui.progress import LoadBar
from .paginate import cursor_pages, partial_on_error, unexpected

__all__ = ["TESTS_SCHEMA", "list_tests", "list_workspaces"]

LEGACY = "/usertesting/api/v1"
PAGE_SIZE = 50  # the API's fixed page size
MAX_PAGES = 1000  # a guard against a cursor that never ends

TESTS_SCHEMA = {
    "title": "string",
    "testId": "string",
    "created": UTC_DATETIME,
    "type": "category",
    "productType": "category",
    "workspace": "category",
    "workspaceId": "string",
    "orderedBy": "string",
}
WORKSPACE_SCHEMA = {"name": "string", "workspaceId": "string", "id": "string"}


def list_workspaces(*, client: Client | None = None, session: Client | None = None) -> pd.DataFrame:
    """The workspaces you can see: ``name``, ``workspaceId`` (UUID) and ``id``."""
    client = require_client(client, session)
    body = client.get_json(f"{LEGACY}/workspaces")
    if not isinstance(body, list):
        raise unexpected("the workspaces", "not a list")
    rows = [
        {"name": w.get("name"), "workspaceId": w.get("uuid"), "id": w.get("id")}
        for w in body
        if isinstance(w, Mapping)
    ]
    return typed_frame(rows, WORKSPACE_SCHEMA)


def _frame(rows: list[dict[str, Any]], attrs: dict[str, Any]) -> pd.DataFrame:
    seen: set[str] = set()
    unique = []
    for row in rows:  # a test shared by several workspaces is listed once (the first)
        if row.get("testId") not in seen:
            seen.add(row.get("testId"))  # type: ignore[arg-type]
            unique.append(row)
    df = typed_frame(unique, TESTS_SCHEMA)
    df = df.sort_values("created", ascending=False, kind="stable", na_position="last")
    df = df.reset_index(drop=True)
    df.attrs.update(attrs)
    return df


def list_tests(
    *,
    workspace: str | None = None,
    client: Client | None = None,
    session: Client | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Every test in the workspaces you can see, newest first.

    Args:
        workspace: only this workspace (its UUID or its exact name); default: all.
        client: a :class:`~ut_notebook.Client`; default: the current one
            (``session=`` is its deprecated name).
        progress: ``None`` shows a bar when there is more than one workspace.

    Returns:
        A frame with ``title``, ``testId``, ``created`` (UTC), ``type`` (STUDYV2 tests
        work with the Results API), ``productType`` (SURVEY, THINK_OUT_LOUD, ...),
        ``workspace`` (name), ``workspaceId`` and ``orderedBy`` (name). A test in
        several workspaces is listed once. ``df.attrs`` holds ``workspaces``,
        ``requests`` and ``fetched_at``.

    Raises:
        ValueError: ``workspace`` looks like a UUID but is not a valid one.
        UTError: the API failed; ``err.partial`` holds the tests listed so far.

    >>> tests = ut.list_tests()                                            # doctest: +SKIP
    >>> tests.query("type == 'STUDYV2'").head()                            # doctest: +SKIP
    """
    wanted_uuid = None
    if workspace is not None and "-" in workspace and len(workspace.strip()) == 36:
        wanted_uuid = parse_uuid(workspace, "workspace id")
    client = require_client(client, session)
    rows: list[dict[str, Any]] = []
    attrs: dict[str, Any] = {
        "workspaces": 0,
        "requests": 0,
        "fetched_at": pd.Timestamp(datetime.now(timezone.utc)),
    }
    with partial_on_error(lambda: _frame(rows, {**attrs, "partial": True})):
        spaces = list_workspaces(client=client)
        attrs["requests"] += 1
        if workspace is not None:
            if wanted_uuid is not None:
                spaces = spaces[spaces["workspaceId"] == wanted_uuid]
            else:
                spaces = spaces[spaces["name"] == workspace]
            if spaces.empty:
                raise UTError(
                    f"No workspace {workspace!r} among yours; ut.list_workspaces() shows them."
                )
        attrs["workspaces"] = len(spaces)
        with LoadBar(progress, "tests in workspaces", unit="workspace") as bar:
            bar.start(len(spaces))
            for name, space_id in zip(spaces["name"], spaces["workspaceId"], strict=True):
                attrs["requests"] += _read_workspace(client, str(space_id), str(name), rows, bar)
                bar.advance(postfix=f"{len(rows):,} tests")
        for row in rows:  # so charts can show titles instead of ids
            if isinstance(row.get("testId"), str):
                known_tests.remember(row["testId"], title=row.get("title"))
        return _frame(rows, attrs)


def _read_workspace(
    client: Client, space_id: str, name: str, rows: list[dict[str, Any]], bar: LoadBar
) -> int:
    """Append the workspace's tests to ``rows``; returns the requests made."""
    requests = 0
    for page in cursor_pages(
        client,
        f"{LEGACY}/workspaces/{space_id}",
        page_size=PAGE_SIZE,
        max_pages=MAX_PAGES,
        what=f"tests of workspace {name!r}",
        not_found=f"Workspace {name!r} ({space_id}) was not found (HTTP 404).",
        bar=bar,
    ):
        requests += 1
        for item in page:
            if not isinstance(item, Mapping):
                continue
            ordered_by = item.get("orderedBy")
            rows.append(
                {
                    "title": item.get("title"),
                    "testId": item.get("uuid"),
                    "created": item.get("orderedAt"),
                    "type": item.get("type"),
                    "productType": item.get("productType"),
                    "workspace": name,
                    "workspaceId": space_id,
                    "orderedBy": ordered_by.get("name")
                    if isinstance(ordered_by, Mapping)
                    else None,
                }
            )
    return requests
