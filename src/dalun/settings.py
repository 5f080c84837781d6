"""One settings module, configured from the environment.

With no environment at all Dalun runs in its embedded profile: SQLite in WAL mode under ``var/``, a
file-based cache and the database task queue. Production sets ``DALUN_DATABASE_URL`` (PostgreSQL),
``DALUN_CACHE_URL`` (Redis) and ``DALUN_SECRET_KEY``.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DALUN_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DALUN_DEBUG", False)
EMBEDDED = "DALUN_DATABASE_URL" not in os.environ
SECRET_KEY = os.environ.get("DALUN_SECRET_KEY", "embedded-profile-only-not-secret")
ALLOWED_HOSTS = os.environ.get("DALUN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "dalun.org",
    "dalun.campaigns",
    "dalun.ledger",
    "dalun.workcalendar",
    "dalun.dashboards",
    "dalun.voices",
    "dalun.supervision",
    "dalun.portal",
    "dalun.opinions",
    "dalun.formalism",
    "dalun.apikeys",
    "dalun.audit",
    "dalun.backup",
    "dalun.web",
    "dalun.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dalun.web.security.SecureCookiesMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during authentication into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dalun.urls"
WSGI_APPLICATION = "dalun.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dalun.web.context_processors.navigation",
            ],
            "builtins": ["dalun.web.templatetags.dalun_tags"],
        },
    }
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DALUN_DATABASE_URL", f"sqlite:///{VAR_DIR / 'dalun.sqlite3'}")
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=0 if url.startswith("sqlite") else 60)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE avoids lock upgrades that deadlock.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.Person"

if "DALUN_CACHE_URL" in os.environ:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["DALUN_CACHE_URL"],
        }
    }
else:
    # A file cache is shared by the web process and the task worker of the embedded profile.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Several deployments (or test runs) may share one Redis: each keeps its keys under its own prefix.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("DALUN_CACHE_KEY_PREFIX", "")

TASK_BACKEND = os.environ.get("DALUN_TASK_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
        }[TASK_BACKEND]
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Security: the production profile, login throttling, Content-Security-Policy --------------------------
# DALUN_PROFILE=production is Dalun served over HTTPS behind a reverse proxy (docs/deployment.md): the
# secret key must come from the environment, cookies are Secure, plain HTTP is redirected and HSTS is sent.
# The embedded profile (the default) serves plain HTTP on loopback for one machine. `dalun check --deploy`
# is clean under the production profile (tests/security/test_deploy_check.py).
PROFILE = os.environ.get("DALUN_PROFILE", "embedded").strip().lower()
if PROFILE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"DALUN_PROFILE must be 'embedded' or 'production', not {PROFILE!r}")
PRODUCTION = PROFILE == "production"
if PRODUCTION and not os.environ.get("DALUN_SECRET_KEY"):
    raise ImproperlyConfigured("DALUN_SECRET_KEY must be set in the production profile")

# Behind the proxy, X-Forwarded-Proto says whether the client used HTTPS and X-Forwarded-For (set, not
# appended to, by the proxy) is the client's address for rate limits and the login throttle. Only true when
# the app port is reachable by the proxy alone.
BEHIND_PROXY = _env_bool("DALUN_BEHIND_PROXY", PRODUCTION)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DALUN_TRUST_X_FORWARDED_FOR = BEHIND_PROXY
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DALUN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

SECURE_SSL_REDIRECT = _env_bool("DALUN_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _env_bool("DALUN_SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True  # pages send the CSRF token from the template
SESSION_COOKIE_AGE = int(os.environ.get("DALUN_SESSION_SECONDS", 12 * 3600))
SECURE_HSTS_SECONDS = int(os.environ.get("DALUN_HSTS_SECONDS", 365 * 86400 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DALUN_HSTS_INCLUDE_SUBDOMAINS", True)
# Joining the browsers' preload list is the domain owner's decision, hard to undo: opt in explicitly.
SECURE_HSTS_PRELOAD = _env_bool("DALUN_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Scripts and styles come from our own static files only: no inline code, no CDN, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# Login throttling (django-axes): after DALUN_LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is refused for DALUN_LOGIN_LOCKOUT_SECONDS (429 with Retry-After), even with the right
# password. The count lives in the shared cache (Redis) when there is one, so every web process sees it;
# the embedded profile keeps it in its database, since a file cache cannot count atomically.
AUTHENTICATION_BACKENDS = [
    "dalun.web.throttling.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler"
    if "DALUN_CACHE_URL" in os.environ
    else "axes.handlers.database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = int(os.environ.get("DALUN_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(seconds=int(os.environ.get("DALUN_LOGIN_LOCKOUT_SECONDS", 15 * 60)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # so Retry-After is the whole cool-off
AXES_CLIENT_IP_CALLABLE = "dalun.web.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "dalun.web.throttling.lockout_response"

# Public rate limits (429 with Retry-After) may be tuned per deployment: requests per window in seconds.
DALUN_SUGGESTION_LIMIT, DALUN_SUGGESTION_LIMIT_WINDOW = 10, 3600  # per network, portal and API together
for _limit in ("DALUN_API_READ_LIMIT", "DALUN_SUGGESTION_LIMIT"):
    for _name in (_limit, f"{_limit}_WINDOW"):
        if _name in os.environ:
            globals()[_name] = int(os.environ[_name])

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The embedded profile keeps its database, cache and uploads under var/; make sure it exists.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DALUN_LOG_LEVEL", "WARNING")},
}

# E-mail: SMTP when DALUN_EMAIL_HOST is set, else printed on the console (the embedded demo).
if "DALUN_EMAIL_HOST" in os.environ:
    EMAIL_HOST = os.environ["DALUN_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("DALUN_EMAIL_PORT", "25"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DALUN_EMAIL_FROM", "dalun@localhost")

DALUN_CAMPAIGN_TEMPLATES_DIR = PACKAGE_DIR / "campaign_templates"
# Largest unit import accepted, in bytes (30,000 rows is about 2 MB).
DALUN_IMPORT_MAX_BYTES = 20 * 1024 * 1024

# Formalism scan thresholds (dalun.formalism.conf.DEFAULTS lists every key with its default; docs/formalism.md
# explains each). Keys given here override the defaults, e.g. {"copied_threshold": 0.85, "min_problems": 3}.
DALUN_FORMALISM: dict[str, Any] = {}
