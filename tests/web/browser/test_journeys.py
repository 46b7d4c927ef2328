"""Journeys in a real browser, with an accessibility check on every page they visit:

1. a patient completes the questionnaires from a one-time link;
2. the clinician sees the scores and the risk alert, and records the review;
3. a correction shows in the score's history.
"""

from __future__ import annotations

import re

import pytest
from tests.web.browser.conftest import check_accessibility
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHQ = [1, 1, 2, 0, 1, 1, 0, 0, 1]  # item 9 answered "Several days"
GAD = [2, 1, 1, 1, 0, 0, 1]
LABELS = {0: "Not at all", 1: "Several days", 2: "More than half the days", 3: "Nearly every day"}


def _patient_completes(page, live_server, world, seen, check=check_accessibility):
    from clearwater.web.records.services import create_link

    _, token = create_link(world.mine.appointment, world.users["clinician"])
    page.goto(f"{live_server.url}/link/{token}/")
    assert token not in page.url  # exchanged for a session, stripped from the address
    check(page, seen)
    page.get_by_role("button", name="Start now").click()
    first = True
    for values in (PHQ, GAD):
        for v in values:
            if first:  # the error state of a question page, once
                page.get_by_role("button", name="Continue").click()
                assert page.title().startswith("Error: ")
                assert page.get_by_text("There is a problem").is_visible()
                check(page, seen)
            page.get_by_label(LABELS[v], exact=True).check()
            if first:
                check(page, seen)
                first = False
            page.get_by_role("button", name="Continue").click()
    assert "Check your answers" in page.content()
    check(page, seen)
    page.get_by_role("button", name="Confirm and send").click()
    assert "Answers sent" in page.content()
    assert "116 123" in page.content()  # where to get urgent help now
    check(page, seen)


def _login(page, live_server, username, seen):
    page.goto(f"{live_server.url}/login/")
    check_accessibility(page, seen)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_patient_then_clinician_journeys(transactional_db, world, live_server, page):
    seen: list[str] = []
    _patient_completes(page, live_server, world, seen)

    # the clinician signs in: caseload flags the risk alert
    page.context.clear_cookies()
    _login(page, live_server, "clinician", seen)
    assert "/caseload/" in page.url
    assert page.get_by_text("1 risk alert waiting for review").is_visible()
    check_accessibility(page, seen)
    page.get_by_role("link", name="Review risk alerts").click()
    check_accessibility(page, seen)
    page.get_by_role("link", name=re.compile("^Alex Example")).first.click()
    html = page.content()
    assert "PHQ9" in html and "GAD7" in html and ">7<" in html  # PHQ-9 total 7
    assert "Risk answer needs review" in html
    check_accessibility(page, seen)

    # record the review of the alert
    page.get_by_role("link", name=re.compile("^Record the review")).click()
    check_accessibility(page, seen)
    page.get_by_label(re.compile("^What was done")).fill("Phoned the patient; safety plan made.")
    page.get_by_role("button", name="Save review").click()
    assert "Risk answer needs review" not in page.content()

    # correct the PHQ-9 score; the history keeps both versions
    page.get_by_role("link", name=re.compile(r"^Details of PHQ9")).click()
    check_accessibility(page, seen)
    page.get_by_role("link", name="Correct this score").click()
    check_accessibility(page, seen)
    page.get_by_role("button", name="Save correction").click()  # no reason: error summary
    assert page.title().startswith("Error: ")
    check_accessibility(page, seen)
    page.get_by_label(re.compile("^Item answers")).fill("1,1,2,0,1,1,0,1,1")
    page.get_by_label("Reason").fill("Patient said question 8 was misread")
    page.get_by_role("button", name="Save correction").click()
    html = page.content()
    assert "Patient said question 8 was misread" in html
    assert "corrected" in html and "in use" in html and ">8<" in html
    check_accessibility(page, seen)
    assert len(seen) >= 14


def test_the_patient_journey_works_without_javascript(
    transactional_db, world, live_server, chromium
):
    from clearwater.web.records.models import Response

    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        # axe needs JavaScript; here only the journey itself is checked
        _patient_completes(page, live_server, world, [], check=lambda page, seen: None)
    finally:
        context.close()
    assert Response.objects.filter(referral=world.mine.referral).count() == 2
