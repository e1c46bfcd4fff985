"""Charts of session details and QXscores: exact numbers on small hand-made answers
(built through the same code as real loads), and every chart of every demo test."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.basedatatypes
import plotly.graph_objects as go
import pytest

import ut_notebook as ut
from ut_notebook import charts
from ut_notebook.demo import TESTS
from ut_notebook.loaders.details import build_details
from ut_notebook.loaders.qxscores import QX_SCHEMA

NONE = dict.fromkeys(
    [
        "blank",
        "ratingScale",
        "multipleChoice",
        "image",
        "nps",
        "url",
        "rankOrder",
        "written",
        "figma",
        "matrix",
    ]
)
OPTIONS = ["Price", "Speed", "Freshness"]


def _task(uuid: str, type_: str, text: str, start: int, end: int, **answer: Any) -> dict:
    if answer.get("skip"):
        response = {"startTimeMs": start, "endTimeMs": end, "skipped": True, "answer": None}
    else:
        response = {
            "startTimeMs": start,
            "endTimeMs": end,
            "skipped": False,
            "answer": {**NONE, **answer},
        }
    return {"uuid": uuid, "text": text, "type": type_, "response": response}


def _session(
    n: int, nps: int | None, rating: int, chosen: list[str], gender: str, **kw: Any
) -> dict:
    tasks = [
        _task("t-nps", "NPS", "Recommend us?", 0, 60_000 * (n + 1), nps={"score": nps})
        if nps is not None
        else _task("t-nps", "NPS", "Recommend us?", 0, 60_000 * (n + 1), skip=True),
        _task(
            "t-rate",
            "RATING_SCALE",
            "How easy?",
            70_000,
            100_000,
            ratingScale={"value": rating, "scaleMin": 1, "scaleMax": 5},
        ),
        _task(
            "t-mc",
            "MULTIPLE_CHOICE",
            "What matters?",
            110_000,
            130_000,
            multipleChoice={"multiSelect": True, "options": OPTIONS, "selected": chosen},
        ),
    ]
    if kw.get("dropped"):
        tasks[2]["response"] = None
    return {
        "sessionId": f"s{n}",
        "audienceId": None,
        "testPlanId": "plan",
        "sessionParticipant": {
            "participantId": f"p{n}",
            "demographicsInfo": [
                {"id": "g", "code": "GENDER", "label": "Gender?", "value": gender, "type": "S"},
                {
                    "id": "i",
                    "code": "INTERESTS",
                    "label": "Interests?",
                    "value": kw.get("interests", "Cooking"),
                    "type": "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE",
                },
            ],
        },
        "taskGroups": [
            {"uuid": "g1", "type": "QX_SCORE", "response": {"score": 50 + 10 * n}},
            {"uuid": "g2", "type": "QX_SCORE", "response": None if n == 0 else {"score": 40}},
        ],
        "tasks": tasks,
    }


RAW = [
    _session(0, 10, 5, ["Price"], "Female", interests="Cooking, Travel"),
    _session(1, 9, 4, ["Price", "Speed"], "Male"),
    _session(2, 8, 4, ["Speed"], "Female"),
    _session(3, 3, 1, ["Price"], "Female", interests="Travel"),
    _session(4, None, 2, [], "Male", dropped=True),
]
DETAILS = build_details([r["sessionId"] for r in RAW], {r["sessionId"]: r for r in RAW})
QX = pd.DataFrame(
    {
        "taskGroupId": pd.array(["g1", "g2"], dtype="string"),
        "label": pd.array(["QX 1: Find", "QX 2: Buy"], dtype="string"),
        "qxScore": pd.array([76.0, None], dtype="Float64"),
        "behavioral": pd.array([85.8, None], dtype="Float64"),
        "attitudinal": pd.array([66.6, 0.0], dtype="Float64"),
        "usability": pd.array([64.4, 0.0], dtype="Float64"),
        "trust": pd.array([69.5, 0.0], dtype="Float64"),
        "appearance": pd.array([65.4, 0.0], dtype="Float64"),
        "loyalty": pd.array([67.0, 0.0], dtype="Float64"),
        "behavioralTasks": pd.Series([[91.2, 80.4], None], dtype="object"),
        "completes": pd.array([113, 113], dtype="Int64"),
    }
)

BUILDERS = {
    charts.demographics: lambda d: d.demographics,
    charts.nps: lambda d: d.tasks,
    charts.rating_scales: lambda d: d.tasks,
    charts.multiple_choice: lambda d: d.tasks,
    charts.task_durations: lambda d: d.tasks,
    charts.skip_rates: lambda d: d.tasks,
    charts.qx_score_distribution: lambda d: d.task_groups,
}
IDS = [b.__name__ for b in BUILDERS]


def assert_polished(fig: go.Figure) -> None:
    assert isinstance(fig, go.Figure) and fig.layout.title.text
    assert fig.layout.template.layout.colorway == charts.PALETTE
    for trace in fig.data:
        assert trace.hovertemplate
    xaxes = [fig.layout[k] for k in fig.layout if k.startswith("xaxis")]
    yaxes = [fig.layout[k] for k in fig.layout if k.startswith("yaxis")]
    assert any(a.title.text for a in xaxes) and any(a.title.text for a in yaxes)
    fig.to_json()  # plotly.js can read it


# -- exact numbers ----------------------------------------------------------------------------


def test_nps_distribution_groups_and_score() -> None:
    fig = charts.nps(DETAILS.tasks)
    bars = {t.name.split()[0]: dict(zip(t.x, t.y, strict=True)) for t in fig.data}
    assert bars["Detractors"] == {**dict.fromkeys(range(7), 0), 3: 1}
    assert bars["Passives"] == {7: 0, 8: 1}
    assert bars["Promoters"] == {9: 1, 10: 1}
    # 2 promoters, 1 detractor of 4 answers: +25 (the skipped one does not count).
    assert fig.layout.meta["nps"] == 25.0 and fig.layout.meta["responses"] == 4
    assert fig.layout.title.text == "Net Promoter Score: +25"
    assert [t.name for t in fig.data] == ["Detractors 25%", "Passives 25%", "Promoters 50%"]
    assert charts.nps_score([0, 7, 8, 9]) == 0.0 and np.isnan(charts.nps_score([]))
    assert_polished(fig)


def test_rating_scales_are_shares_of_each_value() -> None:
    fig = charts.rating_scales(DETAILS.tasks)
    assert [t.name for t in fig.data] == ["1", "2", "3", "4", "5"]
    shares = {t.name: t.x[0] for t in fig.data}
    assert shares == {"1": 20.0, "2": 20.0, "3": 0.0, "4": 40.0, "5": 20.0}
    assert "mean 3.20 of 1–5" in fig.data[0].y[0]
    assert fig.data[0].marker.color[0] != fig.data[-1].marker.color[0]  # low ≠ high colour
    assert_polished(fig)


def test_multiple_choice_counts_every_option_in_plan_order() -> None:
    fig = charts.multiple_choice(DETAILS.tasks)
    (bar,) = fig.data
    assert list(bar.y) == OPTIONS  # "Freshness" shown though nobody chose it
    assert list(bar.customdata) == [3, 2, 0]
    assert list(bar.x) == pytest.approx([75.0, 50.0, 0.0])  # of 4 who answered
    assert fig.layout.title.text == "3. What matters?"
    assert "several answers allowed" in fig.layout.title.subtitle.text
    by_count = charts.multiple_choice(DETAILS.tasks, task="what matters", sort=True)
    assert list(by_count.data[0].y) == ["Price", "Speed", "Freshness"]
    assert_polished(fig)


def test_task_durations_in_minutes_in_plan_order() -> None:
    fig = charts.task_durations(DETAILS.tasks)
    assert [t.name for t in fig.data] == ["1. Recommend us?", "2. How easy?", "3. What matters?"]
    assert list(fig.data[0].x) == [1.0, 2.0, 3.0, 4.0]  # the skipped NPS task left out
    assert list(fig.data[1].x) == [0.5] * 5
    assert len(fig.data[2].x) == 4  # one session never reached task 3
    with_skips = charts.task_durations(DETAILS.tasks, include_skipped=True, task=1)
    assert len(with_skips.data) == 1 and list(with_skips.data[0].x) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert_polished(fig)


def test_skip_rates_and_unreached() -> None:
    fig = charts.skip_rates(DETAILS.tasks)
    skipped, unreached = fig.data
    assert list(skipped.x) == [20.0, 0.0, 0.0]
    assert list(unreached.x) == [0.0, 0.0, 20.0]
    assert skipped.customdata[0].tolist() == [1, 5, 0, 5]
    assert_polished(fig)


def test_demographics_one_panel_per_code_with_shares() -> None:
    fig = charts.demographics(DETAILS)  # a SessionDetails works too
    gender, interests = fig.data
    assert list(gender.y) == ["Female", "Male"] and list(gender.x) == [60.0, 40.0]
    assert list(interests.y) == ["Cooking", "Travel"]
    assert list(interests.customdata[:, 0]) == [4, 2]  # several answers: sums over 100 %
    titles = [a.text for a in fig.layout.annotations]
    label = DETAILS.demographics.drop_duplicates("code").set_index("code")["label"].astype(str)
    # the question's label (its code only where there is none), not the code
    expected = [
        f"<b>{label[c] if label[c] not in ('', 'nan', '<NA>') else c}</b>" for c in label.index
    ]
    assert titles == [expected[0], expected[1] + " (several answers)"]
    counts = charts.demographics(DETAILS.demographics, codes="GENDER", share=False)
    assert len(counts.data) == 1 and list(counts.data[0].x) == [3, 2]
    with pytest.raises(ValueError, match="no demographic code 'AGE'"):
        charts.demographics(DETAILS.demographics, codes=["AGE"])
    assert_polished(fig)


def _demographic_rows(code: str, label: str, answers: dict[str, int]) -> list[dict[str, Any]]:
    rows, n = [], 0
    for answer, count in answers.items():
        for _ in range(count):
            n += 1
            rows.append(
                {
                    "sessionId": f"{code}-{n}",
                    "code": code,
                    "label": label,
                    "value": answer,
                    "type": "DEMOGRAPHIC_QUESTION_TYPE_SINGLE",
                }
            )
    return rows


def test_demographics_reading_order_labels_legible_text_and_compact_rows() -> None:
    rows = (
        _demographic_rows(
            "WEB_EXPERTISE",
            "How would you rate your web expertise?",
            {"Expert": 10, "Advanced": 35, "Beginner": 8, "Average": 47},
        )
        + _demographic_rows("AGE_GROUP", "What is your age?", {"65+": 3, "18-24": 12, "35-44": 20})
        + _demographic_rows(
            "INCOME",
            "What is your annual household income?",
            {
                "Prefer not to say": 5,
                "$50,000 - $74,999": 20,
                "Less than $25,000": 9,
                "$25,000 - $49,999": 18,
                "$100,000 or more": 2,
            },
        )
    )
    df = pd.DataFrame(rows).astype({"value": "string", "code": "string", "label": "string"})
    fig = charts.demographics(df, columns=1)
    expertise, age, income = fig.data
    assert list(expertise.y) == ["Beginner", "Average", "Advanced", "Expert"]
    assert list(age.y) == ["18-24", "35-44", "65+"]
    assert list(income.y) == [
        "Less than $25,000",
        "$25,000 - $49,999",
        "$50,000 - $74,999",
        "$100,000 or more",
        "Prefer not to say",
    ]
    titles = [a.text for a in fig.layout.annotations]
    assert titles[0] == "<b>How would you rate your web expertise?</b>"
    assert "WEB_EXPERTISE" in expertise.hovertemplate  # the code is still there, on hover
    # a short bar's label outside it, a long bar's inside
    positions = dict(zip(income.y, income.textposition, strict=True))
    assert positions["$100,000 or more"] == "outside" and positions["$50,000 - $74,999"] == "inside"
    # rows as tall as their answers need: the 3-answer panel is the shortest
    heights = [fig.layout[f"yaxis{i or ''}"].domain for i in ("", 2, 3)]
    spans = [top - bottom for bottom, top in heights]
    assert spans[1] < spans[0] < spans[2]
    assert spans[1] / spans[2] == pytest.approx((40 + 22 * 3) / (40 + 22 * 5), rel=0.01)


def test_qx_scores_components_per_group() -> None:
    fig = charts.qx_scores(QX)
    (bar,) = fig.data  # the group without a score (no completes) is left out
    assert bar.name == "QX 1: Find"
    assert list(bar.x) == [
        "QXscore",
        "Behavioral",
        "Attitudinal",
        "Usability",
        "Trust",
        "Appearance",
        "Loyalty",
    ]
    assert list(bar.y) == [76.0, 85.8, 66.6, 64.4, 69.5, 65.4, 67.0]
    assert_polished(fig)


def test_qx_score_distribution_names_groups() -> None:
    fig = charts.qx_score_distribution(DETAILS.task_groups, names=QX)
    assert [t.name for t in fig.data] == ["QX 1: Find", "QX 2: Buy"]
    assert list(fig.data[0].y) == [50, 60, 70, 80, 90]
    assert list(fig.data[1].y) == [40, 40, 40, 40]  # session 0 had no score
    unnamed = charts.qx_score_distribution(DETAILS.task_groups)
    assert unnamed.data[0].name.startswith("Task group 1")
    assert_polished(fig)


# -- every builder ----------------------------------------------------------------------------


@pytest.mark.parametrize("build", BUILDERS, ids=IDS)
def test_empty_frames_give_an_empty_figure_that_says_so(build: Any) -> None:
    empty = build_details([], {})
    fig = build(BUILDERS[build](empty))
    assert fig.data == () and fig.layout.annotations[0].text.startswith("No ")
    assert fig.layout.title.text


def test_empty_qx_scores() -> None:
    from ut_notebook.frames import typed_frame

    assert charts.qx_scores(typed_frame([], QX_SCHEMA)).data == ()
    no_completes = charts.qx_scores(QX.assign(qxScore=pd.array([None, None], dtype="Float64")))
    assert "No QXscores yet" in no_completes.layout.annotations[0].text


@pytest.mark.parametrize("build", BUILDERS, ids=IDS)
def test_builders_never_show(build: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a builder called show()")

    monkeypatch.setattr(plotly.basedatatypes.BaseFigure, "show", refuse)
    assert isinstance(build(BUILDERS[build](DETAILS)), go.Figure)


@pytest.mark.parametrize("build", BUILDERS, ids=IDS)
def test_options_and_bad_input(build: Any) -> None:
    frame = BUILDERS[build](DETAILS)
    fig = build(frame, title="Mine", height=333, labels={"x": "X!"})
    assert fig.layout.title.text == "Mine" and fig.layout.height == 333
    assert "X!" in [fig.layout[k].title.text for k in fig.layout if k.startswith("xaxis")]
    with pytest.raises(ValueError, match="labels: this chart has no axis 'z'"):
        build(frame, labels={"z": "?"})
    with pytest.raises(TypeError, match="pandas DataFrame"):
        build(frame.to_dict("records"))
    with pytest.raises(ValueError, match="has no column"):
        build(frame[["sessionId"]])


def test_unknown_task_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"no task matches 'colour'.*How easy"):
        charts.rating_scales(DETAILS.tasks, task="colour")
    with pytest.raises(ValueError, match="no task matches 7"):
        charts.nps(DETAILS.tasks, task=7)


# -- frames from the simulator ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["survey", "interaction", "think_out_loud", "empty"])
def test_every_chart_of_every_demo_test(client: ut.Client, name: str) -> None:
    details = ut.load_session_details(TESTS[name], progress=False)
    figures = {build.__name__: build(BUILDERS[build](details)) for build in BUILDERS}
    for fig in figures.values():
        assert isinstance(fig, go.Figure) and fig.layout.title.text
        fig.to_json()
        if details.attrs["sessions"]:
            assert TESTS[name][:8] in fig.layout.title.subtitle.text
    has = {k: bool(f.data) for k, f in figures.items()}
    expected = {
        "survey": {"nps", "rating_scales", "multiple_choice"},
        "interaction": {"rating_scales", "qx_score_distribution"},
        "think_out_loud": set(),
        "empty": set(),
    }[name]
    always = {"demographics", "task_durations", "skip_rates"} if name != "empty" else set()
    assert {k for k, v in has.items() if v} == expected | always
    if name == "survey":
        scores = details.tasks["nps"].dropna()
        assert figures["nps"].layout.meta["nps"] == charts.nps_score(scores)
        assert sum(sum(t.y) for t in figures["nps"].data) == len(scores)
    if name == "interaction":
        qx = ut.load_qx_scores(TESTS[name])
        fig = charts.qx_scores(qx)
        assert [t.name for t in fig.data] == list(qx["label"])
        assert_polished(fig)
        dist = charts.qx_score_distribution(details.task_groups, names=qx)
        assert [t.name for t in dist.data] == list(qx["label"])
