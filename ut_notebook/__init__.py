"""ut-notebook: UserTesting results in Jupyter, as tidy pandas DataFrames.

>>> import ut_notebook as ut
>>> ut.connect(demo=True)                      # or ut.login() for the widget  # doctest: +SKIP
>>> df = ut.load_sessions(ut.demo.TESTS["survey"])                            # doctest: +SKIP

Import cost. ``import ut_notebook`` loads only the version and the exceptions; every
other public name is imported on first use (PEP 562 ``__getattr__``), so importing the
package costs little more than pandas (docs/benchmarks.md). In particular requests
(for the API), ipywidgets and IPython (for ``ut.login()``), tqdm (progress bars) and
plotly (``ut.charts``) load only when something needs them. ``from ut_notebook import
load_sessions``, ``ut.load_sessions`` and ``dir(ut)`` work as with eager imports.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from ._version import __version__

# The exceptions are eager: they are cheap (no third-party imports) and `except
# ut.AuthError` should not be the line that imports the HTTP stack.
from .errors import (
    APIConnectionError,
    APIError,
    AuthError,
    ConfigError,
    IncompleteResultWarning,
    InsecureTransportError,
    NotConnectedError,
    NotFoundError,
    RateLimitError,
    TruncatedResultWarning,
    UTError,
)

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from . import charts, demo, stats
    from .api.client import Client, RetryPolicy
    from .api.connect import connect, current_client, current_session, disconnect
    from .api.download import DownloadError
    from .api.scheduler import RateSnapshot
    from .api.settings import Settings, load_settings
    from .cache import CacheWarning, clear_cache
    from .findings import kwic, verbatims
    from .frames import MalformedValuesWarning
    from .jobs import Cancelled, Job
    from .loaders.catalog import list_tests, list_workspaces
    from .loaders.clips import MediaURL, clip_url, load_clips
    from .loaders.details import SessionDetails, load_session_details
    from .loaders.downloads import download_clips, download_videos
    from .loaders.per_session import FailedSessionsWarning, MissingSessionsWarning
    from .loaders.quality import UnreadAnswersWarning
    from .loaders.qxscores import load_qx_scores
    from .loaders.reels import highlight_reel_url, load_highlight_reels
    from .loaders.sessions import load_sessions
    from .loaders.studies import (
        TestInfo,
        load_clip,
        load_completed_sessions,
        load_highlight_reel,
        load_session_notes,
        load_test,
    )
    from .loaders.transcripts import load_transcript, load_transcripts
    from .loaders.video import VideoURL, video_url
    from .reports import report
    from .store import SyncResult, benchmark, export_parquet, open_store, read_store, sync
    from .ui.chooser import TestChooser, choose_test
    from .ui.lab import pick_test_id
    from .ui.login import CredentialsWidget, login
    from .ui.table import show
    from .ui.viewer import SessionViewer, show_session

# name -> (module relative to this package, attribute; None for the module itself).
# Keep in step with the TYPE_CHECKING block above and with __all__ (a test checks).
_LAZY: dict[str, tuple[str, str | None]] = {
    # requests comes with these: every loader talks to the API through api.client.
    "Client": (".api.client", "Client"),
    "RetryPolicy": (".api.client", "RetryPolicy"),
    "RateSnapshot": (".api.scheduler", "RateSnapshot"),
    "connect": (".api.connect", "connect"),
    "current_client": (".api.connect", "current_client"),
    "current_session": (".api.connect", "current_session"),
    "disconnect": (".api.connect", "disconnect"),
    "Settings": (".api.settings", "Settings"),
    "load_settings": (".api.settings", "load_settings"),
    "CacheWarning": (".cache", "CacheWarning"),
    "clear_cache": (".cache", "clear_cache"),
    "MalformedValuesWarning": (".frames", "MalformedValuesWarning"),
    "UnreadAnswersWarning": (".loaders.quality", "UnreadAnswersWarning"),
    "kwic": (".findings", "kwic"),
    "verbatims": (".findings", "verbatims"),
    "Cancelled": (".jobs", "Cancelled"),
    "Job": (".jobs", "Job"),
    "list_tests": (".loaders.catalog", "list_tests"),
    "list_workspaces": (".loaders.catalog", "list_workspaces"),
    "FailedSessionsWarning": (".loaders.per_session", "FailedSessionsWarning"),
    "MissingSessionsWarning": (".loaders.per_session", "MissingSessionsWarning"),
    "SessionDetails": (".loaders.details", "SessionDetails"),
    "load_session_details": (".loaders.details", "load_session_details"),
    "load_qx_scores": (".loaders.qxscores", "load_qx_scores"),
    "load_sessions": (".loaders.sessions", "load_sessions"),
    "load_transcript": (".loaders.transcripts", "load_transcript"),
    "load_transcripts": (".loaders.transcripts", "load_transcripts"),
    "VideoURL": (".loaders.video", "VideoURL"),
    "video_url": (".loaders.video", "video_url"),
    "DownloadError": (".api.download", "DownloadError"),
    "MediaURL": (".loaders.clips", "MediaURL"),
    "clip_url": (".loaders.clips", "clip_url"),
    "load_clips": (".loaders.clips", "load_clips"),
    "download_clips": (".loaders.downloads", "download_clips"),
    "download_videos": (".loaders.downloads", "download_videos"),
    "highlight_reel_url": (".loaders.reels", "highlight_reel_url"),
    "load_highlight_reels": (".loaders.reels", "load_highlight_reels"),
    "TestInfo": (".loaders.studies", "TestInfo"),
    "load_clip": (".loaders.studies", "load_clip"),
    "load_completed_sessions": (".loaders.studies", "load_completed_sessions"),
    "load_highlight_reel": (".loaders.studies", "load_highlight_reel"),
    "load_session_notes": (".loaders.studies", "load_session_notes"),
    "load_test": (".loaders.studies", "load_test"),
    "pick_test_id": (".ui.lab", "pick_test_id"),
    # nbclient and nbconvert only when a report is written.
    "report": (".reports", "report"),
    # pandas' Styler (jinja2), or itables, only when a frame is shown.
    "show": (".ui.table", "show"),
    # ipywidgets only when a test is to be chosen.
    "TestChooser": (".ui.chooser", "TestChooser"),
    "choose_test": (".ui.chooser", "choose_test"),
    # The research store: duckdb is imported only when a store is opened (an extra).
    "SyncResult": (".store", "SyncResult"),
    "benchmark": (".store", "benchmark"),
    "export_parquet": (".store", "export_parquet"),
    "open_store": (".store", "open_store"),
    "read_store": (".store", "read_store"),
    "sync": (".store", "sync"),
    # ipywidgets only when the form is built; login() outside a kernel never needs it.
    "login": (".ui.login", "login"),
    "CredentialsWidget": (".ui.login", "CredentialsWidget"),
    # anywidget only when a session is shown.
    "SessionViewer": (".ui.viewer", "SessionViewer"),
    "show_session": (".ui.viewer", "show_session"),
    # The simulator is not needed to talk to the API; plotly only when a chart is wanted,
    # scipy only when a statistic is.
    "demo": (".demo", None),
    "stats": (".stats", None),
    "charts": (".charts", None),
}

# Submodules reachable as attributes (``ut.cache.get_cache()``), as after eager imports.
_SUBMODULES = (
    "api",
    "cache",
    "cli",
    "errors",
    "findings",
    "frames",
    "ids",
    "jobs",
    "loaders",
    "store",
    "ui",
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "AuthError",
    "CacheWarning",
    "Cancelled",
    "Client",
    "ConfigError",
    "CredentialsWidget",
    "DownloadError",
    "FailedSessionsWarning",
    "IncompleteResultWarning",
    "InsecureTransportError",
    "Job",
    "MalformedValuesWarning",
    "MediaURL",
    "MissingSessionsWarning",
    "NotConnectedError",
    "NotFoundError",
    "RateLimitError",
    "RateSnapshot",
    "RetryPolicy",
    "SessionDetails",
    "SessionViewer",
    "Settings",
    "SyncResult",
    "TestChooser",
    "TestInfo",
    "TruncatedResultWarning",
    "UTError",
    "UnreadAnswersWarning",
    "VideoURL",
    "__version__",
    "benchmark",
    "charts",
    "choose_test",
    "clear_cache",
    "clip_url",
    "connect",
    "current_client",
    "current_session",
    "demo",
    "disconnect",
    "download_clips",
    "download_videos",
    "export_parquet",
    "highlight_reel_url",
    "kwic",
    "list_tests",
    "list_workspaces",
    "load_clip",
    "load_clips",
    "load_completed_sessions",
    "load_highlight_reel",
    "load_highlight_reels",
    "load_qx_scores",
    "load_session_details",
    "load_session_notes",
    "load_sessions",
    "load_settings",
    "load_test",
    "load_transcript",
    "load_transcripts",
    "login",
    "open_store",
    "pick_test_id",
    "read_store",
    "report",
    "show",
    "show_session",
    "stats",
    "sync",
    "verbatims",
    "video_url",
]


def __getattr__(name: str) -> Any:
    """Import a lazy public name on first use and keep it in the module's namespace.

    >>> import ut_notebook as ut
    >>> ut.load_sessions.__name__                   # imports ut_notebook.loaders.sessions
    'load_sessions'
    """
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "Session":  # not cached: every use warns
        warnings.warn(
            "ut.Session is now ut.Client (a 'session' is a participant's session); the old "
            "name will be removed in the next release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return __getattr__("Client")
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later look-ups no longer come through here
    return value


def __dir__() -> list[str]:
    # Lazy names are listed before they are imported (tab completion, dir(ut)).
    return sorted(set(globals()) | set(__all__))
