"""What to do with an answer, and how long to wait: two small functions, no I/O.

The request loop in :mod:`ut_notebook.api.client` only calls :func:`decide` and obeys
it; the decision and the delay are unit-tested here without a server (the split
stripe-python's ``_should_retry`` / ``_sleep_time_seconds`` / loop makes).

>>> policy = RetryPolicy(max_tries=3)
>>> decide(status=200, policy=policy, attempt=1).action
<Action.DONE: 'done'>
>>> decide(status=401, policy=policy, attempt=1).action
<Action.REFRESH: 'refresh'>
>>> decide(status=429, headers={"Retry-After": "7"}, policy=policy, attempt=1)
Decision(action=<Action.WAIT: 'wait'>, wait=7.0, reason='HTTP 429')
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from dataclasses import dataclass

from .scheduler import parse_retry_after

__all__ = ["Action", "Decision", "RetryPolicy", "decide"]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. The defaults suit the real API; tests shorten the backoff.

    Attributes:
        max_tries: attempts per request, the first included.
        backoff: first delay after a failure, doubled each time (with jitter).
        backoff_cap: the longest delay between two tries.
        max_wait: the longest any single wait may be — for the rate limit, a
            ``Retry-After`` or a background job's turn — before the client raises
            :class:`~ut_notebook.RateLimitError` instead of sleeping silently.
        timeout: (connect, read) seconds for every request.
        deadline: the most seconds one request (headers and body) may take in all, so a
            server trickling a few bytes per second cannot hold a load.
        max_body: the most bytes a response body may have once decompressed.
    """

    max_tries: int = 6
    backoff: float = 0.5
    backoff_cap: float = 8.0
    max_wait: float = 120.0
    timeout: tuple[float, float] = (10.0, 60.0)
    deadline: float = 180.0
    max_body: int = 64 * 1024 * 1024

    def delay(self, attempt: int) -> float:
        """Backoff before try ``attempt + 1``: exponential, capped, with "equal jitter"
        (half fixed, half random) so clients that failed together do not retry together."""
        base = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return base / 2 + random.uniform(0, base / 2)


class Action(enum.Enum):
    DONE = "done"  # a 2xx: hand the answer to the caller
    REFRESH = "refresh"  # a 401: renew the token once and send again (not a try)
    WAIT = "wait"  # a 429: no request until ``wait`` seconds have passed, then again
    RETRY = "retry"  # a network error or 5xx: sleep ``wait`` seconds, then try again
    FAIL = "fail"  # give up: the caller maps the answer to a UTError


@dataclass(frozen=True)
class Decision:
    action: Action
    wait: float = 0.0
    reason: str = ""


def decide(
    *,
    policy: RetryPolicy,
    attempt: int,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    error: BaseException | None = None,
    refreshed: bool = False,
) -> Decision:
    """Decide what to do after try number ``attempt`` ended with ``status`` (or with a
    network ``error`` and no status). ``refreshed``: the token was already renewed once
    for this request."""
    headers = headers or {}
    last = attempt >= policy.max_tries
    if error is not None or status is None:
        reason = type(error).__name__ if error is not None else "no answer"
        if last:
            return Decision(Action.FAIL, reason=reason)
        return Decision(Action.RETRY, min(policy.delay(attempt), policy.max_wait), reason)
    if 200 <= status < 300:
        return Decision(Action.DONE)
    if status == 401 and not refreshed:
        return Decision(Action.REFRESH, reason="HTTP 401")
    if status == 429:
        wait = parse_retry_after(headers)
        wait = policy.delay(attempt) if wait is None else wait
        if last or wait > policy.max_wait:
            return Decision(Action.FAIL, wait, "HTTP 429")
        return Decision(Action.WAIT, wait, "HTTP 429")
    if status >= 500:
        if last:
            return Decision(Action.FAIL, reason=f"HTTP {status}")
        retry_after = parse_retry_after(headers) if "Retry-After" in headers else None
        wait = policy.delay(attempt) if retry_after is None else retry_after
        return Decision(Action.RETRY, min(wait, policy.max_wait), f"HTTP {status}")
    return Decision(Action.FAIL, reason=f"HTTP {status}")
