"""Test settings: the normal settings, a fast password hasher, database from
``CLEARWATER_TEST_DATABASE_URL`` (PostgreSQL in CI) or in-memory SQLite."""

from __future__ import annotations

import os

os.environ.setdefault("CLEARWATER_SECRET_KEY", "test-only-" + "x" * 50)
os.environ["DATABASE_URL"] = os.environ.get("CLEARWATER_TEST_DATABASE_URL", "sqlite://:memory:")

from clearwater.web.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = True
CLEARWATER_TRAIL_ANCHOR_EVERY = 5
