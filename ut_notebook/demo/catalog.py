"""The fixed catalogue of demo tests and workspaces: ids, titles, sizes, fielding windows.

Every id here is a UUIDv5 of a fixed namespace, so it never changes between runs,
machines or versions.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

__all__ = [
    "ANCHOR_MS",
    "CATALOG",
    "DAY_MS",
    "NAMESPACE",
    "TESTS",
    "WORKSPACES",
    "TestSpec",
    "Workspace",
    "stable_uuid",
]

NAMESPACE = uuid.UUID("6f1d3c52-6b0e-4a8e-9d3a-2f4d8c1e7b90")

# Every generated time lies before this instant: 2026-11-20T00:00:00Z.
ANCHOR_MS = 1_795_132_800_000
DAY_MS = 86_400_000

# Which task plan (see plans.py) each product type uses.
PLAN_FOR_PRODUCT = {
    "SURVEY": "survey",
    "NON_THINK_OUT_LOUD": "interaction",
    "THINK_OUT_LOUD": "think_out_loud",
}


def stable_uuid(*parts: object) -> str:
    """A UUIDv5 of the demo namespace and ``parts`` joined by ``:``."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


@dataclass(frozen=True)
class Workspace:
    id: str
    uuid: str
    name: str


@dataclass(frozen=True)
class TestSpec:
    """One test (a "study" in the legacy API)."""

    key: str  # "survey", ... or "filler-07"
    id: str
    title: str
    product_type: str  # SURVEY / NON_THINK_OUT_LOUD / THINK_OUT_LOUD
    n_sessions: int
    start_ms: int  # fielding window start (first possible session)
    days: int  # fielding window length in days
    ordered_at_ms: int
    ordered_by: tuple[str, str]  # (name, email)
    workspace: str  # workspace uuid
    n_audiences: int = 3
    short_test: bool = False
    # Added to every participant's mood (which drives NPS, ratings and task success):
    # filler tests drift gently better over time, so a benchmark across tests shows a trend.
    mood_shift: float = 0.0

    @property
    def plan(self) -> str:
        return PLAN_FOR_PRODUCT[self.product_type]

    @property
    def has_video(self) -> bool:
        return self.product_type in ("NON_THINK_OUT_LOUD", "THINK_OUT_LOUD")

    @property
    def has_transcript(self) -> bool:
        return self.product_type == "THINK_OUT_LOUD"

    @property
    def has_qx(self) -> bool:
        return self.product_type == "NON_THINK_OUT_LOUD"


WORKSPACES = (
    Workspace(
        "48213", stable_uuid("workspace", "product-research"), "Fernwood Market – Product Research"
    ),
    Workspace("48377", stable_uuid("workspace", "brand"), "Fernwood Market – Brand & Marketing"),
)

_PEOPLE = (
    ("Priya Raman", "priya.raman@fernwood-market.example"),
    ("Tomás Álvarez", "tomas.alvarez@fernwood-market.example"),
    ("Hannah Lee", "hannah.lee@fernwood-market.example"),
    ("Marcus Obi", "marcus.obi@fernwood-market.example"),
)


def _named(key, title, product, n, end_days_before, days, person, audiences, short=False):
    start = ANCHOR_MS - (end_days_before + days) * DAY_MS
    return TestSpec(
        key=key,
        id=stable_uuid("test", key),
        title=title,
        product_type=product,
        n_sessions=n,
        start_ms=start,
        days=days,
        ordered_at_ms=start - DAY_MS - 3 * 3_600_000 - 17 * 60_000 - 41_000,
        ordered_by=_PEOPLE[person],
        workspace=WORKSPACES[0].uuid,
        n_audiences=audiences,
        short_test=short,
    )


_NAMED = (
    _named(
        "survey", "Fernwood Market customer satisfaction survey – Q4", "SURVEY", 240, 1, 21, 0, 4
    ),
    _named(
        "interaction",
        "Website benchmark: product search and checkout (QXscore)",
        "NON_THINK_OUT_LOUD",
        120,
        3,
        14,
        1,
        3,
    ),
    _named(
        "think_out_loud",
        "Mobile app first impressions (think-out-loud)",
        "THINK_OUT_LOUD",
        36,
        6,
        10,
        2,
        2,
    ),
    _named("empty", "Holiday campaign concept survey (draft)", "SURVEY", 0, 0, 7, 3, 2, True),
    _named("large", "Annual customer panel survey 2026", "SURVEY", 12_150, 0, 84, 0, 5),
)

_TOPICS = (
    "Weekly deals page",
    "Recipe finder",
    "Loyalty card sign-up",
    "Delivery slot picker",
    "Substitutions flow",
    "Store locator",
    "Gift cards",
    "Meal kit landing page",
    "Search results filters",
    "Account settings",
    "Order tracking",
    "Returns and refunds",
    "Pharmacy refills",
    "Bakery pre-orders",
    "Wine club",
)
_FORMATS = {
    "SURVEY": ("pulse survey", "concept test", "message test", "pricing survey"),
    "NON_THINK_OUT_LOUD": ("usability benchmark", "navigation test", "tree test follow-up"),
    "THINK_OUT_LOUD": ("first impressions", "prototype walkthrough", "competitor comparison"),
}


def _trend(end_before: int, jitter: random.Random) -> float:
    """A gentle improvement over time: -0.3 for a test that ended 400 days before the
    anchor, +0.3 for a recent one, plus a little noise of its own (about ±8 NPS points,
    ±4 QXscore points and ±3 % task success end to end)."""
    return round(0.3 - 0.6 * (end_before - 10) / 390 + jitter.gauss(0, 0.08), 3)


def _fillers(workspace: Workspace, prefix: str, count: int, seed: str) -> list[TestSpec]:
    rng = random.Random(seed)
    # A separate generator: the trend must not change the ids, titles and sizes above.
    jitter = random.Random(f"{seed}:trend")
    products = ("SURVEY", "NON_THINK_OUT_LOUD", "THINK_OUT_LOUD")
    out = []
    for i in range(count):
        product = rng.choice(products)
        topic = rng.choice(_TOPICS)
        fmt = rng.choice(_FORMATS[product])
        days = rng.randint(3, 20)
        end_before = rng.randint(10, 400)
        start = ANCHOR_MS - (end_before + days) * DAY_MS
        key = f"{prefix}-{i + 1:02d}"
        out.append(
            TestSpec(
                key=key,
                id=stable_uuid("test", key),
                title=f"{topic} {fmt}" + (f" (round {rng.randint(2, 4)})" if i % 5 == 3 else ""),
                product_type=product,
                n_sessions=rng.randint(0, 30),
                start_ms=start,
                days=days,
                ordered_at_ms=start - rng.randint(3_600_000, 3 * DAY_MS),
                ordered_by=rng.choice(_PEOPLE),
                workspace=workspace.uuid,
                n_audiences=rng.randint(1, 3),
                short_test=rng.random() < 0.2,
                mood_shift=_trend(end_before, jitter),
            )
        )
    return out


CATALOG: dict[str, TestSpec] = {
    spec.id: spec
    for spec in (
        *_NAMED,
        *_fillers(WORKSPACES[0], "filler", 58, "ut-demo:fillers:research"),
        *_fillers(WORKSPACES[1], "brand", 9, "ut-demo:fillers:brand"),
    )
}

TESTS: dict[str, str] = {spec.key: spec.id for spec in _NAMED}
