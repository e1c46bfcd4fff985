"""Session details (v3): participant, demographics, task groups, task responses.

:func:`play` replays one session deterministically from its id: the participant's
mood, how far they got, when each task started and ended, and every answer. The v3
payload, the transcript and the aggregates (QXscores, NPS) are all views of it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

from .answers import answer_object, task_answer, task_rng
from .catalog import TestSpec, stable_uuid
from .data import Session, session_duration_ms
from .plans import CARD_SORT, HELP_CENTRE_TASKS, PLANS, QX_GROUPS, TaskDef, task_uuid
from .shapes import session_shape, shaped

__all__ = ["Play", "TaskPlay", "group_uuid", "nps_summary", "play", "qx_scores", "v3_details"]


@dataclass(frozen=True)
class TaskPlay:
    task: TaskDef
    uuid: str
    start_ms: int | None  # None: the participant never reached the task
    end_ms: int | None
    skipped: bool
    payload: dict[str, Any] | None

    @property
    def reached(self) -> bool:
        return self.start_ms is not None


@dataclass(frozen=True)
class Play:
    spec: TestSpec
    session: Session
    mood: float
    moderated: bool
    sequence: str  # balanced comparison order of the QX groups: "AB" or "BA"
    participant_id: str
    demographics: list[dict[str, Any]]
    tasks: list[TaskPlay]  # in plan order (not the order taken)


# (code, label, type, options, weights); MULTIPLE types use per-option probabilities.
_DEMOGRAPHICS = (
    ("GENDER", "What is your gender?", "S",
     ("Female", "Male", "Non-binary", "Prefer not to say"), (0.49, 0.47, 0.03, 0.01)),
    ("AGE_GROUP", "What is your age?", "S",
     ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"), (12, 27, 24, 17, 12, 8)),
    ("COUNTRY", "Which country do you live in?", "S",
     ("United States", "Canada", "United Kingdom", "Australia"), (78, 10, 8, 4)),
    ("INCOME", "What is your annual household income?", "S",
     ("Less than $25,000", "$25,000 - $49,999", "$50,000 - $74,999", "$75,000 - $99,999",
      "$100,000 - $149,999", "$150,000 or more", "Prefer not to say"),
     (10, 18, 21, 17, 16, 11, 7)),
    ("EMPLOYMENT_STATUS", "What is your employment status?", "S",
     ("Employed full-time", "Employed part-time", "Self-employed", "Student", "Retired",
      "Not currently employed"), (52, 14, 10, 8, 10, 6)),
    ("WEB_EXPERTISE", "How would you rate your web expertise?", "S",
     ("Beginner", "Average", "Advanced", "Expert"), (8, 47, 35, 10)),
    ("INTERESTS", "Which of these topics interest you?", "M",
     ("Cooking", "Fitness", "Travel", "Technology", "Gardening", "Personal finance",
      "Parenting", "Gaming"), (0.55, 0.35, 0.4, 0.3, 0.2, 0.25, 0.2, 0.15)),
    ("SOCIAL_NETWORKS", "Which social networks do you use at least once a week?", "M",
     ("Facebook", "Instagram", "TikTok", "LinkedIn", "X", "Pinterest", "Reddit"),
     (0.6, 0.5, 0.3, 0.25, 0.15, 0.2, 0.18)),
)  # fmt: skip
# Share of answers left empty (value null), per code.
_UNANSWERED = {"INCOME": 0.03, "EMPLOYMENT_STATUS": 0.02}
_TYPES = {"S": "DEMOGRAPHIC_QUESTION_TYPE_SINGLE", "M": "DEMOGRAPHIC_QUESTION_TYPE_MULTIPLE"}


def group_uuid(test_id: str, key: str) -> str:
    return str(uuid.uuid5(uuid.UUID(test_id), f"group:{key}"))


def _demographics(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for code, label, kind, options, weights in _DEMOGRAPHICS:
        if kind == "S":
            value = rng.choices(options, weights=weights)[0]
        else:
            picked = [o for o, w in zip(options, weights, strict=True) if rng.random() < w]
            value = ", ".join(picked) if picked else "None of these"
        if rng.random() < _UNANSWERED.get(code, 0.0):
            value = None
        out.append(
            {
                "id": stable_uuid("demographic", code),
                "code": code,
                "label": label,
                "value": value,
                "type": _TYPES[kind],
            }
        )
    return out


def _mood(session_id: str) -> float:
    return random.Random(f"ut-demo:session:{session_id}").gauss(0, 1)


def play(
    spec: TestSpec,
    session: Session,
    unknown_task_types: bool = False,
    help_centre_task_types: bool = False,
) -> Play:
    """Replay a session: same id, same answers and timings, every time.

    ``help_centre_task_types`` appends a VERBAL and a SKIPPED task (types the help
    centre lists but the OpenAPI enum lacks); ``unknown_task_types`` then a CARD_SORT.
    """
    rng = random.Random(f"ut-demo:session:{session.id}")
    mood = rng.gauss(0, 1)  # first draw: _mood() relies on it
    virtual = session_duration_ms(spec.plan, rng)
    total = session.finish_ms - session.start_ms if session.finish_ms else virtual
    plan = PLANS[spec.plan]
    n = len(plan)
    reached = n if session.status == "COMPLETE" else rng.randrange(0, n)
    sequence = "AB" if rng.random() < 0.5 else "BA"
    moderated = rng.random() < 0.3
    participant_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    demographics = _demographics(rng)

    # Order taken: the plan's, except that "BA" sessions do the second QX group first.
    order = list(range(n))
    if spec.plan == "interaction" and sequence == "BA":
        order.sort(key=lambda i: 0 if plan[i].group == "qx2" else 1)
    intro = rng.uniform(0.03, 0.06)
    gaps = [rng.uniform(0.002, 0.006) for _ in range(n)]
    noise = [rng.lognormvariate(0, 0.35) for _ in range(n)]
    answers = [task_answer_for(spec, session.id, t, mood) for t in plan]
    shares = [plan[i].weight * noise[i] * (0.15 if answers[i][0] else 1.0) for i in range(n)]
    scale = (0.86 - sum(gaps)) / sum(shares)

    timing: dict[int, tuple[int, int]] = {}
    t = intro * total
    for step, i in enumerate(order):
        duration = shares[i] * scale * total
        if step < reached:
            timing[i] = (int(t), int(t + duration))
        t += duration + gaps[i] * total

    tasks = []
    for i, task in enumerate(plan):
        tid = task_uuid(spec.id, task.key)
        start, end = timing.get(i, (None, None))
        skipped, payload = answers[i]
        if task.type == "IMAGE" and payload is not None and start is not None:
            payload = {**payload, "viewTimeMs": end - start}
        if start is None:
            skipped, payload = False, None
        tasks.append(TaskPlay(task, tid, start, end, skipped, payload))

    if help_centre_task_types:
        for extra in HELP_CENTRE_TASKS:
            tid = task_uuid(spec.id, extra.key)
            last_end = max((tp.end_ms for tp in tasks if tp.end_ms is not None), default=None)
            if last_end is None or session.status != "COMPLETE":
                tasks.append(TaskPlay(extra, tid, None, None, False, None))
                continue
            start = min(last_end + 1500, max(last_end, total - 2000))
            skipped = extra.skip >= 1.0
            end = start if skipped else max(start + 1000, min(start + 30_000, total - 1000))
            tasks.append(TaskPlay(extra, tid, start, end, skipped, None))

    if unknown_task_types:
        tid = task_uuid(spec.id, CARD_SORT.key)
        last_end = max((tp.end_ms for tp in tasks if tp.end_ms is not None), default=None)
        if last_end is None or session.status != "COMPLETE":
            tasks.append(TaskPlay(CARD_SORT, tid, None, None, False, None))
        else:
            start = last_end + 1500
            end = max(start + 1000, min(start + 45_000, total - 1000))
            skipped, payload = task_answer(CARD_SORT, task_rng(session.id, tid), mood)
            tasks.append(TaskPlay(CARD_SORT, tid, start, end, skipped, payload))

    return Play(spec, session, mood, moderated, sequence, participant_id, demographics, tasks)


def task_answer_for(
    spec: TestSpec, session_id: str, task: TaskDef, mood: float
) -> tuple[bool, dict[str, Any] | None]:
    mood += spec.mood_shift  # the test's drift over time (filler tests; catalog.py)
    return task_answer(task, task_rng(session_id, task_uuid(spec.id, task.key)), mood)


def _session_qx(tasks: list[TaskPlay], group: str) -> dict[str, Any] | None:
    members = [tp for tp in tasks if tp.task.group == group]
    if not members or not all(tp.reached for tp in members):
        return None
    behavioral, attitudinal = _components(members)
    parts = [x for x in (behavioral, attitudinal) if x is not None]
    return {"score": round(sum(parts) / len(parts))} if parts else None


def _components(members: list[TaskPlay]) -> tuple[float | None, float | None]:
    nav = [100.0 * tp.payload["success"] for tp in members if _nav(tp)]
    att = [_norm(tp.payload) for tp in members if _att(tp)]
    return (sum(nav) / len(nav) if nav else None, sum(att) / len(att) if att else None)


def _nav(tp: TaskPlay) -> bool:
    return tp.task.type == "URL" and tp.payload is not None


def _att(tp: TaskPlay) -> bool:
    return tp.task.type == "RATING_SCALE" and tp.payload is not None


def _norm(rating: dict[str, Any]) -> float:
    return (
        100.0 * (rating["value"] - rating["scaleMin"]) / (rating["scaleMax"] - rating["scaleMin"])
    )


def _varied_demographics(items: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """Nulls and UNRECOGNIZED where DemographicInfoDto allows them (single-choice
    questions only: a multi-select type must stay known to be split)."""
    out = []
    for item in items:
        item = dict(item)
        if rng.random() < 0.05:
            item["id"] = None
        if rng.random() < 0.03:
            item["label"] = None
        if item["type"] != _TYPES["M"]:
            draw = rng.random()
            if draw < 0.02:
                item["type"] = None
            elif draw < 0.04:
                item["type"] = "UNRECOGNIZED"
        out.append(item)
    return out


def v3_details(
    p: Play, *, answer_shapes: str = "guessed", seed: int = 0, spec_variety: bool = False
) -> dict[str, Any]:
    """The ``SessionResultsV3ResponseDto`` of a played session.

    ``answer_shapes`` picks the shape of the answer objects (see :mod:`.shapes`);
    ``spec_variety`` uses the latitude the spec gives: nullable fields sometimes null,
    ``UNRECOGNIZED`` demographic types, task times with a fraction of a millisecond.
    """
    spec = p.spec
    shape = session_shape(answer_shapes, seed, p.session.id)
    variety = random.Random(f"ut-demo:variety:{p.session.id}") if spec_variety else None
    fraction = variety.choice((0.0, 0.25, 0.5)) if variety else 0.0
    groups: list[dict[str, Any]] = []
    if spec.plan == "interaction":
        for key in QX_GROUPS:
            groups.append(
                {
                    "uuid": group_uuid(spec.id, key),
                    "type": "QX_SCORE",
                    "response": _session_qx(p.tasks, key),
                }
            )
        started = any(tp.reached for tp in p.tasks)
        groups.append(
            {
                "uuid": group_uuid(spec.id, "balanced"),
                "type": "BALANCED_COMPARISON",
                "response": {"sequence": p.sequence} if started else None,
            }
        )
    tasks = []
    for tp in p.tasks:
        response = None
        if tp.reached:
            answer = None
            if tp.payload is not None:
                answer = answer_object(tp.task.type, shaped(tp.task.type, tp.payload, shape))
            response = {
                # The spec says "number": floats are allowed, so some sessions send them.
                "startTimeMs": tp.start_ms + fraction if fraction else tp.start_ms,
                "endTimeMs": tp.end_ms + fraction if fraction else tp.end_ms,
                "skipped": tp.skipped,
                "answer": answer,
            }
        tasks.append(
            {"uuid": tp.uuid, "text": tp.task.text, "type": tp.task.type, "response": response}
        )
    doc = {
        "sessionId": p.session.id,
        "audienceId": p.session.audience_id,
        "testPlanId": stable_uuid("test-plan", spec.id),
        "sessionParticipant": {
            "participantId": p.participant_id,
            "demographicsInfo": p.demographics,
        },
        "taskGroups": groups,
        "tasks": tasks,
    }
    if variety is not None:
        for key, share in (("sessionId", 0.02), ("audienceId", 0.03), ("testPlanId", 0.02)):
            if variety.random() < share:
                doc[key] = None
        participant = doc["sessionParticipant"]
        if variety.random() < 0.02:
            participant["participantId"] = None
        participant["demographicsInfo"] = _varied_demographics(p.demographics, variety)
    return doc


def qx_scores(spec: TestSpec, sessions: list[Session]) -> dict[str, Any]:
    """The ``QxScoreResponseApi`` of an interaction test, over its COMPLETE sessions."""
    completes = [s for s in sessions if s.status == "COMPLETE"]
    plays = [play(spec, s) for s in completes]
    items = []
    for key, label in QX_GROUPS.items():
        plan = [t for t in PLANS[spec.plan] if t.group == key]
        nav_tasks = [t for t in plan if t.type == "URL"]
        values: dict[str, Any] = {}
        rates = []
        for t in nav_tasks:
            xs = [
                100.0 * tp.payload["success"]
                for p in plays
                for tp in p.tasks
                if tp.task is t and tp.payload is not None
            ]
            rates.append(round(sum(xs) / len(xs), 1) if xs else None)
        behavioral_values = rates if rates and None not in rates else None
        for t in plan:
            if t.type != "RATING_SCALE":
                continue
            xs = [_norm(tp.payload) for p in plays for tp in p.tasks if tp.task is t and tp.payload]
            values[t.params["qx"]] = round(sum(xs) / len(xs), 1) if xs else 0
        behavioral = (
            round(sum(behavioral_values) / len(behavioral_values), 1) if behavioral_values else None
        )
        attitudinal = round(
            sum(values[k] for k in ("usability", "trust", "appearance", "loyalty")) / 4, 1
        )
        score = round((behavioral + attitudinal) / 2) if behavioral is not None else None
        items.append(
            {
                "taskGroupId": group_uuid(spec.id, key),
                "label": label,
                "qxScore": score,
                "components": {"behavioral": behavioral, "attitudinal": attitudinal},
                "values": {
                    "behavioral": behavioral_values,
                    "usability": values["usability"],
                    "trust": values["trust"],
                    "appearance": values["appearance"],
                    "loyalty": values["loyalty"],
                },
            }
        )
    return {
        "testId": spec.id,
        "qxScores": items,
        "meta": {"totalQxTasks": len(QX_GROUPS), "completes": len(completes)},
    }


def nps_summary(spec: TestSpec, sessions: list[Session]) -> list[dict[str, int]]:
    """Legacy ``netPromoterScores``: one entry per NPS task, over COMPLETE sessions."""
    out = []
    for task in PLANS[spec.plan]:
        if task.type != "NPS":
            continue
        scores = []
        for s in sessions:
            if s.status != "COMPLETE":
                continue
            skipped, payload = task_answer_for(spec, s.id, task, _mood(s.id))
            if not skipped:
                scores.append(payload["score"])
        if not scores:
            continue
        n = len(scores)
        promoters = round(100 * sum(x >= 9 for x in scores) / n)
        detractors = round(100 * sum(x <= 6 for x in scores) / n)
        out.append(
            {
                "detractorPercentage": detractors,
                "passivePercentage": 100 - promoters - detractors,
                "promoterPercentage": promoters,
                "score": promoters - detractors,
            }
        )
    return out
