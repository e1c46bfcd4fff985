"""The cache holds only what parsed, and each client's entries are its own."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import ut_notebook as ut
from tests.hostile.conftest import (
    details_route,
    make_test_id,
    sessions_route,
    sid,
    transcript_route,
)
from tests.hostile.server import CLIENT_SECRET, HostileServer, Reply, Request
from ut_notebook.cache import Cache
from ut_notebook.loaders.per_session import FailedSessionsWarning, cache_scope


def _serve_test(server: HostileServer, size: int) -> tuple[str, list[str]]:
    """A test of ``size`` COMPLETE sessions (so their answers are cacheable)."""
    test_id = make_test_id(1)
    server.route("/api/v2/sessionResults", sessions_route({test_id: size}))
    server.route("/api/v3/sessionResults/", details_route)
    server.route("/api/v2/sessionResults/", transcript_route)
    # make_test_id(1) is the first (index 0) test of sessions_route.
    return test_id, [sid(0, n) for n in range(size)]


def test_a_transcript_that_is_not_webvtt_is_not_cached() -> None:
    with HostileServer() as server:
        test_id, ids = _serve_test(server, 3)
        bad = ids[1]

        def transcripts(request: Request) -> Reply:
            if bad in request.path:  # valid JSON, but not a transcript
                return Reply(200, {"sessionId": bad}, headers={"Content-Type": "text/vtt"})
            return transcript_route(request)

        server.route("/api/v2/sessionResults/", transcripts)
        client = server.connect()
        with pytest.warns(FailedSessionsWarning):
            cues = ut.load_transcripts(test_id, client=client, progress=False)
        assert set(cues["sessionId"]) == {ids[0], ids[2]}
        stored = Cache.from_settings(client.settings).get_many(
            cache_scope(client), "transcript", ids
        )
        assert set(stored) == {ids[0], ids[2]}, "only what parsed may be cached"


@pytest.mark.parametrize("kind", ["transcript", "details"])
def test_an_unreadable_cached_entry_is_dropped_and_fetched_again(kind: str) -> None:
    with HostileServer() as server:
        _, ids = _serve_test(server, 2)
        client = server.connect()
        cache = Cache.from_settings(client.settings)
        scope = cache_scope(client)
        for session_id in ids:
            cache.put(scope, kind, session_id, "\x00garbage{[ not readable")
        path = "/transcript" if kind == "transcript" else "/api/v3/"
        with pytest.warns(UserWarning, match="could not be read any more"):
            if kind == "transcript":
                result = ut.load_transcripts(ids, client=client, progress=False)
                assert set(result["sessionId"]) == set(ids)
            else:
                result = ut.load_session_details(ids, client=client, progress=False)
                assert len(result.participants) == len(ids)
        assert result.attrs["cached"] == 0
        assert sum(1 for r in server.requests if path in r.path) == len(ids)
        # Dropped: the garbage is gone (bare ids are not known COMPLETE, so not re-stored).
        assert cache.get_many(scope, kind, ids) == {}


def test_a_second_client_id_never_reads_the_first_ones_cache() -> None:
    with HostileServer() as server:
        test_id, _ = _serve_test(server, 3)
        first = server.connect(client_id="first-client-id")
        ut.load_transcripts(test_id, client=first, progress=False)
        ut.load_session_details(test_id, client=first, progress=False)
        assert server.count("/api/v3/") == 3 and server.count("/api/v2/sessionResults/") == 3
        # The first client reads its own entries back without asking the API ...
        again = ut.load_session_details(test_id, client=first, progress=False)
        assert again.attrs["cached"] == 3 and server.count("/api/v3/") == 3
        # ... but a second client id on the same machine (same cache folder) asks the API.
        second = server.connect(client_id="second-client-id")
        details = ut.load_session_details(test_id, client=second, progress=False)
        cues = ut.load_transcripts(test_id, client=second, progress=False)
        assert details.attrs["cached"] == 0 and cues.attrs["cached"] == 0
        assert server.count("/api/v3/") == 6
        assert server.count("/api/v2/sessionResults/") == 6
        # The key is a hash of the client id, never the id or the secret themselves.
        folder = Path(str(Cache.from_settings(second.settings).path)).parent
        stored = b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
        for value in ("first-client-id", "second-client-id", CLIENT_SECRET):
            assert value.encode() not in stored


def test_the_cache_key_does_not_depend_on_the_secret() -> None:
    with HostileServer() as server:
        one = server.connect(client_id="same-id", client_secret="secret-number-one-123")
        two = server.connect(client_id="same-id", client_secret="secret-number-two-456")
        other = server.connect(client_id="other-id")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert cache_scope(one) == cache_scope(two)
            assert cache_scope(one) != cache_scope(other)
        assert "same-id" not in cache_scope(one)
