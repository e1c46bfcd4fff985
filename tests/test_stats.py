"""ut.stats: values against worked examples from the literature and hand arithmetic,
behaviour on constructed frames (skips, unreached tasks, n = 1, empty input, bad input),
and every function on the simulator's tests."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sp

import ut_notebook as ut
from ut_notebook import stats
from ut_notebook.demo import TESTS
from ut_notebook.frames import typed_frame
from ut_notebook.loaders.details import TASK_SCHEMA, SessionDetails, build_details

# -- constructed frames -------------------------------------------------------------------------


def _row(sid: str, task: str = "t1", position: int = 1, kind: str = "URL", **kw: Any) -> dict:
    seconds = kw.pop("seconds", None)
    return {
        "sessionId": sid,
        "taskId": task,
        "position": position,
        "text": f"Task {task}",
        "type": kind,
        "reached": kw.pop("reached", True),
        "skipped": kw.pop("skipped", False),
        "duration": None if seconds is None else pd.Timedelta(seconds=seconds),
        **kw,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    """A tasks frame with the loader's columns and dtypes."""
    return typed_frame(rows, TASK_SCHEMA)


def _successes(k: int, n: int, task: str = "t1", position: int = 1, prefix: str = "s") -> list:
    return [_row(f"{prefix}{i}", task, position, success=i < k) for i in range(n)]


def _nps_rows(scores: list[int], task: str = "n1", prefix: str = "s") -> list[dict]:
    return [_row(f"{prefix}{i}", task, 1, "NPS", nps=s) for i, s in enumerate(scores)]


def _rating_rows(values: list[int], high: int = 5, prefix: str = "s") -> list[dict]:
    return [
        _row(f"{prefix}{i}", "r1", 1, "RATING_SCALE", rating=v, scaleMin=1, scaleMax=high)
        for i, v in enumerate(values)
    ]


def _time_rows(seconds: list[float], prefix: str = "s", **kw: Any) -> list[dict]:
    return [_row(f"{prefix}{i}", seconds=s, **kw) for i, s in enumerate(seconds)]


# -- adjusted-Wald: worked examples -------------------------------------------------------------


def test_adjusted_wald_7_of_10_matches_sauro_and_lewis() -> None:
    # Sauro & Lewis, "A new formula for quantitative UX decision making" (MeasuringU,
    # 2012) and the book ch. 3: 7 of 10 -> "about 39 % to 90 %"; 3 of 10 -> 10 % to 61 %.
    low, high = stats.adjusted_wald(7, 10)
    assert round(low, 2) == 0.39 and round(high, 2) == 0.90
    low, high = stats.adjusted_wald(3, 10)
    assert round(low, 2) == 0.10 and round(high, 2) == 0.61


def test_adjusted_wald_4_of_5_matches_tullis_and_albert() -> None:
    # Tullis & Albert, Measuring the User Experience, p. 69 (z = 1.96): 0.3596-0.9796.
    low, high = stats.adjusted_wald(4, 5)
    assert low == pytest.approx(0.3596, abs=5e-4)
    assert high == pytest.approx(0.9796, abs=5e-4)


def test_adjusted_wald_9_of_10_is_clipped_at_one_and_is_not_wilson() -> None:
    # By hand: p' = (9 + 1.9208) / 13.8415 = 0.7890, z·√(p'(1-p')/n') = 0.2150, so
    # 0.5740 to 1.0039, clipped to 1. (Wilson's score interval would start at 0.596.)
    low, high = stats.adjusted_wald(9, 10)
    assert low == pytest.approx(0.5740, abs=5e-4)
    assert high == 1.0
    assert abs(low - 0.596) > 0.01


def test_adjusted_wald_edges() -> None:
    assert all(math.isnan(v) for v in stats.adjusted_wald(0, 0))
    low, high = stats.adjusted_wald(0, 5)
    assert low == 0.0 and 0 < high < 0.5
    low99, high99 = stats.adjusted_wald(7, 10, 0.99)
    assert low99 < 0.39 and high99 > 0.90  # more confidence, a wider interval
    with pytest.raises(ValueError, match="between 0 and n"):
        stats.adjusted_wald(11, 10)


# -- completion rates -----------------------------------------------------------------------------


def test_completion_rates_per_task_in_plan_order() -> None:
    rows = _successes(3, 10, "late", 2) + _successes(7, 10, "early", 1)
    out = stats.completion_rates(_frame(rows))
    assert out["taskId"].tolist() == ["early", "late"]
    assert out["position"].tolist() == [1, 2]
    assert out["successes"].tolist() == [7, 3] and out["n"].tolist() == [10, 10]
    assert out["rate"].tolist() == [0.7, 0.3]
    assert round(out["ci_low"][0], 2) == 0.39 and round(out["ci_high"][1], 2) == 0.61
    assert dict(out.dtypes.astype(str)) == {
        k: ("string" if v == "string" else v) for k, v in stats.COMPLETION_SCHEMA.items()
    }


def test_completion_counts_a_skip_as_a_failure_and_ignores_unreached() -> None:
    rows = _successes(4, 5)
    rows.append(_row("gave-up", skipped=True))  # success stays empty on a skip
    rows.append(_row("never-got-there", reached=False))
    out = stats.completion_rates(_frame(rows))
    assert (out["successes"][0], out["n"][0]) == (4, 6)
    kept = stats.completion_rates(_frame(rows), skipped_as_failure=False)
    assert kept["n"][0] == 5


def test_tasks_without_a_success_measure_are_left_out() -> None:
    rows = _successes(2, 3) + [_row(f"x{i}", "explore", 2) for i in range(3)]
    assert stats.completion_rates(_frame(rows))["taskId"].tolist() == ["t1"]


def test_completion_n_of_one_still_has_an_interval() -> None:
    out = stats.completion_rates(_frame(_successes(1, 1)))
    assert out["rate"][0] == 1.0
    assert 0 < out["ci_low"][0] < 0.5 and out["ci_high"][0] == 1.0


# -- time on task -------------------------------------------------------------------------------


def test_time_on_task_matches_sauros_worked_example() -> None:
    # measuringu.com/time_intervals (Sauro 2006): 55, 65, 75, 62, 45, 135 s at 95 %
    # -> geometric mean 68 s, CI (46, 101).
    out = stats.time_on_task(_frame(_time_rows([55, 65, 75, 62, 45, 135])))
    assert out["n"][0] == 6
    assert round(out["geometric_mean"][0]) == 68
    assert round(out["ci_low"][0]) == 46 and round(out["ci_high"][0]) == 101
    assert out["median"][0] == 63.5
    assert not out["successful_only"][0]  # no success measure: every answer is timed


def test_time_on_task_keeps_successes_skips_nothing_it_should_not() -> None:
    rows = _time_rows([10, 20, 40], success=True)
    rows += _time_rows([500, 600], prefix="f", success=False)
    rows += [_row("skip", seconds=1000, skipped=True), _row("zero", seconds=0, success=True)]
    out = stats.time_on_task(_frame(rows))
    assert out["n"][0] == 3 and out["successful_only"][0]
    assert out["geometric_mean"][0] == pytest.approx(20.0)  # (10·20·40)^(1/3)
    everyone = stats.time_on_task(_frame(rows), successful_only=False)
    assert everyone["n"][0] == 5 and not everyone["successful_only"][0]


def test_time_on_task_n_of_one_gives_nan_bounds() -> None:
    out = stats.time_on_task(_frame(_time_rows([42.0])))
    assert out["geometric_mean"][0] == pytest.approx(42.0)
    assert math.isnan(out["ci_low"][0]) and math.isnan(out["ci_high"][0])


def test_time_on_task_equal_times_give_a_point_interval() -> None:
    out = stats.time_on_task(_frame(_time_rows([30.0, 30.0, 30.0])))
    assert out["ci_low"][0] == pytest.approx(30.0) and out["ci_high"][0] == pytest.approx(30.0)


# -- NPS -----------------------------------------------------------------------------------------


def test_nps_counts_score_and_adjusted_wald_interval() -> None:
    # 5 promoters, 2 passives, 3 detractors of 10: NPS 20. Adjusted-Wald (add 3 to n,
    # 3/4 to promoters and detractors): p' = 5.75/13 and 3.75/13, NPS' = 0.1538,
    # var = (0.7308 - 0.1538²)/13 = 0.05439, so 15.38 ± 1.96·23.32 -> -30.33 to 61.10.
    out = stats.nps(_frame(_nps_rows([10, 10, 9, 9, 9, 8, 7, 6, 3, 0])))
    row = out.iloc[0]
    assert (row["promoters"], row["passives"], row["detractors"], row["n"]) == (5, 2, 3, 10)
    assert row["nps"] == pytest.approx(20.0)
    assert row["ci_low"] == pytest.approx(-30.33, abs=0.01)
    assert row["ci_high"] == pytest.approx(61.10, abs=0.01)


def test_nps_interval_is_clipped_and_defined_for_one_answer() -> None:
    out = stats.nps(_frame(_nps_rows([10])))
    assert out["nps"][0] == 100.0
    # One answer: the adjustment pulls the interval towards 0 (centre 25), but it exists.
    assert -100 <= out["ci_low"][0] < 25 < out["ci_high"][0] < 100
    # 50 of 50 promoters: adjusted 94.3 ± 7.7 would pass +100, so it is clipped.
    assert stats.nps(_frame(_nps_rows([10] * 50)))["ci_high"][0] == 100.0


# -- ratings --------------------------------------------------------------------------------------


def test_ratings_mean_t_interval_and_top_two_box() -> None:
    values = [1, 2, 3, 4, 5, 5, 4, 4]
    out = stats.ratings(_frame(_rating_rows(values)))
    row = out.iloc[0]
    mean, s, n = 3.5, float(np.std(values, ddof=1)), 8
    half = 2.364624 * s / math.sqrt(n)  # t(0.975, 7) = 2.3646 (any t table)
    assert row["mean"] == pytest.approx(mean)
    assert row["ci_low"] == pytest.approx(mean - half, abs=1e-5)
    assert row["ci_high"] == pytest.approx(mean + half, abs=1e-5)
    assert row["top2"] == 5 and row["top2_share"] == pytest.approx(5 / 8)  # 4s and 5s
    assert (row["top2_ci_low"], row["top2_ci_high"]) == pytest.approx(stats.adjusted_wald(5, 8))
    assert (row["scale_min"], row["scale_max"]) == (1, 5)


def test_ratings_n_of_one() -> None:
    out = stats.ratings(_frame(_rating_rows([4])))
    assert out["mean"][0] == 4.0 and math.isnan(out["ci_low"][0])


# -- compare -------------------------------------------------------------------------------------


def test_compare_completion_is_the_n_minus_one_test() -> None:
    a = _frame(_successes(11, 12, prefix="a"))
    b = _frame(_successes(5, 12, prefix="b"))
    out = stats.compare(a, b, "completion").iloc[0]
    # The N-1 two-proportion test is Pearson's chi-square scaled by (N-1)/N
    # (Campbell 2007; the book ch. 5): z² = χ²·(N-1)/N.
    chi2 = sp.chi2_contingency([[11, 1], [5, 7]], correction=False)[0]
    assert out["statistic"] ** 2 == pytest.approx(chi2 * 23 / 24)
    assert out["p_value"] == pytest.approx(sp.chi2.sf(chi2 * 23 / 24, 1))
    assert out["estimate"] == pytest.approx(0.5)
    assert out["ci_low"] < 0.5 < out["ci_high"] and out["ci_high"] <= 1.0
    assert "N-1" in out["method"]


def test_compare_completion_with_tiny_expected_counts_uses_fisher() -> None:
    out = stats.compare(
        _frame(_successes(1, 1, prefix="a")), _frame(_successes(0, 1, prefix="b")), "completion"
    ).iloc[0]
    assert "Fisher" in out["method"] and out["p_value"] == pytest.approx(1.0)


def test_compare_rating_is_welch() -> None:
    # By hand: means 3 and 6, variances 2.5 and 10, n 5 each; se = √(0.5 + 2) = 1.5811,
    # t = -3/1.5811 = -1.8974, Welch df = 2.5² / (0.5²/4 + 2²/4) = 5.882.
    a = _frame(_rating_rows([1, 2, 3, 4, 5], high=10, prefix="a"))
    b = _frame(_rating_rows([2, 4, 6, 8, 10], high=10, prefix="b"))
    out = stats.compare(a, b, "rating").iloc[0]
    se, df = math.sqrt(2.5), 2.5**2 / (0.5**2 / 4 + 2**2 / 4)
    assert out["estimate"] == pytest.approx(-3.0)
    assert out["statistic"] == pytest.approx(-3 / se)
    assert out["p_value"] == pytest.approx(2 * sp.t.sf(3 / se, df))
    half = sp.t.ppf(0.975, df) * se
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((-3 - half, -3 + half))


def test_compare_time_is_a_ratio_of_geometric_means() -> None:
    a = _frame(_time_rows([10, 20, 40], prefix="a"))
    b = _frame(_time_rows([20, 40, 80, 40], prefix="b"))
    out = stats.compare(a, b, "time_on_task").iloc[0]
    assert out["estimate_of"] == "a / b"
    assert out["a_value"] == pytest.approx(20.0)
    assert out["estimate"] == pytest.approx(20.0 / out["b_value"])
    assert out["ci_low"] < out["estimate"] < out["ci_high"]
    la, lb = np.log([10, 20, 40]), np.log([20, 40, 80, 40])
    se = math.sqrt(la.var(ddof=1) / 3 + lb.var(ddof=1) / 4)
    assert out["statistic"] == pytest.approx((la.mean() - lb.mean()) / se)


def test_compare_nps_z_test_on_adjusted_scores() -> None:
    a = _frame(_nps_rows([10] * 8 + [7] * 2, prefix="a"))  # NPS +80
    b = _frame(_nps_rows([0] * 5 + [9] * 5, prefix="b"))  # NPS 0
    out = stats.compare(a, b, "nps").iloc[0]
    assert out["estimate"] == pytest.approx(80.0)
    pa, da, pb, db = 8.75 / 13, 0.75 / 13, 5.75 / 13, 5.75 / 13
    var = (pa + da - (pa - da) ** 2) / 13 + (pb + db - (pb - db) ** 2) / 13
    z = ((pa - da) - (pb - db)) / math.sqrt(var)
    assert out["statistic"] == pytest.approx(z)
    assert out["p_value"] == pytest.approx(2 * sp.norm.sf(z))
    assert out["ci_low"] > 0  # clearly different


def test_compare_inputs() -> None:
    a = _frame(_successes(3, 4) + _successes(1, 4, "t2", 2))
    with pytest.raises(ValueError, match=r"holds 2 tasks.*task="):
        stats.compare(a, a, "completion")
    with pytest.raises(ValueError, match="metric must be one of"):
        stats.compare(a, a, "speed")
    with pytest.warns(UserWarning, match="independent groups"):
        out = stats.compare(a, a, "completion", task=1, task_b="t2")
    assert out["estimate"][0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="rating scales differ"):
        stats.compare(
            _frame(_rating_rows([1, 2], 5, "a")), _frame(_rating_rows([1, 2], 7, "b")), "rating"
        )
    empty = stats.compare(a.iloc[:0], a, "completion", task_b=1)
    assert empty.empty and list(empty.columns) == list(stats.COMPARE_SCHEMA)
    one = stats.compare(
        _frame(_rating_rows([3], prefix="a")), _frame(_rating_rows([4, 5])), "rating"
    )
    assert one["estimate"][0] == pytest.approx(-1.5) and math.isnan(one["p_value"][0])


# -- shared input rules ---------------------------------------------------------------------------

FUNCTIONS = [stats.completion_rates, stats.time_on_task, stats.nps, stats.ratings]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.1, "95%", True, float("nan")])
def test_confidence_outside_zero_one_is_an_error(function: Any, confidence: Any) -> None:
    with pytest.raises(ValueError, match="confidence must be a number between 0 and 1"):
        function(_frame([]), confidence=confidence)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_missing_columns_and_wrong_input_are_errors(function: Any) -> None:
    with pytest.raises(ValueError, match="has no column 'taskId'"):
        function(pd.DataFrame({"foo": [1]}))
    with pytest.raises(ValueError, match="takes the tasks frame"):
        function([1, 2, 3])


@pytest.mark.parametrize(
    ("function", "schema"),
    [
        (stats.completion_rates, stats.COMPLETION_SCHEMA),
        (stats.time_on_task, stats.TIME_SCHEMA),
        (stats.nps, stats.NPS_SCHEMA),
        (stats.ratings, stats.RATINGS_SCHEMA),
    ],
)
def test_empty_input_gives_an_empty_frame_with_the_columns(function: Any, schema: dict) -> None:
    out = function(_frame([]))
    assert out.empty and list(out.columns) == list(schema)
    assert [str(t) for t in out.dtypes] == list(schema.values())


def test_time_on_task_needs_durations() -> None:
    frame = _frame(_time_rows([1.0])).assign(duration=[5.0])
    with pytest.raises(ValueError, match="durations"):
        stats.time_on_task(frame)


# -- crosstab ------------------------------------------------------------------------------------


def _details(groups: list[str], rows: list[dict], code: str = "GENDER") -> SessionDetails:
    """Details as the loader builds them, with one demographic."""
    raw = {}
    for sid, group in zip([r["sessionId"] for r in rows], groups, strict=True):
        raw[sid] = {
            "sessionParticipant": {
                "participantId": f"p-{sid}",
                "demographicsInfo": [
                    {"code": code, "label": code, "value": group, "type": "SINGLE"},
                    {
                        "code": "INTERESTS",
                        "label": "Interests",
                        "value": "Cooking, Travel",
                        "type": "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE",
                    },
                ],
            },
            "tasks": [],
        }
    details = build_details(list(raw), raw)
    details.tasks = _frame(rows)
    return details


def test_crosstab_two_by_two_is_fishers_exact_test() -> None:
    # Fisher's lady tasting tea (The Design of Experiments, 1935): [[3, 1], [1, 3]],
    # two-sided p = 34/70 = 0.4857.
    groups = ["A"] * 4 + ["B"] * 4
    successes = [True, True, True, False, True, False, False, False]
    rows = [_row(f"s{i}", success=s) for i, s in enumerate(successes)]
    table = stats.crosstab(_details(groups, rows), "GENDER", task=1)
    assert table.p_value == pytest.approx(34 / 70)
    assert "Fisher" in table.method and table.statistic == pytest.approx(9.0)  # odds ratio
    assert table.counts.loc["A"].tolist() == [3, 1] and table.n == 8
    assert table.shares.loc["B"].tolist() == [0.25, 0.75]
    long = table.to_frame()
    assert long["count"].sum() == 8 and set(long.columns) == {"group", "answer", "count", "share"}


def test_crosstab_large_counts_use_chi_square_small_ones_a_permutation_test() -> None:
    rng = np.random.default_rng(7)
    groups = list(rng.choice(["A", "B", "C"], size=300))
    scores = list(rng.integers(0, 11, size=300))
    rows = [_row(f"s{i}", "n", 1, "NPS", nps=int(s)) for i, s in enumerate(scores)]
    big = stats.crosstab(_details(groups, rows), "GENDER", task="n")
    assert big.method.startswith("chi-square") and big.min_expected >= 5
    counts = big.counts.to_numpy(dtype=int)
    assert big.p_value == pytest.approx(sp.chi2_contingency(counts, correction=False)[1])
    assert big.counts.columns.tolist() == ["Detractor (0-6)", "Passive (7-8)", "Promoter (9-10)"]
    np.testing.assert_allclose(big.shares.sum(axis=1), 1.0)

    small_rows, small_groups = rows[:12], groups[:12]
    small = stats.crosstab(_details(small_groups, small_rows), "GENDER", task="n")
    assert "permutation" in small.method and small.min_expected < 5
    assert 0 < small.p_value <= 1
    again = stats.crosstab(_details(small_groups, small_rows), "GENDER", task="n")
    assert again.p_value == small.p_value  # seeded: reproducible


def test_crosstab_permutation_p_value_tracks_the_exact_one() -> None:
    # A 2×3 table with small counts: all of its tables with these margins can be
    # enumerated, so the exact permutation p-value of chi-square is known.
    groups = ["A"] * 5 + ["B"] * 5
    answers = [10, 10, 10, 10, 0, 0, 0, 0, 8, 10]
    rows = [_row(f"s{i}", "n", 1, "NPS", nps=a) for i, a in enumerate(answers)]
    table = stats.crosstab(_details(groups, rows), "GENDER", task=1, resamples=20000)
    observed = table.counts.to_numpy(dtype=int)
    exact = _exact_chi2_p(observed)
    assert table.p_value == pytest.approx(exact, abs=0.01)


def _exact_chi2_p(table: np.ndarray) -> float:
    """Exact permutation p of Pearson's chi-square for a 2×k table (by enumeration)."""
    from itertools import product

    rows, cols = table.sum(axis=1), table.sum(axis=0)
    expected = np.outer(rows, cols) / table.sum()

    def chi2(t: np.ndarray) -> float:
        return float(((t - expected) ** 2 / expected).sum())

    seen = chi2(table)
    total = 0.0
    p = 0.0
    for first in product(*(range(c + 1) for c in cols)):
        top = np.array(first)
        if top.sum() != rows[0]:
            continue
        t = np.vstack([top, cols - top])
        prob = math.prod(math.comb(int(c), int(k)) for c, k in zip(cols, top, strict=True))
        total += prob
        if chi2(t) >= seen - 1e-9:
            p += prob
    return p / total


def test_crosstab_inputs() -> None:
    rows = [_row(f"s{i}", success=i % 2 == 0) for i in range(4)]
    details = _details(["A", "B", "A", "B"], rows)
    with pytest.raises(ValueError, match="pass task="):
        stats.crosstab(details, "GENDER")
    with pytest.raises(ValueError, match=r"no demographic 'AGE'.*GENDER"):
        stats.crosstab(details, "AGE", task=1)
    with pytest.raises(ValueError, match="several answers per participant"):
        stats.crosstab(details, "INTERESTS", task=1)
    with pytest.raises(ValueError, match="takes a SessionDetails"):
        stats.crosstab(details.tasks, "GENDER", task=1)
    with pytest.raises(ValueError, match="no task matches 'nope'"):
        stats.crosstab(details, "GENDER", task="nope")
    written = _details(["A"], [_row("w", "w", 1, "WRITTEN", written="hi")])
    with pytest.raises(ValueError, match="cannot cross answers of a WRITTEN task"):
        stats.crosstab(written, "GENDER", task=1)
    one_group = stats.crosstab(_details(["A", "A"], rows[:2]), "GENDER", task=1)
    assert one_group.method.startswith("no test") and math.isnan(one_group.p_value)


# -- the simulator ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["interaction", "think_out_loud", "survey", "empty"])
def test_every_function_on_the_demo_tests(client: ut.Client, name: str) -> None:
    details = ut.load_session_details(TESTS[name], progress=False)
    rates = stats.completion_rates(details)
    assert ((rates["ci_low"] <= rates["rate"]) & (rates["rate"] <= rates["ci_high"])).all()
    assert rates["ci_low"].between(0, 1).all() and rates["ci_high"].between(0, 1).all()
    times = stats.time_on_task(details)
    # (<=: a task whose times are all equal, like the demo's VERBAL task, has a
    # zero-width interval.)
    assert (times["ci_low"] <= times["geometric_mean"]).all()
    assert (times["geometric_mean"] <= times["ci_high"]).all()
    assert (times["geometric_mean"] > 0).all()
    scores = stats.nps(details)
    assert scores["nps"].between(-100, 100).all()
    assert ((scores["ci_low"] < scores["nps"]) & (scores["nps"] < scores["ci_high"])).all()
    assert (scores["promoters"] + scores["passives"] + scores["detractors"] == scores["n"]).all()
    rated = stats.ratings(details)
    assert (rated["mean"] >= rated["scale_min"]).all() and (
        rated["mean"] <= rated["scale_max"]
    ).all()
    assert ((rated["ci_low"] < rated["mean"]) & (rated["mean"] < rated["ci_high"])).all()
    # The demo plans' make-up: tasks with a success measure, timed tasks (the VERBAL task
    # included; SKIPPED never has a time), NPS tasks, rating tasks.
    expected = {
        "interaction": (4, 13, 0, 8),
        "think_out_loud": (1, 8, 0, 0),
        "survey": (0, 11, 1, 2),
        "empty": (0, 0, 0, 0),
    }[name]
    assert (len(rates), len(times), len(scores), len(rated)) == expected
    if name == "interaction":
        tasks, people = details.tasks, details.participants
        young = people["sessionId"][people["AGE_GROUP"].isin(["18-24", "25-34"])]
        a = tasks[tasks["sessionId"].isin(young)]
        b = tasks[~tasks["sessionId"].isin(young)]
        for metric in ("completion", "time_on_task", "rating"):
            row = stats.compare(a, b, metric, task=3 if metric == "rating" else 1).iloc[0]
            assert 0 <= row["p_value"] <= 1 and row["ci_low"] < row["ci_high"]
            assert row["a_n"] + row["b_n"] <= len(people)
        table = stats.crosstab(details, "AGE_GROUP", task=1)
        assert table.n == rates["n"][0] and 0 <= table.p_value <= 1
    if name == "survey":
        table = stats.crosstab(details, "GENDER", task=2)
        assert table.n == scores["n"][0]


def test_import_ut_notebook_does_not_import_scipy() -> None:
    code = (
        "import sys, ut_notebook as ut\n"
        "assert 'scipy' not in sys.modules, 'scipy imported eagerly'\n"
        "ut.stats.adjusted_wald(1, 2)\n"
        "assert 'scipy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_crosstab_of_no_answers_is_empty() -> None:
    details = _details(["A"], [_row("s0", success=True)])
    details.tasks = details.tasks.iloc[:0]
    table = stats.crosstab(details, "GENDER", task=1)
    assert table.n == 0 and table.counts.empty and math.isnan(table.p_value)
    assert table.to_frame().empty
