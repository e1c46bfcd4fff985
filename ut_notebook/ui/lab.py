"""Helpers for the example notebooks.

>>> from ut_notebook.ui.lab import pick_test_id
>>> TEST_ID = ""                       # the notebook's first cell
>>> df = ut.load_sessions(pick_test_id(TEST_ID))                       # doctest: +SKIP
"""

from __future__ import annotations

from ..api.client import Client
from ..api.connect import current_client
from ..api.settings import load_settings

__all__ = ["DEFAULT_DEMO_TEST", "pick_test_id"]

DEFAULT_DEMO_TEST = "survey"


def pick_test_id(
    test_id: str | None = None,
    *,
    demo: str = DEFAULT_DEMO_TEST,
    client: Client | None = None,
    session: Client | None = None,
) -> str:
    """The test a notebook should load.

    Connected to the demo data (``client.demo``): the demo test named ``demo``
    (see ``ut.demo.TESTS``), unless ``test_id`` itself names a demo test (``"interaction"``)
    or is one's id. Otherwise: ``test_id`` if given, else ``UT_TEST_ID`` from the
    environment or a ``.env`` file.

    Raises ``ValueError`` when there is no test id to use, saying where to put one.
    """
    client = client if client is not None else session  # session=: the deprecated name
    client = client if client is not None else current_client()
    chosen = (test_id or "").strip()
    if client is not None and client.demo:
        from ..demo import TESTS

        if chosen in TESTS:
            return TESTS[chosen]
        if chosen.lower() in {t.lower() for t in TESTS.values()}:
            return chosen
        if demo not in TESTS:
            raise ValueError(f"Unknown demo test {demo!r}: choose one of {', '.join(TESTS)}.")
        return TESTS[demo]
    # The connected client's settings, else read now (the notebook may not be connected).
    settings = client.settings if client is not None else load_settings()
    chosen = chosen or settings.test_id or ""
    if not chosen:
        raise ValueError(
            "No test id: paste your test's id into TEST_ID in the notebook's first cell, "
            "or set UT_TEST_ID in the environment or a .env file. (With the demo data, "
            "UT_DEMO=1 or the form's 'Use demo data' button, a demo test is used.)"
        )
    return chosen
