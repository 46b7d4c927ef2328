"""The patient's one-time link: 256-bit token, only its hash stored, works once, expires;
one question per page; answers recorded as "self" with the server's clock; PHQ-9 item 9
raises a risk alert for the clinician, their supervisor and the duty clinician."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from clearwater.web.records.models import Response, RiskAlert, SelfCompletionLink
from clearwater.web.records.services import create_link


@pytest.fixture
def link(world):
    return create_link(world.mine.appointment, world.users["clinician"])


def test_token_is_long_and_only_its_hash_is_stored(link):
    row, token = link
    assert len(token) >= 43  # 32 bytes base64url = 256 bits
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not SelfCompletionLink.objects.filter(token_hash=token).exists()
    assert token not in str(row.__dict__)


def test_questionnaires_follow_the_descriptor_and_the_licence(link):
    row, _ = link
    # social phobia's ADSM (SPIN) and WSAS have no shippable text: clinician entry only
    assert row.instrument_list() == ["PHQ9", "GAD7"]


def _answer_all(client, answers: dict[str, list[int]]):
    resp = client.get(reverse("q-start"))
    assert resp.status_code == 200
    for code, values in answers.items():
        for n, v in enumerate(values, start=1):
            url = reverse("q-question", args=[code, n])
            page = client.get(url)
            assert page.status_code == 200
            assert 'type="radio"' in page.content.decode()
            assert "checked" not in page.content.decode()  # never pre-selected
            r = client.post(url, {"answer": str(v)})
            assert r.status_code == 302
    return client.get(reverse("q-check"))


PHQ = [1, 1, 2, 0, 1, 1, 0, 0, 2]
GAD = [2, 1, 1, 1, 0, 0, 1]


def test_patient_completes_from_the_link(world, link, client):
    row, token = link
    r = client.get(reverse("link-redeem", args=[token]))
    assert r.status_code == 302 and r["Location"] == reverse("q-start")
    check = _answer_all(client, {"PHQ9": PHQ, "GAD7": GAD})
    assert "Check your answers" in check.content.decode()
    before = timezone.now()
    done = client.post(reverse("q-check"))
    assert done["Location"] == reverse("q-done")
    page = client.get(reverse("q-done")).content.decode()
    assert "Answers sent" in page
    assert "116 123" in page  # item 9 above 0: where to get urgent help now

    phq = Response.objects.get(referral=world.mine.referral, instrument="PHQ9")
    v = phq.current()
    assert v.total == sum(PHQ) and v.items() == PHQ
    assert v.entry_mode == "self" and v.recorded_at >= before
    assert Response.objects.get(instrument="GAD7").current().total == sum(GAD)
    row.refresh_from_db()
    assert row.completed_at is not None
    # the link works once
    again = client.get(reverse("link-redeem", args=[token]))
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_missing_answer_shows_the_error_summary(link, client):
    _, token = link
    client.get(reverse("link-redeem", args=[token]))
    r = client.post(reverse("q-question", args=["PHQ9", 1]), {})
    html = r.content.decode()
    assert r.status_code == 400
    assert "There is a problem" in html and "<title>Error: " in html


def test_expired_and_unknown_links_are_refused(world, link, client):
    row, token = link
    SelfCompletionLink.objects.filter(pk=row.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert "expired" in client.get(reverse("link-redeem", args=[token])).content.decode()
    assert "not valid" in client.get(reverse("link-redeem", args=["x" * 43])).content.decode()


def test_risk_alert_reaches_caseload_supervisor_and_duty_not_others(world, link, client):
    _, token = link
    client.get(reverse("link-redeem", args=[token]))
    _answer_all(client, {"PHQ9": PHQ, "GAD7": GAD})
    client.post(reverse("q-check"))
    alert = RiskAlert.objects.get()
    assert alert.item9 == 2
    for name, sees in [
        ("clinician", True), ("supervisor", True), ("duty", True), ("other", False),
    ]:  # fmt: skip
        client.force_login(world.users[name])
        html = client.get(reverse("alerts")).content.decode()
        assert ("Alex Example" in html) is sees, name
    client.force_login(world.users["clinician"])
    assert "1 risk alert" in client.get(reverse("caseload")).content.decode()
    r = client.post(reverse("alert-ack", args=[alert.pk]), {"action_taken": "Called; safe."})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.users["clinician"]


def test_clinician_makes_a_link_shown_once_with_a_qr_code(world, login):
    c = login(world.users["clinician"])
    r = c.post(reverse("link-create", args=[world.mine.appointment.pk]))
    page = c.get(r["Location"]).content.decode()
    assert "/link/" in page and "<svg" in page
    assert "/link/" not in c.get(r["Location"]).content.decode()  # shown once


def test_clinician_entry_and_correction_show_in_history(world, login):
    c = login(world.users["clinician"])
    r = c.post(
        reverse("score-enter", args=[world.mine.referral.pk]),
        {"instrument": "WSAS", "appointment": "", "entry_mode": "clinician", "items": "",
         "total": "18", "reason": "completed on paper in session"},
    )  # fmt: skip
    assert r.status_code == 302
    resp = Response.objects.get(instrument="WSAS")
    c.post(
        reverse("response-correct", args=[resp.pk]),
        {"items": "", "total": "20", "reason": "added the paper form's last item"},
    )
    html = c.get(reverse("response", args=[resp.pk])).content.decode()
    assert "completed on paper in session" in html and "added the paper form" in html
    assert "corrected" in html and "in use" in html
    assert [v.total for v in resp.versions.order_by("number")] == [18.0, 20.0]


def test_answers_given_through_an_interpreter_are_recorded_as_such_with_the_reason(world, login):
    c = login(world.users["clinician"])
    url = reverse("score-enter", args=[world.mine.referral.pk])
    form = {"instrument": "GAD7", "appointment": "", "entry_mode": "interpreter",
            "items": "2,2,1,1,2,1,1", "total": "10", "reason": ""}  # fmt: skip
    assert c.post(url, form).status_code == 200  # no reason: refused, nothing stored
    assert not Response.objects.filter(instrument="GAD7").exists()
    form["reason"] = "Dari interpreter in the session"
    assert c.post(url, form).status_code == 302
    v = Response.objects.get(instrument="GAD7").current()
    assert v.entry_mode == "interpreter" and v.total == 10.0
    assert "interpreter" in c.get(url).content.decode()  # the choice is offered


def test_a_patient_may_pause_for_20_hours(link, client):
    _, token = link
    client.get(reverse("link-redeem", args=[token]))
    assert client.session.get_expiry_age() == 20 * 3600
