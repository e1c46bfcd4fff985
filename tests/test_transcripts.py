"""WebVTT parsing, and transcripts over HTTP (one, many, cached, background)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from ut_notebook.demo import TESTS
from ut_notebook.loaders.quality import MalformedValuesWarning
from ut_notebook.loaders.transcripts import CUE_SCHEMA, TRANSCRIPTS_SCHEMA, parse_webvtt

TRANSCRIPT = "/transcript"


def _td(text: str) -> pd.Timedelta:
    return pd.Timedelta(text)


def test_parse_cues_with_voices() -> None:
    cues = parse_webvtt(
        "WEBVTT\n\n1\n00:01:09.004 --> 00:01:15.364\n<v Participant>Um, I'd search.\n\n"
        "2\n00:01:25.877 --> 00:01:31.517\n<v Moderator>Tell me more?\n"
    )
    assert list(cues.columns) == list(CUE_SCHEMA)
    assert list(cues["cue"]) == ["1", "2"]
    assert list(cues["start"]) == [_td("00:01:09.004"), _td("00:01:25.877")]
    assert list(cues["end"]) == [_td("00:01:15.364"), _td("00:01:31.517")]
    assert list(cues["speaker"]) == ["Participant", "Moderator"]
    assert list(cues["text"]) == ["Um, I'd search.", "Tell me more?"]
    assert str(cues["start"].dtype) == "timedelta64[ns]" and str(cues["speaker"].dtype) == (
        "category"
    )


def test_parse_the_rest_of_webvtt() -> None:
    text = (
        "\ufeffWEBVTT - a title\r\nKind: captions\r\n\r\n"
        "NOTE a comment\r\nover two lines\r\n\r\n"
        "STYLE\r\n::cue { color: red }\r\n\r\n"
        "01:02.5 --> 01:04.250 align:start position:10%\r\n"
        "<v.loud Dr. Ana Ruiz>Hello &amp; <b>welcome</b></v>\r\n"
        "second line\r\n\r\n"
        "intro\r\n1:00:00.000 --> 1:00:01.000\r\nno voice &lt;here&gt;\r\n\r\n"
        "garbage block without timing\r\n"
    )
    with pytest.warns(MalformedValuesWarning, match=r"not cues \(1 row\)"):
        cues = parse_webvtt(text)
    assert len(cues) == 2
    first, second = cues.iloc[0], cues.iloc[1]
    assert pd.isna(first["cue"]) and first["start"] == _td("00:01:02.500")
    assert first["end"] == _td("00:01:04.250")
    assert first["speaker"] == "Dr. Ana Ruiz"
    assert first["text"] == "Hello & welcome\nsecond line"
    assert second["cue"] == "intro" and second["start"] == _td("01:00:00")
    assert pd.isna(second["speaker"]) and second["text"] == "no voice <here>"


def test_parse_empty_and_invalid() -> None:
    empty = parse_webvtt("WEBVTT\n\n")
    assert empty.empty and list(empty.columns) == list(CUE_SCHEMA)
    assert str(empty["end"].dtype) == "timedelta64[ns]"
    with pytest.raises(ValueError, match="WebVTT"):
        parse_webvtt("<html>502 Bad Gateway</html>")


def test_load_transcript_of_a_think_out_loud_session(client: ut.Client, server: Any) -> None:
    sid = server.session_ids(TESTS["think_out_loud"])[0]
    cues = ut.load_transcript(sid.upper())
    assert len(cues) > 3 and cues.attrs["sessionId"] == sid
    assert set(cues["speaker"].dropna()) <= {"Participant", "Moderator"}
    assert (cues["end"] > cues["start"]).all() and cues["start"].is_monotonic_increasing
    survey = server.session_ids(TESTS["survey"])[0]
    with pytest.raises(ut.NotFoundError, match="No transcript"):
        ut.load_transcript(survey)


def test_load_transcript_validates_first(client: ut.Client, server: Any) -> None:
    server.reset_log()
    with pytest.raises(ValueError, match="session id"):
        ut.load_transcript("not-a-uuid")
    assert server.count("/api/") == 0


def test_load_transcripts_stacks_with_session_id_and_caches(client: ut.Client, server: Any) -> None:
    test = TESTS["think_out_loud"]
    sessions = ut.load_sessions(test, progress=False)
    complete = set(sessions.loc[sessions["status"] == "COMPLETE", "sessionId"])
    cues = ut.load_transcripts(test, progress=False)
    assert list(cues.columns) == list(TRANSCRIPTS_SCHEMA)
    assert str(cues["sessionId"].dtype) == "string"
    # Bare cues, as documented: no voice tags, so no speaker (tags: test_fidelity.py).
    assert cues["speaker"].isna().all() and list(cues["speaker"].cat.categories) == []
    assert cues["sessionId"].nunique() >= len(complete)
    # Sessions in the order of the test (newest first), cues in time order within each.
    order = list(dict.fromkeys(cues["sessionId"]))
    assert order == [s for s in sessions["sessionId"] if s in set(order)]
    assert cues.groupby("sessionId")["start"].apply(lambda s: s.is_monotonic_increasing).all()
    assert sum(r.path.endswith(TRANSCRIPT) for r in server.requests) == 36

    server.reset_log()
    again = ut.load_transcripts(test, progress=False)
    asked = {r.path.split("/")[4] for r in server.requests if r.path.endswith(TRANSCRIPT)}
    assert asked == set(sessions["sessionId"]) - complete  # complete ones came from the cache
    pd.testing.assert_frame_equal(again, cues)
    # And a single load of a cached, complete session asks nothing.
    server.reset_log()
    ut.load_transcript(sorted(complete)[0])
    assert server.count("/api/") == 0


def test_sessions_without_transcript_are_listed(client: ut.Client, server: Any) -> None:
    ids = server.session_ids(TESTS["survey"])[:2] + server.session_ids(TESTS["think_out_loud"])[:1]
    cues = ut.load_transcripts(ids, progress=False)
    assert set(cues["sessionId"]) == {ids[2]}
    assert cues.attrs["without_transcript"] == ids[:2]


def test_empty_test_gives_an_empty_typed_frame(client: ut.Client) -> None:
    cues = ut.load_transcripts(TESTS["empty"], progress=False)
    assert cues.empty and list(cues.columns) == list(TRANSCRIPTS_SCHEMA)
    assert str(cues["start"].dtype) == "timedelta64[ns]"


def test_background_transcripts_equal_foreground(client: ut.Client) -> None:
    job = ut.load_transcripts(TESTS["think_out_loud"], background=True)
    background = job.result(timeout=30)
    foreground = ut.load_transcripts(TESTS["think_out_loud"], progress=False, refresh=True)
    pd.testing.assert_frame_equal(background, foreground)


def test_interrupted_transcripts_keep_the_fetched_part(client: ut.Client, server: Any) -> None:
    def stop(status: Any) -> None:
        if status.fetched == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        ut.load_transcripts(TESTS["think_out_loud"], progress=stop)
    partial = info.value.partial  # type: ignore[attr-defined]
    assert partial.attrs["partial"] is True and partial["sessionId"].nunique() <= 4
    assert partial.attrs["sessions"] == 4
