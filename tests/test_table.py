"""ut.show(): readable display of frames, without changing them; no MathJax in tables."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import ut_notebook as ut

SESSION = "0b6c2a34-5d1e-4f7a-9c3b-8e2d1f0a4b6c"
TEXT = "I could not find the checkout button at first, then it was under the basket summary."


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sessionId": pd.array([SESSION, None], dtype="string"),
            "startTime": pd.to_datetime(
                ["2026-01-02T03:04:05.678Z", "2026-07-01T23:59:59.4Z"], utc=True
            ),
            "duration": pd.to_timedelta([75.6, 3605.0], unit="s"),
            "answer": pd.array([TEXT, "ok"], dtype="string"),
            "share": [0.125, 1.0],
            "income": pd.Categorical(["$25,000 - $49,999", "$50,000 - $74,999"]),
        }
    )


def test_show_formats_durations_times_ids_shares_and_keeps_the_frame() -> None:
    df = frame()
    before = df.copy()
    styler = ut.show(df, tz="Europe/Paris", interactive=False)
    assert styler.data is df
    html = styler.to_html()
    assert ">1:16<" in html and ">1:00:05<" in html  # m:ss, h:mm:ss
    # to the second, in the chosen zone (CET in January, CEST in July), zone in the header
    assert "2026-01-02 04:04:05" in html and "2026-07-02 01:59:59" in html
    assert "startTime (Europe/Paris)" in html
    assert f"title='{SESSION}'" in html and f">{SESSION[:8]}<" in html
    assert ">12.5%<" in html and ">100.0%<" in html
    assert "$25,000 - $49,999" in html
    assert "white-space: normal" in html and "text-align: left" in html  # the long answer
    pd.testing.assert_frame_equal(df, before)  # same values, same dtypes
    assert str(df["duration"].dtype) == "timedelta64[ns]"


def test_the_interactive_table_shows_the_same_and_escapes_text() -> None:
    df = frame()
    df.loc[1, "answer"] = "<b>not bold</b>"
    before = df.copy()
    html = ut.show(df, interactive=True).data
    assert "1:00:05" in html and "12.5%" in html and SESSION in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html and "<b>not bold" not in html
    pd.testing.assert_frame_equal(df, before)


def test_big_frames_are_interactive_by_default() -> None:
    big = pd.concat([frame()] * 60, ignore_index=True)
    assert not hasattr(ut.show(big), "to_html")  # a DataTable, not a Styler
    assert hasattr(ut.show(frame()), "to_html")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(Exception, match="Nowhere/Special"):
        ut.show(frame(), tz="Nowhere/Special")


def test_frames_of_this_package_are_never_typeset_as_maths(client: ut.Client) -> None:
    details = ut.load_session_details(ut.demo.TESTS["survey"], progress=False)
    income = details.demographics[details.demographics["code"] == "INCOME"]
    html = income._repr_html_()
    assert any(f">{value}<" in html for value in income["value"].dropna() if "$" in value)
    assert "tex2jax_ignore" in html and "mathjax_ignore" in html


def test_a_bare_import_leaves_pandas_options_alone() -> None:
    code = (
        "import pandas as pd, ut_notebook as ut\n"
        "print(pd.get_option('display.html.use_mathjax'))\n"
        "ut.frames\n"
        "print(pd.get_option('display.html.use_mathjax'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
