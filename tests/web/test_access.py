"""Access rules: every URL pattern, every role and anonymous, against the allowed set.

A new view without a rule in ``accounts.rules.ACCESS`` fails here (and is refused to
everyone by the middleware).  Object-level guards: another clinician's patient is 404.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clearwater.web.accounts import rules
from clearwater.web.trail.models import TrailEntry

ROLES = ["anonymous", "clinician", "supervisor", "manager", "analyst", "admin", "patient"]


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p


def test_every_url_pattern_has_a_rule():
    names = [p.name for p in _patterns()]
    assert None not in names, "every URL pattern needs a name (and a rule)"
    missing = sorted(set(names) - set(rules.ACCESS))
    assert not missing, f"URL names without an access rule: {missing}"
    stale = sorted(set(rules.ACCESS) - set(names))
    assert not stale, f"rules for URL names that do not exist: {stale}"


def _kwargs(name, world, link_token):
    from clearwater.web.records.models import Response, RiskAlert, SelfCompletionLink, Upload

    mine = world.mine
    resp = Response.objects.filter(referral=mine.referral).first()
    return {
        "link-redeem": {"token": link_token},
        "q-question": {"code": "PHQ9", "number": 1},
        "alert-ack": {"pk": RiskAlert.objects.filter(referral=mine.referral).first().pk},
        "patient": {"pk": mine.patient.pk},
        "response": {"pk": resp.pk},
        "response-correct": {"pk": resp.pk},
        "score-enter": {"pk": mine.referral.pk},
        "link-create": {"pk": mine.appointment.pk},
        "link-show": {"pk": SelfCompletionLink.objects.first().pk},
        "upload-result": {"pk": Upload.objects.first().pk},
    }.get(name, {})


@pytest.fixture
def seeded(world):
    from django.utils import timezone

    from clearwater.web.records.models import Upload
    from clearwater.web.records.services import create_link, record_response

    record_response(
        referral=world.mine.referral, instrument="PHQ9", items=[0, 0, 0, 0, 0, 0, 0, 0, 1],
        entry_mode="self", appointment=world.mine.appointment,
    )  # fmt: skip
    Upload.objects.create(
        uploaded_by=world.users["admin"], uploaded_at=timezone.now(), status="refused"
    )
    create_link(world.mine.appointment, world.users["clinician"])
    return world


def _client_for(role, world, client):
    from clearwater.web.accounts.middleware import PATIENT_SESSION_KEY
    from clearwater.web.records.models import SelfCompletionLink

    if role == "anonymous":
        client.logout()
        return client
    if role == "patient":
        session = client.session
        session[PATIENT_SESSION_KEY] = SelfCompletionLink.objects.first().pk
        session.save()
        return client
    client.force_login(world.users[role])
    return client


def _allowed_status(status):
    return status not in (403, 405) and not (300 <= status < 400 and status != 302)


@pytest.mark.parametrize("role", ROLES)
def test_every_url_with_every_role(role, seeded, client):
    from clearwater.web.records.services import create_link

    c = _client_for(role, seeded, client)
    denied_before = TrailEntry.objects.filter(action="denied").count()
    checked = 0
    for p in _patterns():
        if p.name == "logout":
            continue  # would end the session for the rest of the walk
        _, token = create_link(seeded.mine.appointment, seeded.users["clinician"])
        url = reverse(p.name, kwargs=_kwargs(p.name, seeded, token))
        resp = c.get(url)
        allowed = rules.allowed(p.name, role)
        if allowed:
            assert resp.status_code in (200, 302, 404, 405, 410), (role, p.name, resp.status_code)
            if resp.status_code == 302:
                assert not resp["Location"].startswith(reverse("login")), (role, p.name)
        elif role == "anonymous":
            assert resp.status_code == 302 and resp["Location"].startswith(reverse("login")), (
                role, p.name, resp.status_code,
            )  # fmt: skip
        else:
            assert resp.status_code == 403, (role, p.name, resp.status_code)
        checked += 1
        if p.name == "link-redeem" and role != "patient":
            c = _client_for(role, seeded, client)  # redeeming replaced the session
    assert checked == len(list(_patterns())) - 1
    if role not in ("anonymous",):
        expected_denials = sum(
            1 for p in _patterns() if p.name != "logout" and not rules.allowed(p.name, role)
        )
        assert TrailEntry.objects.filter(action="denied").count() - denied_before >= (
            expected_denials if role != "patient" else 0
        )


def test_another_clinicians_patient_is_not_found(seeded, login):
    c = login(seeded.users["clinician"])
    theirs = seeded.theirs
    assert c.get(reverse("patient", args=[theirs.patient.pk])).status_code == 404
    assert c.get(reverse("score-enter", args=[theirs.referral.pk])).status_code == 404
    assert c.post(reverse("link-create", args=[theirs.appointment.pk])).status_code == 404
    assert c.get(reverse("patient", args=[seeded.mine.patient.pk])).status_code == 200


def test_supervisor_sees_supervisees_only(seeded, login):
    c = login(seeded.users["supervisor"])
    assert c.get(reverse("patient", args=[seeded.mine.patient.pk])).status_code == 200
    assert c.get(reverse("patient", args=[seeded.theirs.patient.pk])).status_code == 404


def test_viewing_a_patient_is_in_the_trail(seeded, login):
    c = login(seeded.users["clinician"])
    c.get(reverse("patient", args=[seeded.mine.patient.pk]))
    e = TrailEntry.objects.filter(action="view", table="patient").last()
    assert e.actor == "clinician" and e.patient == "P1"


def test_manager_figures_have_no_names(seeded, login):
    c = login(seeded.users["manager"])
    html = c.get(reverse("figures")).content.decode()
    assert "T01" in html
    assert "Alex" not in html and "P1" not in html


def test_security_headers(seeded, login):
    c = login(seeded.users["clinician"])
    resp = c.get(reverse("caseload"))
    csp = resp["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["Cache-Control"] == "no-store"


def test_login_and_failed_login_are_in_the_trail(seeded, client):
    from tests.web.conftest import PASSWORD

    client.post(reverse("login"), {"username": "clinician", "password": "wrong password!!"})
    client.post(reverse("login"), {"username": "clinician", "password": PASSWORD})
    actions = list(TrailEntry.objects.filter(actor="clinician").values_list("action", flat=True))
    assert "login-failed" in actions and "login" in actions


def test_repeated_failed_logins_lock_the_account(seeded, client):
    from django.conf import settings
    from tests.web.conftest import PASSWORD

    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "analyst", "password": "wrong password!!"})
    r = client.post(reverse("login"), {"username": "analyst", "password": PASSWORD})
    assert r.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_staff_sessions_expire_after_30_idle_minutes(seeded, login):
    from django.conf import settings

    c = login(seeded.users["clinician"])
    c.get(reverse("caseload"))
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    assert c.session.get_expiry_age() <= 30 * 60
