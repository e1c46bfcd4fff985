"""Tests that drive a real JupyterLab in headless Chromium (``pytest -m browser``).

Helpers for writing more of them live in :mod:`tests.browser.jupyter`.
"""
