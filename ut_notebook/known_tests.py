"""What this kernel has learnt about tests: titles and rating-scale end labels.

``ut.load_test()`` and ``ut.list_tests()`` remember what they read here, so charts and
frames can show "Mobile app first impressions" instead of "test d203c616…", and
``ut.charts.rating_scales`` can label a scale's ends with the test plan's words. In
memory only and without any dependency, so charts can ask without importing the HTTP
stack.

>>> remember("d203c616-c736-56a6-b2c2-4b3bf3ce8d27", title="Mobile app first impressions")
>>> title_of("D203C616-C736-56A6-B2C2-4B3BF3CE8D27")
'Mobile app first impressions'
>>> test_label("00000000-0000-4000-8000-000000000000")
'test 00000000…'
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

__all__ = ["endpoints_of", "forget", "remember", "sessions_of", "test_label", "title_of"]

_LOCK = threading.Lock()
_TITLES: dict[str, str] = {}
# The workspace listing has no session count; ut.load_test() has, so it is kept here.
_SESSIONS: dict[str, int] = {}
# test id -> task text -> (lower endpoint label, upper endpoint label)
_ENDPOINTS: dict[str, dict[str, tuple[str | None, str | None]]] = {}


def _key(test_id: object) -> str:
    return str(test_id).strip().lower()


def remember(
    test_id: str,
    *,
    title: str | None = None,
    endpoints: Mapping[str, tuple[str | None, str | None]] | None = None,
    sessions: int | None = None,
) -> None:
    """Keep ``title``, the session count and the rating tasks' ``endpoints``."""
    key = _key(test_id)
    with _LOCK:
        if isinstance(title, str) and title.strip():
            _TITLES[key] = title.strip()
        if isinstance(sessions, int) and not isinstance(sessions, bool) and sessions >= 0:
            _SESSIONS[key] = sessions
        if endpoints is not None:
            _ENDPOINTS[key] = dict(endpoints)


def title_of(test_id: object) -> str | None:
    """The test's title if a loader has seen it, else ``None``."""
    if not test_id:
        return None
    with _LOCK:
        return _TITLES.get(_key(test_id))


def sessions_of(test_id: object) -> int | None:
    """The test's session count if ``ut.load_test()`` has read it, else ``None``.

    >>> remember("d203c616-c736-56a6-b2c2-4b3bf3ce8d27", sessions=120)
    >>> sessions_of("d203c616-c736-56a6-b2c2-4b3bf3ce8d27")
    120
    """
    if not test_id:
        return None
    with _LOCK:
        return _SESSIONS.get(_key(test_id))


def endpoints_of(test_id: object, text: object) -> tuple[str | None, str | None] | None:
    """The (lower, upper) end labels of the rating task with this text, if known."""
    if not test_id or not isinstance(text, str):
        return None
    with _LOCK:
        return _ENDPOINTS.get(_key(test_id), {}).get(text.strip())


def test_label(test_id: object, *, width: int = 60) -> str:
    """The title (shortened to ``width``) when known, else ``test <first 8 chars>…``."""
    title = title_of(test_id)
    if title:
        return title if len(title) <= width else title[: width - 1] + "…"
    return f"test {str(test_id)[:8]}…"


def forget() -> None:
    """Forget everything (``ut.disconnect()`` does not: titles outlive a connection)."""
    with _LOCK:
        _TITLES.clear()
        _SESSIONS.clear()
        _ENDPOINTS.clear()
