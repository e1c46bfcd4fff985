"""Verbatims per task, keyword in context and phrase counts (ut_notebook.findings)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import ut_notebook as ut
from ut_notebook.demo import TESTS
from ut_notebook.findings import (
    KWIC_COLUMNS,
    PHRASE_SCHEMA,
    STOP_WORDS,
    VERBATIM_SCHEMA,
    kwic,
    phrase_counts,
    verbatims,
)
from ut_notebook.frames import typed_frame
from ut_notebook.loaders.details import TASK_SCHEMA
from ut_notebook.loaders.transcripts import parse_webvtt, stack_transcripts

A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"


def _s(seconds: float) -> pd.Timedelta:
    return pd.Timedelta(seconds=seconds)


def _tasks(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return typed_frame(rows, TASK_SCHEMA)


TASKS = _tasks(
    [
        # Session A: task 1 [10, 20), task 2 [20, 40), task 3 [50, 60) with a written answer.
        {"sessionId": A, "taskId": "t1", "position": 1, "text": "Find bread",
         "startOffset": _s(10), "endOffset": _s(20)},
        {"sessionId": A, "taskId": "t2", "position": 2, "text": "Check the fee",
         "startOffset": _s(20), "endOffset": _s(40)},
        {"sessionId": A, "taskId": "t3", "position": 3, "text": "What was confusing?",
         "startOffset": _s(50), "endOffset": _s(60), "written": "The fee, honestly."},
        # Session B: task 2 only; task 1 not reached (no offsets).
        {"sessionId": B, "taskId": "t1", "position": 1, "text": "Find bread"},
        {"sessionId": B, "taskId": "t2", "position": 2, "text": "Check the fee",
         "startOffset": _s(0), "endOffset": _s(30)},
    ]
)  # fmt: skip

VTT_A = """WEBVTT

1
00:00:05.000 --> 00:00:09.000
<v Participant>Before any task.

2
00:00:10.000 --> 00:00:12.000
<v Participant>Where is the gluten free bread?

3
00:00:19.900 --> 00:00:21.000
<v Participant>Found it, the gluten free bread.

4
00:00:20.000 --> 00:00:25.000
<v Moderator>Now the delivery fee.

5
00:00:45.000 --> 00:00:47.000
<v Participant>Between tasks.

6
00:00:59.999 --> 00:01:02.000
<v Participant>The delivery fee was confusing.
"""
VTT_B = """WEBVTT

00:00:29.000 --> 00:00:31.000
<v Participant>The delivery fee confused me a bit.

00:00:30.000 --> 00:00:31.000
<v Participant>At the end of the task: outside it.
"""


def _cues() -> pd.DataFrame:
    return stack_transcripts([A, B], {A: parse_webvtt(VTT_A), B: parse_webvtt(VTT_B)})


def test_each_cue_joins_the_task_whose_half_open_interval_holds_its_start() -> None:
    said = verbatims(TASKS, _cues())
    assert list(said.columns) == list(VERBATIM_SCHEMA)
    assert {c: str(t) for c, t in said.dtypes.items()} == {
        c: ("category" if t == "category" else t) for c, t in VERBATIM_SCHEMA.items()
    }
    # One row per cue, sessions in the cues' order, then time.
    assert list(said["sessionId"]) == [A] * 6 + [B] * 2
    assert said["taskId"].tolist() == [pd.NA, "t1", "t1", "t2", pd.NA, "t3", "t2", pd.NA]
    assert said["position"].tolist() == [pd.NA, 1, 1, 2, pd.NA, 3, 2, pd.NA]
    assert said.loc[1, "task"] == "Find bread" and pd.isna(said.loc[0, "task"])
    assert said.loc[3, "speaker"] == "Moderator"
    assert said.loc[5, "text"] == "The delivery fee was confusing."
    assert set(said["source"]) == {"spoken"}
    # The task categories follow the plan, whatever the order they were first met in.
    plan = ["Find bread", "Check the fee", "What was confusing?"]
    assert list(said["task"].cat.categories) == plan


def test_written_answers_join_their_task_after_its_cues() -> None:
    said = verbatims(TASKS, _cues(), written=True)
    task3 = said[said["position"].eq(3).fillna(False)]
    assert task3["source"].tolist() == ["spoken", "written"]
    assert task3["text"].tolist() == ["The delivery fee was confusing.", "The fee, honestly."]
    written = task3.iloc[1]
    assert pd.isna(written["start"]) and pd.isna(written["speaker"])
    assert written["sessionId"] == A and written["taskId"] == "t3"
    assert len(said) == 9 and said["source"].value_counts()["written"] == 1


def test_one_sessions_transcript_takes_its_session_from_attrs() -> None:
    cues = parse_webvtt(VTT_A)
    cues.attrs["sessionId"] = A  # what load_transcript sets
    said = verbatims(TASKS, cues)
    assert said["taskId"].tolist() == [pd.NA, "t1", "t1", "t2", pd.NA, "t3"]
    with pytest.raises(ValueError, match="sessionId"):
        verbatims(TASKS, parse_webvtt(VTT_A))


def test_empty_inputs_give_the_same_columns() -> None:
    empty_cues = stack_transcripts([], {})
    said = verbatims(TASKS, empty_cues)
    assert list(said.columns) == list(VERBATIM_SCHEMA) and said.empty
    assert str(said["start"].dtype) == "timedelta64[ns]"
    with_written = verbatims(TASKS, empty_cues, written=True)
    assert with_written["text"].tolist() == ["The fee, honestly."]
    hits = kwic(said, "fee")
    assert list(hits.columns) == list(VERBATIM_SCHEMA) + list(KWIC_COLUMNS) and hits.empty
    assert list(phrase_counts(said).columns) == list(PHRASE_SCHEMA)


def test_bad_inputs_say_what_is_wrong() -> None:
    with pytest.raises(TypeError, match="load_session_details"):
        verbatims("not details", _cues())
    with pytest.raises(ValueError, match="startOffset"):
        verbatims(TASKS.drop(columns="startOffset"), _cues())
    with pytest.raises(TypeError, match="load_transcripts"):
        verbatims(TASKS, [1, 2])


def test_kwic_finds_every_occurrence_with_its_context() -> None:
    said = verbatims(TASKS, _cues(), written=True)
    hits = kwic(said, "confus", width=12)
    assert hits["keyword"].tolist() == ["confus", "confus"]
    assert hits["text"].tolist() == [
        "The delivery fee was confusing.",
        "The delivery fee confused me a bit.",
    ]
    assert hits.loc[0, "right"] == "ing."
    assert hits.loc[1, "right"] == "ed me a bit."
    assert hits.loc[0, "left"].startswith("…") and hits.loc[0, "left"].endswith("fee was ")
    assert len(hits.loc[0, "left"]) <= 13  # the width, plus the ellipsis
    # Several hits in one text give several rows; case is ignored unless asked.
    two = kwic(pd.DataFrame({"text": ["Fee here, fee there"]}), "fee", width=5)
    assert two["keyword"].tolist() == ["Fee", "fee"]
    assert kwic(pd.DataFrame({"text": ["Fee here, fee there"]}), "fee", case=True).shape[0] == 1
    # Plain text by default: a dot is a dot.
    assert kwic(pd.DataFrame({"text": ["a.b", "axb"]}), "a.b")["text"].tolist() == ["a.b"]
    assert len(kwic(pd.DataFrame({"text": ["a.b", "axb"]}), "a.b", regex=True)) == 2
    with pytest.raises(ValueError, match="column"):
        kwic(said, "fee", column="nope")


def test_phrase_counts_per_task_without_stop_words() -> None:
    said = verbatims(TASKS, _cues(), written=True)
    counts = phrase_counts(said, words=(1, 2, 3), min_count=1)
    assert list(counts.columns) == list(PHRASE_SCHEMA)
    task1 = counts[counts["taskId"].eq("t1").fillna(False)]
    # "gluten free bread" twice in task 1: the longest as-frequent phrase replaces its parts.
    assert task1.iloc[0]["phrase"] == "gluten free bread"
    assert task1.iloc[0]["count"] == 2 and task1.iloc[0]["sessions"] == 1
    task2 = counts[counts["taskId"].eq("t2").fillna(False)]
    assert task2.iloc[0]["phrase"] == "delivery fee" and task2.iloc[0]["count"] == 2
    assert task2.iloc[0]["sessions"] == 2
    for phrase in counts["phrase"]:
        words = phrase.split()
        assert words[0] not in STOP_WORDS and words[-1] not in STOP_WORDS
    # Plan order, and cues outside every task last.
    assert counts["position"].dropna().is_monotonic_increasing
    assert counts["taskId"].isna().iloc[-1]
    assert phrase_counts(said)["count"].min() >= 2  # min_count=2 by default
    only_words = phrase_counts(said, words=1, min_count=1)
    assert all(" " not in p for p in only_words["phrase"])


def test_verbatims_of_the_demo_think_out_loud_test(client: ut.Client) -> None:
    ids = ut.load_sessions(TESTS["think_out_loud"])["sessionId"].head(4).tolist()
    details = ut.load_session_details(ids, progress=False)
    cues = ut.load_transcripts(ids, progress=False)
    said = verbatims(details, cues, written=True)
    spoken = said[said["source"].eq("spoken").to_numpy()]
    assert len(spoken) == len(cues) > 0
    tasks = details.tasks.set_index(["sessionId", "taskId"])
    inside = spoken.dropna(subset=["taskId"])
    assert len(inside) > len(spoken) / 2  # the demo talks mostly during tasks
    for row in inside.itertuples():
        task = tasks.loc[(row.sessionId, row.taskId)]
        assert task["startOffset"] <= row.start < task["endOffset"]
        assert task["text"] == row.task
    written = said[said["source"].eq("written").to_numpy()]
    assert len(written) == details.tasks["written"].notna().sum() > 0


def test_top_phrases_draws_one_panel_per_task_with_the_counts() -> None:
    said = verbatims(TASKS, _cues(), written=True)
    fig = ut.charts.top_phrases(said, min_count=1, top=3)
    counts = phrase_counts(said, min_count=1, top=3)
    bars = [t for t in fig.data if t.type == "bar"]
    # One panel per task that has phrases (t1, t2, t3 and the cues outside any task).
    assert len(bars) == counts["taskId"].fillna("-").nunique() == 4
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["1. Find bread", "2. Check the fee", "3. What was confusing?",
                      "Outside any task"]  # fmt: skip
    task2 = counts[counts["taskId"].eq("t2").fillna(False)]
    assert list(bars[1].y) == task2["phrase"].tolist()
    assert list(bars[1].x) == task2["count"].tolist()
    assert fig.layout.title.text == "Most frequent phrases per task"
    only = ut.charts.top_phrases(said, min_count=1, task=2)
    assert [a.text for a in only.layout.annotations] == ["2. Check the fee"]


def test_top_phrases_of_nothing_says_so() -> None:
    fig = ut.charts.top_phrases(verbatims(TASKS, stack_transcripts([], {})))
    assert not fig.data
    assert "No phrase" in fig.layout.annotations[0].text
    with pytest.raises(ValueError, match="text"):
        ut.charts.top_phrases(pd.DataFrame({"x": [1]}))
