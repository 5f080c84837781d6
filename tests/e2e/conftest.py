"""Browser journeys: Playwright driving Debian's Chromium, headless.

The fixtures (``browser``, ``page``, ``shot``) live in the root ``tests/conftest.py``, so that browser checks
elsewhere (audit history, the Content-Security-Policy) share the session's one browser.
"""
