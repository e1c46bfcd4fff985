"""One bad session does not sink a batch; no silent short results."""

from __future__ import annotations

from typing import Any

import pytest

import ut_notebook as ut
from tests.hostile.conftest import details_route, good_items, make_test_id, sid, transcript_route
from tests.hostile.server import HostileServer, Reply, Request
from ut_notebook.loaders.per_session import FailedSessionsWarning

IDS = [sid(0, n) for n in range(4)]
BAD = IDS[2]


def _load(kind: str, client: ut.Client) -> tuple[set[str], dict[str, str]]:
    """Load ``kind`` for IDS; (session ids in the result, attrs["failed"])."""
    if kind == "transcripts":
        cues = ut.load_transcripts(IDS, client=client, progress=False)
        return set(cues["sessionId"]), cues.attrs["failed"]
    details = ut.load_session_details(IDS, client=client, progress=False)
    return set(details.participants["sessionId"]), details.attrs["failed"]


@pytest.mark.parametrize("kind", ["transcripts", "details"])
@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(Reply(200, [{"sessionId": BAD}]), id="a JSON list"),
        pytest.param(Reply(200, "null"), id="JSON null"),
        pytest.param(Reply(200, '"WEBVTT"'), id="a JSON string"),
    ],
)
def test_one_unreadable_session_is_recorded_and_the_others_returned(
    kind: str, answer: Reply
) -> None:
    def route(good: Any) -> Any:
        return lambda request: answer if BAD in request.path else good(request)

    with HostileServer() as server:
        server.route("/api/v3/sessionResults/", route(details_route))
        server.route("/api/v2/sessionResults/", route(transcript_route))
        client = server.connect()
        with pytest.warns(FailedSessionsWarning, match="1 of 4"):
            loaded, failed = _load(kind, client)
        assert loaded == set(IDS) - {BAD}
        assert list(failed) == [BAD] and failed[BAD]  # the reason, in words


def test_a_server_that_ignores_offset_is_reported_short() -> None:
    first_page = good_items(3)

    def ignores_offset(request: Request) -> Reply:
        return Reply(200, {"sessions": first_page, "meta": {"pagination": {"totalCount": 10}}})

    with HostileServer() as server:
        server.route("/api/v2/sessionResults", ignores_offset)
        client = server.connect()
        with pytest.warns(ut.IncompleteResultWarning, match="7 missing .*same rows again"):
            df = ut.load_sessions(make_test_id(1), client=client, page_size=3, progress=False)
        assert len(df) == 3 and df.attrs["complete"] is False and df.attrs["totalCount"] == 10
        assert server.count() <= 4  # it gives up instead of asking for ever


def test_items_without_a_session_id_are_reported_short() -> None:
    items: list[Any] = good_items(5)
    del items[0]["sessionId"]
    items[2]["sessionId"] = ""
    items[3]["sessionId"] = 12345

    def page(request: Request) -> Reply:
        return Reply(200, {"sessions": items, "meta": {"pagination": {"totalCount": 5}}})

    with HostileServer() as server:
        server.route("/api/v2/sessionResults", page)
        client = server.connect()
        with pytest.warns(
            ut.IncompleteResultWarning, match=r"3 missing \(3 items without a sessionId\)"
        ):
            df = ut.load_sessions(make_test_id(1), client=client, progress=False)
        assert len(df) == 2 and df.attrs["complete"] is False
