"""Fixtures and data builders for the hostile-server tests."""

from __future__ import annotations

import secrets
import traceback
import uuid
from typing import Any

import pytest

from tests.hostile.server import Reply, Request


def sid(test: int, n: int) -> str:
    return str(uuid.UUID(int=(test << 64) | (n + 1), version=4))


def make_test_id(test: int) -> str:
    return str(uuid.UUID(int=(test << 96) | 7, version=4))


def summary(session_id: str, n: int) -> dict[str, Any]:
    return {
        "sessionId": session_id,
        "audienceId": str(uuid.UUID(int=99, version=4)),
        "status": "COMPLETE",
        "startTime": f"2026-01-{1 + n % 28:02d}T10:00:00Z",
        "finishTime": f"2026-01-{1 + n % 28:02d}T10:20:00Z",
    }


def sessions_route(tests: dict[str, int]) -> Any:
    """``/api/v2/sessionResults`` honouring limit/offset for tests of given sizes."""

    def handler(request: Request) -> Reply:
        tid = request.query.get("testId", "")
        if tid not in tests:
            return Reply(404, {"message": "not found"})
        number = list(tests).index(tid)
        total = tests[tid]
        limit, offset = int(request.query.get("limit", 25)), int(request.query.get("offset", 0))
        items = [summary(sid(number, n), n) for n in range(offset, min(total, offset + limit))]
        return Reply(200, {"sessions": items, "meta": {"pagination": {"totalCount": total}}})

    return handler


def details_doc(session_id: str) -> dict[str, Any]:
    return {
        "sessionId": session_id,
        "audienceId": str(uuid.UUID(int=99, version=4)),
        "testPlanId": str(uuid.UUID(int=98, version=4)),
        "sessionParticipant": {"participantId": session_id, "demographicsInfo": []},
        "taskGroups": [],
        "tasks": [],
    }


def details_route(request: Request) -> Reply:
    return Reply(200, details_doc(request.path.rsplit("/", 1)[-1]))


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The servers listen on loopback: never route them through a proxy from the shell.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\n<v Participant>{text}\n"


def vtt(text: str = "Hello") -> str:
    """A one-cue WebVTT transcript saying ``text``."""
    return VTT.format(text=text)


def transcript_route(request: Request) -> Reply:
    """``/api/v2/sessionResults/{id}/transcript``: a WebVTT naming its session."""
    session_id = request.path.rstrip("/").split("/")[-2]
    return Reply(200, vtt(f"I am {session_id}"), headers={"Content-Type": "text/vtt"})


def fresh_token() -> str:
    """A token no earlier test registered as a secret, so a leak cannot be masked."""
    return "tk" + secrets.token_hex(29)  # 60 visible ASCII characters


def fragments(secret: str, size: int = 8) -> set[str]:
    """Every ``size``-character piece of ``secret``: a leak of any of them is a leak."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def assert_no_fragment(text: str, secret: str) -> None:
    leaked = sorted(piece for piece in fragments(secret) if piece in text)
    assert not leaked, f"secret fragments leaked: {leaked[:3]} in {text[:300]!r}"


def exception_texts(err: BaseException) -> str:
    """Every text an exception shows: str, repr, attributes, the formatted traceback and
    the whole chain of causes and contexts."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        parts += [repr(v) for v in vars(current).values()]
        parts += traceback.format_exception(current)
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def paged(items: list[Any], total: int | None = None) -> Any:
    """A ``sessionResults`` handler serving ``items`` (any JSON values) by limit/offset,
    with ``totalCount`` = ``total`` (default: how many items there are)."""

    def handler(request: Request) -> Reply:
        limit, offset = int(request.query.get("limit", 25)), int(request.query.get("offset", 0))
        count = len(items) if total is None else total
        page = items[offset : offset + limit]
        return Reply(200, {"sessions": page, "meta": {"pagination": {"totalCount": count}}})

    return handler


def good_items(count: int, test: int = 0) -> list[dict[str, Any]]:
    return [summary(sid(test, n), n) for n in range(count)]
