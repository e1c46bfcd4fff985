"""WebVTT transcripts of think-out-loud sessions.

As documented, cues are bare by default: a timing line and the text, no cue numbers, no
voice tags. ``voice_tags=True`` numbers the cues and marks who speaks (``<v Moderator>``).
"""

from __future__ import annotations

import html
import random

from .details import Play
from .plans import MODERATOR, SPEECH

__all__ = ["webvtt"]


def _stamp(ms: int) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def webvtt(p: Play, *, voice_tags: bool = False) -> str:
    """The transcript: cues within each reached, unskipped task, in time order."""
    rng = random.Random(f"ut-demo:transcript:{p.session.id}")
    cues: list[tuple[int, int, str, str]] = []
    for tp in sorted((t for t in p.tasks if t.reached), key=lambda t: t.start_ms):
        if tp.skipped:
            continue
        start, end = tp.start_ms, tp.end_ms
        if tp.task.type == "WRITTEN" and tp.payload:
            lines = [line for line in tp.payload["text"].splitlines() if line.strip()]
        else:
            pool = SPEECH.get(tp.task.params.get("speech", ""), SPEECH["final"])
            count = max(1, min(len(pool), (end - start) // 15_000))
            lines = rng.sample(pool, count)
        speakers = []
        for line in lines:
            speakers.append(("Participant", line))
            if p.moderated and rng.random() < 0.3:
                speakers.append(("Moderator", rng.choice(MODERATOR)))
        slot = (end - start) / len(speakers)
        for k, (who, text) in enumerate(speakers):
            cue_start = int(start + k * slot + rng.uniform(0.05, 0.2) * slot)
            cue_end = int(min(start + (k + 1) * slot, cue_start + 1500 + 90 * len(text)))
            cues.append((cue_start, max(cue_end, cue_start + 500), who, text))
    out = ["WEBVTT", ""]
    for n, (start, end, who, text) in enumerate(cues, 1):
        timing = f"{_stamp(start)} --> {_stamp(end)}"
        if voice_tags:
            out += [str(n), timing, f"<v {who}>{html.escape(text, quote=False)}", ""]
        else:
            out += [timing, html.escape(text, quote=False), ""]
    return "\n".join(out) + ("" if cues else "\n")
