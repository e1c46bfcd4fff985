"""Background jobs: result, partial, cancel, errors, status and the progress widget."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import ut_notebook as ut
from ut_notebook.demo import TESTS
from ut_notebook.jobs import Cancelled, Control, Job, LoadStatus
from ut_notebook.loaders.per_session import estimate_eta


def _counting_job(n: int, step: float = 0.01) -> tuple[Job[list[int]], list[int]]:
    done: list[int] = []

    def run(control: Control) -> list[int]:
        for i in range(n):
            control.check()
            control.sleep(step)
            done.append(i)
            control.report(LoadStatus("numbers", stage="loading", total=n, done=i + 1))
        return list(done)

    job: Job[list[int]] = Job("count", run, lambda: list(done), LoadStatus("numbers"))
    return job, done


def test_result_and_done() -> None:
    job, _ = _counting_job(5)
    assert job.result(timeout=5) == [0, 1, 2, 3, 4]
    assert job.done() and job.state == "done" and job.exception() is None
    assert job.status.stage == "done" and job.status.done == 5
    assert job.partial() == [0, 1, 2, 3, 4]
    assert "done" in repr(job)


def test_result_timeout_leaves_it_running() -> None:
    job, _ = _counting_job(50, step=0.02)
    with pytest.raises(TimeoutError):
        job.result(timeout=0.05)
    assert not job.done() and job.state == "running"
    assert 0 < len(job.partial()) < 50
    job.cancel()
    job.wait(5)


def test_cancel_interrupts_a_long_sleep() -> None:
    job, _ = _counting_job(3, step=3600.0)  # e.g. a rate-limit wait of an hour
    time.sleep(0.05)
    assert job.cancel() is True
    with pytest.raises(Cancelled) as info:
        job.result(timeout=60)  # a hang guard: the job waits an hour unless cut short
    # The user asked for it: not an error of the API.
    assert not isinstance(info.value, ut.UTError) and info.value.partial is None
    assert job.state == "cancelled" and job.cancel() is False


def test_errors_are_kept_and_raised_by_result() -> None:
    def fail(control: Control) -> None:
        raise ut.APIError("boom", status=503)

    job: Job[None] = Job("fail", fail, lambda: None, LoadStatus("x"))
    job.wait(5)
    assert job.state == "failed" and isinstance(job.exception(), ut.APIError)
    with pytest.raises(ut.APIError, match="boom"):
        job.result()


def test_listeners_and_a_broken_listener() -> None:
    seen: list[LoadStatus] = []
    release = threading.Event()

    def run(control: Control) -> int:
        release.wait(5)
        control.report(LoadStatus("x", stage="loading", total=2, done=1))
        return 1

    job: Job[int] = Job("listen", run, lambda: 0, LoadStatus("x"))
    job.add_listener(seen.append)
    job.add_listener(lambda status: 1 / 0)  # a broken display must not break the load
    release.set()
    assert job.result(timeout=5) == 1
    assert [s.stage for s in seen] == ["loading", "done"]


def test_status_lines() -> None:
    assert "listing" in LoadStatus("session details").describe()
    line = LoadStatus(
        "session details", stage="loading", total=100, done=40, cached=30, eta=75, waiting=12
    ).describe()
    assert "40/100" in line and "30 from cache" in line
    assert "waiting 12s" in line and "1m 15s left" in line


def test_eta_accounts_for_the_rate_limit() -> None:
    # 10 per minute, fresh window, 100 ms per request: 25 requests span three windows.
    assert estimate_eta(25, latency=0.1, limit=10, window=60, remaining=None, reset_in=None) == (
        pytest.approx(60 + 60 + 0.5)
    )
    # Without a limit, only latency counts; exactly a full window's worth.
    assert estimate_eta(
        10, latency=0.1, limit=None, window=None, remaining=None, reset_in=None
    ) == (pytest.approx(1.0))
    assert estimate_eta(20, latency=0.1, limit=10, window=60, remaining=0, reset_in=5) == (
        pytest.approx(5 + 60 + 1.0)
    )
    assert estimate_eta(0, latency=1, limit=1, window=1, remaining=0, reset_in=1) == 0


def test_widget_shows_progress_and_cancels() -> None:
    job, _ = _counting_job(100, step=0.05)
    box = job.widget()
    assert job.widget() is box  # one widget per job
    bar, cancel = box.children[1].children
    label = box.children[2]
    deadline = time.monotonic() + 5
    while bar.value < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert bar.max == 100 and bar.value >= 2 and "numbers" in label.value
    cancel.click()  # the button drives job.cancel()
    job.wait(5)
    assert job.state == "cancelled" and cancel.disabled
    assert cancel.description == "Cancelled" and bar.bar_style == "warning"
    assert "Cancelled" in label.value


def test_widget_of_a_real_load(client: ut.Client) -> None:
    job = ut.load_session_details(TESTS["think_out_loud"], background=True)
    box = job.widget()
    details = job.result(timeout=30)
    bar = box.children[1].children[0]
    assert bar.value == bar.max == len(details) == 36
    assert "done" in box.children[2].value and bar.bar_style == "success"
    bundle = job._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Job" in bundle["text/plain"]


def test_foreground_progress_callback_gets_statuses(client: ut.Client) -> None:
    seen: list[Any] = []
    ut.load_session_details(TESTS["think_out_loud"], progress=seen.append)
    stages = [s.stage for s in seen]
    assert stages[0] == "sessions" and stages[-1] == "done"
    assert seen[-1].done == seen[-1].total == 36 and seen[-1].requests == 36
