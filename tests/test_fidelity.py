"""Fidelity to the documented API: every answer shape the simulator sends, over HTTP.

The inner keys of most answers are not documented (docs/API_FIDELITY.md), so the
simulator sends them in several shapes (``SimulatorConfig.answer_shapes``). The same
seed draws the same answers in every shape, so a shape the package understands must
give exactly the frames the guessed shape gives, and a shape it cannot read without
guessing must give ``<NA>`` -- never a wrong value -- and one warning.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pandas as pd
import pytest
import requests

import ut_notebook as ut
from tests.conftest import connect_to
from ut_notebook.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, TESTS
from ut_notebook.loaders.details import ANSWER_REPORT_SCHEMA, TASK_SCHEMA, build_details

# The answer columns every readable shape must fill identically.
SCALARS = [
    "nps",
    "rating",
    "written",
    "url",
    "success",
    "multiSelect",
    "randomizedOptions",
    "maxLimit",
    "prototypeUrl",
    "figmaPrototypeTitle",
    "figmaPrototypeDisplaySetting",
]
LISTS = ["options", "selected", "ranking", "matrix"]
SAMPLE = {"survey": 60, "interaction": 40, "think_out_loud": 36}


def _load(server: Any, name: str, n: int | None = None) -> ut.SessionDetails:
    connect_to(server)
    sessions = ut.load_sessions(TESTS[name], progress=False)
    return ut.load_session_details(sessions.head(n or SAMPLE[name]), progress=False)


def _no_unread_warning(server: Any, name: str, n: int | None = None) -> ut.SessionDetails:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ut.UnreadAnswersWarning)
        warnings.simplefilter("error", ut.MalformedValuesWarning)
        return _load(server, name, n)


@pytest.fixture(scope="module")
def guessed_frames() -> dict[str, pd.DataFrame]:
    """The tasks frames of the guessed shape: the reference the others must match."""
    from ut_notebook.demo import DemoServer

    out = {}
    with DemoServer(rate_limit=10_000, answer_shapes="guessed") as server:
        for name in SAMPLE:
            out[name] = _no_unread_warning(server, name).tasks
    ut.disconnect()
    return out


@pytest.mark.parametrize("shape", ["alternate", "mixed"])
@pytest.mark.parametrize("name", list(SAMPLE))
def test_readable_shapes_give_the_guessed_frames(
    make_server: Any, guessed_frames: dict[str, pd.DataFrame], shape: str, name: str
) -> None:
    server = make_server(answer_shapes=shape)
    details = _no_unread_warning(server, name)
    tasks, reference = details.tasks, guessed_frames[name]
    assert list(tasks.columns) == list(TASK_SCHEMA)
    assert tasks["rawAnswer"].notna().sum() > 20
    # The raw answers differ (other keys), the typed columns do not.
    answered = tasks["rawAnswer"].notna()
    assert (tasks.loc[answered, "rawAnswer"] != reference.loc[answered, "rawAnswer"]).any()
    for column in SCALARS:
        pd.testing.assert_series_equal(tasks[column], reference[column], check_names=True)
    for column in ["selected", "ranking", "matrix"]:
        assert tasks[column].tolist() == reference[column].tolist(), column
    # Options: the alternate multiple-choice/rank/matrix shapes list them all too.
    assert tasks["options"].tolist() == reference["options"].tolist()
    report = details.answer_report()
    assert (report["rawOnly"] == 0).all() and (report["typed"] == report["answers"]).all()


def test_rating_scale_ends_are_left_empty_when_not_where_guessed(
    make_server: Any, guessed_frames: dict[str, pd.DataFrame]
) -> None:
    """The alternate rating shape nests the scale ends: not guessed, so NA (not wrong)."""
    tasks = _no_unread_warning(make_server(answer_shapes="alternate"), "survey").tasks
    ratings = tasks[tasks["type"] == "RATING_SCALE"].dropna(subset=["rating"])
    assert len(ratings) > 50 and ratings[["scaleMin", "scaleMax"]].isna().all().all()
    reference = guessed_frames["survey"]
    assert reference.loc[ratings.index, "scaleMax"].notna().all()


def test_ambiguous_shapes_are_not_guessed(make_server: Any) -> None:
    server = make_server(answer_shapes="ambiguous")
    with pytest.warns(ut.UnreadAnswersWarning) as caught:
        details = _load(server, "survey")
    unread = [w for w in caught if issubclass(w.category, ut.UnreadAnswersWarning)]
    assert len(unread) == 1
    message = str(unread[0].message)
    for kind in ("NPS", "RATING_SCALE", "MULTIPLE_CHOICE", "RANK_ORDER", "MATRIX", "WRITTEN"):
        assert kind in message
    assert "answer_report()" in message and "report" in message
    tasks = details.tasks
    answered = tasks[tasks["rawAnswer"].notna()]
    for kind, column in [
        ("NPS", "nps"),
        ("RATING_SCALE", "rating"),
        ("MULTIPLE_CHOICE", "selected"),
        ("RANK_ORDER", "ranking"),
        ("MATRIX", "matrix"),
        ("WRITTEN", "written"),
        ("IMAGE", "url"),
    ]:
        rows = answered[answered["type"] == kind]
        assert len(rows) > 10 and rows[column].isna().all(), kind
    # Documented fields are read in every shape.
    choices = answered[answered["type"] == "MULTIPLE_CHOICE"]
    assert choices["multiSelect"].notna().all() and choices["randomizedOptions"].notna().all()
    report = details.answer_report().set_index("type")
    assert report.loc["NPS", "rawOnly"] == report.loc["NPS", "answers"] > 10
    assert "nps.selected" in report.loc["NPS", "keys"]
    assert report.loc["NPS", "typed"] == 0


def test_ambiguous_success_is_not_guessed(make_server: Any) -> None:
    with pytest.warns(ut.UnreadAnswersWarning, match="URL"):
        tasks = _load(make_server(answer_shapes="ambiguous"), "interaction").tasks
    urls = tasks[(tasks["type"] == "URL") & tasks["rawAnswer"].notna()]
    # Two booleans (completed, abandoned): which one is success is not guessed...
    two_flags = urls["rawAnswer"].str.contains("abandoned")
    assert two_flags.sum() > 10 and urls.loc[two_flags, "success"].isna().all()
    # ...but the single URL string is read.
    assert urls["url"].str.startswith("https://").all()


def test_answer_report_frame(make_server: Any) -> None:
    details = _no_unread_warning(make_server(answer_shapes="mixed"), "survey")
    report = details.answer_report()
    assert list(report.columns) == list(ANSWER_REPORT_SCHEMA)
    assert {str(d) for d in report.dtypes} == {"string", "Int64"}
    counts = details.tasks[details.tasks["rawAnswer"].notna()].groupby("type", observed=True)
    expected = counts.size().to_dict()
    assert dict(zip(report["type"], report["answers"], strict=True)) == expected
    nps_keys = report.set_index("type").loc["NPS", "keys"]
    assert nps_keys == "nps.score, nps.value"  # both shapes were seen


# -- documented fields, help-centre types, nulls -------------------------------------------


def test_documented_fields_are_typed_columns(make_server: Any) -> None:
    details = _no_unread_warning(make_server(), "think_out_loud")
    figma = details.tasks[(details.tasks["type"] == "FIGMA") & details.tasks["reached"]]
    figma = figma[figma["rawAnswer"].notna()]
    assert len(figma) > 5
    assert figma["prototypeUrl"].str.contains("figma.com").all()
    assert figma["figmaPrototypeTitle"].notna().all()
    assert figma["figmaPrototypeDisplaySetting"].notna().all()
    for column in ("prototypeUrl", "figmaPrototypeTitle", "figmaPrototypeDisplaySetting"):
        assert str(details.tasks[column].dtype) == "string"
    survey = _no_unread_warning(make_server(), "survey").tasks
    choices = survey[(survey["type"] == "MULTIPLE_CHOICE") & survey["rawAnswer"].notna()]
    assert set(choices["multiSelect"]) == {True, False}
    assert str(survey["multiSelect"].dtype) == "boolean"
    assert str(survey["maxLimit"].dtype) == "Int64"
    for _, row in choices[choices["maxLimit"].notna()].iterrows():
        assert len(row["selected"]) <= row["maxLimit"]


def test_verbal_and_skipped_tasks_keep_their_rows(make_server: Any) -> None:
    details = _no_unread_warning(make_server(), "think_out_loud")
    tasks = details.tasks
    for kind in ("VERBAL", "SKIPPED"):
        rows = tasks[tasks["type"] == kind]
        assert len(rows) == len(details) and rows["taskId"].nunique() == 1
    verbal = tasks[(tasks["type"] == "VERBAL") & tasks["reached"]]
    assert len(verbal) > 5 and (verbal["duration"] > pd.Timedelta(0)).all()
    assert not verbal["skipped"].any()
    skipped = tasks[(tasks["type"] == "SKIPPED") & tasks["reached"]]
    assert len(skipped) == len(verbal) and skipped["skipped"].all()
    fig = ut.charts.skip_rates(tasks)
    bar = next(trace for trace in fig.data if trace.name == "Skipped")
    label = next(y for y in bar.y if "Rate your last delivery" in y)
    assert bar.x[list(bar.y).index(label)] == 100.0


def test_nulls_the_spec_allows_are_read(make_server: Any) -> None:
    details = _no_unread_warning(make_server(), "survey", 240)
    people, demo = details.participants, details.demographics
    # Nullable ids arrive as null sometimes: NA, with the session kept.
    assert people["audienceId"].isna().any() and people["audienceId"].notna().any()
    assert people["participantId"].isna().any()
    # UNRECOGNIZED and null question types and labels are kept.
    assert "UNRECOGNIZED" in set(demo["type"].dropna())
    assert demo["type"].isna().any() and demo["label"].isna().any()
    # Task times may be floats: a fraction of a millisecond survives.
    offsets = details.tasks["startOffset"].dropna()
    assert (offsets.dt.microseconds % 1000 != 0).any()
    plain = _no_unread_warning(make_server(spec_variety=False), "survey", 240)
    assert plain.participants["participantId"].notna().all()
    assert plain.participants["audienceId"].isna().sum() < people["audienceId"].isna().sum()
    assert "UNRECOGNIZED" not in set(plain.demographics["type"].dropna())


# -- transcripts ---------------------------------------------------------------------------


def _get(server: Any, path: str) -> requests.Response:
    token = requests.post(
        server.token_url,
        data={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "client_credentials",
            "scope": "public_api.read",
        },
        timeout=10,
    ).json()["access_token"]
    return requests.get(server.url + path, headers={"token": token}, timeout=10)


def test_transcripts_are_bare_text_vtt_in_utf8_by_default(make_server: Any) -> None:
    server = make_server()
    sid = server.session_ids(TESTS["think_out_loud"])[0]
    reply = _get(server, f"/api/v2/sessionResults/{sid}/transcript")
    assert reply.headers["Content-Type"] == "text/vtt"  # no charset, as documented
    body = reply.content.decode("utf-8")
    assert "<v " not in body and "\n1\n" not in body
    connect_to(server)
    cues = ut.load_transcripts(TESTS["think_out_loud"], progress=False)
    assert cues["speaker"].isna().all() and cues["cue"].isna().all()
    # Non-ASCII speech comes through intact although requests assumes ISO-8859-1.
    assert cues["text"].str.contains("crème").any()
    assert not cues["text"].str.contains("Ã").any()


def test_voice_tags_switch(make_server: Any) -> None:
    connect_to(make_server(voice_tags=True))
    cues = ut.load_transcripts(TESTS["think_out_loud"], progress=False)
    assert set(cues["speaker"].cat.categories) == {"Participant", "Moderator"}
    assert cues["speaker"].notna().all() and cues["cue"].notna().all()
    assert cues["text"].str.contains("crème").any()


# -- hand-made answers: what is read, what is not -------------------------------------------

READABLE = [
    ("NPS", {"nps": {"score": 7}}, {"nps": 7}),
    ("NPS", {"nps": {"npsScore": 10, "label": "Promoter"}}, {"nps": 10}),
    ("RATING_SCALE", {"ratingScale": {"selected": 4, "scaleMin": 1}}, {"rating": 4}),
    ("WRITTEN", {"written": {"answer": "Fine"}}, {"written": "Fine"}),
    ("URL", {"url": {"url": "https://x.example", "passed": False}}, {"success": False}),
    ("FIGMA", {"figma": {"prototypeUrl": "https://figma.com/p", "done": True}}, {"success": True}),
    (
        "MULTIPLE_CHOICE",
        {"multipleChoice": {"options": ["A", "B"], "chosen": ["B"]}},
        {"selected": ["B"]},
    ),
    (
        "RANK_ORDER",
        {"rankOrder": {"items": [{"name": "A", "position": 2}, {"name": "B", "position": 1}]}},
        {"ranking": ["B", "A"]},
    ),
]
AMBIGUOUS = [
    ("NPS", {"nps": {"now": 3, "before": 9}}, "nps"),
    ("NPS", {"nps": {"value": 42}}, "nps"),  # one integer, but not 0-10
    ("NPS", {"nps": {"score": "9"}}, "nps"),  # the guessed key, the wrong type
    ("RATING_SCALE", {"ratingScale": {"a": 2, "b": 5}}, "rating"),
    ("WRITTEN", {"written": {"text1": "a", "text2": "b"}}, "written"),
    ("URL", {"url": {"url": "https://x.example", "ok": True, "gaveUp": False}}, "success"),
    ("MULTIPLE_CHOICE", {"multipleChoice": {"labels": ["A", "B"]}}, "selected"),
    ("MULTIPLE_CHOICE", {"multipleChoice": {"options": ["A"], "chosen": ["Z"]}}, "selected"),
    ("RANK_ORDER", {"rankOrder": {"items": [{"n": "A", "p": 1}, {"n": "B", "p": 1}]}}, "ranking"),
    ("MATRIX", {"matrix": {"grid": [{"r": "x", "c": "y"}]}}, "matrix"),
    ("NPS", {"ratingScale": {"value": 3}}, "nps"),  # the wrong container for the type
]


def _doc(kind: str, answer: dict[str, Any]) -> dict[str, Any]:
    response = {"startTimeMs": 0, "endTimeMs": 1000, "skipped": False, "answer": answer}
    return {"tasks": [{"uuid": "t", "text": "?", "type": kind, "response": response}]}


@pytest.mark.parametrize(("kind", "answer", "expected"), READABLE)
def test_tolerant_readers_read_unambiguous_shapes(
    kind: str, answer: dict[str, Any], expected: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        details = build_details(["s"], {"s": _doc(kind, answer)})
    row = details.tasks.iloc[0]
    for column, value in expected.items():
        assert row[column] == value if not isinstance(value, list) else list(row[column]) == value
    assert json.loads(row["rawAnswer"]) == answer
    assert details.answer_report()["typed"].tolist() == [1]


@pytest.mark.parametrize(("kind", "answer", "column"), AMBIGUOUS)
def test_ambiguous_shapes_leave_typed_columns_empty(
    kind: str, answer: dict[str, Any], column: str
) -> None:
    with pytest.warns(ut.UnreadAnswersWarning, match=f"{kind} \\(1 of 1\\)"):
        details = build_details(["s"], {"s": _doc(kind, answer)})
    row = details.tasks.iloc[0]
    assert row[column] is None or pd.isna(row[column])
    assert json.loads(row["rawAnswer"]) == answer
    report = details.answer_report()
    assert report["rawOnly"].tolist() == [1] and report["typed"].tolist() == [0]


def test_every_demographic_field_may_be_null() -> None:
    items = [
        {"id": "q-1", "code": None, "label": None, "value": "Yes", "type": None},
        {"id": None, "code": None, "label": None, "value": None, "type": None},
        {"id": None, "code": "INTERESTS", "label": "?", "value": "A, B", "type": "UNRECOGNIZED"},
        {"code": "INTERESTS", "value": "C, D", "type": "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE"},
    ]
    docs = {
        "a": {"sessionParticipant": {"participantId": None, "demographicsInfo": items[:3]}},
        "b": {"sessionParticipant": {"participantId": "p", "demographicsInfo": items[3:]}},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        details = build_details(["a", "b"], docs)
    people = details.participants
    assert list(people.columns)[4:] == ["q-1", "UNKNOWN", "INTERESTS"]  # code, else id
    assert people["participantId"].isna().tolist() == [True, False]
    assert str(people["INTERESTS"].dtype) == "string"  # one session says multi-select
    demo = details.demographics
    # An UNRECOGNIZED type is not split; a MULTIPLE one is.
    assert demo.loc[demo["sessionId"] == "a", "value"].astype(object).tolist()[2] == "A, B"
    assert demo.loc[demo["sessionId"] == "b", "value"].astype(str).tolist() == ["C", "D"]
    assert demo["label"].isna().sum() == 4 and demo["type"].isna().sum() == 2
