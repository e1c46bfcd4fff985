"""Property-based tests of the parsers: any input gives a frame or a ValueError.

Hostile or merely odd API bodies (valid JSON, wrong shapes; WebVTT with absurd times or
garbage) must never crash a load with another exception type, and what
:func:`validate_details` accepts must build without a single odd value.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ut_notebook.loaders.answers import ANSWER_KEYS
from ut_notebook.loaders.details import (
    TASK_SCHEMA,
    MalformedValuesWarning,
    SessionDetails,
    build_details,
    validate_details,
)
from ut_notebook.loaders.webvtt import CUE_SCHEMA, parse_webvtt

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- JSON values -------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "2026-01-02T03:04:05Z", "not a date", "NPS", "SKIPPED", "VERBAL"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the well-typed value, sometimes anything at all."""
    return st.one_of(strategy, strategy, json_values)


# -- v3 details documents, near the documented shape -------------------------------------------

task_types = st.sampled_from([*ANSWER_KEYS, "VERBAL", "SKIPPED", "UNRECOGNIZED", "CARD_SORT"])
times = st.one_of(
    st.integers(min_value=0, max_value=10**7),
    st.floats(min_value=0, max_value=1e7),
    st.integers(min_value=10**11, max_value=10**400),
)
payloads = st.dictionaries(
    st.sampled_from(
        [
            "score",
            "value",
            "text",
            "url",
            "success",
            "options",
            "selected",
            "ranking",
            "rows",
            "columns",
            "x",
            "y",
        ]
    ),
    json_values,
    max_size=4,
)
answers = st.dictionaries(
    st.sampled_from([*ANSWER_KEYS.values(), "cardSort"]), maybe(payloads), max_size=3
)
responses = st.fixed_dictionaries(
    {},
    optional={
        "startTimeMs": maybe(times),
        "endTimeMs": maybe(times),
        "skipped": maybe(st.booleans()),
        "answer": st.one_of(st.none(), maybe(answers)),
    },
)
tasks = st.fixed_dictionaries(
    {},
    optional={
        "uuid": maybe(st.uuids().map(str)),
        "text": maybe(st.text(max_size=20)),
        "type": maybe(task_types),
        "response": st.one_of(st.none(), maybe(responses)),
    },
)
demographics = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.uuids().map(str)),
        "code": maybe(st.sampled_from(["GENDER", "INTERESTS", "sessionId", "UNKNOWN"])),
        "label": maybe(st.text(max_size=10)),
        "value": maybe(st.sampled_from(["A", "A, B", "", ",", "Under $25,000"])),
        "type": maybe(
            st.sampled_from(
                [
                    "DEMOGRAPHIC_QUESTION_TYPE_SINGLE",
                    "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE",
                    "UNRECOGNIZED",
                ]
            )
        ),
    },
)
groups = st.fixed_dictionaries(
    {},
    optional={
        "uuid": maybe(st.uuids().map(str)),
        "type": maybe(st.sampled_from(["QX_SCORE", "BALANCED_COMPARISON", "UNRECOGNIZED"])),
        "response": st.one_of(
            st.none(),
            maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "score": maybe(st.floats(0, 100)),
                        "sequence": maybe(st.sampled_from(["AB", "BA"])),
                    },
                )
            ),
        ),
    },
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "sessionId": maybe(st.uuids().map(str)),
        "audienceId": maybe(st.uuids().map(str)),
        "testPlanId": maybe(st.uuids().map(str)),
        "finishedAt": maybe(st.sampled_from(["2026-01-02T03:04:05Z", "2026-01-02"])),
        "sessionParticipant": st.one_of(
            st.none(),
            maybe(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "participantId": maybe(st.uuids().map(str)),
                        "demographicsInfo": maybe(st.lists(maybe(demographics), max_size=4)),
                    },
                )
            ),
        ),
        "taskGroups": maybe(st.lists(maybe(groups), max_size=3)),
        "tasks": maybe(st.lists(maybe(tasks), max_size=5)),
    },
)


def _build(bodies: dict[str, Any]) -> SessionDetails | None:
    """The details, or ``None`` for a ValueError; any other exception fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return build_details(list(bodies), bodies)
    except ValueError:
        return None


@SETTINGS
@given(doc=st.one_of(documents, json_values))
def test_any_details_document_gives_frames_or_a_value_error(doc: Any) -> None:
    details = _build({"s1": doc, "s2": doc})
    if details is None:
        return
    assert list(details.tasks.columns) == list(TASK_SCHEMA)
    assert len(details.participants) == (0 if doc is None else 2)  # None: no answer
    # Every task row is from a listed task; odd times are NaT, never an overflow.
    assert details.tasks["duration"].dtype == "timedelta64[ns]"
    report = details.answer_report()
    assert (report["typed"] + report["rawOnly"] == report["answers"]).all()


@SETTINGS
@given(doc=st.one_of(documents, json_values))
def test_validate_details_accepts_or_raises_value_error(doc: Any) -> None:
    try:
        validate_details(doc)
    except ValueError as err:
        assert str(err)  # a reason, always
        return
    # What validation accepts builds without a single odd value.
    with warnings.catch_warnings():
        warnings.simplefilter("error", MalformedValuesWarning)
        details = build_details(["s"], {"s": doc})
    assert len(details.participants) == 1


def test_hostile_details_are_rejected_before_caching() -> None:
    for doc, field in [
        ({"sessionParticipant": "oops"}, "sessionParticipant"),
        ({"tasks": 5}, "tasks"),
        ({"tasks": [1]}, "tasks[0]"),
        ({"tasks": [{"response": {"startTimeMs": "soon"}}]}, "startTimeMs"),
        ({"tasks": [{"response": {"startTimeMs": 10**400}}]}, "startTimeMs"),
        ({"finishedAt": "yesterday"}, "finishedAt"),
        ({"tasks": [{"response": {"answer": {"nps": 9}}}]}, "answer.nps"),
        ([], "not a JSON object"),
    ]:
        try:
            validate_details(doc)
        except ValueError as err:
            assert field in str(err), (doc, str(err))
        else:
            raise AssertionError(f"{doc!r} was accepted")


def test_odd_values_warn_once_naming_fields_and_rows() -> None:
    doc = {
        "sessionParticipant": "oops",
        "tasks": [
            5,
            {"type": "NPS", "response": {"startTimeMs": "x", "endTimeMs": 10**30}},
            {"type": "NPS", "response": {"startTimeMs": float("inf"), "endTimeMs": 2}},
        ],
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        details = build_details(["a", "b"], {"a": doc, "b": doc})
    odd = [w for w in caught if issubclass(w.category, MalformedValuesWarning)]
    assert len(odd) == 1
    message = str(odd[0].message)
    assert "sessionParticipant (2 rows)" in message
    assert "tasks[] (2 rows)" in message
    assert "tasks[].response.startTimeMs (4 rows)" in message
    assert "tasks[].response.endTimeMs (2 rows)" in message
    assert details.tasks["startOffset"].isna().all()
    assert details.tasks["endOffset"].notna().sum() == 2


# -- WebVTT ------------------------------------------------------------------------------------


def _stamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


cue_texts = st.lists(
    st.sampled_from(
        ["Hello", "<v Bob>Hi", "a &amp; b", "<c.red>red</c>", "<i>it</i>", "crème", "x --> y"]
    ),
    min_size=0,
    max_size=3,
)
blocks = st.one_of(
    st.builds(
        lambda a, b, lines, ident: "\n".join(
            ([ident] if ident else []) + [f"{_stamp(a)} --> {_stamp(b)} align:start", *lines]
        ),
        st.integers(0, 10**16),
        st.integers(0, 10**16),
        cue_texts,
        st.sampled_from(["", "1", "intro"]),
    ),
    st.sampled_from(
        [
            "NOTE a comment",
            "STYLE\n::cue { color: red }",
            "REGION\nid:fred",
            "garbage line",
            "99:99:99.999 --> 00:00:01.000\nbad minutes",
            f"{10**12}:00:00.000 --> {10**12}:00:01.000\nten to the twelve hours",
            "1" * 5000 + ":00:00.000 --> 00:00:01.000\nthousands of digits",
        ]
    ),
    st.text(max_size=40),
)
vtt_documents = st.builds(
    lambda header, parts, newline: (header + "\n\n" + "\n\n".join(parts)).replace("\n", newline),
    st.sampled_from(["WEBVTT", "\ufeffWEBVTT", "WEBVTT - title\nKind: captions"]),
    st.lists(blocks, max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
)


@SETTINGS
@given(text=st.one_of(vtt_documents, st.text(max_size=200), st.binary(max_size=100)))
def test_any_webvtt_gives_cues_or_a_value_error(text: str | bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cues = parse_webvtt(text)
    except ValueError:
        return
    assert list(cues.columns) == list(CUE_SCHEMA)
    assert str(cues["start"].dtype) == "timedelta64[ns]"
    assert (cues["start"] <= pd.Timedelta(days=365 * 40)).all()


@SETTINGS
@given(starts=st.lists(st.integers(0, 10**9), max_size=8))
def test_well_formed_cues_round_trip(starts: list[int]) -> None:
    body = "".join(
        f"{_stamp(s)} --> {_stamp(s + 1500)}\nline {i}\n\n" for i, s in enumerate(starts)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cues = parse_webvtt("WEBVTT\n\n" + body)
    assert [int(t / pd.Timedelta(milliseconds=1)) for t in cues["start"]] == starts
    assert cues["text"].tolist() == [f"line {i}" for i in range(len(starts))]


def test_not_webvtt_and_absurd_times() -> None:
    for text in ("", "WEBVTTX\n", "<html>502</html>", b"\xff\xfe"):
        try:
            parse_webvtt(text)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} was read as WebVTT")
    huge = f"WEBVTT\n\n{10**12}:00:00.000 --> {10**12}:00:01.000\nnever\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cues = parse_webvtt(huge)
    assert cues.empty
    assert [str(w.message) for w in caught] == [
        "Odd values in the transcript were skipped: cue times (too large) (1 row)."
    ]
