"""``clearwater serve --demo``: a synthetic service in the app, from ``clearwater synth``
data (validated by the data contract and imported like an upload), plus one user per
role.  Patients get made-up names so the pages read naturally."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from clearwater.errors import ConfigError

DEMO_USERS = ("clinician", "supervisor", "manager", "analyst", "admin")
PASSWORD_VAR = "CLEARWATER_DEMO_PASSWORD"

_GIVEN = ["Alex", "Sam", "Jo", "Priya", "Tomasz", "Aisha", "Owen", "Mei", "Kwame", "Niamh",
          "Ravi", "Sofia", "Dylan", "Hana", "Leon", "Grace", "Yusuf", "Eilidh", "Marek", "Ada"]  # fmt: skip
_FAMILY = ["Smith", "Khan", "Jones", "Patel", "Williams", "Nowak", "Brown", "Okafor", "Taylor",
           "Evans", "Ahmed", "Murphy", "Wilson", "Chen", "Davies", "Hughes"]  # fmt: skip


def demo_password() -> str:
    pw = os.environ.get(PASSWORD_VAR, "")
    if not pw:
        raise ConfigError(
            f"serve --demo: set {PASSWORD_VAR} to the password the demo users should have "
            "(at least 12 characters); it is never stored in the repository"
        )
    if len(pw) < 12:
        raise ConfigError(f"serve --demo: {PASSWORD_VAR} must be at least 12 characters")
    return pw


def build_demo(referrals: int = 300, seed: int = 7, today: dt.date | None = None) -> dict:
    """Fill an empty database with a synthetic service and the demo users."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from clearwater.dataset.load import load_dataset
    from clearwater.synth.generator import SynthConfig, synthesise, write_tables
    from clearwater.web.accounts.models import Role, Staff
    from clearwater.web.records.importer import import_clean
    from clearwater.web.records.models import Patient, Referral
    from clearwater.web.trail.chain import acting_as

    password = demo_password()
    User = get_user_model()
    if User.objects.filter(username__in=DEMO_USERS).exists():
        return {"built": False}
    today = today or dt.date.today()
    start = dt.date(today.year - 1, today.month, 1)
    result = synthesise(SynthConfig(referrals=referrals, seed=seed, start=start, months=12))
    with tempfile.TemporaryDirectory() as tmp, acting_as("command:serve --demo"):
        write_tables(result.tables, Path(tmp), "csv")
        clean = load_dataset(tmp)
        summary = import_clean(clean)
        with transaction.atomic():
            for i, p in enumerate(Patient.objects.order_by("pk")):
                p.given_name = _GIVEN[i % len(_GIVEN)]
                p.family_name = _FAMILY[(i * 7 + 3) % len(_FAMILY)]
                p.save()
            # the demo clinician holds the busiest open caseload; the supervisor supervises
            # the clinicians of the same team
            busiest = (
                Referral.objects.filter(discharge_date__isnull=True, holder__isnull=False)
                .values_list("holder", flat=True)
                .order_by("holder")
            )
            counts: dict[int, int] = {}
            for h in busiest:
                counts[h] = counts.get(h, 0) + 1
            holder = Staff.objects.get(pk=max(counts, key=counts.get)) if counts else None
            for name in DEMO_USERS:
                user = User.objects.create_user(name, password=password)
                if name == "clinician" and holder is not None:
                    holder.user = user
                    holder.save()
                    continue
                Staff.objects.create(
                    user=user,
                    role=getattr(Role, name.upper()),
                    staff_id=f"DEMO-{name}",
                    team=holder.team if holder is not None else None,
                    duty=False,
                )
            sup = Staff.objects.get(staff_id="DEMO-supervisor")
            if holder is not None:
                for s in Staff.objects.filter(team=holder.team, role=Role.CLINICIAN):
                    s.supervisor = sup
                    s.save()
    return {"built": True, "summary": summary}
