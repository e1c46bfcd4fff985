"""Session videos and the clips researchers cut from them.

A session of a test with video (interaction and think-out-loud) has one
:class:`SessionVideo`: its ``videoUuid``, whether it recorded audio and a camera, the
screen and camera regions, and a few clips. Clips are drawn from the session's replay
(:func:`details.play`): each lies inside one task the participant reached, so its times
agree with the v3 task times, and its name and note follow what happened in that task
(a failed navigation, a low rating, a written answer quoted). Everything is a pure
function of the session, cached per process.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .catalog import TestSpec
from .data import Session
from .details import Play, TaskPlay, play

__all__ = ["Clip", "SessionVideo", "clip_json", "clips_json", "session_video"]

# (name, note) pairs per task key, for a task that went well and one that did not.
# The note reads like the researcher's own; "{minutes}" is the time spent on the task.
_WORDS: dict[str, dict[bool, tuple[tuple[str, str], ...]]] = {
    "find_bread": {
        True: (
            ("Found GF bread via search", "Typed 'gluten free bread' and sorted by price."),
            ("Used the dietary filter", "Went straight to the Dietary filter – nice."),
        ),
        False: (
            ("Couldn't find GF bread under $5", "Scrolled past the price filter twice, gave up."),
            ("Search missed 'gluten-free'", "Hyphenated search returned nothing; tried 'GF'."),
        ),
    },
    "weekly_deals": {
        True: (("Deals added quickly", "Added both deal items from the banner carousel."),),
        False: (
            ("Deals page confusion", "Thought the 'Clip coupon' button added the item."),
            ("Missed the deals tab", "Looked for deals in the menu for {minutes} min."),
        ),
    },
    "delivery_slot": {
        True: (("Saturday slot picked", "Found the slot picker under the cart total."),),
        False: (
            ("Slot picker hidden", "Expected delivery times before checkout, not in the cart."),
            ("Thought slots were sold out", "Greyed-out 'express' slots read as unavailable."),
        ),
    },
    "guest_checkout": {
        True: (("Guest checkout OK", "Found 'Continue as guest' below the sign-in form."),),
        False: (
            ("Forced account creation?", "Did not see the guest option; started signing up."),
            ("Card form error", "Expiry field rejected '12/27' with a space – frustrated."),
        ),
    },
    "expectations": {
        True: (
            ("Expectations: meal planning", "Wants recipes that fill the cart in one tap."),
            ("Expectations: price first", "Compares prices across stores before buying."),
        ),
    },
    "explore_home": {
        True: (
            ("First look at the home screen", "Likes the big search bar; ignored the banner."),
            ("Home screen: too busy?", "Said there is 'a lot going on' above the fold."),
        ),
    },
    "taco_list": {
        True: (("Taco list built fast", "Used 'Add all ingredients' from the recipe card."),),
        False: (
            ("Lost in the list builder", "Could not find how to rename the list."),
            ("Quantity stepper issue", "Tapped '+' repeatedly – expected a number field."),
        ),
    },
    "delivery_fee": {
        True: (
            ("Delivery fee: found it", "Found the fee in the footer FAQ, not in the app."),
            ("Zip code prompt", "Asked for a zip code before seeing any prices – ok with it."),
        ),
    },
    "final_thoughts": {
        True: (("Wrap-up", "Summed up: would try it for the weekly shop."),),
    },
}
_RATING = (
    ("Low rating: {short}", "Rated {value}/{max}: '{text}'"),
    ("High rating: {short}", "Rated {value}/{max}: '{text}'"),
)
_QUOTE_NAMES = {"liked_most": "What they liked", "confusing": "What confused them"}
_TAGS = {
    "find_bread": ("search", "filters"),
    "weekly_deals": ("deals",),
    "delivery_slot": ("delivery", "checkout"),
    "guest_checkout": ("checkout", "forms"),
    "taco_list": ("prototype", "lists"),
    "delivery_fee": ("pricing", "delivery"),
    "explore_home": ("first impressions",),
    "expectations": ("expectations",),
    "liked_most": ("quote",),
    "confusing": ("quote", "confusion"),
    "final_thoughts": ("summary",),
}
# Screen sizes of the recorded device: desktop for interaction tests, a phone otherwise.
_DESKTOP = ((1920, 1080), (1440, 900), (1536, 864), (2560, 1440))
_PHONE = ((1170, 2532), (1080, 2400), (1284, 2778))
_CAMERA_RATE = 0.35  # think-out-loud participants who also turned their webcam on
_PIP = ("TOP_LEFT", "TOP_RIGHT", "BOTTOM_LEFT", "BOTTOM_RIGHT")


@dataclass(frozen=True)
class Clip:
    uuid: str
    session_id: str
    task: TaskPlay
    name: str
    description: str
    start_ms: int
    end_ms: int
    positive: bool  # the researcher's sentiment tag
    important: bool
    tags: tuple[str, ...]
    created_ms: int  # epoch ms: when the researcher cut it, after the session


@dataclass(frozen=True)
class SessionVideo:
    spec: TestSpec
    session: Session
    video_uuid: str
    duration_ms: int
    has_audio: bool
    has_camera: bool
    screen: tuple[int, int]
    camera: tuple[int, int, int, int] | None  # x, y, width, height in the recording
    pip_position: str
    clips: tuple[Clip, ...]


def _task_key(tp: TaskPlay) -> str:
    # Interaction tasks are "qx1_find_bread": the words are keyed without the group.
    return tp.task.key.split("_", 1)[1] if tp.task.group else tp.task.key


def _went_well(tp: TaskPlay) -> bool:
    payload = tp.payload or {}
    if tp.task.type == "RATING_SCALE":
        return payload["value"] > (payload["scaleMin"] + payload["scaleMax"]) / 2
    success = payload.get("success")
    return success is not False


def _interest(tp: TaskPlay) -> float:
    """How likely a researcher is to clip this task: failures and quotes first."""
    if tp.task.type == "RATING_SCALE":
        return 0.3 if _went_well(tp) else 0.9
    if tp.task.type == "WRITTEN":
        return 2.0
    return 1.0 if _went_well(tp) else 3.0


def _words(tp: TaskPlay, rng: random.Random) -> tuple[str, str]:
    key = _task_key(tp)
    good = _went_well(tp)
    minutes = max(1, round((tp.end_ms - tp.start_ms) / 60_000))
    if tp.task.type == "RATING_SCALE":
        p = tp.payload or {}
        short = tp.task.text.rstrip(".")
        name, note = _RATING[good]
        return (
            name.format(short=short if len(short) <= 40 else short[:39] + "…"),
            note.format(value=p["value"], max=p["scaleMax"], text=tp.task.text),
        )
    if tp.task.type == "WRITTEN":
        text = (tp.payload or {}).get("text", "").strip().splitlines()[0]
        quote = text if len(text) <= 140 else text[:139] + "…"
        return _QUOTE_NAMES.get(key, "Participant quote"), f"“{quote}”"
    options = _WORDS.get(key, {}).get(good) or _WORDS.get(key, {}).get(True)
    if not options:
        return tp.task.text[:60], "Worth a look."
    name, note = rng.choice(options)
    return name, note.format(minutes=minutes)


def _clip_times(tp: TaskPlay, rng: random.Random) -> tuple[int, int]:
    length = tp.end_ms - tp.start_ms
    want = int(rng.uniform(8_000, 45_000))
    if want >= length:
        return tp.start_ms, tp.end_ms
    start = tp.start_ms + rng.randrange(length - want)
    return start, start + want


def _pick_tasks(p: Play, rng: random.Random) -> list[TaskPlay]:
    candidates = [
        tp
        for tp in p.tasks
        if tp.reached and tp.payload is not None and tp.end_ms - tp.start_ms >= 3000
    ]
    if not candidates:
        return []
    # Complete sessions get 2-5 clips; unfinished ones fewer (researchers skim them).
    most = rng.randint(2, 5) if p.session.status == "COMPLETE" else rng.randint(0, 2)
    picked: list[TaskPlay] = []
    pool = list(candidates)
    while pool and len(picked) < most:
        tp = rng.choices(pool, weights=[_interest(t) for t in pool])[0]
        pool.remove(tp)
        picked.append(tp)
    return sorted(picked, key=lambda t: t.start_ms)


@lru_cache(maxsize=4096)
def session_video(spec: TestSpec, session: Session) -> SessionVideo | None:
    """The session's video and its clips; ``None`` for a test without video (surveys)."""
    if not spec.has_video:
        return None
    p = play(spec, session)
    rng = random.Random(f"ut-demo:clips:{session.id}")
    base = uuid.UUID(session.id)
    ends = [tp.end_ms for tp in p.tasks if tp.end_ms is not None]
    if session.finish_ms is not None:
        duration = session.finish_ms - session.start_ms
    else:  # an unfinished recording stops a little after the last task it reached
        duration = (max(ends) if ends else 0) + 4_000
    phone = spec.product_type == "THINK_OUT_LOUD"
    screen = rng.choice(_PHONE if phone else _DESKTOP)
    has_camera = phone and rng.random() < _CAMERA_RATE
    camera = None
    if has_camera:
        w = screen[0] // 4
        camera = (screen[0] - w - 24, screen[1] - w * 3 // 4 - 24, w, w * 3 // 4)
    session_end_ms = session.start_ms + duration
    clips = []
    for n, tp in enumerate(_pick_tasks(p, rng)):
        start, end = _clip_times(tp, rng)
        name, note = _words(tp, rng)
        clips.append(
            Clip(
                uuid=str(uuid.uuid5(base, f"clip:{n}")),
                session_id=session.id,
                task=tp,
                name=name,
                description=note,
                start_ms=start,
                end_ms=end,
                positive=_went_well(tp),
                important=rng.random() < 0.25,
                tags=_TAGS.get(_task_key(tp), ("ratings",) if tp.task.group else ()),
                created_ms=session_end_ms + rng.randrange(2 * 3_600_000, 3 * 86_400_000),
            )
        )
    return SessionVideo(
        spec=spec,
        session=session,
        video_uuid=str(uuid.uuid5(base, "video")),
        duration_ms=duration,
        has_audio=spec.product_type == "THINK_OUT_LOUD",
        has_camera=has_camera,
        screen=screen,
        camera=camera,
        pip_position=rng.choice(_PIP) if has_camera else "BOTTOM_RIGHT",
        clips=tuple(clips),
    )


def clip_json(video: SessionVideo, clip: Clip) -> dict[str, Any]:
    """A ``ClipDto``."""
    return {
        "uuid": clip.uuid,
        "name": clip.name,
        "description": clip.description,
        "timeStartMs": clip.start_ms,
        "timeEndMs": clip.end_ms,
        "videoUuid": video.video_uuid,
        "hasAudio": video.has_audio,
        "hasCamera": video.has_camera,
        "layout": {
            "mainStream": "SCREEN",
            "pipPosition": video.pip_position,
            # Without a camera there is nothing to show in the picture-in-picture.
            "pipState": "OPENED" if video.has_camera else "CLOSED",
        },
    }


def clips_json(video: SessionVideo) -> dict[str, Any]:
    """A ``ClipsResponseDto``: the session's clips and its video regions."""
    width, height = video.screen
    regions: dict[str, Any] = {
        "screen": {"topLeftPoint": {"x": 0, "y": 0}, "widthPx": width, "heightPx": height}
    }
    if video.camera is not None:
        x, y, w, h = video.camera
        regions["camera"] = {"topLeftPoint": {"x": x, "y": y}, "widthPx": w, "heightPx": h}
    return {
        "studyUuid": video.spec.id,
        "clips": [clip_json(video, c) for c in video.clips],
        "videoRegions": regions,
    }
