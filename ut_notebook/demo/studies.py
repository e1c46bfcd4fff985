"""Legacy v1 resources beyond workspaces: the CLASSIC study, sessions, clips, reels.

The CLASSIC demo study is the kind of test the Results API cannot read (``type`` WEB,
``productType`` INSIGHT_CORE): it exists only in v1, where ``GET /studies/{uuid}``
describes it and ``GET /studies/{uuid}/completed-sessions`` pages through its sessions.
It is not listed in any workspace, so the workspace listings (and every client that
counts them) stay as they were; its id is ``CLASSIC_TESTS["classic"]``.

v1 ``/session``, ``/clip`` and ``/highlightreel`` describe the same videos, clips and
reels as the Results API (see clips.py and reels.py), in the v1 shapes.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from .catalog import ANCHOR_MS, DAY_MS, TestSpec, stable_uuid
from .clips import Clip, SessionVideo
from .data import iso_s
from .legacy import PAGE_SIZE, decode_cursor, encode_cursor, task_node
from .plans import SPEECH, TaskDef
from .reels import Reel

if TYPE_CHECKING:  # media.py needs api.py, which needs this module
    from .media import Media

__all__ = [
    "CLASSIC",
    "CLASSIC_TESTS",
    "ClassicSession",
    "classic_session",
    "classic_study",
    "completed_sessions",
    "legacy_clip",
    "legacy_reel",
    "legacy_session",
    "legacy_session_number",
]


@dataclass(frozen=True)
class ClassicSpec:
    """A classic (v1-only) study: enough of a :class:`TestSpec` for the v1 payloads."""

    key: str
    id: str
    title: str
    n_sessions: int
    start_ms: int
    days: int
    ordered_by: tuple[str, str]
    short_test: bool = False
    type: str = "WEB"
    product_type: str = "INSIGHT_CORE"


CLASSIC = ClassicSpec(
    key="classic",
    id=stable_uuid("test", "classic"),
    title="Checkout flow validation (classic web test)",
    n_sessions=64,  # more than one page of 50
    start_ms=ANCHOR_MS - 220 * DAY_MS,
    days=4,
    ordered_by=("Marcus Obi", "marcus.obi@fernwood-market.example"),
)
CLASSIC_TESTS: dict[str, str] = {CLASSIC.key: CLASSIC.id}

_SITE = "https://www.fernwood-market.example"
# A classic web test's plan, as its v1 task nodes show it.
CLASSIC_PLAN = (
    TaskDef("launch", "URL", "Go to Fernwood Market's website.", {"url": f"{_SITE}/"}),
    TaskDef(
        "first_look",
        "BLANK",
        "Spend a minute on the home page. What is this site for? Say it out loud.",
        {"speech": "explore"},
    ),
    TaskDef(
        "checkout",
        "BLANK",
        "Add a bunch of bananas and a loaf of bread to your cart, then go to checkout.",
        {"speech": "fee"},
    ),
    TaskDef(
        "checkout_ease",
        "RATING_SCALE",
        "How easy or difficult was it to get to checkout?",
        {"min": 1, "max": 5, "minLabel": "Very difficult", "maxLabel": "Very easy"},
    ),
    TaskDef(
        "payment",
        "MULTIPLE_CHOICE",
        "Which payment methods would you expect to see?",
        {
            "options": ["Credit card", "PayPal", "Apple Pay", "Google Pay", "Gift card"],
            "multi": True,
        },
    ),
    TaskDef(
        "nps",
        "NPS",
        "How likely are you to recommend this website to a friend or colleague?",
    ),
    TaskDef(
        "final",
        "WRITTEN",
        "What was the most frustrating thing about this site?",
        {"speech": "final"},
    ),
)
_PAYMENT_WEIGHTS = (0.95, 0.55, 0.45, 0.3, 0.12)
_FORM_FACTORS = (("Computer", 0.7), ("Smartphone", 0.22), ("Tablet", 0.08))
_DEMOGRAPHICS: dict[str, tuple[str, ...]] = {
    "children": ("No children", "Children under 6", "Children 6-12", "Children 13-17"),
    "companySize": ("1-10 employees", "11-100 employees", "101-1,000 employees",
                    "1,001-5,000 employees", "5,001+ employees"),
    "country": ("United States", "Canada", "United Kingdom"),
    "employmentStatus": ("Employed full-time (30 or more hours per week)",
                         "Employed part-time (less than 30 hours per week)", "Self-employed",
                         "Student", "Retired"),
    "gender": ("Female", "Male", "Non-binary"),
    "income": ("$20,000 - $39,999", "$40,000 - $59,999", "$60,000 - $79,999",
               "$80,000 - $99,999", "$100,000 - $149,999", "$150,000 or more"),
    "industry": ("Retail", "Healthcare", "Education", "Financial Services", "Technology",
                 "Hospitality"),
    "jobFunction": ("Operations", "Sales", "Finance", "Engineering", "Customer Service",
                    "Marketing"),
    "seniority": ("Entry level", "Intermediate", "Senior", "Manager", "Director"),
    "socialNetworks": ("Facebook", "Instagram", "LinkedIn", "TikTok", "X", "Pinterest"),
    "webExpertise": ("Beginner", "Intermediate", "Advanced", "Expert"),
}  # fmt: skip
_LEGACY_TYPE = {
    "URL": "launch_url",
    "BLANK": "blank",
    "RATING_SCALE": "rating_scale",
    "MULTIPLE_CHOICE": "multiple_choice",
    "NPS": "net_promoter_score",
    "WRITTEN": "written_response",
}
_FRUSTRATIONS = (
    "The delivery fee only showed up on the very last step.",
    "I couldn't tell if bananas were priced per pound or per bunch.",
    "The cart icon didn't update when I added the bread, so I added it twice.",
    "Nothing really, it was pretty smooth.",
    "The cookie banner covered the checkout button on my screen.",
)


@dataclass(frozen=True)
class ClassicSession:
    uuid: str
    number: int  # the internal numeric id
    position: int  # 1-based, oldest first: the cursor's position
    completed_ms: int
    duration_s: int
    form_factor: str
    rng_seed: str


@cache
def _classic_sessions() -> tuple[ClassicSession, ...]:
    rng = random.Random("ut-demo:classic:sessions")
    starts = sorted(
        CLASSIC.start_ms + rng.randrange(CLASSIC.days * DAY_MS) for _ in range(CLASSIC.n_sessions)
    )
    out = []
    for i, start in enumerate(starts, start=1):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        duration = int(rng.lognormvariate(6.6, 0.3))  # about 12 minutes
        factor = rng.choices([f for f, _ in _FORM_FACTORS], [w for _, w in _FORM_FACTORS])[0]
        out.append(
            ClassicSession(
                sid, 1_520_000 + i * 37, i, start + duration * 1000, duration, factor, sid
            )
        )
    return tuple(out)


def classic_session(session_uuid: str) -> ClassicSession | None:
    return next((s for s in _classic_sessions() if s.uuid == session_uuid), None)


def _answers(s: ClassicSession, media: Media) -> tuple[list[dict[str, Any]], int | None]:
    """The session's answer segments, and its NPS score (``None``: not given)."""
    rng = random.Random(f"ut-demo:classic:answers:{s.rng_seed}")
    mood = rng.gauss(0, 1)
    shares = [rng.uniform(0.5, 1.5) * (3 if t.type == "BLANK" else 1) for t in CLASSIC_PLAN]
    scale = s.duration_s * 0.92 / sum(shares)
    video_url, _ = media.video_url(s.uuid)
    t, nps, out = int(s.duration_s * 0.03), None, []
    for task, share in zip(CLASSIC_PLAN, shares, strict=True):
        duration = max(5, int(share * scale))
        responses: list[str] = []
        p = task.params
        if task.type == "RATING_SCALE":
            value = round(min(p["max"], max(p["min"], 3.8 + 0.8 * mood + rng.gauss(0, 0.6))))
            responses = [str(value)]
        elif task.type == "NPS":
            nps = round(min(10, max(0, 8.3 + 1.6 * mood + rng.gauss(0, 1.2))))
            responses = [str(nps)]
        elif task.type == "MULTIPLE_CHOICE":
            weights = zip(p["options"], _PAYMENT_WEIGHTS, strict=True)
            picked = [o for o, w in weights if rng.random() < w]
            responses = picked or [p["options"][0]]
        elif task.type == "WRITTEN":
            responses = [rng.choice(_FRUSTRATIONS)]
        speech = SPEECH.get(p.get("speech", ""), ())
        transcript = " ".join(rng.sample(speech, min(2, len(speech)))) if speech else ""
        if task.type == "WRITTEN":
            transcript = responses[0]
        out.append(
            {
                "duration": duration,
                "responses": responses,
                "time": t,
                "transcript": transcript,
                "type": _LEGACY_TYPE[task.type],
                # Where this answer starts in the session video (a media fragment).
                "url": f"{video_url}#t={t}",
            }
        )
        t += duration + rng.randint(1, 4)
    return out, nps


def _participant(s: ClassicSession) -> dict[str, Any]:
    rng = random.Random(f"ut-demo:classic:participant:{s.rng_seed}")
    pick = {k: rng.choice(v) for k, v in _DEMOGRAPHICS.items()}
    networks = [n for n in _DEMOGRAPHICS["socialNetworks"] if rng.random() < 0.4]
    return {
        "demographics": {
            "age": rng.randint(19, 71),
            "children": [pick["children"]],
            "companySize": pick["companySize"],
            "country": pick["country"],
            "employmentStatus": pick["employmentStatus"],
            "gender": pick["gender"],
            "income": pick["income"],
            "industry": pick["industry"],
            "jobFunction": pick["jobFunction"],
            "seniority": pick["seniority"],
            "socialNetworks": networks or ["Facebook"],
            "webExpertise": pick["webExpertise"],
        },
        "name": f"tester{s.number % 100_000:05d}@example.com",
    }


def completed_sessions(
    media: Media, after: str | None = None, before: str | None = None
) -> dict[str, Any]:
    """A page of up to 50 completed sessions of the CLASSIC study (cursor as in workspaces).

    Raises ``legacy.BadCursor`` for a cursor that does not decode.
    """
    sessions = _classic_sessions()
    if after is not None:
        lo = decode_cursor(after)
    elif before is not None:
        lo = max(0, decode_cursor(before) - 1 - PAGE_SIZE)
    else:
        lo = 0
    hi = lo + PAGE_SIZE
    if before is not None and after is None:
        hi = min(hi, decode_cursor(before) - 1)
    page = []
    for s in sessions[lo:hi]:
        answers, _ = _answers(s, media)
        page.append(
            {
                "answers": answers,
                "completedDateTime": iso_s(s.completed_ms),
                "cursor": encode_cursor(s.position),
                "formFactorUsed": s.form_factor,
                "participant": _participant(s),
                "screenerResponses": [
                    {
                        "question": "How often do you buy groceries online?",
                        "response": [
                            random.Random(s.uuid).choice(
                                ["Every week", "A few times a month", "About once a month"]
                            )
                        ],
                    },
                    {
                        "question": "What country do you live in?",
                        "response": [_participant(s)["demographics"]["country"]],
                    },
                ],
                "sessionId": s.number,
                "sessionUuid": s.uuid,
                "state": "completed",
                "taskOrderingCondition": "default",
            }
        )
    return {"completedSessionCount": len(sessions), "sessions": page}


def classic_study(media: Media) -> dict[str, Any]:
    """The legacy ``Study`` of the CLASSIC study."""
    scores = [nps for s in _classic_sessions() if (nps := _answers(s, media)[1]) is not None]
    n = len(scores)
    promoters = round(100 * sum(x >= 9 for x in scores) / n)
    detractors = round(100 * sum(x <= 6 for x in scores) / n)
    return {
        "netPromoterScores": [
            {
                "detractorPercentage": detractors,
                "passivePercentage": 100 - promoters - detractors,
                "promoterPercentage": promoters,
                "score": promoters - detractors,
            }
        ],
        "orderedBy": {"email": CLASSIC.ordered_by[1], "name": CLASSIC.ordered_by[0]},
        "sessionCount": len(_classic_sessions()),
        "tasks": [task_node(CLASSIC.id, i, t) for i, t in enumerate(CLASSIC_PLAN, start=1)],
        "testPlan": {"shortTest": CLASSIC.short_test},
        "title": CLASSIC.title,
    }


# -- v1 session, clip, highlight reel ----------------------------------------------------


def legacy_session_number(session_uuid: str) -> int:
    """A stable internal numeric id for a Results API session."""
    return 2_000_000 + int(session_uuid.replace("-", "")[:8], 16) % 7_000_000


def poster_url(media: Media, key: str) -> str:
    return f"{media.base_url}/media/posters/{key}.jpg"


def legacy_session(video: SessionVideo, sequence: int, media: Media) -> dict[str, Any]:
    """The v1 ``Session`` of a Results API session with video."""
    s = video.session
    return {
        "duration": round(video.duration_ms / 1000, 1),
        "notes": video.clips[0].description if video.clips else "",
        "securePoster": poster_url(media, s.id),
        "sequenceNumber": sequence,
        "sessionId": str(legacy_session_number(s.id)),
        "stateUpdatedAt": iso_s(s.finish_ms if s.finish_ms is not None else s.start_ms),
        "title": f"Participant {sequence} Session",
        "uid": s.id,
    }


def classic_legacy_session(s: ClassicSession, media: Media) -> dict[str, Any]:
    """The v1 ``Session`` of a CLASSIC session."""
    return {
        "duration": float(s.duration_s),
        "notes": "",
        "securePoster": poster_url(media, s.uuid),
        "sequenceNumber": s.position,
        "sessionId": str(s.number),
        "stateUpdatedAt": iso_s(s.completed_ms),
        "title": f"Participant {s.position} Session",
        "uid": s.uuid,
    }


def legacy_clip(spec: TestSpec, clip: Clip, media: Media) -> dict[str, Any]:
    """The v1 ``Clip``: the player link is a signed URL of the simulator's video."""
    url, _ = media.clip_url(clip.uuid)
    return {
        "createdAt": iso_s(clip.created_ms),
        "duration": max(1, round((clip.end_ms - clip.start_ms) / 1000)),
        "embeddableUrl": url,
        "isImportant": clip.important,
        "note": clip.description,
        "noteTags": list(clip.tags),
        "securePoster": poster_url(media, clip.uuid),
        "sentimentTag": "positive" if clip.positive else "negative",
        "study": {"title": spec.title},
        "typeName": "Clip",
    }


def legacy_reel(reel: Reel, media: Media) -> dict[str, Any]:
    """The v1 ``Highlightreel``."""
    share, _ = media.reel_url(reel.uuid)
    nodes = []
    for clip in reel.clips:
        url, _ = media.clip_url(clip.uuid)
        nodes.append(
            {
                "duration": round((clip.end_ms - clip.start_ms) / 1000, 1),
                "id": f"clip_{clip.uuid[:8]}",
                "securePosterFullUrl": poster_url(media, clip.uuid),
                "url": url,
            }
        )
    return {
        "clips": {"nodes": nodes, "totalCount": len(nodes)},
        "createdAt": iso_s(reel.created_ms),
        "duration": round(reel.duration_ms / 1000, 1),
        "editUrlPath": f"/highlightreels/{reel.legacy_id}/edit",
        "id": reel.legacy_id,
        "shareUrl": share,
        "title": reel.name,
        "token": reel.token,
        "updatedAt": iso_s(reel.updated_ms),
    }
