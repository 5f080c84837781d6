"""The production profile: `dalun check --deploy` is clean, the secret key is required, and the settings
that protect sessions and transport are what the profile promises."""

from __future__ import annotations

import json

SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
         "CSRF_COOKIE_HTTPONLY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER", "DALUN_TRUST_X_FORWARDED_FOR",
         "AXES_HANDLER", "PASSWORD_HASHERS",
         "AXES_FAILURE_LIMIT", "DALUN_API_READ_LIMIT", "CACHES"]
print(json.dumps({n: getattr(settings, n, None) for n in names}, default=str))
"""


def test_check_deploy_is_clean_under_the_production_profile(run_dalun, production_environ):
    result = run_dalun("check", "--deploy", "--fail-level", "WARNING", environ=production_environ())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_when_production_is_misconfigured(run_dalun, production_environ):
    """The check is not clean by accident: turning protections off in production makes it fail."""
    environ = production_environ(DALUN_SECURE_COOKIES="0", DALUN_HSTS_SECONDS="0", DALUN_SSL_REDIRECT="0")
    result = run_dalun("check", "--deploy", "--fail-level", "WARNING", environ=environ)
    assert result.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(run_dalun, production_environ):
    environ = production_environ()
    del environ["DALUN_SECRET_KEY"]
    result = run_dalun("check", environ=environ)
    assert result.returncode != 0
    assert "DALUN_SECRET_KEY must be set in the production profile" in result.stderr


def test_an_unknown_profile_is_refused_by_name(run_dalun, production_environ):
    result = run_dalun("check", environ=production_environ(DALUN_PROFILE="prod"))
    assert result.returncode != 0
    assert "DALUN_PROFILE must be 'embedded' or 'production'" in result.stderr


def _settings(run_dalun, environ) -> dict:  # type: ignore[no-untyped-def]
    result = run_dalun("shell", "-c", SHOW_SETTINGS, environ=environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_protect_cookies_and_transport(run_dalun, production_environ):
    shown = _settings(
        run_dalun,
        production_environ(DALUN_API_READ_LIMIT="42", DALUN_CACHE_KEY_PREFIX="dalun-a"),
    )
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] and shown["CSRF_COOKIE_SECURE"]
    assert shown["SESSION_COOKIE_HTTPONLY"] and shown["CSRF_COOKIE_HTTPONLY"]
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] >= 365 * 86400 and shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["DALUN_TRUST_X_FORWARDED_FOR"] is True
    # The login throttle counts in the shared cache (Redis), which every process sees.
    assert shown["AXES_HANDLER"] == "axes.handlers.cache.AxesCacheHandler"
    assert "redis" in shown["CACHES"]["default"]["BACKEND"].lower()
    assert shown["CACHES"]["default"]["KEY_PREFIX"] == "dalun-a"
    assert shown["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert shown["DALUN_API_READ_LIMIT"] == 42


def test_the_embedded_profile_serves_plain_http_on_loopback(run_dalun, production_environ):
    environ = {k: v for k, v in production_environ().items() if not k.startswith("DALUN_")}
    shown = _settings(run_dalun, environ)
    assert shown["SESSION_COOKIE_SECURE"] is False and shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] is None and shown["DALUN_TRUST_X_FORWARDED_FOR"] is False
    # No shared cache: the throttle counts in the database, which a file cache could not do atomically.
    assert shown["AXES_HANDLER"] == "axes.handlers.database.AxesDatabaseHandler"
