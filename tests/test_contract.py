"""Contract tests: the simulator's responses against JSON Schemas of the published API.

The schemas in tests/schemas/ are written by hand from the OpenAPI files (draft 2020-12,
``additionalProperties`` left open, OpenAPI ``nullable`` as ``["type", "null"]``).
Each response is checked twice:

* against the schema as published (``required`` lists as in the OpenAPI), and
* against a strict copy in which every documented property is required, so that a
  renamed optional field (``finishTime`` -> ``finish_time``) fails too.

The mutation tests at the end prove that the checks bite: renaming any field or
changing the type of any value of a real response makes validation fail.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from jsonschema import Draft202012Validator, FormatChecker

from ut_notebook.demo import CLASSIC_TESTS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, TESTS, DemoServer
from ut_notebook.demo.reels import reels_of

SCHEMAS = Path(__file__).parent / "schemas"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# ISO 8601 in UTC with a Z, optionally with milliseconds: 2026-10-14T12:23:52.614Z
DATE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")

# --- schema machinery ----------------------------------------------------------------


def _format_checker() -> FormatChecker:
    """Our own checks: jsonschema's need optional packages for some formats."""
    checker = FormatChecker(formats=())

    @checker.checks("uuid")
    def is_uuid(value: object) -> bool:
        return not isinstance(value, str) or bool(UUID_RE.match(value))

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not DATE_TIME_RE.match(value):
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # raises on 2026-13-40
        return True

    @checker.checks("uri")
    def is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc)

    return checker


FORMATS = _format_checker()


def _load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _strict(node: Any) -> Any:
    """A copy in which every object requires all its documented properties."""
    if isinstance(node, list):
        return [_strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items()}
    if isinstance(node.get("properties"), dict):
        optional = set(node.get("x-simulator-optional", ()))
        out["required"] = [p for p in node["properties"] if p not in optional]
    return out


@cache
def validator(name: str, strict: bool = False) -> Draft202012Validator:
    schema = _load(name)
    if strict:
        schema = _strict(schema)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


def iter_problems(instance: Any, name: str) -> Iterator[str]:
    """Every violation of the published schema and of its strict copy (lazily)."""
    for strict in (False, True):
        for err in validator(name, strict).iter_errors(instance):
            where = "/".join(str(p) for p in err.absolute_path)
            yield f"{'strict ' if strict else ''}{name} at /{where}: {err.message}"
    if name == "session_results_v3.schema.json" and isinstance(instance, dict):
        yield from _answer_problems(instance)


def problems(instance: Any, name: str) -> list[str]:
    return list(iter_problems(instance, name))


def broken(instance: Any, name: str) -> bool:
    return next(iter_problems(instance, name), None) is not None


def _answer_problems(details: dict[str, Any]) -> Iterator[str]:
    """The simulator's own answer shapes (docs/simulator.md), one non-null key each."""
    for i, task in enumerate(details.get("tasks") or []):
        response = task.get("response") if isinstance(task, dict) else None
        answer = response.get("answer") if isinstance(response, dict) else None
        if answer is None:
            continue
        for strict in (False, True):
            for err in validator("task_answers.schema.json", strict).iter_errors(answer):
                yield f"tasks/{i}/response/answer: {err.message}"
        if isinstance(answer, dict):
            set_keys = [k for k, v in answer.items() if v is not None]
            if len(set_keys) != 1:
                yield f"tasks/{i}/response/answer has non-null keys {set_keys}"


def assert_valid(instance: Any, name: str) -> None:
    found = problems(instance, name)
    assert not found, "\n".join(found[:20])


# --- a server and a client -------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    # task_answers.schema.json pins the guessed answer shapes (docs/simulator.md); the
    # other shapes are checked against the published schema in test_fidelity.py.
    with DemoServer(rate_limit=100_000, rate_window=60.0, answer_shapes="guessed") as srv:
        yield srv


class Api:
    def __init__(self, server: DemoServer) -> None:
        self.server = server
        self.http = requests.Session()
        reply = self.http.post(
            server.token_url,
            data={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "client_credentials",
                "scope": "public_api.read",
            },
            timeout=10,
        )
        reply.raise_for_status()
        self.http.headers["Authorization"] = "Bearer " + reply.json()["access_token"]

    def get(self, path: str, status: int = 200, **params: Any) -> requests.Response:
        reply = self.http.get(self.server.url + path, params=params, timeout=10)
        assert reply.status_code == status, (path, params, reply.status_code, reply.text[:300])
        return reply

    def sessions(self, test: str, **params: Any) -> dict[str, Any]:
        return self.get("/api/v2/sessionResults", testId=test, **params).json()


@pytest.fixture(scope="module")
def api(server: DemoServer) -> Api:
    return Api(server)


def _sample_sessions(api: Api, test_id: str, n: int = 6) -> list[str]:
    """A few newest sessions plus every not-COMPLETE one on the first page of 100."""
    page = api.sessions(test_id, limit=100)["sessions"]
    picked = [s["sessionId"] for s in page[:n]]
    picked += [s["sessionId"] for s in page if s["status"] != "COMPLETE"][:3]
    return picked


# --- the checks themselves work -------------------------------------------------------


def test_every_schema_is_valid_draft_2020_12() -> None:
    names = sorted(p.name for p in SCHEMAS.glob("*.json"))
    assert len(names) >= 10
    for name in names:
        Draft202012Validator.check_schema(_load(name))
        Draft202012Validator.check_schema(_strict(_load(name)))


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("uuid", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "3FA85F64-5717-4562-B3FC-2C963F66AFA6"),
        ("uuid", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f6457174562b3fc2c963f66afa6"),
        ("date-time", "2026-10-14T12:23:52.614Z", "2026-10-14 12:23:52"),
        ("date-time", "2025-10-01T12:00:00Z", "2026-13-40T12:00:00Z"),
        ("date-time", "2025-10-01T12:00:00Z", "2025-10-01T12:00:00+02:00"),
        ("uri", "https://example.com/a?b=c", "example.com/a"),
    ],
)
def test_format_checks(fmt: str, good: str, bad: str) -> None:
    assert FORMATS.conforms(good, fmt)
    assert not FORMATS.conforms(bad, fmt)


# --- every endpoint, every demo test ---------------------------------------------------


@pytest.mark.parametrize(
    ("url_attr", "scope"), [("token_url", "public_api.read"), ("token_url_v2", "studies:read")]
)
def test_token_response(server: DemoServer, url_attr: str, scope: str) -> None:
    reply = requests.post(
        getattr(server, url_attr),
        data={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "grant_type": "client_credentials",
            "scope": scope,
        },
        timeout=10,
    )
    assert reply.status_code == 200
    assert_valid(reply.json(), "token_response.schema.json")
    assert reply.json()["scope"] == scope


@pytest.mark.parametrize("name", sorted(TESTS))
def test_session_summaries(api: Api, name: str) -> None:
    test_id = TESTS[name]
    first = api.sessions(test_id)
    assert_valid(first, "session_summary_results.schema.json")
    total = first["meta"]["pagination"]["totalCount"]
    pages = [(0, 1), (0, 100), (25, 25), (max(0, total - 7), 10), (total + 5, 10)]
    if total > 10_000:  # the API cannot page past offset 10,000
        pages = [(0, 1), (0, 100), (25, 25), (5_000, 500), (10_000, 500)]
    for offset, limit in pages:
        page = api.sessions(test_id, offset=offset, limit=limit)
        assert_valid(page, "session_summary_results.schema.json")
        assert page["testId"] == test_id
        assert page["meta"]["pagination"] == {"limit": limit, "offset": offset, "totalCount": total}


@pytest.mark.parametrize("name", sorted(set(TESTS) - {"empty"}))
def test_session_details_v3(api: Api, name: str) -> None:
    for session_id in _sample_sessions(api, TESTS[name]):
        details = api.get(f"/api/v3/sessionResults/{session_id}").json()
        assert_valid(details, "session_results_v3.schema.json")
        assert details["sessionId"] in (session_id, None)  # nullable in the spec


@pytest.mark.parametrize("name", ["interaction", "think_out_loud"])
def test_video_download_url(api: Api, name: str) -> None:
    for session_id in _sample_sessions(api, TESTS[name], n=3):
        video = api.get(f"/api/v2/sessionResults/{session_id}/videoDownloadUrl").json()
        assert_valid(video, "video_download_response.schema.json")
        assert video["sessionId"] == session_id
        assert video["videoUrl"].startswith(api.server.url + "/media/videos/")
        expires = datetime.fromisoformat(video["expiresAt"].replace("Z", "+00:00"))
        assert abs(expires - datetime.now(timezone.utc) - timedelta(hours=1)) < timedelta(minutes=1)


def test_qx_scores(api: Api) -> None:
    scores = api.get(f"/api/v2/testResults/{TESTS['interaction']}/qxScores").json()
    assert_valid(scores, "qx_score_response.schema.json")
    assert len(scores["qxScores"]) == 2


def test_legacy_workspaces_studies_and_study(api: Api) -> None:
    workspaces = api.get("/usertesting/api/v1/workspaces").json()
    assert_valid(workspaces, "workspaces.schema.json")
    fillers = []
    for workspace in workspaces:
        after = None
        while True:
            params = {"after": after} if after else {}
            page = api.get(f"/usertesting/api/v1/workspaces/{workspace['uuid']}", **params).json()
            assert_valid(page, "workspace_studies.schema.json")
            if not page:
                break
            fillers += [s["uuid"] for s in page if s["uuid"] not in TESTS.values()]
            after = page[-1]["cursor"]
    for study_id in [*TESTS.values(), *fillers[::9]]:
        assert_valid(api.get(f"/usertesting/api/v1/studies/{study_id}").json(), "study.schema.json")
        assert_valid(api.sessions(study_id, limit=50), "session_summary_results.schema.json")
    for study_id in fillers[::13]:
        for session_id in _sample_sessions(api, study_id, n=2):
            details = api.get(f"/api/v3/sessionResults/{session_id}").json()
            assert_valid(details, "session_results_v3.schema.json")


def test_legacy_errors(api: Api) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for path, status in [
        (f"/usertesting/api/v1/workspaces/{missing}", 404),
        (f"/usertesting/api/v1/studies/{missing}", 404),
        ("/usertesting/api/v1/studies/not-a-uuid", 400),
    ]:
        assert_valid(api.get(path, status=status).json(), "http_error_response.schema.json")


def test_unknown_task_types_break_the_published_contract() -> None:
    """The switch exists to exercise clients with a type the schema lacks: it must show."""
    with DemoServer(rate_limit=1000, unknown_task_types=True, answer_shapes="guessed") as srv:
        api = Api(srv)
        page = api.sessions(TESTS["survey"], limit=10)["sessions"]
        session_id = next(s["sessionId"] for s in page if s["status"] == "COMPLETE")
        details = api.get(f"/api/v3/sessionResults/{session_id}").json()
    found = problems(details, "session_results_v3.schema.json")
    assert any("CARD_SORT" in p for p in found), found
    card = next(t for t in details["tasks"] if t["type"] == "CARD_SORT")
    answer = card["response"]["answer"]
    assert answer["cardSort"]["groups"]
    assert not [e.message for e in validator("task_answers.schema.json").iter_errors(answer)]


def _poll(api: Api, path: str, want: str = "GENERATED") -> list[dict[str, Any]]:
    """Every answer of a clip or reel endpoint until its status is ``want`` (at most 10)."""
    seen = []
    for _ in range(10):
        seen.append(api.get(path).json())
        if seen[-1]["status"] == want:
            break
    return seen


@pytest.mark.parametrize("name", ["interaction", "think_out_loud"])
def test_clips_and_one_clip(api: Api, name: str) -> None:
    with_clips = 0
    for session_id in _sample_sessions(api, TESTS[name], n=4):
        clips = api.get(f"/api/v2/sessionResults/{session_id}/clips").json()
        assert_valid(clips, "clips_response.schema.json")
        assert clips["studyUuid"] == TESTS[name]
        with_clips += bool(clips["clips"])
        for clip in clips["clips"][:2]:
            answers = _poll(api, f"/api/v2/sessionResults/{session_id}/clips/{clip['uuid']}")
            for answer in answers:
                assert_valid(answer, "clip_details_response.schema.json")
                assert answer["clipUuid"] == clip["uuid"]
            assert answers[-1]["status"] == "GENERATED"
    assert with_clips >= 3


def test_highlight_reels(api: Api) -> None:
    for name in ("interaction", "think_out_loud"):
        reels = api.get(f"/api/v2/testResults/{TESTS[name]}/highlightreels").json()
        assert_valid(reels, "highlight_reels_response.schema.json")
        assert len(reels["reels"]) == 2 and reels["studyWithClips"] is True
        for reel in reels["reels"]:
            path = f"/api/v2/testResults/{TESTS[name]}/highlightreels/{reel['uuid']}"
            for answer in _poll(api, path):
                assert_valid(answer, "reel_details_response.schema.json")


def test_legacy_session_clip_and_highlight_reel(api: Api) -> None:
    for name in ("interaction", "think_out_loud"):
        for session_id in _sample_sessions(api, TESTS[name], n=3):
            assert_valid(
                api.get(f"/usertesting/api/v1/session/{session_id}").json(),
                "legacy_session.schema.json",
            )
            clips = api.get(f"/api/v2/sessionResults/{session_id}/clips").json()["clips"]
            for clip in clips[:2]:
                assert_valid(
                    api.get(f"/usertesting/api/v1/clip/{clip['uuid']}").json(),
                    "legacy_clip.schema.json",
                )
        for reel in reels_of(TESTS[name]):
            body = api.get(f"/usertesting/api/v1/highlightreel/{reel.token}").json()
            assert_valid(body, "legacy_highlightreel.schema.json")


def test_classic_study_and_completed_sessions(api: Api) -> None:
    classic = CLASSIC_TESTS["classic"]
    assert_valid(api.get(f"/usertesting/api/v1/studies/{classic}").json(), "study.schema.json")
    path = f"/usertesting/api/v1/studies/{classic}/completed-sessions"
    first = api.get(path).json()
    assert_valid(first, "completed_sessions.schema.json")
    second = api.get(path, after=first["sessions"][-1]["cursor"]).json()
    assert_valid(second, "completed_sessions.schema.json")
    assert len(first["sessions"]) + len(second["sessions"]) == first["completedSessionCount"]
    session_uuid = second["sessions"][0]["sessionUuid"]
    assert_valid(
        api.get(f"/usertesting/api/v1/session/{session_uuid}").json(), "legacy_session.schema.json"
    )


def test_new_endpoint_errors(api: Api) -> None:
    survey = _sample_sessions(api, TESTS["survey"], n=1)[0]
    for path, status in [
        (f"/api/v2/sessionResults/{survey}/clips", 404),
        (f"/api/v2/testResults/{TESTS['survey']}/highlightreels", 404),
    ]:
        body = api.get(path, status=status).json()
        assert body["statusCode"] == status and body["error"] == "Not Found"
    missing = "00000000-0000-4000-8000-000000000000"
    for path, status in [
        (f"/usertesting/api/v1/session/{missing}", 404),
        (f"/usertesting/api/v1/clip/{missing}", 404),
        ("/usertesting/api/v1/highlightreel/0123456789abcdef0123", 404),
        (f"/usertesting/api/v1/studies/{TESTS['survey']}/completed-sessions", 404),
        ("/usertesting/api/v1/clip/not-a-uuid", 400),
    ]:
        assert_valid(api.get(path, status=status).json(), "http_error_response.schema.json")


# --- the contract bites ----------------------------------------------------------------


def _walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:12]):
            yield from _walk(value, (*path, i))


def _parent(doc: Any, path: tuple) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def _retyped(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 12345
    return {"unexpected": True}  # null -> an object of the wrong shape


def _optional(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        yield from node.get("x-simulator-optional", ())
        for value in node.values():
            yield from _optional(value)
    elif isinstance(node, list):
        for value in node:
            yield from _optional(value)


# Properties the simulator sends only sometimes ("x-simulator-optional" in any schema):
# renaming them away is not a contract break the strict check can see.
_SOMETIMES_ABSENT = {k for p in SCHEMAS.glob("*.json") for k in _optional(_load(p.name))}


def _samples(api: Api) -> Iterator[tuple[str, Any]]:
    survey = _sample_sessions(api, TESTS["survey"], n=1)[0]
    interaction = _sample_sessions(api, TESTS["interaction"], n=1)[0]
    tol = _sample_sessions(api, TESTS["think_out_loud"], n=1)[0]
    workspace = api.get("/usertesting/api/v1/workspaces").json()[0]["uuid"]
    yield "session_summary_results.schema.json", api.sessions(TESTS["survey"], limit=3)
    for sid in (survey, interaction, tol):
        yield "session_results_v3.schema.json", api.get(f"/api/v3/sessionResults/{sid}").json()
    yield (
        "qx_score_response.schema.json",
        api.get(f"/api/v2/testResults/{TESTS['interaction']}/qxScores").json(),
    )
    yield (
        "video_download_response.schema.json",
        api.get(f"/api/v2/sessionResults/{interaction}/videoDownloadUrl").json(),
    )
    yield "workspaces.schema.json", api.get("/usertesting/api/v1/workspaces").json()
    yield (
        "workspace_studies.schema.json",
        api.get(f"/usertesting/api/v1/workspaces/{workspace}").json()[:3],
    )
    yield "study.schema.json", api.get(f"/usertesting/api/v1/studies/{TESTS['survey']}").json()
    yield "study.schema.json", api.get(f"/usertesting/api/v1/studies/{TESTS['interaction']}").json()
    # A think-out-loud session whose video has a camera region, and clips.
    for sid in _sample_sessions(api, TESTS["think_out_loud"], n=36):
        clips = api.get(f"/api/v2/sessionResults/{sid}/clips").json()
        if "camera" in clips["videoRegions"] and clips["clips"]:
            break
    yield "clips_response.schema.json", clips
    clip = clips["clips"][0]
    for answer in _poll(api, f"/api/v2/sessionResults/{sid}/clips/{clip['uuid']}")[-2:]:
        yield "clip_details_response.schema.json", answer  # GENERATING, then GENERATED
    test = TESTS["think_out_loud"]
    yield (
        "highlight_reels_response.schema.json",
        api.get(f"/api/v2/testResults/{test}/highlightreels").json(),
    )
    reel = reels_of(test)[0]
    for answer in _poll(api, f"/api/v2/testResults/{test}/highlightreels/{reel.uuid}")[-2:]:
        yield "reel_details_response.schema.json", answer
    yield "legacy_session.schema.json", api.get(f"/usertesting/api/v1/session/{sid}").json()
    yield "legacy_clip.schema.json", api.get(f"/usertesting/api/v1/clip/{clip['uuid']}").json()
    yield (
        "legacy_highlightreel.schema.json",
        api.get(f"/usertesting/api/v1/highlightreel/{reel.token}").json(),
    )
    classic = CLASSIC_TESTS["classic"]
    page = api.get(f"/usertesting/api/v1/studies/{classic}/completed-sessions").json()
    yield "completed_sessions.schema.json", {**page, "sessions": page["sessions"][:1]}


def test_renaming_any_field_breaks_the_contract(api: Api) -> None:
    checked = 0
    for name, sample in _samples(api):
        assert_valid(sample, name)
        for path, value in _walk(sample):
            if not isinstance(value, dict):
                continue
            for key in value:
                if key in _SOMETIMES_ABSENT:
                    continue
                mutant = copy.deepcopy(sample)
                target = _parent(mutant, (*path, key))
                target[key + "_renamed"] = target.pop(key)
                assert broken(mutant, name), f"{name}: renaming {(*path, key)} went unnoticed"
                checked += 1
    assert checked > 300


def test_changing_the_type_of_any_value_breaks_the_contract(api: Api) -> None:
    checked = 0
    for name, sample in _samples(api):
        for path, value in _walk(sample):
            if not path or isinstance(value, (dict, list)):
                continue
            mutant = copy.deepcopy(sample)
            _parent(mutant, path)[path[-1]] = _retyped(value)
            assert broken(mutant, name), f"{name}: retyping {path} ({value!r}) went unnoticed"
            checked += 1
    assert checked > 300
