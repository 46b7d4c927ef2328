"""Teams and staff.  A user's role decides what they may see (``accounts.rules``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from clearwater.web.trail.chain import AuditedModel


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    MANAGER = "manager", "Service manager"
    ANALYST = "analyst", "Analyst"
    ADMIN = "admin", "Administrator"


class Team(AuditedModel):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name or self.code


class Staff(AuditedModel):
    """A member of staff with a login.  ``staff_id`` is the data set's CarePersLocalId."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )  # empty for clinicians known only from imported data
    role = models.CharField(max_length=16, choices=Role.choices)
    staff_id = models.CharField(max_length=64, unique=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    supervisor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees"
    )
    # CWStaff columns
    profession = models.CharField(max_length=16, blank=True)  # PWP, HIT, COUNSELLOR, OTHER
    fte = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    duty = models.BooleanField(default=False, help_text="duty clinician: sees every risk alert")

    def __str__(self) -> str:
        name = self.user.get_username() if self.user_id else self.staff_id
        return f"{name} ({self.role})"
