"""The per-test snapshot of assembled details frames (``details-frames-v1``): exact
round trips, when it is used, when it is not, and what happens when it is garbage.

The loader tests talk to the simulator over HTTP; "the snapshot was used" is shown by
deleting the per-session entries behind it and still loading with zero requests."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from ut_notebook.cache import Cache
from ut_notebook.demo import TESTS
from ut_notebook.loaders.details import FRAMES_KIND, PARSED_KIND
from ut_notebook.loaders.per_session import cache_scope
from ut_notebook.loaders.snapshot import (
    MAGIC,
    SnapshotError,
    decode_frames,
    encode_frames,
    read_meta,
)

DETAILS = "/api/v3/sessionResults/"


def _assert_same(a: ut.SessionDetails, b: ut.SessionDetails) -> None:
    for name in a.FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def _complete_sessions(test: str) -> pd.DataFrame:
    sessions = ut.load_sessions(TESTS[test], progress=False)
    return sessions[sessions["status"] == "COMPLETE"]


def _snapshot(client: ut.Client, test: str) -> bytes | None:
    return Cache.from_settings(client.settings).get_bytes(
        cache_scope(client), FRAMES_KIND, TESTS[test]
    )


def _forget_sessions(client: ut.Client, ids: list[str]) -> None:
    """Drop the per-session entries, leaving only the snapshot to load from."""
    cache, scope = Cache.from_settings(client.settings), cache_scope(client)
    for kind in ("details", PARSED_KIND):
        cache.discard(scope, kind, ids)
    assert cache.get_many(scope, "details", ids) == {}


# -- the blob ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["survey", "interaction", "think_out_loud", "empty"])
def test_demo_details_round_trip_exactly(client: ut.Client, name: str) -> None:
    details = ut.load_session_details(TESTS[name], progress=False)
    frames, meta = decode_frames(encode_frames(details.frames(), {"k": [1, "two"]}))
    assert meta == {"k": [1, "two"]}
    assert list(frames) == list(details.FRAMES)
    for frame_name, frame in details.frames().items():
        pd.testing.assert_frame_equal(frames[frame_name], frame, check_exact=True)


def test_odd_columns_round_trip_exactly() -> None:
    frame = pd.DataFrame(
        {
            "json": pd.Series(
                [{"a": [1, None]}, None, math.nan, ["é", {"x": 2**70}], "text"], dtype="object"
            ),
            "none": pd.Series([None] * 5, dtype="object"),
            "cat": pd.Series(["b", None, "a", "b", None], dtype="string").astype("category"),
            "nocat": pd.Series([None] * 5, dtype="string").astype("category"),
            "ordered": pd.Categorical(["lo", "hi", None, "lo", "hi"], ["lo", "hi"], ordered=True),
            "n": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "f": pd.array([1.5, None, 3, 4, 5], dtype="Float64"),
            "flag": pd.array([True, None, False, True, False], dtype="boolean"),
            "when": pd.to_datetime(["2026-01-01T10:00:00Z", None, None, None, None], utc=True),
            "took": pd.to_timedelta([1.5, None, 2, 3, 4], unit="s"),
            "s": pd.array(["x", None, "$25,000", "", "🙂"], dtype="string"),
        }
    )
    empty = frame.iloc[:0].reset_index(drop=True)
    frames, _ = decode_frames(encode_frames({"full": frame, "empty": empty}, {}))
    pd.testing.assert_frame_equal(frames["full"], frame, check_exact=True)
    pd.testing.assert_frame_equal(frames["empty"], empty, check_exact=True)
    assert math.isnan(frames["full"]["json"][2]) and frames["full"]["json"][3][1]["x"] == 2**70


def test_garbage_is_a_snapshot_error_never_another_exception() -> None:
    good = encode_frames({"f": pd.DataFrame({"n": pd.array([1, 2], dtype="Int64")})}, {"k": 1})
    bad = [
        b"",
        b"junk",
        MAGIC,
        MAGIC + b"\xff" * 8 + b"{}",
        MAGIC + (2).to_bytes(8, "little") + b"{}",  # a header without meta
        good[:-7],  # truncated
        good[: len(good) // 2] + b"\x00" * (len(good) - len(good) // 2),  # zeroed frames
        "a text body",  # what a per-session entry holds
    ]
    for blob in bad:
        with pytest.raises(SnapshotError):
            decode_frames(blob)  # type: ignore[arg-type]
    assert read_meta(good) == {"k": 1}


# -- the loader -------------------------------------------------------------------------------


def test_a_reload_of_the_same_sessions_reads_the_snapshot(client: ut.Client, server: Any) -> None:
    sessions = _complete_sessions("survey")
    server.reset_log()
    first = ut.load_session_details(sessions, progress=False)
    assert server.count(DETAILS) == len(sessions)
    assert _snapshot(client, "survey") is not None

    ids = list(sessions["sessionId"])
    raw = {sid: first.raw[sid] for sid in ids[:3]}
    # The same sessions by test id (all of them COMPLETE) or by frame: the snapshot.
    _forget_sessions(client, ids[3:])
    server.reset_log()
    again = ut.load_session_details(sessions, progress=False)
    job = ut.load_session_details(sessions, progress=False, background=True).result(timeout=60)
    assert server.count(DETAILS) == 0, "the snapshot, not the API, answered"
    _assert_same(again, first)
    _assert_same(job, first)
    assert again.attrs["cached"] == again.attrs["sessions"] == len(ids)
    assert again.attrs["fetched"] == again.attrs["requests"] == 0
    assert again.tasks.attrs["testId"] == TESTS["survey"]
    assert again.answer_report().equals(first.answer_report())
    assert {sid: again.raw[sid] for sid in ids[:3]} == raw  # answers read lazily


def test_other_sessions_are_assembled_and_replace_the_snapshot(
    client: ut.Client, server: Any
) -> None:
    sessions = _complete_sessions("think_out_loud")
    ut.load_session_details(sessions, progress=False)
    before = read_meta(_snapshot(client, "think_out_loud") or b"")
    some = sessions.iloc[[4, 1, 7]]  # another order, too
    server.reset_log()
    three = ut.load_session_details(some, progress=False)
    assert server.count(DETAILS) == 0  # from the per-session entries
    assert list(three.participants["sessionId"]) == list(some["sessionId"])
    _assert_same(three, ut.load_session_details(list(some["sessionId"]), progress=False))
    after = read_meta(_snapshot(client, "think_out_loud") or b"")
    assert after["key"] != before["key"]  # the last load's sessions now
    _forget_sessions(client, list(some["sessionId"]))
    _assert_same(ut.load_session_details(some, progress=False), three)
    assert server.count(DETAILS) == 0


@pytest.mark.parametrize("garbage", ["junk", "truncated", "zeroed", "text", "lie"])
def test_a_corrupt_snapshot_is_dropped_and_written_again(
    client: ut.Client, server: Any, garbage: str
) -> None:
    sessions = _complete_sessions("think_out_loud")
    first = ut.load_session_details(sessions, progress=False)
    good = _snapshot(client, "think_out_loud")
    assert good is not None
    if garbage == "lie":  # readable, with this load's key, but of other sessions
        key = read_meta(good)
        blob: Any = encode_frames(
            ut.load_session_details(sessions.head(2), progress=False).frames(), key
        )
    else:
        blob = {
            "junk": b"\x00junk" * 10,
            "truncated": good[: len(good) - 100],
            "zeroed": good[:200] + bytes(len(good) - 200),
            "text": "not bytes at all",
        }[garbage]
    Cache.from_settings(client.settings).put(
        cache_scope(client), FRAMES_KIND, TESTS["think_out_loud"], blob
    )
    server.reset_log()
    again = ut.load_session_details(sessions, progress=False)
    assert server.count(DETAILS) == 0
    _assert_same(again, first)
    rewritten = _snapshot(client, "think_out_loud")
    assert rewritten is not None and read_meta(rewritten) == read_meta(good)
    frames, _ = decode_frames(rewritten)
    pd.testing.assert_frame_equal(frames["tasks"], first.tasks)


def test_no_snapshot_while_a_session_may_still_change(client: ut.Client, server: Any) -> None:
    details = ut.load_session_details(TESTS["interaction"], progress=False)  # some in progress
    assert len(details) > len(_complete_sessions("interaction"))
    assert _snapshot(client, "interaction") is None


def test_refresh_ignores_the_snapshot_and_rewrites_it(client: ut.Client, server: Any) -> None:
    sessions = _complete_sessions("think_out_loud")
    first = ut.load_session_details(sessions, progress=False)
    server.reset_log()
    again = ut.load_session_details(sessions, progress=False, refresh=True)
    assert server.count(DETAILS) == len(sessions) and again.attrs["cached"] == 0
    _assert_same(again, first)
    assert _snapshot(client, "think_out_loud") is not None


def test_a_reload_from_the_snapshot_warns_like_the_first_load(make_server: Any) -> None:
    from tests.conftest import connect_to

    server = make_server(unknown_task_types=True)
    client = connect_to(server)
    sessions = _complete_sessions("survey")
    with pytest.warns(ut.UnreadAnswersWarning) as first_warnings:
        first = ut.load_session_details(sessions, progress=False)
    _forget_sessions(client, list(sessions["sessionId"]))
    with pytest.warns(ut.UnreadAnswersWarning) as again_warnings:
        again = ut.load_session_details(sessions, progress=False)
    assert [str(w.message) for w in again_warnings] == [str(w.message) for w in first_warnings]
    assert again.answer_report().equals(first.answer_report())


def test_the_snapshot_holds_no_secret(client: ut.Client, server: Any) -> None:
    ut.load_session_details(_complete_sessions("think_out_loud"), progress=False)
    blob = _snapshot(client, "think_out_loud")
    assert blob is not None
    frames, meta = decode_frames(blob)  # compressed on disk: look at what it holds
    text = repr(meta) + "".join(f.to_csv() for f in frames.values())
    token = client.tokens.get().access_token.reveal()
    for secret in (token, server.config.client_secret, server.config.client_id):
        assert secret not in text
