"""Many threads and a background job on one client against a strict rate limit."""

from __future__ import annotations

import threading

import ut_notebook as ut
from tests.hostile.conftest import details_route, make_test_id, sessions_route
from tests.hostile.server import HostileServer


def test_three_threads_and_a_job_on_one_client_get_zero_429s_and_every_row() -> None:
    tests = {make_test_id(n): 40 for n in range(4)}
    with HostileServer(rate_limit=5, window=1.0) as server:
        server.route("/api/v2/sessionResults", sessions_route(tests))
        server.route("/api/v3/sessionResults/", details_route)
        client = server.connect()
        ids = list(tests)
        frames: dict[str, object] = {}
        errors: list[BaseException] = []

        def load(tid: str) -> None:
            try:
                frames[tid] = ut.load_sessions(tid, page_size=8, progress=False)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        job = ut.load_session_details(ids[3], background=True, client=client)
        threads = [threading.Thread(target=load, args=(tid,)) for tid in ids[:3]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        details = job.result(timeout=120)
        assert not errors
        assert all(len(frames[tid]) == 40 for tid in ids[:3])  # type: ignore[arg-type]
        assert len(details.participants) == 40
        # 3 x 5 pages + 1 page + 40 details: every request answered, none refused.
        assert server.count("/api/") == 3 * 5 + 1 + 40
        assert 429 not in server.statuses
        assert client.stats.rate_limited == 0
