"""Fixtures of the browser tests: Chromium present (or a clear skip/failure), artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.jupyter import require_chromium

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def chromium() -> None:
    """Skip the test when /usr/bin/chromium or Playwright is missing; fail instead in CI."""
    require_chromium()


@pytest.fixture
def artifacts() -> Path:
    """``tests/artifacts/`` (git-ignored): screenshots and other things to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
