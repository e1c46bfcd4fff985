"""Clips and highlight reels against the simulator, over HTTP.

Expected values come from the simulator's raw answers (``client.get_json``), never
from constants, so each test fails if the loader drops, reorders or mistypes anything.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from ut_notebook.demo import TESTS
from ut_notebook.loaders.clips import CLIPS_SCHEMA
from ut_notebook.loaders.reels import REELS_SCHEMA

TOL = TESTS["think_out_loud"]
SURVEY = TESTS["survey"]
UNKNOWN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _dtypes(df: pd.DataFrame) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in df.dtypes.items()}


def _schema_dtypes(schema: dict[str, str]) -> dict[str, str]:
    return _dtypes(ut.frames.typed_frame([], schema))


def _sessions(client: ut.Client, test_id: str, n: int) -> pd.DataFrame:
    return ut.load_sessions(test_id, client=client, max_rows=n, progress=False)


def test_load_clips_has_every_clip_of_every_session_typed(client: ut.Client, server: Any) -> None:
    sessions = _sessions(client, TOL, 4)
    clips = ut.load_clips(sessions, progress=False)
    expected, regions = [], {}
    for sid in sessions["sessionId"]:
        raw = client.get_json(f"/api/v2/sessionResults/{sid}/clips")
        regions[sid] = raw["videoRegions"]
        expected += [(sid, c) for c in raw["clips"]]
    assert len(clips) == len(expected) > 0
    assert _dtypes(clips) == _schema_dtypes(CLIPS_SCHEMA)
    for (sid, raw), row in zip(expected, clips.itertuples(index=False), strict=True):
        assert (row.sessionId, row.clipId, row.name) == (sid, raw["uuid"], raw["name"])
        assert row.description == raw["description"]
        assert row.start == pd.Timedelta(milliseconds=raw["timeStartMs"])
        assert row.duration == pd.Timedelta(milliseconds=raw["timeEndMs"] - raw["timeStartMs"])
        assert (row.videoUuid, row.hasAudio, row.hasCamera) == (
            raw["videoUuid"],
            raw["hasAudio"],
            raw["hasCamera"],
        )
        assert row.pipState == raw["layout"]["pipState"]
    assert clips.attrs["videoRegions"] == regions
    assert clips.attrs["without_clips"] == []


def test_a_survey_has_no_clips_and_that_is_an_empty_frame(client: ut.Client) -> None:
    sessions = _sessions(client, SURVEY, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no MissingSessionsWarning either
        clips = ut.load_clips(sessions, progress=False)
    assert clips.empty
    assert _dtypes(clips) == _schema_dtypes(CLIPS_SCHEMA)
    assert clips.attrs["without_clips"] == list(sessions["sessionId"])


def test_a_missing_session_is_not_found_with_the_others_on_partial(client: ut.Client) -> None:
    real = list(_sessions(client, TOL, 2)["sessionId"])
    with pytest.raises(ut.NotFoundError, match="1 of 3 sessions were not found") as caught:
        ut.load_clips([real[0], UNKNOWN, real[1]], progress=False)
    partial = caught.value.partial
    assert set(partial["sessionId"]) == set(real)
    assert UNKNOWN in str(caught.value)


def test_malformed_ids_fail_before_any_request(client: ut.Client, server: Any) -> None:
    server.reset_log()
    with pytest.raises(ValueError, match="not a valid session id"):
        ut.load_clips(["not-a-uuid"])
    with pytest.raises(ValueError, match="not a valid clip id"):
        ut.clip_url(UNKNOWN, "clip-1")
    with pytest.raises(ValueError, match="not a valid highlight reel id"):
        ut.highlight_reel_url(TOL, "reel")
    assert server.count("/api") == 0


def test_clips_of_complete_sessions_come_from_the_cache_the_second_time(
    client: ut.Client, server: Any
) -> None:
    sessions = _sessions(client, TOL, 5)
    first = ut.load_clips(sessions, progress=False)
    server.reset_log()
    second = ut.load_clips(sessions, progress=False)
    complete = int((sessions["status"] == "COMPLETE").sum())
    assert second.attrs["cached"] == complete > 0
    assert server.count("/api/v2/sessionResults/") == len(sessions) - complete
    pd.testing.assert_frame_equal(first, second)
    ut.load_clips(sessions, progress=False, refresh=True)
    assert server.count("/api/v2/sessionResults/") == 2 * len(sessions) - complete


def test_load_clips_of_a_test_id_in_the_background(client: ut.Client) -> None:
    job = ut.load_clips(TESTS["interaction"], background=True, progress=False)
    clips = job.result(timeout=120)
    assert clips.attrs["testId"] == TESTS["interaction"]
    assert clips.attrs["sessions"] == len(ut.load_sessions(TESTS["interaction"], progress=False))
    assert len(clips) > 0 and not clips["hasAudio"].any()  # interaction tests: no audio


def test_clips_by_task_puts_each_clip_in_the_task_it_starts_in(client: ut.Client) -> None:
    sessions = _sessions(client, TOL, 3)
    clips = ut.load_clips(sessions, progress=False)
    tasks = ut.load_session_details(sessions, progress=False).tasks
    placed = ut.loaders.clips.clips_by_task(clips, tasks)
    assert placed["taskId"].notna().all()
    for row in placed.itertuples(index=False):
        task = tasks[(tasks["sessionId"] == row.sessionId) & (tasks["taskId"] == row.taskId)]
        assert task["startOffset"].iloc[0] <= row.start < task["endOffset"].iloc[0]


def test_clip_url_polls_until_generated_and_hides_the_signature(make_server: Any) -> None:
    from conftest import connect_to

    server = make_server(generating_polls=2)
    client = connect_to(server)
    clip = ut.load_clips(_sessions(client, TOL, 1), progress=False).iloc[0]
    path = f"/api/v2/sessionResults/{clip.sessionId}/clips/{clip.clipId}"

    first = ut.clip_url(clip.sessionId, clip.clipId, wait=False)
    assert (first.status, first.url, first.ready) == ("GENERATING", None, False)
    server.reset_log()
    link = ut.clip_url(clip.sessionId, clip.clipId, poll_interval=0)
    assert link.status == "GENERATED" and link.ready and not link.expired
    assert server.count(path) == 2  # one more GENERATING, then GENERATED
    assert link.url.startswith(server.url + "/media/clips/")
    assert "X-Amz-Signature" in link.url and "X-Amz-Signature" not in repr(link)
    assert "<video" in link._repr_html_()
    # GENERATED links are reused until shortly before they expire...
    assert ut.clip_url(clip.sessionId, clip.clipId) == link
    assert server.count(path) == 2
    # ...unless asked for a fresh one.
    assert ut.clip_url(clip.sessionId, clip.clipId, refresh=True).url
    assert server.count(path) == 3


def test_clip_url_gives_up_after_max_wait_with_the_status_on_partial(make_server: Any) -> None:
    from conftest import connect_to

    server = make_server(generating_polls=50)
    client = connect_to(server)
    clip = ut.load_clips(_sessions(client, TOL, 1), progress=False).iloc[0]
    with pytest.raises(ut.UTError, match="still GENERATING after") as caught:
        ut.clip_url(clip.sessionId, clip.clipId, max_wait=0)
    assert caught.value.partial.status == "GENERATING"


def test_clip_url_of_an_unknown_clip_is_not_found(client: ut.Client) -> None:
    sid = _sessions(client, TOL, 1)["sessionId"].iloc[0]
    with pytest.raises(ut.NotFoundError, match=f"Clip {UNKNOWN} of session {sid}"):
        ut.clip_url(sid, UNKNOWN)


def test_load_highlight_reels_matches_the_api(client: ut.Client) -> None:
    reels = ut.load_highlight_reels(TOL)
    raw = client.get_json(f"/api/v2/testResults/{TOL}/highlightreels")
    assert _dtypes(reels) == _schema_dtypes(REELS_SCHEMA)
    assert list(reels["reelId"]) == [r["uuid"] for r in raw["reels"]] and len(reels) > 0
    assert list(reels["numClips"]) == [r["numClips"] for r in raw["reels"]]
    assert list(reels["duration"]) == [
        pd.Timedelta(milliseconds=r["durationMs"]) for r in raw["reels"]
    ]
    stamps = [pd.Timestamp(r["lastUpdatedAtMs"], unit="ms", tz="UTC") for r in raw["reels"]]
    assert list(reels["lastUpdated"]) == stamps
    assert list(reels["areAllClipsInReel"]) == [r["areAllClipsInReel"] for r in raw["reels"]]
    assert reels.attrs["studyWithClips"] is raw["studyWithClips"]


def test_highlight_reels_of_a_survey_are_empty_and_of_an_unknown_test_not_found(
    client: ut.Client,
) -> None:
    reels = ut.load_highlight_reels(SURVEY)
    assert reels.empty and _dtypes(reels) == _schema_dtypes(REELS_SCHEMA)
    assert reels.attrs["studyWithClips"] is False
    with pytest.raises(ut.NotFoundError, match=f"Test {UNKNOWN} was not found"):
        ut.load_highlight_reels(UNKNOWN)


def test_highlight_reel_url_polls_like_a_clip(make_server: Any) -> None:
    from conftest import connect_to

    server = make_server(generating_polls=1)
    connect_to(server)
    reel = ut.load_highlight_reels(TOL)["reelId"].iloc[0]
    link = ut.highlight_reel_url(TOL, reel, poll_interval=0)
    assert (link.kind, link.id, link.parent, link.status) == ("reel", reel, TOL, "GENERATED")
    assert link.url.startswith(server.url + "/media/reels/")
    assert server.count(f"/api/v2/testResults/{TOL}/highlightreels/{reel}") == 2
    with pytest.raises(ut.NotFoundError, match="Highlight reel"):
        ut.highlight_reel_url(TOL, UNKNOWN)
