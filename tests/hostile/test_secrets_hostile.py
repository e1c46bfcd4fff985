"""No token fragment anywhere: not in messages, bodies, tracebacks, causes or logs."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import pytest

import ut_notebook as ut
from tests.hostile.conftest import (
    assert_no_fragment,
    exception_texts,
    fresh_token,
    make_test_id,
)
from tests.hostile.server import HostileServer, Reply, Request, token_reply


def _echo(token: str, padding: int = 150) -> str:
    # What a debugging proxy or a chatty gateway sends back: our own headers, past the
    # point where an excerpt is cut (~200 characters).
    return "x" * padding + f" Authorization: Bearer {token}\ntoken: {token}\n"


def test_a_4xx_body_echoing_the_token_past_the_excerpt_cut_leaks_nothing() -> None:
    token = fresh_token()
    with HostileServer() as server:
        server.route("/token", lambda r: token_reply(r, token=token))
        server.route("/api/", lambda r: Reply(400, _echo(token), {"Content-Type": "text/plain"}))
        client = server.connect()
        with pytest.raises(ut.UTError) as info:
            ut.load_sessions(make_test_id(1), client=client, progress=False)
        err = info.value
        assert err.status == 400 and err.body and "***" in err.body
        assert_no_fragment(str(err), token)
        assert_no_fragment(err.body, token)
        assert_no_fragment(exception_texts(err), token)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda t: t[:30] + "\r\nX-Injected: 1" + t[30:], id="crlf"),
        pytest.param(lambda t: t[:30] + "\x00" + t[30:], id="nul"),
        pytest.param(lambda t: t[:30] + "\u0442\u043e\u043a\u0435\u043d" + t[30:], id="cyrillic"),
        pytest.param(lambda t: t[:30] + "\u2028" + t[30:], id="line-separator"),
    ],
)
def test_a_token_that_cannot_be_sent_is_refused_without_quoting_it(
    bad: Callable[[str], str],
) -> None:
    token = bad(fresh_token())
    with HostileServer() as server:
        server.route("/token", lambda r: token_reply(r, token=token))
        with pytest.raises(ut.AuthError, match="cannot be sent in an HTTP header") as info:
            server.connect()
        assert server.count("/api/") == 0, "refused before any API request"
        for piece in (token[:30], token[-30:]):
            assert_no_fragment(exception_texts(info.value), piece)


def _failures(token: str) -> dict[str, Callable[[Request], Reply]]:
    """Answers that each end a load in a different error path, all echoing the token."""
    text = {"Content-Type": "text/plain"}
    return {
        "401 twice": lambda r: Reply(401, _echo(token), text),
        "403": lambda r: Reply(403, _echo(token, 10), text),
        "500": lambda r: Reply(500, _echo(token, 190), text),
        "429": lambda r: Reply(429, _echo(token), {**text, "Retry-After": "999"}),
        "not JSON": lambda r: Reply(200, _echo(token, 5), text),
        "redirect": lambda r: Reply(302, b"", {"Location": f"https://evil.example/{token}"}),
        "html": lambda r: Reply(502, f"<html><title>{token}</title></html>", {}),
    }


@pytest.mark.parametrize("case", list(_failures("")))
def test_tracebacks_and_chained_causes_carry_no_token(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = fresh_token()
    with HostileServer() as server:
        server.route("/token", lambda r: token_reply(r, token=token))
        server.route("/api/", _failures(token)[case])
        client = server.connect(retry=ut.RetryPolicy(max_tries=2, backoff=0.01, max_wait=5))
        try:
            ut.load_sessions(make_test_id(1), client=client, progress=False)
        except ut.UTError as err:
            formatted = traceback.format_exc()
            assert_no_fragment(formatted, token)
            assert_no_fragment(exception_texts(err), token)
        else:  # pragma: no cover - the answers above all fail
            pytest.fail("the load did not fail")
        assert_no_fragment(caplog.text, token)
