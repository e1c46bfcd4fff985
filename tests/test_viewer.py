"""The session viewer's Python side, against the simulator over real HTTP.

What the browser does with it (metadata, seeking, highlighting, current_time coming
back) is tested in tests/browser/test_viewer_browser.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from test_import_time import loaded_after

import ut_notebook as ut
from ut_notebook.demo import DEMO_CLIENT_SECRET, TESTS
from ut_notebook.ui.viewer import SessionViewer

VIDEO = "/videoDownloadUrl"


def _sessions(test: str, n: int = 2) -> list[str]:
    return ut.load_sessions(TESTS[test])["sessionId"].head(n).tolist()


def _seconds(series: pd.Series) -> list[float]:
    return [round(t.total_seconds(), 3) for t in series]


def test_the_viewer_holds_the_sessions_video_cues_tasks_and_clips(client: ut.Client) -> None:
    sid = _sessions("think_out_loud", 1)[0]
    viewer = ut.show_session(sid)
    assert isinstance(viewer, SessionViewer) and viewer.session_id == sid
    assert viewer.notes == []
    # The video: the signed media URL of this session, with its expiry.
    link = ut.video_url(sid)
    assert urlsplit(viewer.video_src).path == urlsplit(link.url).path
    assert "X-Amz-Signature" in parse_qs(urlsplit(viewer.video_src).query)
    assert viewer.video_expires == pytest.approx(link.expires_at.timestamp() * 1000, abs=5000)
    # The cues, in seconds, in order.
    cues = ut.load_transcript(sid)
    assert [c["start"] for c in viewer.cues] == _seconds(cues["start"])
    assert [c["end"] for c in viewer.cues] == _seconds(cues["end"])
    assert [c["text"] for c in viewer.cues] == cues["text"].tolist()
    # Speakers as the transcript has them (bare documented cues: none, sent as null).
    assert [c["speaker"] for c in viewer.cues] == [
        None if pd.isna(s) else s for s in cues["speaker"]
    ]
    # The tasks with times, in plan order, with success where known.
    tasks = ut.load_session_details([sid], progress=False).tasks
    timed = tasks.dropna(subset=["startOffset", "endOffset"]).sort_values("position")
    assert [t["position"] for t in viewer.tasks] == timed["position"].tolist()
    assert [t["start"] for t in viewer.tasks] == _seconds(timed["startOffset"])
    assert [t["end"] for t in viewer.tasks] == _seconds(timed["endOffset"])
    assert [t["success"] for t in viewer.tasks] == [
        None if pd.isna(s) else bool(s) for s in timed["success"]
    ]
    # The clips as markers.
    clips = ut.load_clips([sid], progress=False)
    assert len(clips) > 0
    assert sorted(c["start"] for c in viewer.clips) == sorted(_seconds(clips["start"]))
    assert {c["name"] for c in viewer.clips} == set(clips["name"])


def test_seek_sets_current_time_and_asks_the_browser_each_time(client: ut.Client) -> None:
    viewer = ut.show_session(_sessions("think_out_loud", 1)[0])
    assert viewer.current_time == 0.0
    viewer.seek(75.5)
    first = dict(viewer._seek)
    assert viewer.current_time == 75.5 and first["time"] == 75.5
    viewer.seek(pd.Timedelta(seconds=75.5))  # the same time again is a new request
    assert viewer._seek["time"] == 75.5 and viewer._seek["id"] != first["id"]
    with pytest.raises(ValueError, match="0 s or more"):
        viewer.seek(-1)
    seen: list[float] = []
    viewer.observe(lambda change: seen.append(change["new"]), names="current_time")
    viewer.seek(12)
    assert seen == [12.0]


def test_it_opens_at_a_task_or_a_time(client: ut.Client) -> None:
    sid = _sessions("think_out_loud", 1)[0]
    tasks = ut.load_session_details([sid], progress=False).tasks
    third = tasks[tasks["position"].eq(3).to_numpy()].iloc[0]
    viewer = ut.show_session(sid, task=3)
    assert viewer.current_time == round(third["startOffset"].total_seconds(), 3)
    assert viewer._seek["time"] == viewer.current_time
    assert ut.show_session(sid, task=third["taskId"]).current_time == viewer.current_time
    assert ut.show_session(sid, at=pd.Timedelta(minutes=2)).current_time == 120.0
    with pytest.raises(ValueError, match="no task 99"):
        ut.show_session(sid, task=99)
    with pytest.raises(ValueError, match="not both"):
        ut.show_session(sid, task=3, at=5)


def test_show_switches_session_and_says_what_a_survey_lacks(client: ut.Client) -> None:
    first, second = _sessions("think_out_loud", 2)
    viewer = ut.show_session(first)
    viewer.seek(100)
    viewer.show(second)
    assert viewer.session_id == second and viewer.current_time == 0.0
    assert viewer.cues[0]["text"] == ut.load_transcript(second)["text"].iloc[0]
    survey = _sessions("survey", 1)[0]
    viewer.show(survey)
    assert viewer.session_id == survey
    assert viewer.video_src == "" and viewer.video_expires == 0 and viewer.video is None
    assert viewer.cues == [] and viewer.clips == []
    assert any("No video" in n for n in viewer.notes)
    assert any("No transcript" in n for n in viewer.notes)
    # What exists is still shown: the survey's tasks (questions) with their times.
    assert len(viewer.tasks) > 0
    with pytest.raises(ValueError, match="session id"):
        viewer.show("not-a-session")


def test_frames_already_loaded_are_used_without_requests(server: Any, client: ut.Client) -> None:
    ids = _sessions("think_out_loud", 2)
    cues = ut.load_transcripts(ids, progress=False)
    details = ut.load_session_details(ids, progress=False)
    clips = ut.load_clips(ids, progress=False)
    server.reset_log()
    viewer = ut.show_session(ids[0], cues=cues, details=details, clips=clips)
    # Only the video URL is asked for: it expires, so it is never taken from a frame.
    paths = [r.path for r in server.requests if r.path.startswith("/api/")]
    assert len(paths) == 1 and paths[0].endswith(VIDEO)
    own = cues[cues["sessionId"].eq(ids[0]).to_numpy()]
    assert [c["text"] for c in viewer.cues] == own["text"].tolist()
    viewer.show(ids[1])
    paths = [r.path for r in server.requests if r.path.startswith("/api/")]
    assert len(paths) == 2 and all(p.endswith(VIDEO) for p in paths)
    assert viewer.cues[0]["text"] == cues[cues["sessionId"].eq(ids[1]).to_numpy()]["text"].iloc[0]


def test_an_expired_video_url_is_fetched_again(server: Any, client: ut.Client) -> None:
    sid = _sessions("think_out_loud", 1)[0]
    real_clock = server.media.clock
    # The simulator signs with its own clock: two hours ago, the link is born expired.
    server.media.clock = lambda: real_clock() - 7200
    viewer = ut.show_session(sid)
    old = viewer.video_src
    assert viewer.video_expires < time.time() * 1000
    server.media.clock = real_clock
    before = server.count(f"/api/v2/sessionResults/{sid}{VIDEO}")
    # What the browser sends when the video fails to load or plays past the expiry.
    viewer._handle_custom_msg({"type": "refresh_video"}, [])
    assert server.count(f"/api/v2/sessionResults/{sid}{VIDEO}") == before + 1
    assert viewer.video_src != old
    assert viewer.video_expires > time.time() * 1000
    assert viewer.video is not None and not viewer.video.expired
    # Reading .video of an expired link fetches a new one too.
    server.media.clock = lambda: real_clock() - 7200
    viewer.refresh_video()
    server.media.clock = real_clock
    assert viewer.video is not None and not viewer.video.expired
    assert server.count(f"/api/v2/sessionResults/{sid}{VIDEO}") == before + 3


def test_no_secret_or_token_in_any_synced_trait(server: Any, client: ut.Client) -> None:
    sid = _sessions("think_out_loud", 1)[0]
    viewer = ut.show_session(sid)
    viewer.seek(10)
    state = json.dumps(viewer.get_state(), default=str)
    tokens = set()
    for record in server.requests:
        for name in ("token", "authorization"):
            value = record.headers.get(name)
            if value:
                tokens.add(value.split()[-1])
    assert tokens, "the check must see the tokens the client used"
    for secret in (DEMO_CLIENT_SECRET, *tokens):
        assert secret not in state
    # The one URL is the signed media link (its signature is the credential S3 expects).
    query = parse_qs(urlsplit(viewer.video_src).query)
    assert set(query) <= {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    }
    assert urlsplit(viewer.video_src).path.startswith("/media/")


def test_the_front_end_ships_in_the_package_and_loads_only_when_used(tmp_path: Path) -> None:
    package = Path(ut.__file__).parent / "ui"
    esm = (package / "viewer.js").read_text()
    assert "export default" in esm and "refresh_video" in esm
    assert ".utv-cue" in (package / "viewer.css").read_text()
    assert "anywidget" not in loaded_after("import ut_notebook", tmp_path)
    assert "anywidget" in loaded_after("import ut_notebook as ut\nut.SessionViewer", tmp_path)
