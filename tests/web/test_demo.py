"""``clearwater serve --demo``: refuses clearly without a password; builds a synthetic
service with one user per role, whose trail verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner


def test_serve_demo_refuses_without_a_password(monkeypatch):
    from clearwater.cli import main

    monkeypatch.delenv("CLEARWATER_DEMO_PASSWORD", raising=False)
    monkeypatch.setattr("sys.argv", ["clearwater", "serve", "--demo"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2


def test_demo_password_message(monkeypatch):
    from clearwater.errors import ConfigError
    from clearwater.web.demo import demo_password

    monkeypatch.delenv("CLEARWATER_DEMO_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="set CLEARWATER_DEMO_PASSWORD"):
        demo_password()
    monkeypatch.setenv("CLEARWATER_DEMO_PASSWORD", "short")
    with pytest.raises(ConfigError, match="at least 12"):
        demo_password()


@pytest.mark.django_db
def test_build_demo_makes_a_service_and_users(monkeypatch):
    from django.contrib.auth import get_user_model

    from clearwater.web.accounts.models import Staff
    from clearwater.web.demo import DEMO_USERS, build_demo
    from clearwater.web.records import scope
    from clearwater.web.trail.verify import verify

    monkeypatch.setenv("CLEARWATER_DEMO_PASSWORD", "demo password 2026")
    out = build_demo(referrals=40, today=dt.date(2026, 12, 1))
    assert out["built"]
    for name in DEMO_USERS:
        assert get_user_model().objects.get(username=name).check_password("demo password 2026")
    clinician = Staff.objects.get(user__username="clinician")
    assert scope.referrals(clinician).exists()
    assert verify().intact
    assert not build_demo()["built"]  # idempotent


def test_commands_are_listed():
    from clearwater.cli import build_app

    out = CliRunner().invoke(build_app(), ["--help"]).output
    for cmd in ("serve", "export", "trail"):
        assert cmd in out
