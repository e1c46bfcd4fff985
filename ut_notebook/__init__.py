"""ut-notebook: UserTesting results in Jupyter, as tidy pandas DataFrames.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                      # or ut.login() for the widget  # doctest: +SKIP
>>> df = ut.load_sessions(ut.demo.TESTS["survey"])                            # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .api.client import RetryPolicy, Session
from .api.connect import connect, current_session, disconnect
from .api.settings import Settings, load_settings
from .cache import CacheWarning, clear_cache
from .errors import (
    APIError,
    AuthError,
    InsecureTransportError,
    NotConnectedError,
    NotFoundError,
    RateLimitError,
    TruncatedResultWarning,
    UTError,
)
from .jobs import Cancelled, Job
from .loaders.catalog import list_tests
from .loaders.details import SessionDetails, load_session_details
from .loaders.quality import MalformedValuesWarning, UnreadAnswersWarning
from .loaders.qxscores import load_qx_scores
from .loaders.sessions import load_sessions
from .loaders.transcripts import load_transcript, load_transcripts
from .loaders.video import VideoURL, video_url
from .ui.lab import pick_test_id
from .ui.login import CredentialsWidget, login

if TYPE_CHECKING:
    from . import charts, demo

__all__ = [
    "APIError",
    "AuthError",
    "CacheWarning",
    "Cancelled",
    "CredentialsWidget",
    "InsecureTransportError",
    "Job",
    "MalformedValuesWarning",
    "NotConnectedError",
    "NotFoundError",
    "RateLimitError",
    "RetryPolicy",
    "Session",
    "SessionDetails",
    "Settings",
    "TruncatedResultWarning",
    "UTError",
    "UnreadAnswersWarning",
    "VideoURL",
    "__version__",
    "charts",
    "clear_cache",
    "connect",
    "current_session",
    "demo",
    "disconnect",
    "list_tests",
    "load_qx_scores",
    "load_session_details",
    "load_sessions",
    "load_settings",
    "load_transcript",
    "load_transcripts",
    "login",
    "pick_test_id",
    "video_url",
]


def __getattr__(name: str) -> Any:
    # `ut.demo` is imported on first use: the simulator is not needed to talk to the API;
    # `ut.charts` too: plotly is only imported when a chart is wanted.
    if name in ("demo", "charts"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
