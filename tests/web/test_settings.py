"""Production settings: ``manage.py check --deploy`` is clean; no secret in the repo."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(env_extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLEARWATER_SECRET") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(env_extra, DATABASE_URL="sqlite:///:memory:")
    env["DJANGO_SETTINGS_MODULE"] = "clearwater.web.settings_production"
    return subprocess.run(
        [sys.executable, "-m", "clearwater.web.manage", "check", "--deploy", "--fail-level",
         "WARNING"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_check_deploy_is_clean_in_production():
    r = _run({"CLEARWATER_SECRET_KEY": "k" * 20 + "-Random-Enough-#" + "z9" * 20})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_production_refuses_without_a_secret_key():
    r = _run({})
    assert r.returncode != 0
    assert "CLEARWATER_SECRET_KEY must be set" in r.stderr
