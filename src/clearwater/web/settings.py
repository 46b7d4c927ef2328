"""Settings for the service app, read from the environment (no secret in the repository).

Environment variables:

- ``CLEARWATER_SECRET_KEY``: required in production (``CLEARWATER_ENV=production``); for
  local use ``clearwater serve`` makes a random key for the process if none is set.
- ``DATABASE_URL``: e.g. ``postgres://user:pass@host:5432/db``; default a SQLite file
  ``clearwater-service.sqlite3`` in the working folder (``clearwater serve --database``
  sets it).
- ``CLEARWATER_ALLOWED_HOSTS``: comma-separated host names (default loopback only).
- ``CLEARWATER_ENV``: ``production`` switches on the TLS-only settings (secure cookies,
  HSTS, redirect to HTTPS); see ``settings_production``.
- ``CLEARWATER_ANCHOR_FILE``: optional file the trail appends its periodic anchors to
  (keep it outside the database, ideally on write-once storage).
- ``CLEARWATER_TRAIL_ANCHOR_EVERY``: anchor every N trail entries (default 100).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("CLEARWATER_SECRET_KEY") or ""
if not SECRET_KEY:
    # Local use only: a fresh key per process (sessions do not survive a restart).
    # settings_production refuses to start without CLEARWATER_SECRET_KEY.
    SECRET_KEY = "local-" + secrets.token_urlsafe(48)
    os.environ["CLEARWATER_SECRET_KEY"] = SECRET_KEY

DEBUG = os.environ.get("CLEARWATER_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CLEARWATER_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "clearwater.web.trail",
    "clearwater.web.accounts",
    "clearwater.web.records",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clearwater.web.accounts.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "clearwater.web.accounts.middleware.AccessRulesMiddleware",
]

ROOT_URLCONF = "clearwater.web.urls"
WSGI_APPLICATION = "clearwater.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clearwater.web.accounts.context.role",
            ],
        },
    }
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL") or "sqlite:///clearwater-service.sqlite3"
    cfg = dj_database_url.parse(url, conn_max_age=60)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two requests
        # never both read the trail head and then race to extend it.
        cfg["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
        cfg["CONN_MAX_AGE"] = 0
    return cfg


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Argon2id first (OWASP; ASVS 2.4); the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# django-axes: lock an account after repeated failures (ASVS 2.2.1 allows at most 100/hour).
AXES_FAILURE_LIMIT = int(os.environ.get("CLEARWATER_LOGIN_FAILURES", "10"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lock per account, not per address: NHS sites put many staff behind one address, so an
# address lock would lock a whole team out.  (axes warns about this choice: W006.)
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: 30 minutes idle (renewed on each request), gone when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The whole policy: scripts and styles only from our own static files, no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True  # stored in UTC

STATIC_URL = "/static/"
# Only production collects static files (settings_production); locally whitenoise serves
# them straight from the package.
STATIC_ROOT = os.environ.get("CLEARWATER_STATIC_ROOT") or None
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the package (no collectstatic step needed for local use).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
UPLOAD_ROOT = Path(os.environ.get("CLEARWATER_UPLOAD_ROOT", "clearwater-uploads"))

CLEARWATER_TRAIL_ANCHOR_EVERY = int(os.environ.get("CLEARWATER_TRAIL_ANCHOR_EVERY", "100"))
CLEARWATER_ANCHOR_FILE = os.environ.get("CLEARWATER_ANCHOR_FILE", "")
# Self-completion links: how long a link stays valid.
CLEARWATER_LINK_HOURS = int(os.environ.get("CLEARWATER_LINK_HOURS", "72"))
CLEARWATER_SERVICE_NAME = os.environ.get("CLEARWATER_SERVICE_NAME", "Talking Therapies")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.security": {"handlers": ["console"], "level": "WARNING"}},
}
