"""ut.load_sessions against the simulator: paging, dtypes, change, truncation, failures."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from tests.conftest import connect_to
from ut_notebook.demo import TESTS

PATH = "/api/v2/sessionResults"
COLUMNS = ["sessionId", "audienceId", "status", "startTime", "finishTime", "duration"]


def assert_session_dtypes(df: pd.DataFrame) -> None:
    assert list(df.columns) == COLUMNS
    assert isinstance(df["sessionId"].dtype, pd.StringDtype)
    assert isinstance(df["audienceId"].dtype, pd.StringDtype)
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    for col in ("startTime", "finishTime"):
        assert isinstance(df[col].dtype, pd.DatetimeTZDtype) and str(df[col].dt.tz) == "UTC"
    assert pd.api.types.is_timedelta64_dtype(df["duration"])


@pytest.mark.parametrize(
    "name,page_size", [("survey", 500), ("survey", 100), ("survey", 120), ("interaction", 7)]
)
def test_fewest_requests_and_every_session(
    client: ut.Client, server: Any, name: str, page_size: int
) -> None:
    expected = server.session_ids(TESTS[name])
    df = ut.load_sessions(TESTS[name], page_size=page_size, progress=False)
    assert list(df["sessionId"]) == expected  # all of them, newest first, no duplicates
    assert server.count(PATH) == math.ceil(len(expected) / page_size)
    assert df.attrs["requests"] == server.count(PATH)
    limits = {int(r.query["limit"]) for r in server.requests if r.path == PATH}
    assert limits == {page_size}


def test_columns_dtypes_and_values(client: ut.Client) -> None:
    df = ut.load_sessions(TESTS["survey"], progress=False)
    assert_session_dtypes(df)
    assert df["startTime"].is_monotonic_decreasing
    complete = df["status"] == "COMPLETE"
    assert complete.any() and (~complete).any()
    assert df.loc[complete, "finishTime"].notna().all()
    assert df.loc[~complete, "duration"].isna().all()
    delta = df.loc[complete, "finishTime"] - df.loc[complete, "startTime"]
    assert (df.loc[complete, "duration"] == delta).all()
    assert (df.loc[complete, "duration"] > pd.Timedelta(0)).all()
    assert df["audienceId"].isna().any() and df["audienceId"].notna().any()
    assert df.attrs["testId"] == TESTS["survey"]
    assert df.attrs["totalCount"] == 240 and df.attrs["truncated"] is False
    assert df.attrs["fetched_at"].tzinfo is not None


def test_empty_test_gives_empty_typed_frame(client: ut.Client, server: Any) -> None:
    df = ut.load_sessions(TESTS["empty"], progress=False)
    assert len(df) == 0
    assert_session_dtypes(df)
    assert server.count(PATH) == 1


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "12345",
        "3fa85f64-5717-4562-b3fc-2c963f66afa",
        "not-a-uuid-at-all-but-36-characters!",
        "{3fa85f64-5717-4562-b3fc-2c963f66afa6}",
        "3fa85f6457174562b3fc2c963f66afa6",
    ],
)
def test_malformed_test_id_raises_before_any_request(
    client: ut.Client, server: Any, bad: str
) -> None:
    with pytest.raises(ValueError, match="not a valid test id"):
        ut.load_sessions(bad)
    assert server.count("/api/") == 0


def test_non_string_test_id(client: ut.Client) -> None:
    with pytest.raises(TypeError):
        ut.load_sessions(12345)  # type: ignore[arg-type]


def test_uppercase_and_whitespace_ids_are_accepted(client: ut.Client, server: Any) -> None:
    df = ut.load_sessions(f"  {TESTS['think_out_loud'].upper()}\n", progress=False)
    assert len(df) == 36
    (request,) = [r for r in server.requests if r.path == PATH]
    assert request.query["testId"] == TESTS["think_out_loud"]


@pytest.mark.parametrize("page_size", [0, 501, -5])
def test_page_size_out_of_range(client: ut.Client, server: Any, page_size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        ut.load_sessions(TESTS["survey"], page_size=page_size)
    assert server.count("/api/") == 0


def test_max_rows_reads_only_the_newest(client: ut.Client, server: Any) -> None:
    df = ut.load_sessions(TESTS["survey"], max_rows=30, page_size=500, progress=False)
    assert list(df["sessionId"]) == server.session_ids(TESTS["survey"])[:30]
    assert server.count(PATH) == 1
    (request,) = [r for r in server.requests if r.path == PATH]
    assert request.query["limit"] == "30"


def test_unknown_test_is_not_found(client: ut.Client) -> None:
    missing = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(ut.NotFoundError, match=missing):
        ut.load_sessions(missing)


def test_sessions_arriving_during_paging(make_server: Any) -> None:
    server = make_server(arrivals_per_request=7)
    connect_to(server)
    before = server.session_ids(TESTS["survey"])
    df = ut.load_sessions(TESTS["survey"], page_size=50, progress=False)
    assert df["sessionId"].is_unique
    assert set(before) <= set(df["sessionId"])  # every session that existed at the start
    assert len(server.session_ids(TESTS["survey"])) > len(before)  # arrivals did happen
    assert df["startTime"].is_monotonic_decreasing
    assert df.attrs["totalCount"] == len(before)


def test_truncated_at_the_offset_cap(client: ut.Client, server: Any) -> None:
    with pytest.warns(ut.TruncatedResultWarning, match="10,000"):
        df = ut.load_sessions(TESTS["large"], progress=False)
    assert len(df) == 10_500 and df["sessionId"].is_unique
    assert df.attrs["truncated"] is True and df.attrs["totalCount"] == 12_150
    assert list(df["sessionId"]) == server.session_ids(TESTS["large"])[:10_500]
    offsets = [int(r.query["offset"]) for r in server.requests if r.path == PATH]
    assert max(offsets) == 10_000 and len(offsets) == 21


def test_truncation_with_odd_page_size_reaches_as_far_as_possible(
    client: ut.Client, server: Any
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = ut.load_sessions(TESTS["large"], page_size=300, progress=False)
    assert any(issubclass(w.category, ut.TruncatedResultWarning) for w in caught)
    assert len(df) == 10_300  # offsets 0, 300, ..., 9900, then the cap 10000 (+300)


def test_progress_bar_shows_pages_but_no_secret(
    client: ut.Client, server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ut.load_sessions(TESTS["survey"], page_size=100, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "page" in err
    assert server.config.client_secret not in err
    ut.load_sessions(TESTS["survey"], page_size=100, progress=False)
    assert capsys.readouterr().err == ""


def test_automatic_progress_only_for_several_pages(
    client: ut.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    ut.load_sessions(TESTS["survey"], page_size=500)
    assert capsys.readouterr().err == ""
    ut.load_sessions(TESTS["survey"], page_size=60)
    assert "4/4" in capsys.readouterr().err
