"""ut.choose_test(): a searchable dropdown of ut.list_tests(), against the simulator."""

from __future__ import annotations

from typing import Any

import pytest

import ut_notebook as ut
from tests.conftest import connect_to
from ut_notebook.demo import TESTS
from ut_notebook.ui.chooser import TestChooser


def test_the_dropdown_lists_every_test_with_title_type_and_date(client: ut.Client) -> None:
    tests = ut.list_tests(progress=False)
    chooser = ut.choose_test()
    assert isinstance(chooser, TestChooser)
    options = list(chooser.dropdown.options)
    assert [tid for _, tid in options] == list(tests["testId"])
    survey = tests[tests["testId"] == TESTS["survey"]].iloc[0]
    label = dict((tid, text) for text, tid in options)[TESTS["survey"]]
    assert label.startswith(survey["title"] + " · survey · ")
    assert f"{survey['created']:%Y-%m-%d}" in label
    assert "session" not in label  # the listing has no count: none is made up


def test_the_session_count_shows_once_load_test_has_read_it(client: ut.Client) -> None:
    info = ut.load_test(TESTS["survey"])
    chooser = ut.choose_test(TESTS["survey"])
    assert chooser.label.endswith(f" · {info.sessionCount:,} sessions")


def test_it_starts_on_ut_test_id_then_on_test_id(server: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("UT_TEST_ID", TESTS["interaction"])
    connect_to(server)
    assert ut.choose_test().value == TESTS["interaction"]
    assert ut.choose_test(TESTS["think_out_loud"].upper()).value == TESTS["think_out_loud"]


def test_it_starts_on_the_demo_test_with_the_demo_data() -> None:
    ut.connect(demo=True)
    assert ut.choose_test().value == TESTS["survey"]
    assert ut.choose_test(demo="interaction").value == TESTS["interaction"]


def test_without_any_default_it_starts_on_the_newest_test(client: ut.Client) -> None:
    tests = ut.list_tests(progress=False)
    assert ut.choose_test(tests=tests).value == tests["testId"].iloc[0]


def test_an_unlisted_id_is_offered_as_it_is(client: ut.Client) -> None:
    other = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    chooser = ut.choose_test(other)
    assert chooser.value == other
    assert chooser.dropdown.options[0] == ("test 3fa85f64…", other)


def test_searching_narrows_the_list_and_keeps_a_matching_choice(client: ut.Client) -> None:
    tests = ut.list_tests(progress=False)
    chooser = ut.choose_test(TESTS["survey"], tests=tests)
    title = tests.set_index("testId").loc[TESTS["survey"], "title"]
    seen: list[str] = []
    chooser.observe(lambda change: seen.append(change["new"]), names="value")
    chooser.search.value = title.split()[0].upper()  # any case
    assert TESTS["survey"] in [tid for _, tid in chooser.dropdown.options]
    assert len(chooser.dropdown.options) < len(tests)
    assert chooser.value == TESTS["survey"] and seen == []  # still matching: unchanged
    chooser.search.value = "interaction"
    assert all("interaction" in text.lower() for text, _ in chooser.dropdown.options)
    assert chooser.value == chooser.dropdown.options[0][1] and seen == [chooser.value]
    chooser.search.value = "no test is called this"
    assert chooser.dropdown.options == () and chooser.value == seen[-1]  # kept


def test_choosing_from_the_dropdown_or_from_code_sets_value(client: ut.Client) -> None:
    chooser = ut.choose_test(TESTS["survey"])
    chooser.dropdown.value = TESTS["interaction"]
    assert chooser.value == TESTS["interaction"]
    chooser.search.value = "zzz no match"
    chooser.value = TESTS["think_out_loud"]  # not among the filtered options
    assert chooser.search.value == "" and chooser.dropdown.value == TESTS["think_out_loud"]


def test_its_text_fallback_names_the_test_and_says_to_run_the_cell_again(
    client: ut.Client,
) -> None:
    ut.load_test(TESTS["survey"])
    chooser = ut.choose_test(TESTS["survey"])
    bundle = chooser._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    text = bundle["text/plain"]
    assert chooser.label in text and TESTS["survey"] in text
    assert "run this cell again" in text


def test_it_needs_a_connection() -> None:
    with pytest.raises(ut.NotConnectedError):
        ut.choose_test()
