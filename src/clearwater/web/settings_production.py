"""Production settings: everything in ``settings`` plus TLS-only cookies and HSTS.

Run behind a TLS-terminating proxy that sets ``X-Forwarded-Proto``.  Refuses to start
without ``CLEARWATER_SECRET_KEY``.  ``manage.py check --deploy`` is clean with these.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("CLEARWATER_SECRET_KEY") or os.environ["CLEARWATER_SECRET_KEY"].startswith(
    "local-"
):
    raise ImproperlyConfigured(
        "CLEARWATER_SECRET_KEY must be set (50+ random characters) in production"
    )

from clearwater.web.settings import *  # noqa: E402,F403

DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = 63072000  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
STATIC_ROOT = os.environ.get("CLEARWATER_STATIC_ROOT", "/var/lib/clearwater/static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
