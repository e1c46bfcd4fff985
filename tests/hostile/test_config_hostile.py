"""Clear errors for bad configuration, UTF-8 transcripts, and video links that are safe."""

from __future__ import annotations

import ipaddress
import socket
import warnings
from pathlib import Path

import pytest

import ut_notebook as ut
from tests.hostile.conftest import details_route, sid, vtt
from tests.hostile.server import CLIENT_ID, CLIENT_SECRET, HostileServer, Reply
from ut_notebook.cache import CacheWarning

IDS = [sid(0, n) for n in range(2)]


def test_a_dotenv_that_is_not_utf8_names_the_file_and_the_line() -> None:
    dotenv = Path.cwd() / ".env"  # the fixtures run each test in an empty folder
    dotenv.write_bytes(b"# settings\nUT_SCOPE=public_api.read\nUT_TEST_ID=caf\xe9\n")
    with HostileServer() as server, pytest.raises(ut.ConfigError) as info:
        server.connect()
    assert str(dotenv) in str(info.value) and "line 3" in str(info.value)
    assert "UTF-8" in str(info.value)


@pytest.mark.parametrize(
    "folder",
    [
        pytest.param("~no-such-user-ut-hostile/cache", id="unexpandable"),
        pytest.param("{file}/cache", id="under a file"),
    ],
)
def test_an_unusable_cache_dir_warns_and_runs_without_the_cache(
    folder: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("UT_CACHE_DIR", folder.format(file=blocker))
    with HostileServer() as server:
        server.route("/api/v3/sessionResults/", details_route)
        client = server.connect()
        for _ in range(2):  # runs, twice, asking the API each time: no cache
            with pytest.warns(CacheWarning, match="UT_CACHE_DIR=.*running without the cache"):
                details = ut.load_session_details(IDS, client=client, progress=False)
            assert details.attrs["sessions"] == 2 and details.attrs["cached"] == 0
        assert server.count() == 4
    with pytest.warns(CacheWarning, match="UT_CACHE_DIR"):
        assert ut.clear_cache() == 0


@pytest.mark.parametrize(
    "value, expected",
    [(v, True) for v in ("1", "true", "YES", " on ")]
    + [(v, False) for v in ("0", "False", "no", "OFF")],
)
def test_ut_cache_accepts_the_usual_words(
    value: str, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_CACHE", value)
    with HostileServer() as server:
        server.route("/api/v3/sessionResults/", details_route)
        client = server.connect()
        assert client.settings.cache is expected
        ut.load_session_details(IDS, client=client, progress=False)  # statuses unknown
        assert ut.cache.Cache.from_settings(client.settings).enabled is expected


@pytest.mark.parametrize("value", ["2", "maybe", "enabled", "tru", "1 0"])
def test_ut_cache_rejects_anything_else_by_name(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UT_CACHE", value)
    with HostileServer() as server, pytest.raises(ut.ConfigError, match="UT_CACHE=") as info:
        server.connect()
    assert repr(value.strip()) in str(info.value)
    assert server.count("/token") == 0  # refused before the secret was sent anywhere


@pytest.mark.parametrize(
    "url, problem",
    [
        ("{url}/?region=us", "query"),
        ("{url}#top", "fragment"),
        ("http://127.0.0.1:99999", "port"),
        ("http://127.0.0.1:port", "port"),
        ("{url}/api v2", "space"),
        ("http:///no-host", "no host"),
    ],
)
@pytest.mark.parametrize("where", ["argument", "environment"])
def test_a_bad_api_url_fails_at_connect_naming_ut_api_url(
    url: str, problem: str, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with HostileServer() as server:
        bad = url.format(url=server.url)
        kwargs = {"api_url": bad} if where == "argument" else {}
        if where == "environment":
            monkeypatch.setenv("UT_API_URL", bad)
        with pytest.raises(ut.ConfigError, match=f"UT_API_URL=.*{problem}"):
            ut.connect(CLIENT_ID, CLIENT_SECRET, token_url=server.url + "/token", **kwargs)
        assert not server.requests  # before anything is sent


@pytest.mark.parametrize("name", ["client_id", "client_secret"])
@pytest.mark.parametrize("value", [12345, b"bytes-secret-value", ["a", "b"], 1.5])
def test_a_non_string_credential_is_a_type_error_naming_the_argument(
    name: str, value: object
) -> None:
    credentials: dict[str, object] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    credentials[name] = value
    with HostileServer() as server:
        with pytest.raises(TypeError, match=f"{name} must be a string"):
            ut.connect(
                credentials["client_id"],  # type: ignore[arg-type]
                credentials["client_secret"],  # type: ignore[arg-type]
                token_url=server.url + "/token",
                api_url=server.url,
            )
        assert not server.requests


def _resolves_to_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return all(ipaddress.ip_address(str(i[4][0]).split("%")[0]).is_loopback for i in infos)


@pytest.mark.parametrize("host", ["ut-hostile-nowhere.localhost", "a.b.ut-hostile.localhost"])
def test_a_dot_localhost_name_is_loopback_only_if_it_resolves_there(host: str) -> None:
    with HostileServer() as server:
        port = server.url.rsplit(":", 1)[1]
        url = f"http://{host}:{port}"
        if _resolves_to_loopback(host):  # this resolver honours RFC 6761: it is loopback
            client = ut.connect(CLIENT_ID, CLIENT_SECRET, token_url=url + "/token", api_url=url)
            assert client.api_url == url
        else:  # not resolved (or not to loopback): plain http to it is refused, unsent
            with pytest.raises(ut.InsecureTransportError, match="plain http"):
                ut.connect(CLIENT_ID, CLIENT_SECRET, token_url=url + "/token", api_url=url)
            assert not server.requests


def test_a_bare_text_vtt_transcript_is_read_as_utf8() -> None:
    body = vtt("La crème brûlée, s’il vous plaît — 👍").encode("utf-8")
    with HostileServer() as server:
        server.route(
            "/api/v2/sessionResults/", lambda r: Reply(200, body, {"Content-Type": "text/vtt"})
        )
        client = server.connect()
        one = ut.load_transcript(IDS[0], client=client)
        many = ut.load_transcripts(IDS, client=client, progress=False)
    assert one["text"].tolist() == ["La crème brûlée, s’il vous plaît — 👍"]
    assert set(many["text"]) == {"La crème brûlée, s’il vous plaît — 👍"}


def test_a_named_charset_is_honoured() -> None:
    body = vtt("crème").encode("latin-1")
    with HostileServer() as server:
        server.route(
            "/api/v2/sessionResults/",
            lambda r: Reply(200, body, {"Content-Type": "text/vtt; charset=ISO-8859-1"}),
        )
        client = server.connect()
        assert ut.load_transcript(IDS[0], client=client)["text"].tolist() == ["crème"]


@pytest.mark.parametrize(
    "url, linked",
    [
        ("https://media.example.com/v.mp4?X-Amz-Signature=abc", True),
        ("http://127.0.0.1:8123/media/v.mp4", True),
        ("http://media.example.com/v.mp4", False),
        ("javascript:alert(document.cookie)", False),
        ("JavaScript:alert(1)//https://x", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("file:///etc/passwd", False),
        ("//media.example.com/v.mp4", False),
        (" javascript:alert(1)", False),
        ("https:\\\\evil.example", False),
        ("java\tscript:alert(1)", False),
        ('https://x.example/"onmouseover="alert(1)', True),  # escaped: stays in the href
    ],
)
def test_a_video_url_is_a_link_only_when_https_or_loopback_http(url: str, linked: bool) -> None:
    answer = {"videoUrl": url, "expiresAt": "2030-01-01T00:00:00Z"}
    with HostileServer() as server:
        server.route("/api/v2/sessionResults/", lambda r: Reply(200, answer))
        client = server.connect()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            video = ut.video_url(IDS[0], client=client)
    html = video._repr_html_()
    assert ("<a " in html) is linked and ("href" in html) is linked
    assert "<script" not in html and '"onmouseover' not in html
