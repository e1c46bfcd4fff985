"""Media downloads against the simulator's media route (real HTTP with Range).

The expected bytes are what the media route serves (a plain GET of a fresh link), so a
test fails if a download is short, doubled, or resumed at the wrong byte.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests

import ut_notebook as ut
from ut_notebook.api.download import download, part_path
from ut_notebook.demo import TESTS
from ut_notebook.loaders.downloads import DOWNLOAD_SCHEMA

TOL = TESTS["think_out_loud"]
SURVEY = TESTS["survey"]


def _media(server: Any) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/media/")]


def _two_clips(client: ut.Client) -> pd.DataFrame:
    sessions = ut.load_sessions(TOL, max_rows=1, progress=False)
    return ut.load_clips(sessions, progress=False).head(2)


def _served(url: str) -> bytes:
    resp = requests.get(url, timeout=10)
    resp.raise_for_status()
    return resp.content


def test_download_clips_writes_whole_files_and_a_rerun_makes_no_request(
    make_server: Any, tmp_path: Path
) -> None:
    from conftest import connect_to

    server = make_server(generating_polls=0)
    client = connect_to(server)
    clips = _two_clips(client)
    folder = tmp_path / "clips"
    files = ut.download_clips(clips, folder, progress=False)
    assert {n: str(d) for n, d in files.dtypes.items()} == {
        n: str(d) for n, d in ut.frames.typed_frame([], DOWNLOAD_SCHEMA).dtypes.items()
    }
    assert list(files["id"]) == list(clips["clipId"]) and set(files["status"]) == {"downloaded"}
    for row in files.itertuples(index=False):
        expected = _served(str(ut.clip_url(row.sessionId, row.id, refresh=True)))
        assert Path(row.path).read_bytes() == expected and row.size == len(expected)
        assert Path(row.path).parent == folder and not part_path(row.path).exists()
    # The API token never travels to the media host.
    for record in _media(server):
        assert "token" not in record.headers and "authorization" not in record.headers
    server.reset_log()
    again = ut.download_clips(clips, folder, progress=False)
    assert set(again["status"]) == {"skipped"}
    assert list(again["size"]) == list(files["size"])
    assert server.requests == []  # complete files: no API request, no media request


def test_a_partial_file_is_continued_with_a_range_request(
    client: ut.Client, server: Any, tmp_path: Path
) -> None:
    sid = ut.load_sessions(TOL, max_rows=1, progress=False)["sessionId"].iloc[0]
    url = ut.video_url(sid).url
    whole = _served(url)
    target = tmp_path / "video.webm"
    part_path(target).write_bytes(whole[:1000])
    server.reset_log()
    seen: list[tuple[int, int | None]] = []
    done = download(url, target, progress=lambda n, total: seen.append((n, total)))
    assert done.status == "resumed" and done.requests == 1
    assert target.read_bytes() == whole and not part_path(target).exists()
    assert _media(server)[0].headers["range"] == "bytes=1000-"
    assert seen[-1] == (len(whole), len(whole)) and seen[0][0] > 1000


def test_a_part_longer_than_the_file_is_redone(
    client: ut.Client, server: Any, tmp_path: Path
) -> None:
    sid = ut.load_sessions(TOL, max_rows=1, progress=False)["sessionId"].iloc[0]
    url = ut.video_url(sid).url
    whole = _served(url)
    target = tmp_path / "video.webm"
    part_path(target).write_bytes(b"x" * (len(whole) + 10))
    done = download(url, target)
    assert done.status == "redone"
    assert target.read_bytes() == whole


def test_an_expired_link_is_fetched_again_and_the_download_goes_on(
    make_server: Any, tmp_path: Path
) -> None:
    from conftest import connect_to

    server = make_server(generating_polls=0)
    client = connect_to(server)
    clip = _two_clips(client).head(1)
    sid, cid = clip["sessionId"].iloc[0], clip["clipId"].iloc[0]
    whole = _served(str(ut.clip_url(sid, cid)))  # the link is now remembered...
    folder = tmp_path / "out"
    folder.mkdir()
    part_path(folder / f"clip-{cid}.webm").write_bytes(whole[:5000])
    # ...and then expires on the media host (its clock moves two hours on).
    server.media.clock = lambda: time.time() + 7200
    server.reset_log()
    files = ut.download_clips(clip, folder, progress=False)
    assert files["status"].iloc[0] == "resumed"
    assert Path(files["path"].iloc[0]).read_bytes() == whole
    statuses = [r.status for r in _media(server)]
    assert statuses[0] == 403 and statuses[-1] == 206  # refused, then continued
    assert server.count(f"/api/v2/sessionResults/{sid}/clips/{cid}") == 1  # a fresh link


def test_an_expired_link_without_renewal_says_what_to_do_without_the_signature(
    client: ut.Client, server: Any, tmp_path: Path
) -> None:
    sid = ut.load_sessions(TOL, max_rows=1, progress=False)["sessionId"].iloc[0]
    url = ut.video_url(sid).url
    server.media.clock = lambda: time.time() + 7200
    with pytest.raises(ut.DownloadError, match="HTTP 403") as caught:
        download(url, tmp_path / "v.webm")
    assert "X-Amz-Signature" not in str(caught.value) + str(caught.value.url)
    assert not (tmp_path / "v.webm").exists()


def test_download_videos_of_a_test_skips_sessions_without_video(
    client: ut.Client, tmp_path: Path
) -> None:
    videos = ut.load_sessions(TOL, max_rows=2, progress=False)
    survey = ut.load_sessions(SURVEY, max_rows=1, progress=False)
    both = pd.concat([videos, survey], ignore_index=True)
    files = ut.download_videos(both, tmp_path, progress=False)
    assert list(files["sessionId"]) == list(both["sessionId"])
    assert list(files["status"]) == ["downloaded", "downloaded", "no video"]
    for row in files.head(2).itertuples(index=False):
        assert Path(row.path).name == f"session-{row.sessionId}.webm"
        assert Path(row.path).stat().st_size == row.size > 0
    assert pd.isna(files["path"].iloc[2])
    assert files.attrs["bytes"] == int(files["size"].sum())


def test_download_a_highlight_reel(make_server: Any, tmp_path: Path) -> None:
    from conftest import connect_to

    server = make_server(generating_polls=0)
    connect_to(server)
    reels = ut.load_highlight_reels(TOL).head(1)
    files = ut.download_clips(reels, tmp_path, progress=False)
    rid = reels["reelId"].iloc[0]
    assert (files["kind"].iloc[0], files["id"].iloc[0]) == ("reel", rid)
    expected = _served(str(ut.highlight_reel_url(TOL, rid, refresh=True)))
    assert Path(files["path"].iloc[0]).read_bytes() == expected


def test_a_bad_folder_fails_before_any_request(
    client: ut.Client, server: Any, tmp_path: Path
) -> None:
    clips = _two_clips(client)
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    server.reset_log()
    with pytest.raises(ut.DownloadError, match="is a file, not a folder"):
        ut.download_clips(clips, not_a_folder)
    with pytest.raises(ut.DownloadError, match="Cannot create the folder"):
        ut.download_videos(list(clips["sessionId"]), not_a_folder / "sub")
    with pytest.raises(ValueError, match="neither 'sessionId' and 'clipId'"):
        ut.download_clips(pd.DataFrame({"x": [1]}), tmp_path)
    assert server.requests == []


def test_plain_http_to_another_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ut.DownloadError, match="must be an https:// URL") as caught:
        download("http://media.example.com/v.webm?X-Amz-Signature=s3cret", tmp_path / "v")
    assert "s3cret" not in str(caught.value)
