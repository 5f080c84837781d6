"""Fixtures of the security tests: the production environment for subprocesses, a fresh login throttle."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DALUN = Path(sys.executable).with_name("dalun")


def _production_environ(**extra: str) -> dict[str, str]:
    # Nothing of the test process: its DALUN_* settings, nor DJANGO_ALLOW_ASYNC_UNSAFE of the browser tests.
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DALUN_", "DJANGO_"))}
    environ.update(
        DALUN_PROFILE="production",
        DALUN_SECRET_KEY=secrets.token_urlsafe(50),
        DALUN_DATABASE_URL="postgres://dalun@127.0.0.1:5432/dalun",
        DALUN_CACHE_URL="redis://127.0.0.1:6379/0",
        DALUN_ALLOWED_HOSTS="dalun.example.cn",
        DJANGO_SETTINGS_MODULE="dalun.settings",
    )
    environ.update(extra)
    return environ


@pytest.fixture
def production_environ() -> Callable[..., dict[str, str]]:
    """The environment of a production process (PostgreSQL, Redis, HTTPS behind a proxy), with overrides;
    the settings checks that use it contact neither server."""
    return _production_environ


@pytest.fixture
def run_dalun(tmp_path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``dalun ARGS`` in a subprocess with the given environment (its var/ in a temporary folder)."""

    def run(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
        environ = {**environ, "DALUN_VAR_DIR": str(tmp_path / "var")}
        return subprocess.run(
            [str(DALUN), *args], env=environ, cwd=ROOT, capture_output=True, text=True, timeout=120
        )

    return run


@pytest.fixture(params=["database", "cache"])
def axes_handler(request, settings) -> str:  # type: ignore[no-untyped-def]
    """Each throttle test runs with the embedded profile's store (the database) and production's (the
    shared cache; here the tests' own cache)."""
    settings.AXES_HANDLER = {
        "database": "axes.handlers.database.AxesDatabaseHandler",
        "cache": "axes.handlers.cache.AxesCacheHandler",
    }[request.param]
    return str(request.param)
