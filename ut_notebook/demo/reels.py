"""Highlight reels: two per test with clips, built from the clips of its sessions.

Every test with video whose sessions have clips gets two reels: a short curated one (the
researcher's pick of what went wrong, from the newest sessions) and one with every clip
of the test as generated. Reels are cut from the generated sessions only, so sessions
that arrive later are not in them: ``areAllClipsInReel`` then turns false, as it would
when new clips appear after a reel was made.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .catalog import CATALOG, TestSpec
from .clips import Clip, session_video
from .data import Session, base_sessions

__all__ = ["Reel", "reel_by_token", "reels_json", "reels_of"]

_CURATED_SIZE = 8
_NAMES = {
    "NON_THINK_OUT_LOUD": ("Where people got stuck – readout", "All clips – benchmark sessions"),
    "THINK_OUT_LOUD": ("Top moments for the app team", "All clips – first impressions"),
}


@dataclass(frozen=True)
class Reel:
    uuid: str
    spec: TestSpec
    index: int  # 0: curated, 1: every clip
    name: str
    clips: tuple[Clip, ...]
    created_ms: int
    updated_ms: int

    @property
    def duration_ms(self) -> int:
        return sum(c.end_ms - c.start_ms for c in self.clips)

    @property
    def token(self) -> str:
        """The legacy v1 share token: 20 hex characters, not a UUID."""
        return hashlib.sha256(f"reel-token:{self.uuid}".encode()).hexdigest()[:20]

    @property
    def legacy_id(self) -> str:
        """The legacy v1 internal id (a number, as a string)."""
        return str(500_000 + int(self.uuid[:6], 16) % 400_000)


def reel_uuid(test_id: str, index: int) -> str:
    return str(uuid.uuid5(uuid.UUID(test_id), f"highlight-reel:{index}"))


def _clips_of(spec: TestSpec, sessions: Sequence[Session]) -> list[Clip]:
    out: list[Clip] = []
    for s in sessions:
        video = session_video(spec, s)
        if video is not None:
            out.extend(video.clips)
    return out


@lru_cache(maxsize=256)
def reels_of(test_id: str) -> tuple[Reel, ...]:
    """The reels of a test (empty: no video, or no clips)."""
    spec = CATALOG[test_id]
    if not spec.has_video:
        return ()
    every = _clips_of(spec, base_sessions(test_id))
    if not every:
        return ()
    names = _NAMES[spec.product_type]
    # Curated: what went wrong, newest sessions first, then in clip order.
    curated = [c for c in reversed(every) if not c.positive][:_CURATED_SIZE]
    if not curated:
        curated = list(reversed(every))[:_CURATED_SIZE]
    curated.sort(key=lambda c: (c.created_ms, c.uuid))
    reels = []
    for index, clips in enumerate((curated, every)):
        made = max(c.created_ms for c in clips) + 40 * 60_000
        reels.append(
            Reel(
                uuid=reel_uuid(test_id, index),
                spec=spec,
                index=index,
                name=names[index],
                clips=tuple(clips),
                created_ms=made,
                # The curated reel was re-ordered the next morning; the other never edited.
                updated_ms=made + (15 * 3_600_000 if index == 0 else 0),
            )
        )
    return tuple(reels)


def reels_json(spec: TestSpec, sessions: Sequence[Session]) -> dict[str, Any]:
    """A ``HighlightReelsResponseDto``, given the test's current sessions."""
    reels = reels_of(spec.id)
    total = len(_clips_of(spec, sessions)) if reels else 0
    return {
        "reels": [
            {
                "uuid": r.uuid,
                "name": r.name,
                "durationMs": r.duration_ms,
                "lastUpdatedAtMs": r.updated_ms,
                "numClips": len(r.clips),
                "areAllClipsInReel": len(r.clips) == total,
            }
            for r in reels
        ],
        "studyWithClips": bool(reels),
    }


@lru_cache(maxsize=1)
def _tokens() -> dict[str, tuple[str, int]]:
    # Reel uuids need no session data, so this index is cheap; the reel itself is
    # built only when one is asked for.
    return {
        hashlib.sha256(f"reel-token:{reel_uuid(t, i)}".encode()).hexdigest()[:20]: (t, i)
        for t, spec in CATALOG.items()
        if spec.has_video
        for i in (0, 1)
    }


def reel_by_token(token: str) -> Reel | None:
    found = _tokens().get(token)
    if found is None:
        return None
    reels = reels_of(found[0])
    return reels[found[1]] if len(reels) > found[1] else None
