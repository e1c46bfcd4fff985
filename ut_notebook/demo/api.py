"""The API's endpoints: from a parsed GET request to a status and a body.

Transport concerns (auth, rate limit, faults, headers) live in server.py; this module
only knows the resources. Results API errors look like NestJS's
(``{"statusCode", "message", "error"}``); legacy v1 errors are ``HttpErrorResponse``
(``{"errorCode", "errorMessage"}``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import legacy, studies
from .catalog import CATALOG
from .clips import clips_json, session_video
from .config import SimulatorConfig
from .data import SessionStore, iso_ms, iso_s
from .details import nps_summary, play, qx_scores, v3_details
from .plans import HELP_CENTRE_TASKS
from .reels import reel_by_token, reels_json, reels_of
from .transcript import webvtt

if TYPE_CHECKING:  # media.py imports Reply from here
    from .media import Media

__all__ = ["JSON", "Api", "Reply", "json_reply"]

JSON = "application/json; charset=utf-8"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
LEGACY_PREFIX = "/usertesting/api/v1"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    arrivals_test: str | None = None  # a sessionResults page of this test was served


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Reply(status, body, JSON, dict(headers or {}))


_REASONS = {400: "Bad Request", 404: "Not Found", 401: "Unauthorized", 500: "Internal Server Error"}


def nest_error(status: int, message: str | list[str]) -> Reply:
    payload: dict[str, Any] = {"statusCode": status, "message": message}
    if status not in (401,):
        payload["error"] = _REASONS.get(status, "Error")
    return json_reply(status, payload)


_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 429: "TOO_MANY_REQUESTS"}


def legacy_error(status: int, message: str) -> Reply:
    return json_reply(status, {"errorCode": _CODES.get(status, "ERROR"), "errorMessage": message})


def is_legacy(path: str) -> bool:
    return path.startswith("/usertesting/")


def _int_param(
    query: dict[str, list[str]], name: str, lo: int, hi: int, default: int, errors: list[str]
) -> int | None:
    values = query.get(name)
    if values is None:
        return default
    text = values[-1] if len(values) == 1 else ""
    value = float(text) if _NUMBER.match(text) else float("nan")
    if not value.is_integer():
        errors.append(f"{name} must be an integer number")
        return None
    if value < lo:
        errors.append(f"{name} must not be less than {lo}")
    if value > hi:
        errors.append(f"{name} must not be greater than {hi}")
    return int(value)


class Api:
    """The resources of one server (its own :class:`SessionStore`)."""

    def __init__(self, store: SessionStore, media: Media | None = None) -> None:
        if media is None:
            from .media import Media

            media = Media()
        self.store = store
        self.media = media
        self._cache_lock = threading.Lock()
        self._nps_cache: dict[tuple[str, int], list[dict[str, int]]] = {}
        # How often each clip or reel was asked for: GENERATING turns GENERATED after
        # a few polls, counted per server so that every test starts from scratch.
        self._polls: dict[str, int] = {}

    def route(
        self, method: str, path: str, query: dict[str, list[str]], config: SimulatorConfig
    ) -> Reply:
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        parts = path.split("/")[1:]
        if method == "GET":
            if parts[:3] == ["api", "v2", "sessionResults"]:
                if len(parts) == 3:
                    return self.session_results(query)
                if len(parts) == 5 and parts[4] == "transcript":
                    return self.transcript(parts[3], config)
                if len(parts) == 5 and parts[4] == "videoDownloadUrl":
                    return self.video(parts[3])
                if len(parts) == 5 and parts[4] == "clips":
                    return self.clips(parts[3])
                if len(parts) == 6 and parts[4] == "clips":
                    return self.clip(parts[3], parts[5], config.generating_polls)
            if parts[:3] == ["api", "v3", "sessionResults"] and len(parts) == 4:
                return self.details(parts[3], config)
            if parts[:3] == ["api", "v2", "testResults"] and parts[4:] == ["qxScores"]:
                return self.qx(parts[3])
            if parts[:3] == ["api", "v2", "testResults"] and parts[4:5] == ["highlightreels"]:
                if len(parts) == 5:
                    return self.reels(parts[3])
                if len(parts) == 6:
                    return self.reel(parts[3], parts[5], config.generating_polls)
            if path == LEGACY_PREFIX + "/workspaces":
                return json_reply(200, legacy.workspaces())
            if parts[:4] == ["usertesting", "api", "v1", "workspaces"] and len(parts) == 5:
                return self.workspace(parts[4], query)
            if parts[:4] == ["usertesting", "api", "v1", "studies"] and len(parts) == 5:
                return self.study(parts[4], config.help_centre_task_types)
            if parts[:4] == ["usertesting", "api", "v1", "studies"] and parts[5:] == [
                "completed-sessions"
            ]:
                return self.completed_sessions(parts[4], query)
            if parts[:4] == ["usertesting", "api", "v1", "session"] and len(parts) == 5:
                return self.legacy_session(parts[4])
            if parts[:4] == ["usertesting", "api", "v1", "clip"] and len(parts) == 5:
                return self.legacy_clip(parts[4])
            if parts[:4] == ["usertesting", "api", "v1", "highlightreel"] and len(parts) == 5:
                return self.legacy_reel(parts[4])
        if is_legacy(path):
            return legacy_error(404, f"Cannot {method} {path}")
        return nest_error(404, f"Cannot {method} {path}")

    # -- Results API v2/v3 ------------------------------------------------------------

    def session_results(self, query: dict[str, list[str]]) -> Reply:
        errors: list[str] = []
        test_id = (query.get("testId") or [""])[-1]
        if not test_id:
            errors += ["testId should not be empty", "testId must be a UUID"]
        elif len(query["testId"]) > 1 or not UUID_RE.match(test_id):
            errors.append("testId must be a UUID")
        limit = _int_param(query, "limit", 1, 500, 25, errors)
        offset = _int_param(query, "offset", 0, 10_000, 0, errors)
        if errors:
            return nest_error(400, errors)
        test_id = test_id.lower()
        if test_id not in CATALOG:
            return nest_error(404, "Test not found")
        sessions, total = self.store.page(test_id, offset, limit)
        reply = json_reply(
            200,
            {
                "testId": test_id,
                "sessions": [
                    {
                        "sessionId": s.id,
                        "audienceId": s.audience_id,
                        "status": s.status,
                        "startTime": iso_ms(s.start_ms),
                        "finishTime": iso_ms(s.finish_ms) if s.finish_ms is not None else None,
                    }
                    for s in sessions
                ],
                "meta": {"pagination": {"limit": limit, "offset": offset, "totalCount": total}},
            },
        )
        reply.arrivals_test = test_id
        return reply

    def _session(self, session_id: str):
        if not UUID_RE.match(session_id):
            return None, nest_error(400, "Validation failed (uuid is expected)")
        found = self.store.find(session_id.lower())
        if found is None:
            return None, nest_error(404, "Session not found")
        return found, None

    def details(self, session_id: str, config: SimulatorConfig) -> Reply:
        found, error = self._session(session_id)
        if error:
            return error
        spec, session = found
        played = play(spec, session, config.unknown_task_types, config.help_centre_task_types)
        doc = v3_details(
            played,
            answer_shapes=config.answer_shapes,
            seed=config.seed,
            spec_variety=config.spec_variety,
        )
        return json_reply(200, doc)

    def transcript(self, session_id: str, config: SimulatorConfig) -> Reply:
        found, error = self._session(session_id)
        if error:
            return error
        spec, session = found
        if not spec.has_transcript:
            return nest_error(404, "Transcript not found")
        played = play(spec, session, help_centre_task_types=config.help_centre_task_types)
        text = webvtt(played, voice_tags=config.voice_tags)
        # As documented: text/vtt with no charset; the body is UTF-8 all the same.
        return Reply(200, text.encode("utf-8"), "text/vtt", {"Accept-Ranges": "bytes"})

    def video(self, session_id: str) -> Reply:
        found, error = self._session(session_id)
        if error:
            return error
        spec, session = found
        if not spec.has_video:
            return nest_error(404, "Video not found")
        url, expires = self.media.video_url(session.id)
        return json_reply(
            200, {"videoUrl": url, "sessionId": session.id, "expiresAt": iso_s(expires * 1000)}
        )

    def _video(self, session_id: str):
        found, error = self._session(session_id)
        if error:
            return None, error
        video = session_video(*found)
        if video is None:  # a survey: no video, so no clips (the API's documented 404)
            return None, nest_error(404, "Session video or clips not found")
        return video, None

    def clips(self, session_id: str) -> Reply:
        video, error = self._video(session_id)
        return error or json_reply(200, clips_json(video))

    def _ready(self, item_uuid: str, generating_polls: int | None) -> bool:
        """Whether this poll of a clip or reel finds it GENERATED (counts the poll)."""
        with self._cache_lock:
            self._polls[item_uuid] = seen = self._polls.get(item_uuid, 0) + 1
        if generating_polls is None:  # 1-3 GENERATING answers, fixed per item
            generating_polls = 1 + hashlib.sha256(item_uuid.encode()).digest()[0] % 3
        return seen > generating_polls

    def clip(self, session_id: str, clip_uuid: str, generating_polls: int | None) -> Reply:
        if not UUID_RE.match(clip_uuid):
            return nest_error(400, "Validation failed (uuid is expected)")
        video, error = self._video(session_id)
        if error:
            return error
        clip = next((c for c in video.clips if c.uuid == clip_uuid.lower()), None)
        if clip is None:
            return nest_error(404, "Clip not found")
        url = None
        if self._ready(clip.uuid, generating_polls):
            url, _ = self.media.clip_url(clip.uuid)
        return json_reply(
            200,
            {"clipUuid": clip.uuid, "status": "GENERATED" if url else "GENERATING", "clipUrl": url},
        )

    def _video_test(self, test_id: str):
        if not UUID_RE.match(test_id):
            return None, nest_error(400, "Validation failed (uuid is expected)")
        spec = CATALOG.get(test_id.lower())
        if spec is None:
            return None, nest_error(404, "Test not found")
        if not spec.has_video:
            return None, nest_error(404, "Highlight reels not found: the test has no video")
        return spec, None

    def reels(self, test_id: str) -> Reply:
        spec, error = self._video_test(test_id)
        return error or json_reply(200, reels_json(spec, self.store.all(spec.id)))

    def reel(self, test_id: str, reel_id: str, generating_polls: int | None) -> Reply:
        spec, error = self._video_test(test_id)
        if error:
            return error
        if not UUID_RE.match(reel_id):
            return nest_error(400, "Validation failed (uuid is expected)")
        reel = next((r for r in reels_of(spec.id) if r.uuid == reel_id.lower()), None)
        if reel is None:
            return nest_error(404, "Highlight reel not found")
        url = None
        if self._ready(reel.uuid, generating_polls):
            url, _ = self.media.reel_url(reel.uuid)
        return json_reply(
            200,
            {"reelId": reel.uuid, "status": "GENERATED" if url else "GENERATING", "reelUrl": url},
        )

    def qx(self, test_id: str) -> Reply:
        if not UUID_RE.match(test_id):
            return nest_error(400, "Validation failed (uuid is expected)")
        spec = CATALOG.get(test_id.lower())
        if spec is None:
            return nest_error(404, "Test not found")
        if not spec.has_qx:
            return nest_error(404, "QXscores not found: not an interaction test")
        return json_reply(200, qx_scores(spec, self.store.all(spec.id)))

    # -- legacy v1 --------------------------------------------------------------------

    def workspace(self, workspace_uuid: str, query: dict[str, list[str]]) -> Reply:
        if not UUID_RE.match(workspace_uuid):
            return legacy_error(400, "Not a valid UUID")
        after = (query.get("after") or [None])[-1]
        before = (query.get("before") or [None])[-1]
        try:
            page = legacy.workspace_studies(workspace_uuid.lower(), after, before)
        except legacy.BadCursor as err:
            return legacy_error(400, str(err))
        if page is None:
            return legacy_error(404, "Workspace not found")
        return json_reply(200, page)

    def study(self, study_uuid: str, help_centre_task_types: bool = False) -> Reply:
        if not UUID_RE.match(study_uuid):
            return legacy_error(400, "Not a valid UUID")
        if study_uuid.lower() == studies.CLASSIC.id:
            return json_reply(200, studies.classic_study(self.media))
        spec = CATALOG.get(study_uuid.lower())
        if spec is None:
            return legacy_error(404, "Study not found")
        sessions = self.store.all(spec.id)
        key = (spec.id, len(sessions))
        with self._cache_lock:
            nps = self._nps_cache.get(key)
        if nps is None:
            nps = nps_summary(spec, sessions)
            with self._cache_lock:
                self._nps_cache[key] = nps
        extra = HELP_CENTRE_TASKS if help_centre_task_types else ()
        return json_reply(200, legacy.study(spec, len(sessions), nps, extra))

    def completed_sessions(self, study_uuid: str, query: dict[str, list[str]]) -> Reply:
        if not UUID_RE.match(study_uuid):
            return legacy_error(400, "Not a valid UUID")
        study_uuid = study_uuid.lower()
        if study_uuid in CATALOG:
            # STUDYV2 tests answer through the Results API, not this classic endpoint.
            return legacy_error(404, "Completed sessions not found: not a classic study")
        if study_uuid != studies.CLASSIC.id:
            return legacy_error(404, "Study not found")
        after = (query.get("after") or [None])[-1]
        before = (query.get("before") or [None])[-1]
        try:
            page = studies.completed_sessions(self.media, after, before)
        except legacy.BadCursor as err:
            return legacy_error(400, str(err))
        return json_reply(200, page)

    def legacy_session(self, session_uuid: str) -> Reply:
        if not UUID_RE.match(session_uuid):
            return legacy_error(400, "Not a valid UUID")
        session_uuid = session_uuid.lower()
        classic = studies.classic_session(session_uuid)
        if classic is not None:
            return json_reply(200, studies.classic_legacy_session(classic, self.media))
        found = self.store.find(session_uuid)
        video = session_video(*found) if found is not None else None
        if video is None:  # unknown, or a survey session: nothing to play
            return legacy_error(404, "Session not found")
        sequence = 1 + [s.id for s in self.store.all(video.spec.id)].index(session_uuid)
        return json_reply(200, studies.legacy_session(video, sequence, self.media))

    def legacy_clip(self, clip_uuid: str) -> Reply:
        if not UUID_RE.match(clip_uuid):
            return legacy_error(400, "Not a valid UUID")
        found = self._find_clip(clip_uuid.lower())
        if found is None:
            return legacy_error(404, "Clip not found")
        return json_reply(200, studies.legacy_clip(found[0], found[1], self.media))

    def _find_clip(self, clip_uuid: str):
        # A clip's uuid is a UUIDv5 of its session's (clips.py), so candidate sessions
        # are found by hashing, without replaying every session.
        for spec in CATALOG.values():
            if not spec.has_video:
                continue
            for s in self.store.all(spec.id):
                base = uuid.UUID(s.id)
                if any(str(uuid.uuid5(base, f"clip:{n}")) == clip_uuid for n in range(5)):
                    video = session_video(spec, s)
                    clip = next((c for c in video.clips if c.uuid == clip_uuid), None)
                    return (spec, clip) if clip is not None else None
        return None

    def legacy_reel(self, token: str) -> Reply:
        reel = reel_by_token(token.lower())
        if reel is None:
            return legacy_error(404, "Highlight reel not found")
        return json_reply(200, studies.legacy_reel(reel, self.media))
