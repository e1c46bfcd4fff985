"""ut.load_session_details against the simulator over HTTP: frames, cache, rate limit,
interruption, incremental loads, background jobs, export."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from tests.conftest import FAST_RETRY, connect_to
from ut_notebook.demo import TESTS
from ut_notebook.jobs import LoadStatus
from ut_notebook.loaders.details import (
    DEMOGRAPHICS_SCHEMA,
    PARTICIPANT_SCHEMA,
    TASK_GROUP_SCHEMA,
    TASK_SCHEMA,
    MissingSessionsWarning,
)

DETAILS = "/api/v3/sessionResults/"
CODES = [
    "GENDER",
    "AGE_GROUP",
    "COUNTRY",
    "INCOME",
    "EMPLOYMENT_STATUS",
    "WEB_EXPERTISE",
    "INTERESTS",
    "SOCIAL_NETWORKS",
]
# Each plan's tasks, plus the VERBAL and SKIPPED tasks the simulator adds by default
# (help-centre task types, see docs/API_FIDELITY.md).
PLAN_LENGTH = {"survey": 12, "interaction": 14, "think_out_loud": 9, "empty": 12}


def _dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


def _expected(schema: dict[str, str]) -> dict[str, str]:
    return {name: str(pd.Series([], dtype=dtype).dtype) for name, dtype in schema.items()}


def _detail_ids(server: Any) -> list[str]:
    """Session ids whose details the server was asked for, in order."""
    return [r.path.rsplit("/", 1)[-1] for r in server.requests if r.path.startswith(DETAILS)]


def _complete(server: Any, test: str) -> set[str]:
    sessions = ut.load_sessions(TESTS[test], progress=False)
    server.reset_log()
    return set(sessions.loc[sessions["status"] == "COMPLETE", "sessionId"])


# -- frames -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["survey", "interaction", "think_out_loud", "empty"])
def test_frames_shapes_and_dtypes_for_each_demo_test(
    client: ut.Client, server: Any, name: str
) -> None:
    n = len(server.session_ids(TESTS[name]))
    details = ut.load_session_details(TESTS[name], progress=False)
    assert isinstance(details, ut.SessionDetails)
    assert server.count(DETAILS) == n and server.count(status=429) == 0

    people = details.participants
    codes = CODES if n else []
    assert list(people.columns) == [*PARTICIPANT_SCHEMA, *codes]
    assert len(people) == n and people["sessionId"].is_unique
    assert list(people["sessionId"]) == server.session_ids(TESTS[name])  # newest first
    expected = _expected(PARTICIPANT_SCHEMA)
    for code in codes:
        expected[code] = "string" if code in ("INTERESTS", "SOCIAL_NETWORKS") else "category"
    got = _dtypes(people)
    for code in codes:  # category dtypes print their categories: compare the kind only
        got[code] = "category" if got[code].startswith("category") else got[code]
    assert got == expected

    assert list(details.demographics.columns) == list(DEMOGRAPHICS_SCHEMA)
    assert all(str(d) in ("string", "category") for d in details.demographics.dtypes)
    assert details.demographics["sessionId"].nunique() == n
    assert len(details.demographics) >= 8 * n

    tasks = details.tasks
    assert list(tasks.columns) == list(TASK_SCHEMA)
    assert len(tasks) == n * PLAN_LENGTH[name]
    got = _dtypes(tasks)
    for column in ("text", "type"):
        got[column] = "category"
    assert got == {**_expected(TASK_SCHEMA), "text": "category", "type": "category"}
    assert (tasks.groupby("sessionId")["position"].max() == PLAN_LENGTH[name]).all()
    reached = tasks[tasks["reached"]]
    assert (reached["duration"] >= pd.Timedelta(0)).all()
    assert (reached["duration"] == reached["endOffset"] - reached["startOffset"]).all()
    assert tasks.loc[~tasks["reached"], ["skipped", "startOffset", "rawAnswer"]].isna().all().all()

    groups = details.task_groups
    assert list(groups.columns) == list(TASK_GROUP_SCHEMA)
    got = _dtypes(groups)
    got["type"] = got["sequence"] = "category"
    assert got == {**_expected(TASK_GROUP_SCHEMA), "type": "category", "sequence": "category"}
    if name == "interaction":
        assert len(groups) == 3 * n
        assert list(groups["type"].cat.categories) == ["BALANCED_COMPARISON", "QX_SCORE"]
        qx = groups[groups["type"] == "QX_SCORE"]["qxScore"].dropna()
        assert len(qx) > n and qx.between(0, 100).all()
        assert set(groups["sequence"].dropna()) == {"AB", "BA"}
    else:
        assert groups.empty
    assert details.attrs["testId"] == TESTS[name] and details.attrs["partial"] is False
    assert details.missing == []


def test_survey_answers_are_normalised_per_type(client: ut.Client) -> None:
    tasks = ut.load_session_details(TESTS["survey"], progress=False).tasks
    answered = tasks[tasks["rawAnswer"].notna()]  # reached and not skipped
    by_type = {t: f for t, f in answered.groupby("type", observed=True)}
    assert set(by_type) == {
        "IMAGE",
        "NPS",
        "RATING_SCALE",
        "MULTIPLE_CHOICE",
        "RANK_ORDER",
        "MATRIX",
        "WRITTEN",
    }
    # The simulator sends two answer shapes (guessed and alternate keys): both are read.
    assert by_type["NPS"]["nps"].between(0, 10).all() and by_type["NPS"]["nps"].notna().all()
    rating = by_type["RATING_SCALE"]
    assert rating["rating"].notna().all()
    ends = rating.dropna(subset=["scaleMin", "scaleMax"])  # the alternate shape has none
    assert 0 < len(ends) < len(rating)
    assert ((ends["rating"] >= ends["scaleMin"]) & (ends["rating"] <= ends["scaleMax"])).all()
    assert set(ends["scaleMax"]) == {5, 7}
    assert rating["rating"].between(1, 7).all()
    for _, row in by_type["MULTIPLE_CHOICE"].iterrows():
        assert row["selected"] and set(row["selected"]) <= set(row["options"])
    for _, row in by_type["RANK_ORDER"].iterrows():
        assert sorted(row["ranking"]) == sorted(row["options"])
    for _, row in by_type["MATRIX"].iterrows():
        assert len(row["matrix"]) == 4
        assert all(cell["column"] in row["options"] for cell in row["matrix"])
    assert by_type["WRITTEN"]["written"].str.len().gt(0).all()
    assert by_type["IMAGE"]["url"].str.startswith("https://").all()
    # rawAnswer keeps the whole payload, as JSON.
    for _, row in by_type["NPS"].iterrows():
        raw = json.loads(row["rawAnswer"])
        assert list(raw) == ["nps"] and list(raw["nps"].values()) == [int(row["nps"])]
    # The other types' columns stay empty.
    assert by_type["NPS"][["rating", "written", "url", "success"]].isna().all().all()
    assert by_type["NPS"]["selected"].isna().all()


def test_url_success_and_figma(client: ut.Client) -> None:
    interaction = ut.load_session_details(TESTS["interaction"], progress=False).tasks
    urls = interaction[(interaction["type"] == "URL") & interaction["rawAnswer"].notna()]
    assert urls["success"].notna().all() and urls["success"].any() and not urls["success"].all()
    tol = ut.load_session_details(TESTS["think_out_loud"], progress=False).tasks
    explore = tol[(tol["type"] == "URL") & tol["reached"]]
    assert explore["success"].isna().all() and explore["url"].notna().all()
    figma = tol[(tol["type"] == "FIGMA") & tol["rawAnswer"].notna()]
    assert figma["url"].str.contains("figma.com").all() and figma["success"].notna().all()


def test_demographics_split_multi_select_only(client: ut.Client) -> None:
    details = ut.load_session_details(TESTS["survey"], progress=False)
    demo = details.demographics
    multiple = demo[demo["type"] == "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE"]
    assert not multiple["value"].dropna().astype(str).str.contains(",").any()
    assert set(multiple["code"]) == {"INTERESTS", "SOCIAL_NETWORKS"}
    income = demo[demo["code"] == "INCOME"]["value"].dropna().astype(str)
    assert income.str.contains(",").any()  # "$50,000 - $74,999" stays whole
    # One row per session for single-choice codes, one per selected value for multiple.
    assert (demo[demo["code"] == "GENDER"].groupby("sessionId").size() == 1).all()
    people = details.participants.set_index("sessionId")
    for sid, values in multiple[multiple["code"] == "INTERESTS"].groupby("sessionId")["value"]:
        assert ", ".join(values.astype(str)) == people.loc[sid, "INTERESTS"]
    # Categories read naturally: ranges by number, catch-alls last.
    income_categories = list(details.participants["INCOME"].cat.categories)
    assert income_categories[-1] == "Prefer not to say"
    assert income_categories[:2] == ["Less than $25,000", "$25,000 - $49,999"]


def test_unknown_task_types_are_kept(make_server: Any) -> None:
    server = make_server(unknown_task_types=True)
    connect_to(server)
    with pytest.warns(ut.UnreadAnswersWarning, match=r"CARD_SORT \(2\d\d of 2\d\d\)"):
        tasks = ut.load_session_details(TESTS["survey"], progress=False).tasks
    cards = tasks[tasks["type"] == "CARD_SORT"]
    assert len(cards) == 240  # one per session, none dropped
    answered = cards[cards["rawAnswer"].notna()]
    assert len(answered) > 200
    payload = json.loads(answered["rawAnswer"].iloc[0])
    assert list(payload) == ["cardSort"] and payload["cardSort"]["groups"]
    normalised = [c for c in TASK_SCHEMA if c in ("nps", "rating", "written", "url", "success")]
    assert cards[normalised].isna().all().all()
    rest = tasks[tasks["type"] != "CARD_SORT"]
    assert len(rest) == 240 * PLAN_LENGTH["survey"]  # the rest is as usual


# -- the cache --------------------------------------------------------------------------------


def test_second_load_makes_zero_requests_for_cached_sessions(
    client: ut.Client, server: Any
) -> None:
    complete = _complete(server, "interaction")
    first = ut.load_session_details(TESTS["interaction"], progress=False)
    assert server.count(DETAILS) == 120
    server.reset_log()
    second = ut.load_session_details(TESTS["interaction"], progress=False)
    # Only unfinished sessions (which may still change) are asked for again.
    assert set(_detail_ids(server)) == set(second.participants["sessionId"]) - complete
    assert second.attrs["cached"] == len(complete)
    assert second.equals(first)

    # A frame of complete sessions only: not a single request.
    sessions = ut.load_sessions(TESTS["interaction"], progress=False)
    server.reset_log()
    done = ut.load_session_details(sessions[sessions["status"] == "COMPLETE"], progress=False)
    assert server.count("/api/") == 0
    assert len(done) == len(complete)


def test_incremental_load_fetches_only_new_sessions(client: ut.Client, server: Any) -> None:
    test = TESTS["think_out_loud"]
    complete = _complete(server, "think_out_loud")
    ut.load_session_details(test, progress=False)
    before = set(server.session_ids(test))
    server.add_sessions(test, 5)
    new = set(server.session_ids(test)) - before
    assert len(new) == 5
    server.reset_log()
    details = ut.load_session_details(test, progress=False)
    assert len(details) == len(before) + 5
    assert set(_detail_ids(server)) == new | (before - complete)
    assert details.attrs["fetched"] == len(new | (before - complete))


def test_refresh_bypasses_and_rewrites_the_cache(client: ut.Client, server: Any) -> None:
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    server.reset_log()
    again = ut.load_session_details(TESTS["think_out_loud"], progress=False, refresh=True)
    assert server.count(DETAILS) == 36 and again.attrs["cached"] == 0


def test_cache_disabled_with_ut_cache_0(
    client: ut.Client, server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UT_CACHE", "0")
    monkeypatch.setenv("UT_CACHE_DIR", str(tmp_path))
    connect_to(server)  # settings are read once per connect
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert server.count(DETAILS) == 72
    assert list(tmp_path.iterdir()) == []  # not even a file


def test_cache_moves_with_ut_cache_dir_and_never_holds_a_secret(
    client: ut.Client, server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UT_CACHE_DIR", str(tmp_path / "here"))
    client = connect_to(server)  # settings are read once per connect
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    ut.load_transcripts(TESTS["think_out_loud"], progress=False)
    files = list((tmp_path / "here").iterdir())
    assert any(f.name == "cache.sqlite3" for f in files)
    data = b"".join(f.read_bytes() for f in files)
    assert len(data) > 10_000  # it does hold the answers
    token = client.tokens.get().access_token.reveal()
    for secret in (token, server.config.client_secret, server.config.client_id):
        assert secret.encode() not in data
    assert b"Bearer" not in data


def test_session_ids_are_read_from_the_cache_but_only_stored_when_known_complete(
    client: ut.Client, server: Any
) -> None:
    ids = server.session_ids(TESTS["think_out_loud"])[:4]
    ut.load_session_details(ids, progress=False)
    ut.load_session_details(ids, progress=False)
    assert server.count(DETAILS) == 8  # status unknown: nothing was cached
    complete = _complete(server, "think_out_loud")
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    server.reset_log()
    details = ut.load_session_details(pd.Series(ids), progress=False)
    assert set(_detail_ids(server)) == set(ids) - complete
    assert list(details.participants["sessionId"]) == ids


def test_clear_cache_empties_it(client: ut.Client, server: Any) -> None:
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert ut.clear_cache() > 30
    assert ut.clear_cache() == 0
    server.reset_log()
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert server.count(DETAILS) == 36


# -- inputs and errors ------------------------------------------------------------------------


def test_bad_ids_raise_before_any_request(client: ut.Client, server: Any) -> None:
    server.reset_log()
    good = server.session_ids(TESTS["think_out_loud"])[0]
    with pytest.raises(ValueError, match="not a valid session id"):
        ut.load_session_details([good, "nope"], progress=False)
    with pytest.raises(ValueError, match="not a valid test id"):
        ut.load_session_details("12345", progress=False)
    with pytest.raises(ValueError, match="sessionId"):
        ut.load_session_details(pd.DataFrame({"id": [good]}), progress=False)
    with pytest.raises(TypeError):
        ut.load_session_details(42, progress=False)
    assert server.count("/api/") == 0


def test_not_connected() -> None:
    with pytest.raises(ut.NotConnectedError):
        ut.load_session_details(TESTS["survey"])


def test_uppercase_ids_and_duplicates(client: ut.Client, server: Any) -> None:
    ids = server.session_ids(TESTS["think_out_loud"])[:3]
    details = ut.load_session_details([i.upper() for i in ids] + [ids[0]], progress=False)
    assert list(details.participants["sessionId"]) == ids
    assert server.count(DETAILS) == 3


def test_unknown_session_is_left_out_with_a_warning(client: ut.Client, server: Any) -> None:
    ids = server.session_ids(TESTS["think_out_loud"])[:2]
    ghost = "00000000-0000-4000-8000-000000000000"
    with pytest.warns(MissingSessionsWarning, match="1 of 3"):
        details = ut.load_session_details([ids[0], ghost, ids[1]], progress=False)
    assert details.missing == [ghost]
    assert list(details.participants["sessionId"]) == ids


def test_unknown_test_is_not_found(client: ut.Client) -> None:
    with pytest.raises(ut.NotFoundError) as info:
        ut.load_session_details("00000000-0000-4000-8000-000000000000", progress=False)
    assert isinstance(info.value.partial, ut.SessionDetails) and len(info.value.partial) == 0


# -- interruption and failure -----------------------------------------------------------------


def test_keyboard_interrupt_keeps_what_was_fetched(client: ut.Client, server: Any) -> None:
    complete = _complete(server, "think_out_loud")

    def interrupt_after_five(status: LoadStatus) -> None:
        if status.fetched == 5:
            raise KeyboardInterrupt  # what a kernel interrupt raises

    with pytest.raises(KeyboardInterrupt) as info:
        ut.load_session_details(TESTS["think_out_loud"], progress=interrupt_after_five)
    partial = info.value.partial  # type: ignore[attr-defined]
    assert isinstance(partial, ut.SessionDetails)
    assert len(partial) == 5 and partial.attrs["partial"] is True
    fetched = list(partial.participants["sessionId"])
    assert fetched == _detail_ids(server)
    assert len(partial.tasks) == 5 * PLAN_LENGTH["think_out_loud"]
    # Everything fetched is in the cache: the next load skips the complete ones.
    server.reset_log()
    details = ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert len(details) == 36
    assert set(_detail_ids(server)) == set(details.participants["sessionId"]) - (
        set(fetched) & complete
    )


def test_api_failure_midway_raises_with_the_partial_result(client: ut.Client, server: Any) -> None:
    def break_the_server(status: LoadStatus) -> None:
        if status.fetched == 3:  # from now on every request fails: the client gives up
            server.config = replace(
                server.config, fault_rate=1.0, fault_kinds=("503",), max_consecutive_faults=99
            )

    with pytest.raises(ut.APIError, match="503") as info:
        ut.load_session_details(TESTS["think_out_loud"], progress=break_the_server)
    partial = info.value.partial
    assert len(partial) == 3 and partial.attrs["partial"] is True
    server.config = replace(server.config, fault_rate=0.0)
    server.reset_log()
    ut.load_session_details(TESTS["think_out_loud"], progress=False)
    assert server.count(DETAILS) <= 36 - 2  # (at least 2 of the 3 were complete and cached)


# -- rate limit and progress ------------------------------------------------------------------


def test_rate_limit_of_three_per_window_gets_zero_429s(make_server: Any) -> None:
    server = make_server(rate_limit=3, rate_window=1.0)
    client = connect_to(server)
    sessions = ut.load_sessions(TESTS["think_out_loud"], progress=False).head(8)  # 1 request
    statuses: list[LoadStatus] = []
    details = ut.load_session_details(sessions, progress=statuses.append)
    assert len(details) == 8
    assert server.count(status=429) == 0 and client.stats.rate_limited == 0
    # 9 requests at 3 per window: three windows, so exactly two waits, each reported with
    # its length, none longer than a window (no idling beyond what the limit forces).
    waits = [s.waiting for s in statuses if s.waiting > 0]
    assert len(waits) == 2 and all(0 < w <= 1.02 for w in waits)
    assert client.rate_snapshot().window == 1.0
    # The ETA knows the rate limit: 7 sessions left at 3 per window need at least two
    # more windows' waits, not 7 x latency.
    after_first = next(s for s in statuses if s.fetched == 1)
    assert after_first.eta is not None and after_first.eta >= 1.0
    assert statuses[-1].stage == "done" and statuses[-1].done == 8


def test_progress_bar_counts_sessions_and_shows_the_eta(
    make_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_server(rate_limit=4, rate_window=1.0)
    connect_to(server)
    ids = server.session_ids(TESTS["think_out_loud"])[:6]
    ut.load_session_details(ids, progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "session" in err
    assert "req/1s" in err and "left" in err
    assert server.config.client_secret not in err


# -- background jobs --------------------------------------------------------------------------


def test_background_result_equals_foreground(make_server: Any) -> None:
    server = make_server(latency=0.02)
    connect_to(server)
    job = ut.load_session_details(TESTS["think_out_loud"], background=True)
    # Returned before the 37 requests (of 20 ms each) were made.
    assert isinstance(job, ut.Job) and not job.done()
    background = job.result(timeout=30)
    assert job.done() and job.state == "done" and job.status.stage == "done"
    foreground = ut.load_session_details(TESTS["think_out_loud"], progress=False, refresh=True)
    assert background.equals(foreground)
    for name, frame in foreground.frames().items():
        pd.testing.assert_frame_equal(getattr(background, name), frame)
    assert job.partial() is background


def test_background_job_partial_and_cancel(make_server: Any) -> None:
    # Three requests per ten minutes: after them, the job waits ten minutes for the reset
    # unless the cancel cuts the wait short.
    server = make_server(rate_limit=3, rate_window=600.0)
    connect_to(server, retry=replace(FAST_RETRY, max_wait=1000.0))
    ids = server.session_ids(TESTS["think_out_loud"])[:10]
    job = ut.load_session_details(ids, background=True)
    deadline = time.monotonic() + 10
    while job.status.fetched < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    now = job.partial()
    assert isinstance(now, ut.SessionDetails) and 2 <= len(now) < 10
    assert now.attrs["partial"] is True
    assert job.cancel() is True
    with pytest.raises(ut.Cancelled) as info:
        job.result(timeout=60)  # a hang guard: the wait for the reset is ten minutes
    assert job.state == "cancelled" and job.done() and job.cancel() is False
    assert 2 <= len(info.value.partial) < 10
    assert server.count(status=429) == 0


def test_background_errors_surface_in_result(client: ut.Client) -> None:
    job = ut.load_session_details("00000000-0000-4000-8000-000000000000", background=True)
    with pytest.raises(ut.NotFoundError):
        job.result(timeout=10)
    assert job.state == "failed" and isinstance(job.exception(), ut.NotFoundError)


def test_background_still_validates_at_once(client: ut.Client) -> None:
    with pytest.raises(ValueError):
        ut.load_session_details("nope", background=True)


# -- export ---------------------------------------------------------------------------------


def test_to_parquet_and_to_csv_write_one_file_per_frame(client: ut.Client, tmp_path: Path) -> None:
    details = ut.load_session_details(TESTS["survey"], progress=False)
    paths = details.to_parquet(tmp_path / "pq")
    assert sorted(p.name for p in paths.values()) == [
        "demographics.parquet",
        "participants.parquet",
        "task_groups.parquet",
        "tasks.parquet",
    ]
    for name, frame in details.frames().items():
        back = pd.read_parquet(paths[name])
        assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    tasks = pd.read_parquet(paths["tasks"])
    assert str(tasks["duration"].dtype).startswith("timedelta64")
    assert str(tasks["nps"].dtype) == "Int64"
    assert list(tasks["selected"].dropna().iloc[0])  # lists stay lists

    paths = details.to_csv(tmp_path / "csv")
    tasks_csv = pd.read_csv(paths["tasks"])
    assert "duration_seconds" in tasks_csv.columns and len(tasks_csv) == len(details.tasks)
    choice = tasks_csv["selected"].dropna().iloc[0]
    assert isinstance(json.loads(choice), list)
    assert len(pd.read_csv(paths["participants"])) == 240


def test_empty_details_export(client: ut.Client, tmp_path: Path) -> None:
    details = ut.load_session_details(TESTS["empty"], progress=False)
    assert len(details) == 0
    details.to_parquet(tmp_path)
    details.to_csv(tmp_path)
    assert len(list(tmp_path.iterdir())) == 8
    assert "0 sessions" in repr(details)


def test_to_parquet_without_pyarrow_says_what_to_install(
    client: ut.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    details = ut.load_session_details(TESTS["empty"], progress=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'ut-notebook\[parquet\]'"):
        details.to_parquet(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_to_excel_writes_a_sheet_per_frame_and_the_test_plan_as_codebook(
    client: ut.Client, tmp_path: Path
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    details = ut.load_session_details(TESTS["survey"], progress=False)
    path = details.to_excel(tmp_path / "out" / "survey.xlsx")
    assert path.is_file()
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == ["participants", "demographics", "tasks", "task_groups", "codebook"]
    sheets = pd.read_excel(path, sheet_name=None)
    for name, frame in details.frames().items():
        assert len(sheets[name]) == len(frame)
    tasks = sheets["tasks"]
    assert "duration_seconds" in tasks.columns
    assert isinstance(json.loads(tasks["selected"].dropna().iloc[0]), list)
    # The codebook is the test plan from ut.load_test: every planned task, its choices.
    plan = ut.load_test(TESTS["survey"], client=client).tasks
    codebook = sheets["codebook"]
    assert list(codebook["text"]) == list(plan["text"])
    assert "choices" in codebook.columns and codebook["choices"].notna().any()


def test_to_excel_codebook_without_a_connection_is_the_tasks_seen(
    client: ut.Client, tmp_path: Path
) -> None:
    pytest.importorskip("openpyxl")
    details = ut.load_session_details(TESTS["survey"], progress=False)
    ut.disconnect()
    path = details.to_excel(tmp_path / "survey.xlsx")
    codebook = pd.read_excel(path, sheet_name="codebook")
    expected = details.tasks.drop_duplicates("position").sort_values("position")
    assert list(codebook["position"]) == list(expected["position"])
    assert list(codebook["text"]) == list(expected["text"])
    with pytest.raises(TypeError, match="codebook="):
        details.to_excel(tmp_path / "bad.xlsx", codebook="nope")
