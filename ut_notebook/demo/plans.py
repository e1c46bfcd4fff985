"""Task plans: the fixed list of tasks each kind of test asks, and the words people answer.

A plan is shared by every test of a product type; each test gets its own task uuids
(UUIDv5 of the test id and the task key), so task ids are stable per test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ANSWER_KEYS",
    "CARD_SORT",
    "HELP_CENTRE_TASKS",
    "PLANS",
    "QX_GROUPS",
    "WRITTEN",
    "TaskDef",
    "task_uuid",
]

# Task type -> the key of the answer object that carries its payload.
ANSWER_KEYS = {
    "BLANK": "blank",
    "RATING_SCALE": "ratingScale",
    "MULTIPLE_CHOICE": "multipleChoice",
    "IMAGE": "image",
    "NPS": "nps",
    "URL": "url",
    "RANK_ORDER": "rankOrder",
    "WRITTEN": "written",
    "FIGMA": "figma",
    "MATRIX": "matrix",
}


@dataclass(frozen=True)
class TaskDef:
    key: str
    type: str
    text: str
    params: dict[str, Any] = field(default_factory=dict)
    group: str | None = None  # QX task group key ("qx1", "qx2") or None
    weight: float = 1.0  # relative time the task takes
    skip: float = 0.02  # probability a participant skips it


def task_uuid(test_id: str, key: str) -> str:
    return str(uuid.uuid5(uuid.UUID(test_id), f"task:{key}"))


def _scale(lo, hi, lo_label, hi_label, bias, **extra):
    return {"min": lo, "max": hi, "minLabel": lo_label, "maxLabel": hi_label, "bias": bias, **extra}


_AGREE = ("Strongly disagree", "Strongly agree")

SURVEY = (
    TaskDef(
        "concept_image",
        "IMAGE",
        "Take a look at this concept for our new home page.",
        {"imageUrl": "https://assets.fernwood-market.example/concepts/home-page-v3.png"},
        weight=0.8,
        skip=0.0,
    ),
    TaskDef(
        "nps",
        "NPS",
        "How likely are you to recommend Fernwood Market to a friend or colleague?",
        weight=0.5,
        skip=0.01,
    ),
    TaskDef(
        "ease",
        "RATING_SCALE",
        "How easy or difficult was it to place your last order?",
        _scale(1, 5, "Very difficult", "Very easy", 0.72),
        weight=0.6,
    ),
    TaskDef(
        "frequency",
        "MULTIPLE_CHOICE",
        "How often do you order groceries online?",
        {
            "options": [
                "Several times a week",
                "Once a week",
                "A few times a month",
                "Once a month or less",
                "This was my first order",
            ],
            "weights": [0.12, 0.34, 0.29, 0.17, 0.08],
            "multi": False,
            "randomized": False,
            "maxLimit": None,
        },
        weight=0.6,
    ),
    TaskDef(
        "features",
        "MULTIPLE_CHOICE",
        "Which of these features have you used? (Select all that apply)",
        {
            "options": [
                "Saved shopping lists",
                "Scheduled delivery",
                "Substitution preferences",
                "Recipes",
                "Promo codes",
                "Live order tracking",
            ],
            "weights": [0.55, 0.62, 0.31, 0.24, 0.47, 0.38],
            "multi": True,
            "randomized": True,
            "maxLimit": None,
        },
        weight=0.9,
    ),
    TaskDef(
        "priorities",
        "RANK_ORDER",
        "Rank these from most to least important to you when choosing a grocery service.",
        {
            "options": ["Price", "Delivery speed", "Product freshness", "Selection", "Support"],
            "importance": [1.3, 0.6, 1.1, 0.5, 0.0],
        },
        weight=1.3,
        skip=0.03,
    ),
    TaskDef(
        "statements",
        "MATRIX",
        "How much do you agree with each statement?",
        {
            "rows": [
                "Prices are fair",
                "Delivery slots are convenient",
                "The app is reliable",
                "Substitutions are sensible",
            ],
            "columns": ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
            "bias": [0.45, 0.7, 0.62, 0.5],
        },
        weight=1.5,
        skip=0.03,
    ),
    TaskDef(
        "freshness",
        "RATING_SCALE",
        "How satisfied are you with the freshness of your produce?",
        _scale(1, 7, "Very dissatisfied", "Very satisfied", 0.68),
        weight=0.5,
    ),
    TaskDef(
        "improve",
        "WRITTEN",
        "What is one thing we could do to improve your experience?",
        {"topic": "improve"},
        weight=2.2,
        skip=0.06,
    ),
    TaskDef(
        "anything_else",
        "WRITTEN",
        "Is there anything else you'd like to tell us?",
        {"topic": "anything_else"},
        weight=0.8,
        skip=0.35,
    ),
)

_SITE = "https://www.fernwood-market.example"
QX_GROUPS = {
    "qx1": "QXscore 1: Find a product",
    "qx2": "QXscore 2: Checkout",
}
# The attitudinal questionnaire of a QX group: (key suffix, component, statement).
_QX_QUESTIONS = (
    ("usability", "usability", "This website is easy to use."),
    ("trust", "trust", "I feel confident conducting business on this website."),
    ("appearance", "appearance", "I find this website to be attractive."),
    ("loyalty", "loyalty", "I will likely return to this website in the future."),
)
_QX_NAV = {
    "qx1": (
        ("find_bread", f"{_SITE}/", "Find a gluten-free bread that costs less than $5.", 0.86),
        (
            "weekly_deals",
            f"{_SITE}/deals",
            "Add two items from this week's deals to your cart.",
            0.78,
        ),
    ),
    "qx2": (
        (
            "delivery_slot",
            f"{_SITE}/cart",
            "Choose a delivery slot for this Saturday morning.",
            0.81,
        ),
        ("guest_checkout", f"{_SITE}/checkout", "Check out as a guest using the test card.", 0.64),
    ),
}


def _qx_group(group: str) -> tuple[TaskDef, ...]:
    nav = tuple(
        TaskDef(
            f"{group}_{key}",
            "URL",
            text,
            {"url": url, "success": p},
            group=group,
            weight=3.0,
            skip=0.01,
        )
        for key, url, text, p in _QX_NAV[group]
    )
    bias = 0.66 if group == "qx1" else 0.58
    questions = tuple(
        TaskDef(
            f"{group}_{suffix}",
            "RATING_SCALE",
            text,
            _scale(1, 5, *_AGREE, bias, qx=component),
            group=group,
            weight=0.4,
            skip=0.01,
        )
        for suffix, component, text in _QX_QUESTIONS
    )
    return nav + questions


INTERACTION = _qx_group("qx1") + _qx_group("qx2")

THINK_OUT_LOUD = (
    TaskDef(
        "expectations",
        "BLANK",
        "Imagine you are planning meals for the week. Say out loud what you expect from a "
        "grocery app.",
        {"speech": "expectations"},
        weight=1.2,
        skip=0.0,
    ),
    TaskDef(
        "explore_home",
        "URL",
        "Open the Fernwood Market app and explore the home screen. Think out loud as you go.",
        {"url": f"{_SITE}/app", "success": None, "speech": "explore"},
        weight=2.0,
        skip=0.0,
    ),
    TaskDef(
        "taco_list",
        "FIGMA",
        "Use the prototype to build a shopping list for a taco night.",
        {
            "prototypeUrl": "https://www.figma.com/proto/Fw0dDemoProto123/Fernwood-App?node-id=12-345",
            "title": "Fernwood app – shopping lists v2",
            "display": "FIT_TO_SCREEN",
            "success": 0.74,
            "speech": "figma",
        },
        weight=3.0,
        skip=0.02,
    ),
    TaskDef(
        "liked_most",
        "WRITTEN",
        "What did you like most about the app?",
        {"topic": "liked_most"},
        weight=1.2,
        skip=0.02,
    ),
    TaskDef(
        "delivery_fee",
        "URL",
        "Find out what delivery costs for your zip code.",
        {"url": f"{_SITE}/delivery", "success": None, "speech": "fee"},
        weight=1.8,
        skip=0.03,
    ),
    TaskDef(
        "confusing",
        "WRITTEN",
        "What, if anything, was confusing?",
        {"topic": "confusing"},
        weight=1.2,
        skip=0.04,
    ),
    TaskDef(
        "final_thoughts",
        "BLANK",
        "Thank you! Please share any final thoughts out loud.",
        {"speech": "final"},
        weight=0.8,
        skip=0.05,
    ),
)

PLANS: dict[str, tuple[TaskDef, ...]] = {
    "survey": SURVEY,
    "interaction": INTERACTION,
    "think_out_loud": THINK_OUT_LOUD,
}

# The task added when SimulatorConfig.unknown_task_types is on: a type (and answer key)
# that the published schema does not know.
CARD_SORT = TaskDef(
    "card_sort",
    "CARD_SORT",
    "Sort these aisles into the groups that make sense to you.",
    {
        "cards": ["Bakery", "Dairy", "Frozen meals", "Snacks", "Produce", "Drinks"],
        "groups": ["Fresh", "Pantry", "Treats"],
    },
    weight=1.5,
    skip=0.0,
)

# Task types the help centre lists but the OpenAPI enum lacks, added at the end of every
# plan while SimulatorConfig.help_centre_task_types is on. Neither has an answer
# container: a VERBAL task answers with a null answer (the words are in the
# transcript), a SKIPPED task is always skipped.
VERBAL = TaskDef(
    "verbal",
    "VERBAL",
    "Tell us, out loud, what you would cook with this week's deals.",
    {"speech": "verbal"},
    weight=1.0,
    skip=0.0,
)
SKIPPED = TaskDef(
    "skipped",
    "SKIPPED",
    "Rate your last delivery (shown to delivery customers only).",
    weight=0.0,
    skip=1.0,
)
HELP_CENTRE_TASKS = (VERBAL, SKIPPED)

# Written answers by topic and mood (negative, neutral, positive).
WRITTEN: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "improve": (
        (
            "Stop substituting items without asking me first!",
            "Deliveries have been late three times this month.",
            "Prices went up a lot and the deals feel fake.",
            "Checkout is slow and the promo code field never works.",
            "Customer service took 4 days to reply about a missing item.\nI'm close to switching.",
        ),
        (
            "Substitutions could be smarter – I got crème fraîche instead of sour cream once.",
            "Show the price per kg/lb for everything, not just some items.",
            "The app logs me out too often.",
            "Delivery windows are a bit wide. A 1-hour window would help.",
            "Make search understand typos, e.g. 'bananna'.",
        ),
        (
            "Honestly not much – maybe more delivery slots on Sunday mornings.",
            "Keep doing what you're doing. Maybe add more local produce.",
            "More recipe ideas tied to the weekly deals would be great.",
            "A way to reorder my usual basket in one tap.",
            "More plant-based options, the oat milk is always sold out.",
        ),
    ),
    "anything_else": (
        ("Fix the app before adding new features.", "I already said it: substitutions."),
        ("No.", "Nothing else.", "n/a", "Please bring back the old receipt emails."),
        ("Thanks, the drivers are always friendly 👍", "No, all good.", "Love the new bakery!"),
    ),
    "liked_most": (
        ("Hard to say, nothing really stood out.", "Maybe the colours, but I struggled a lot."),
        ("It's fine, pretty much like other grocery apps.", "The search worked, I guess."),
        (
            "I really liked how recipes turn straight into a shopping list – that's clever.",
            "The home screen is clean, I can find the deals right away.",
            "The big photos make me hungry, in a good way.",
        ),
    ),
    "confusing": (
        (
            "The whole navigation – I kept ending up on the deals page.",
            "Why do I need to enter my zip code three times?",
            "I couldn't find the fee at all, I gave up.",
        ),
        (
            "The delivery fee was hidden until checkout, that surprised me.",
            "I didn't know if 'Save for later' removes the item from my list.",
        ),
        (
            "Nothing really, it was all pretty straightforward.",
            "Only the little leaf icon, I wasn't sure what it means.",
        ),
    ),
}

# What think-out-loud participants say during a task, by the task's "speech" topic.
SPEECH: dict[str, tuple[str, ...]] = {
    "expectations": (
        "Okay, so I usually plan meals on Sunday evening.",
        "I'd expect to see my past orders first.",
        "Um, I'd want to search by recipe, not just by product.",
        "Let me think... I mostly shop for a family of four.",
        "I'd want it to remember what I buy every week.",
    ),
    "explore": (
        "So the first thing I see is the weekly deals banner.",
        "There's a search bar at the top, that's good.",
        "I'm scrolling down... lots of categories here.",
        "Hmm, I'm not sure what this leaf icon means.",
        "Oh, it's asking for my location, okay.",
        "These images load a bit slowly.",
    ),
    "figma": (
        "Okay, I'll tap on Recipes.",
        "Taco night... let me search for tortillas.",
        "Add to list – nice, that was easy.",
        "Wait, where did my list go?",
        "I'm looking for salsa, maybe under Sauces?",
        "Okay, I think I've got everything now.",
    ),
    "fee": (
        "Let me look for delivery information.",
        "I'd expect it in the footer, or maybe in the cart.",
        "Entering my zip code... 60614.",
        "Okay so it's $4.99, or free over $35.",
        "I still don't see it anywhere, hmm.",
    ),
    # Not ASCII on purpose: transcripts are UTF-8 whatever their Content-Type says.
    "verbal": (
        "Probably a crème brûlée, the custard looked cheap this week.",
        "Maybe a jalapeño chili – café-style, with the fresh coriander.",
        "Crêpes on Sunday, they had the crème fraîche on offer.",
    ),
    "final": (
        "Overall it was pretty easy to use.",
        "I'd probably use this for my weekly shop.",
        "I think the checkout could be quicker.",
        "Thanks, that was fun.",
    ),
}

MODERATOR = (
    "Can you tell me a bit more about that?",
    "What did you expect to happen there?",
    "How would you describe that in your own words?",
    "Take your time, and keep thinking out loud.",
    "Is that what you expected?",
)
