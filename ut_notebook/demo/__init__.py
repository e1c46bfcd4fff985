"""A UserTesting API simulator: a real HTTP server on 127.0.0.1 with synthetic data.

It serves the token endpoints, every operation of the Results API (v2/v3) and of the
legacy v1 API, with the real API's rate limit, optional faults, token expiry and
session arrivals; video, clip and reel URLs point back at it and play a small WebM.
Standard library only, so it starts fast::

    from ut_notebook.demo import DemoServer, TESTS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    with DemoServer(rate_window=1) as server:
        ...  # POST server.token_url, then GET server.url + "/api/v2/sessionResults"

See docs/simulator.md for what it serves and every switch.
"""

from .catalog import TESTS
from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimulatorConfig
from .server import DemoServer, RequestRecord, demo_server
from .studies import CLASSIC_TESTS

__all__ = [
    "CLASSIC_TESTS",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "TESTS",
    "DemoServer",
    "RequestRecord",
    "SimulatorConfig",
    "demo_server",
]
