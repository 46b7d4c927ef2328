"""Fixtures for the service app: a small service with one user per role."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def world(db):
    from django.contrib.auth import get_user_model

    from clearwater.web.accounts.models import Role, Staff, Team
    from clearwater.web.records.models import Appointment, Complaint, Patient, Referral

    User = get_user_model()
    team = Team.objects.create(code="T01", name="North")
    users = {}
    staff = {}
    sup_user = User.objects.create_user("supervisor", password=PASSWORD)
    staff["supervisor"] = Staff.objects.create(
        user=sup_user, role=Role.SUPERVISOR, staff_id="S1", team=team
    )
    users["supervisor"] = sup_user
    for name, role in [
        ("clinician", Role.CLINICIAN),
        ("other", Role.CLINICIAN),
        ("manager", Role.MANAGER),
        ("analyst", Role.ANALYST),
        ("admin", Role.ADMIN),
    ]:
        u = User.objects.create_user(name, password=PASSWORD)
        staff[name] = Staff.objects.create(
            user=u,
            role=role,
            staff_id=f"X-{name}",
            team=team,
            supervisor=staff["supervisor"] if name == "clinician" else None,
        )
        users[name] = u
    duty_user = User.objects.create_user("duty", password=PASSWORD)
    staff["duty"] = Staff.objects.create(
        user=duty_user, role=Role.CLINICIAN, staff_id="X-duty", team=team, duty=True
    )
    users["duty"] = duty_user

    def patient(local_id: str, holder: str, given: str):
        p = Patient.objects.create(
            local_id=local_id, given_name=given, family_name="Example",
            birth_date=dt.date(1990, 5, 17), gender="2", ethnic_category="A", imd_decile=4,
        )  # fmt: skip
        r = Referral.objects.create(
            pathway_id=f"R-{local_id}", patient=p, provider_id="RCW", team=team,
            holder=staff[holder], referral_date=dt.date(2026, 10, 1), referral_source="B1",
            descriptor="social_phobia",
        )  # fmt: skip
        Complaint.objects.create(referral=r, complaint_code="F40.1", significance="P")
        a = Appointment.objects.create(
            contact_id=f"C-{local_id}", referral=r, date=dt.date(2026, 11, 2), time="10:00",
            app_type="02", attend_code="5", planned="Y", duration_min=50,
            cons_mechanism="01", clinician_id=staff[holder].staff_id,
        )  # fmt: skip
        return SimpleNamespace(patient=p, referral=r, appointment=a)

    mine = patient("P1", "clinician", "Alex")
    theirs = patient("P2", "other", "Sam")
    return SimpleNamespace(users=users, staff=staff, team=team, mine=mine, theirs=theirs)


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_
