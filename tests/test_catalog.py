"""list_tests (legacy v1 workspaces and cursor paging), load_qx_scores and video_url,
over HTTP against the simulator."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from tests.conftest import connect_to
from ut_notebook.api.client import RetryPolicy
from ut_notebook.demo import TESTS
from ut_notebook.loaders.catalog import TESTS_SCHEMA, list_workspaces
from ut_notebook.loaders.qxscores import QX_SCHEMA

WORKSPACES = "/usertesting/api/v1/workspaces"
PRODUCT = "e382d652-85e8-55eb-96d7-880fa92091c2"


def test_list_tests_follows_the_cursor_through_every_workspace(
    client: ut.Client, server: Any
) -> None:
    tests = ut.list_tests(progress=False)
    assert list(tests.columns) == list(TESTS_SCHEMA)
    assert len(tests) == 72 and tests["testId"].is_unique  # 63 + 9
    assert set(TESTS.values()) <= set(tests["testId"])
    assert str(tests["created"].dtype) == "datetime64[ns, UTC]"
    assert tests["created"].is_monotonic_decreasing
    assert set(tests["type"]) == {"STUDYV2"}
    assert set(tests["productType"]) == {"SURVEY", "NON_THINK_OUT_LOUD", "THINK_OUT_LOUD"}
    assert tests["workspace"].value_counts().to_dict() == {
        "Fernwood Market – Product Research": 63,
        "Fernwood Market – Brand & Marketing": 9,
    }
    survey = tests.set_index("testId").loc[TESTS["survey"]]
    assert survey["title"] == "Fernwood Market customer satisfaction survey – Q4"
    # The workspace list, then two pages of the first workspace (50 + 13), one of the second.
    assert server.count(WORKSPACES) == 4 and tests.attrs["requests"] == 4
    pages = [r.query for r in server.requests if r.path == f"{WORKSPACES}/{PRODUCT}"]
    assert pages == [{}, {"after": "NTA"}]  # base64url of 50


def test_list_tests_of_one_workspace(client: ut.Client, server: Any) -> None:
    by_name = ut.list_tests(workspace="Fernwood Market – Brand & Marketing", progress=False)
    assert len(by_name) == 9
    by_id = ut.list_tests(workspace=PRODUCT.upper(), progress=False)
    assert len(by_id) == 63 and set(by_id["workspaceId"]) == {PRODUCT}
    with pytest.raises(ut.UTError, match="No workspace"):
        ut.list_tests(workspace="Nope", progress=False)
    with pytest.raises(ValueError, match="workspace id"):
        ut.list_tests(workspace="e382d652-85e8-55eb-96d7-880fa92091cZ", progress=False)


def test_workspaces(client: ut.Client) -> None:
    spaces = list_workspaces()
    assert list(spaces["workspaceId"]) == [PRODUCT, "4f22c3ee-b56a-50b4-a849-fee0bc05c032"]


def test_list_tests_failure_keeps_the_partial_list(make_server: Any) -> None:
    # Two requests per minute and no patience: the workspace list and the first page
    # come back, then the rate limit stops the load.
    server = make_server(rate_limit=2, rate_window=60.0)
    connect_to(server, retry=RetryPolicy(max_wait=0.5, backoff=0.01))
    with pytest.raises(ut.RateLimitError) as info:
        ut.list_tests(progress=False)
    partial = info.value.partial
    assert len(partial) == 50 and partial["testId"].is_unique
    assert list(partial.columns) == list(TESTS_SCHEMA) and partial.attrs["partial"] is True
    assert server.count(status=429) == 0


def test_list_tests_failure_at_once_gives_an_empty_typed_partial(make_server: Any) -> None:
    server = make_server(fault_rate=1.0, fault_kinds=("503",), max_consecutive_faults=99)
    connect_to(server)
    with pytest.raises(ut.APIError, match="503") as info:
        ut.list_tests(progress=False)
    partial = info.value.partial
    assert partial.empty and list(partial.columns) == list(TESTS_SCHEMA)
    assert str(partial["created"].dtype) == "datetime64[ns, UTC]"


def test_list_tests_under_a_tight_rate_limit(make_server: Any) -> None:
    server = make_server(rate_limit=2, rate_window=1.0)
    connect_to(server)
    tests = ut.list_tests(progress=False)
    assert len(tests) == 72 and server.count(status=429) == 0


def test_list_tests_needs_a_session() -> None:
    with pytest.raises(ut.NotConnectedError):
        ut.list_tests()


# -- QXscores -----------------------------------------------------------------------------


def test_qx_scores_of_the_interaction_test(client: ut.Client) -> None:
    qx = ut.load_qx_scores(TESTS["interaction"])
    assert list(qx.columns) == list(QX_SCHEMA)
    assert list(qx["label"]) == ["QXscore 1: Find a product", "QXscore 2: Checkout"]
    for column in ("qxScore", "behavioral", "attitudinal", "usability", "loyalty"):
        assert str(qx[column].dtype) == "Float64" and qx[column].between(0, 100).all()
    assert str(qx["completes"].dtype) == "Int64" and (qx["completes"] > 100).all()
    # The documented arithmetic: the score is the mean of the two components.
    assert ((qx["behavioral"] + qx["attitudinal"]) / 2 - qx["qxScore"]).abs().max() <= 0.6
    assert [len(v) for v in qx["behavioralTasks"]] == [2, 2]
    assert qx.attrs["testId"] == TESTS["interaction"] and qx.attrs["totalQxTasks"] == 2


def test_qx_scores_match_the_session_details(client: ut.Client) -> None:
    qx = ut.load_qx_scores(TESTS["interaction"])
    groups = ut.load_session_details(TESTS["interaction"], progress=False).task_groups
    assert set(qx["taskGroupId"]) < set(groups["taskGroupId"])


def test_qx_scores_errors(client: ut.Client, server: Any) -> None:
    with pytest.raises(ut.NotFoundError, match="QXscore"):
        ut.load_qx_scores(TESTS["survey"])
    server.reset_log()
    with pytest.raises(ValueError):
        ut.load_qx_scores("interaction")
    assert server.count("/api/") == 0


# -- video ----------------------------------------------------------------------------------


def test_video_url(client: ut.Client, server: Any) -> None:
    sid = server.session_ids(TESTS["think_out_loud"])[0]
    link = ut.video_url(f" {sid.upper()} ")
    assert isinstance(link, ut.VideoURL) and link.session_id == sid
    assert link.url.startswith(server.url + "/media/") and str(link) == link.url
    assert str(link.expires_at.tz) == "UTC" and not link.expired
    assert pd.Timedelta(minutes=55) < link.expires_in <= pd.Timedelta(hours=1)
    assert "Signature" not in repr(link) and sid in repr(link)
    assert link.url in link._repr_html_().replace("&amp;", "&")
    with pytest.raises(FrozenInstanceError):
        link.url = "x"  # type: ignore[misc]
    with pytest.raises(ut.NotFoundError, match="No video"):
        ut.video_url(server.session_ids(TESTS["survey"])[0])
    with pytest.raises(ValueError):
        ut.video_url("123")
