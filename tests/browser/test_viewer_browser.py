"""The session viewer in a real JupyterLab with headless Chromium, on the demo data.

The video is the simulator's real 10 s WebM, served with HTTP Range (a ``<video>``
cannot seek without it). Checks: the video's metadata loads (duration > 0); Python's
``viewer.seek`` moves the video; clicking a cue moves the video's ``currentTime`` there,
highlights the cue and sends ``current_time`` back to Python (a Label observing it);
clicking a task segment seeks to the task; playing moves the time forward; a survey
session shows what it has and says what is missing; an expired video link is replaced
(the browser asks Python for a new one) and the video then loads.

The demo's stand-in video lasts 10 s while a demo session lasts about 25 min, so the
notebook squeezes that session's real cues, tasks and clips into the video's length
(``cues=``, ``details=``, ``clips=``): every click then lands inside the video.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.jupyter import (
    chromium_page,
    console_messages,
    jupyter_lab,
    open_and_run,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

SETUP = """\
import ipywidgets as w
import ut_notebook as ut
from IPython.display import display

ut.connect(demo=True)
sid = ut.load_sessions(ut.demo.TESTS["think_out_loud"])["sessionId"].iloc[0]
cues = ut.load_transcript(sid)
details = ut.load_session_details([sid], progress=False)
clips = ut.load_clips([sid], progress=False)
# Squeeze the session (about 25 min) into the demo's 10 s video, keeping its shape.
scale = 9 / details.tasks["endOffset"].max().total_seconds()
cues = cues.assign(start=cues["start"] * scale, end=cues["end"] * scale)
tasks = details.tasks.assign(
    startOffset=details.tasks["startOffset"] * scale,
    endOffset=details.tasks["endOffset"] * scale,
)
clips = clips.assign(start=clips["start"] * scale, end=clips["end"] * scale)
"""
SHOW = """\
viewer = ut.show_session(sid, cues=cues, details=tasks, clips=clips)
label = w.Label("py: none")
label.add_class("py-time")
viewer.observe(lambda change: setattr(label, "value", f"py: {change['new']:.2f}"),
               names="current_time")
display(viewer, label)
"""
SEEK = "viewer.seek(1.25)"
# A link signed two hours ago has expired: the browser's load fails (S3's 403), it asks
# Python for a new link, and the video loads from that one.
EXPIRED = """\
server = ut.demo.demo_server()
real_clock = server.media.clock
server.media.clock = lambda: real_clock() - 7200
stale = ut.show_session(sid, cues=cues, details=tasks, clips=clips)
server.media.clock = real_clock
first_src = stale.video_src
refreshed = w.Label("stale")
refreshed.add_class("py-refreshed")
stale.observe(lambda change: setattr(refreshed, "value", "refreshed"), names="video_src")
display(stale, refreshed)
"""
SURVEY = """\
survey = ut.load_sessions(ut.demo.TESTS["survey"])["sessionId"].iloc[0]
ut.show_session(survey)
"""

VIDEO_AT_JS = """([target]) => {
    const v = document.querySelector('.utv-root video');
    return v && v.readyState >= 1 && !v.seeking && Math.abs(v.currentTime - target) < 0.05;
}"""


def _py_time(page: object) -> float:
    text = page.locator(".py-time").first.text_content() or ""
    match = re.search(r"py: ([\d.]+)", text)
    assert match, f"the Label reads {text!r}"
    return float(match.group(1))


def test_the_viewer_plays_seeks_highlights_and_reports_to_python(
    chromium: None, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    write_notebook(tmp_path / "viewer.ipynb", [SETUP, SHOW, SEEK, SURVEY, EXPIRED])
    with jupyter_lab(tmp_path, env={"UT_DEMO": "1"}) as lab, chromium_page() as page:
        try:
            page.set_viewport_size({"width": 1280, "height": 1600})
            open_and_run(page, lab.url("viewer.ipynb"))
            roots = page.locator(".utv-root")
            expect(roots).to_have_count(3)
            root = roots.first
            video = root.locator("video.utv-video")
            expect(video).to_have_count(1)

            # The metadata of the simulator's video loaded.
            page.wait_for_function(
                "() => { const v = document.querySelector('.utv-root video');"
                " return v && (v.readyState >= 1 || v.error); }"
            )
            state = video.evaluate(
                "v => ({duration: v.duration, error: v.error && v.error.code, src: v.src})"
            )
            assert state["error"] is None, state
            assert state["duration"] > 0
            assert "/media/videos/" in state["src"] and "X-Amz-Signature" in state["src"]

            # Python's viewer.seek(1.25) (the last cell) moved the video.
            page.wait_for_function(VIDEO_AT_JS, arg=[1.25])
            expect(page.locator(".py-time")).to_have_text("py: 1.25")

            # A click on a cue seeks there, highlights it, and Python hears of it.
            starts = [
                float(s)
                for s in root.locator(".utv-cue").evaluate_all(
                    "items => items.map(li => li.dataset.start)"
                )
            ]
            # A cue well after the Python seek and inside the video (clicks are real).
            index = next(i for i, t in enumerate(starts) if 3.0 < t < state["duration"] - 2)
            cue = root.locator(f'.utv-cue[data-index="{index}"]')
            start = starts[index]
            cue.click()
            page.wait_for_function(VIDEO_AT_JS, arg=[start])
            expect(cue).to_have_class(re.compile(r"\butv-current\b"))
            expect(root.locator(".utv-cue.utv-current")).to_have_count(1)
            expect(page.locator(".py-time")).to_have_text(f"py: {start:.2f}")

            # A task segment seeks to the task's start, and marks the task as current.
            segment = root.locator('.utv-task[data-position="2"]')
            expect(segment).to_have_count(1)
            segment.click()
            task_start = float(
                page.evaluate(
                    "() => { const t = document.querySelector('.utv-root video');"
                    " return t.currentTime; }"
                )
            )
            assert task_start < start  # task 2 starts before cue 6 is said
            expect(segment).to_have_class(re.compile(r"\butv-active\b"))
            expect(root.locator(".utv-clip")).not_to_have_count(0)

            # Playing moves the time forward, and current_time follows it to Python.
            video.evaluate("async v => { await v.play(); }")
            page.wait_for_function(
                "([t]) => document.querySelector('.utv-root video').currentTime > t + 0.6",
                arg=[task_start],
            )
            video.evaluate("v => v.pause()")
            page.wait_for_function(
                "([t]) => { const l = document.querySelector('.py-time');"
                " return l && parseFloat(l.textContent.replace('py: ', '')) > t + 0.5; }",
                arg=[task_start],
            )
            assert _py_time(page) > task_start
            root.screenshot(path=str(artifacts / "viewer.png"))

            # A survey session: no video, no transcript; it says so and shows its tasks.
            survey = roots.nth(1)
            expect(survey.locator(".utv-novideo")).to_be_visible()
            expect(survey.locator(".utv-notranscript")).to_be_visible()
            expect(survey.locator(".utv-note", has_text="No video")).to_have_count(1)
            expect(survey.locator(".utv-task")).not_to_have_count(0)
            # The expired link was replaced, and the video loaded from the new one.
            expect(page.locator(".py-refreshed")).to_have_text("refreshed")
            stale = roots.nth(2).locator("video.utv-video")
            stale.evaluate(
                "v => new Promise(ok => v.readyState >= 1 ? ok() :"
                " v.addEventListener('loadedmetadata', ok, {once: true}))"
            )
            assert stale.evaluate("v => v.duration") > 0
            errors = [m for m in console_messages(page) if m.startswith("pageerror")]
            assert errors == []
        except Exception:
            page.screenshot(path=str(artifacts / "viewer-failure.png"), full_page=True)
            print("\n".join(console_messages(page)[-30:]))
            print(lab.log_tail())
            raise
