"""The legacy v1 loaders (test plan, classic sessions, notes, clip, reel) and what
``load_test`` teaches the charts — against the simulator over HTTP, checked against its
raw answers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from ut_notebook.demo import CLASSIC_TESTS, TESTS
from ut_notebook.demo.reels import reels_of
from ut_notebook.loaders.studies import LEGACY_TASK_TYPES, PLAN_SCHEMA

V1 = "/usertesting/api/v1"
TOL = TESTS["think_out_loud"]
SURVEY = TESTS["survey"]
CLASSIC = CLASSIC_TESTS["classic"]
UNKNOWN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _dtypes(df: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in df.dtypes.items()}


@pytest.mark.parametrize("test_id", [SURVEY, TOL, CLASSIC], ids=["survey", "tol", "classic"])
def test_load_test_reads_title_counts_and_the_plan(client: ut.Client, test_id: str) -> None:
    info = ut.load_test(test_id)
    raw = client.get_json(f"{V1}/studies/{test_id}")
    assert (info.testId, info.title, info.sessionCount) == (
        test_id,
        raw["title"],
        raw["sessionCount"],
    )
    assert info.orderedBy == raw["orderedBy"]["name"]
    assert info.testPlan == raw["testPlan"]
    assert _dtypes(info.tasks) == _dtypes(ut.frames.typed_frame([], PLAN_SCHEMA))
    assert list(info.tasks["position"]) == [t["position"] for t in raw["tasks"]]
    assert list(info.tasks["text"]) == [t["text"] for t in raw["tasks"]]
    assert list(info.tasks["type"]) == [LEGACY_TASK_TYPES[t["taskType"]] for t in raw["tasks"]]
    for task, row in zip(raw["tasks"], info.tasks.itertuples(index=False), strict=True):
        assert row.choices == task.get("choices")
        assert row.taskGroupId == task["taskGroup"]["id"]
        if "lowerEndpoint" in task:
            assert (row.scaleMinimum, row.scaleMaximum) == (
                task["scaleMinimum"],
                task["scaleMaximum"],
            )
            assert (row.lowerEndpoint, row.upperEndpoint) == (
                task["lowerEndpoint"],
                task["upperEndpoint"],
            )
        else:
            assert pd.isna(row.lowerEndpoint) and pd.isna(row.scaleMinimum)
    assert info.nps.to_dict("records") == [
        {k: n[k] for k in info.nps.columns} for n in raw["netPromoterScores"]
    ]
    assert info.title in repr(info)


def test_load_test_of_an_unknown_test_is_not_found_and_bad_ids_make_no_request(
    client: ut.Client, server: Any
) -> None:
    with pytest.raises(ut.NotFoundError, match=f"Test {UNKNOWN} was not found"):
        ut.load_test(UNKNOWN)
    server.reset_log()
    for call in (ut.load_test, ut.load_completed_sessions, ut.load_session_notes, ut.load_clip):
        with pytest.raises(ValueError, match="is not a valid"):
            call("12345")
    with pytest.raises(ValueError, match="not a highlight reel token"):
        ut.load_highlight_reel("../workspaces")
    assert server.count("/usertesting") == 0


def test_charts_show_the_title_once_load_test_knows_it(client: ut.Client) -> None:
    sessions = ut.load_sessions(TOL, progress=False)
    before = ut.charts.status_breakdown(sessions).layout.title.subtitle.text
    assert TOL[:8] in before
    info = ut.load_test(TOL)
    after = ut.charts.status_breakdown(sessions).layout.title.subtitle.text
    assert info.title in after and TOL[:8] not in after


def test_rating_scales_label_their_ends_with_the_plan(client: ut.Client) -> None:
    details = ut.load_session_details(
        ut.load_sessions(SURVEY, max_rows=6, progress=False), progress=False
    )
    plain = " ".join(ut.charts.rating_scales(details.tasks).data[0].y)
    info = ut.load_test(SURVEY)
    labelled = " ".join(ut.charts.rating_scales(details.tasks).data[0].y)
    rated = info.tasks[info.tasks["type"] == "RATING_SCALE"]
    assert len(rated) >= 2
    for low, high in zip(rated["lowerEndpoint"], rated["upperEndpoint"], strict=True):
        assert f"({low})" in labelled and f"({high})" in labelled
        assert f"({low})" not in plain


def test_load_completed_sessions_pages_through_a_classic_test(
    client: ut.Client, server: Any
) -> None:
    server.reset_log()
    df = ut.load_completed_sessions(CLASSIC, progress=False)
    assert df.attrs["requests"] == server.count(f"{V1}/studies/{CLASSIC}/completed-sessions") >= 2
    raw = client.get_json(f"{V1}/studies/{CLASSIC}/completed-sessions")
    total = raw["completedSessionCount"]
    assert len(df) == df["sessionId"].nunique() == total > 50  # more than one page
    typed_like = ut.load_sessions(TOL, max_rows=1, progress=False)
    assert _dtypes(df[list(typed_like.columns)]) == _dtypes(typed_like)
    assert (df["status"] == "COMPLETE").all()
    assert df["startTime"].is_monotonic_decreasing
    first = raw["sessions"][0]
    row = df.set_index("sessionId").loc[first["sessionUuid"]]
    assert row["finishTime"] == pd.Timestamp(first["completedDateTime"])
    ends = max(a["time"] + a["duration"] for a in first["answers"])
    assert row["duration"] == pd.Timedelta(seconds=ends)
    assert row["legacySessionId"] == str(first["sessionId"])
    assert row["formFactor"] == first["formFactorUsed"]


def test_completed_sessions_of_a_studyv2_test_are_not_found(client: ut.Client) -> None:
    with pytest.raises(ut.NotFoundError, match="only classic tests") as caught:
        ut.load_completed_sessions(SURVEY)
    assert caught.value.partial is not None and caught.value.partial.empty


def test_session_notes_clip_and_reel_match_the_api(client: ut.Client) -> None:
    sid = ut.load_sessions(TOL, max_rows=1, progress=False)["sessionId"].iloc[0]
    notes = ut.load_session_notes(sid)
    raw = client.get_json(f"{V1}/session/{sid}")
    assert len(notes) == 1
    row = notes.iloc[0]
    assert (row["notes"], row["title"], row["legacySessionId"]) == (
        raw["notes"],
        raw["title"],
        raw["sessionId"],
    )
    assert row["duration"] == pd.Timedelta(seconds=raw["duration"])

    clip_id = ut.load_clips([sid], progress=False)["clipId"].iloc[0]
    clip = ut.load_clip(clip_id).iloc[0]
    raw = client.get_json(f"{V1}/clip/{clip_id}")
    assert (clip["note"], clip["noteTags"], clip["sentimentTag"]) == (
        raw["note"],
        raw["noteTags"],
        raw["sentimentTag"],
    )
    assert clip["studyTitle"] == raw["study"]["title"]
    assert clip["duration"] == pd.Timedelta(seconds=raw["duration"])

    token = reels_of(TOL)[0].token
    reel = ut.load_highlight_reel(token)
    raw = client.get_json(f"{V1}/highlightreel/{token}")
    assert list(reel["clipId"]) == [n["id"] for n in raw["clips"]["nodes"]]
    assert reel.attrs["title"] == raw["title"] and reel.attrs["shareUrl"] == raw["shareUrl"]
    assert reel.attrs["totalCount"] == raw["clips"]["totalCount"]


def test_v1_not_found(client: ut.Client) -> None:
    survey_session = ut.load_sessions(SURVEY, max_rows=1, progress=False)["sessionId"].iloc[0]
    with pytest.raises(ut.NotFoundError, match="only sessions with video"):
        ut.load_session_notes(survey_session)
    with pytest.raises(ut.NotFoundError, match=f"Clip {UNKNOWN}"):
        ut.load_clip(UNKNOWN)
    with pytest.raises(ut.NotFoundError, match="Highlight reel 0123456789abcdef0123"):
        ut.load_highlight_reel("0123456789abcdef0123")
