"""The simulator's switches: :class:`SimulatorConfig` and the demo credentials."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "FAULT_KINDS",
    "TOKEN_PATH",
    "TOKEN_PATH_V2",
    "TOKEN_SCOPES",
    "SimulatorConfig",
]

DEMO_CLIENT_ID = "ut-demo-client"
DEMO_CLIENT_SECRET = "ut-demo-secret-not-a-real-one-8f3a2c71d94b"

# The two token endpoints the docs show, each with the one scope it grants.
TOKEN_PATH = "/oauth2/default/v1/token"
TOKEN_PATH_V2 = "/oauth2/aus1p3vtd8vtm4Bxv0h8/v1/token"
TOKEN_SCOPES = {TOKEN_PATH: "public_api.read", TOKEN_PATH_V2: "studies:read"}

FAULT_KINDS = ("503", "502", "drop")
ANSWER_SHAPES = ("guessed", "alternate", "mixed", "ambiguous")  # see shapes.py


@dataclass
class SimulatorConfig:
    """How the simulated API behaves. The defaults are the real API's published limits.

    >>> SimulatorConfig().rate_limit, SimulatorConfig().rate_window
    (10, 60.0)
    >>> SimulatorConfig.demo(environ={}).rate_window
    1.0
    """

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    rate_limit: int = 10
    rate_window: float = 60.0
    latency: float = 0.0
    token_lifetime: float = 3600.0
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    max_consecutive_faults: int = 2
    seed: int = 0
    arrivals_per_request: int = 0
    revoke_tokens_every: int | None = None
    unknown_task_types: bool = False
    generating_polls: int | None = None
    # Fidelity to what is documented (docs/API_FIDELITY.md), not to our guesses:
    answer_shapes: str = "mixed"  # see demo/shapes.py
    voice_tags: bool = False  # transcripts with cue numbers and <v Speaker> tags
    help_centre_task_types: bool = True  # VERBAL and SKIPPED tasks
    spec_variety: bool = True  # nulls, UNRECOGNIZED and float times where the spec allows

    def __post_init__(self) -> None:
        self.fault_kinds = tuple(self.fault_kinds)
        problems = []
        if self.rate_limit < 1:
            problems.append("rate_limit must be at least 1")
        if not self.rate_window > 0:
            problems.append("rate_window must be positive")
        if self.latency < 0:
            problems.append("latency must not be negative")
        if not self.token_lifetime > 0:
            problems.append("token_lifetime must be positive")
        if not 0.0 <= self.fault_rate <= 1.0:
            problems.append("fault_rate must be between 0 and 1")
        unknown = [k for k in self.fault_kinds if k not in FAULT_KINDS]
        if unknown or (self.fault_rate > 0 and not self.fault_kinds):
            problems.append(f"fault_kinds must be a non-empty subset of {FAULT_KINDS}")
        if self.max_consecutive_faults < 0:
            problems.append("max_consecutive_faults must not be negative")
        if self.arrivals_per_request < 0:
            problems.append("arrivals_per_request must not be negative")
        if self.revoke_tokens_every is not None and self.revoke_tokens_every < 1:
            problems.append("revoke_tokens_every must be None or at least 1")
        if self.generating_polls is not None and self.generating_polls < 0:
            problems.append("generating_polls must be None or not negative")
        if self.answer_shapes not in ANSWER_SHAPES:
            problems.append(f"answer_shapes must be one of {ANSWER_SHAPES}")
        if problems:
            raise ValueError("invalid SimulatorConfig: " + "; ".join(problems))

    @property
    def expires_in(self) -> int:
        """``expires_in`` of a token response: the lifetime rounded up to whole seconds."""
        return max(1, math.ceil(self.token_lifetime))

    @classmethod
    def demo(cls, environ: Mapping[str, str] | None = None) -> SimulatorConfig:
        """The profile ``ut.connect(demo=True)`` uses: 10 requests per 1 s window.

        ``UT_DEMO_RATE_LIMIT``, ``UT_DEMO_RATE_WINDOW`` and ``UT_DEMO_LATENCY`` override it.
        """
        env = os.environ if environ is None else environ
        return cls(
            rate_limit=_env_number(env, "UT_DEMO_RATE_LIMIT", 10, int),
            rate_window=_env_number(env, "UT_DEMO_RATE_WINDOW", 1.0, float),
            latency=_env_number(env, "UT_DEMO_LATENCY", 0.0, float),
        )


def _env_number(env: Mapping[str, str], name: str, default, kind):
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a valid {kind.__name__}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}={text!r} is not a finite number")
    return value
