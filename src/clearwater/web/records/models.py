"""Clinical records.  Every table here is audited: each create, update and delete writes a
hash-chained trail entry with the row's content (``trail.chain.AuditedModel``).

Questionnaire scores are never overwritten: a correction is a new ``ScoreVersion`` that
keeps the old one (``superseded_at`` set), with who made it and why.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from clearwater.web.accounts.models import Staff, Team
from clearwater.web.trail.chain import AuditedModel


class Patient(AuditedModel):
    """IDS001MPI plus the name, which never leaves the app (not in any export)."""

    local_id = models.CharField(max_length=64, unique=True)  # LocalPatientId
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=2, blank=True)
    ethnic_category = models.CharField(max_length=2, blank=True)
    imd_decile = models.IntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)

    def trail_patient(self) -> str:
        return self.local_id

    @property
    def display_name(self) -> str:
        name = f"{self.given_name} {self.family_name}".strip()
        return name or self.local_id

    def __str__(self) -> str:
        return self.display_name


class Referral(AuditedModel):
    """IDS101Referral.  ``holder`` is the clinician whose caseload it is on."""

    pathway_id = models.CharField(max_length=64, unique=True)  # ServiceRequestId
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    provider_id = models.CharField(max_length=16)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    holder = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="caseload"
    )
    referral_date = models.DateField()
    referral_source = models.CharField(max_length=8, blank=True)
    discharge_date = models.DateField(null=True, blank=True)
    end_code = models.CharField(max_length=2, blank=True)
    descriptor = models.CharField(max_length=40, blank=True)  # problem descriptor (for ADSM)

    def trail_patient(self) -> str:
        return self.patient.local_id

    def __str__(self) -> str:
        return self.pathway_id


class Complaint(AuditedModel):
    """IDS603PresentingComplaints."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="complaints")
    complaint_code = models.CharField(max_length=20)
    significance = models.CharField(max_length=1, blank=True)
    complaint_date = models.DateField(null=True, blank=True)

    def trail_patient(self) -> str:
        return self.referral.patient.local_id


class Appointment(AuditedModel):
    """IDS201CareContact."""

    contact_id = models.CharField(max_length=64, unique=True)  # CareContactId
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="appointments")
    date = models.DateField()
    time = models.CharField(max_length=8, blank=True)  # HH:MM[:SS] as in the data set
    app_type = models.CharField(max_length=2)
    attend_code = models.CharField(max_length=1, blank=True)
    planned = models.CharField(max_length=1, blank=True)
    duration_min = models.IntegerField(null=True, blank=True)
    cons_mechanism = models.CharField(max_length=4, blank=True)
    clinician_id = models.CharField(max_length=64, blank=True)  # CarePersLocalId

    def trail_patient(self) -> str:
        return self.referral.patient.local_id

    def __str__(self) -> str:
        return f"{self.date:%d %B %Y} {self.time}".strip()


class CareActivity(AuditedModel):
    """IDS202CareActivity."""

    activity_id = models.CharField(max_length=64, unique=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="activities"
    )
    procedure_code = models.CharField(max_length=32, blank=True)
    clinician_id = models.CharField(max_length=64, blank=True)

    def trail_patient(self) -> str:
        return self.appointment.referral.patient.local_id


class Supervision(AuditedModel):
    """CWSupervision: supervision sessions received by a clinician."""

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="supervision")
    date = models.DateField()
    supervision_type = models.CharField(max_length=20)
    duration_min = models.IntegerField()


class EntryMode(models.TextChoices):
    SELF = "self", "completed by the patient"
    CLINICIAN = "clinician", "entered by a clinician"
    INTERPRETER = "interpreter", "entered by a clinician, answered through an interpreter"
    ADMIN = "admin", "entered by an administrator"


class Response(AuditedModel):
    """One completed questionnaire.  Its score lives in versions; the current version is
    the one with ``superseded_at`` empty.  ``level`` says which data set table it belongs
    to: ``referral`` (IDS606, own date) or ``contact`` (IDS607, in an appointment)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="responses")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    activity = models.ForeignKey(
        CareActivity, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    level = models.CharField(max_length=8, default="contact")
    instrument = models.CharField(max_length=16)  # code in the instruments register
    tool_code = models.CharField(max_length=32, blank=True)  # CodedAssToolType as received
    completed_date = models.DateField()
    completed_time = models.CharField(max_length=8, blank=True)

    def trail_patient(self) -> str:
        return self.referral.patient.local_id

    def current(self) -> ScoreVersion | None:
        return self.versions.filter(superseded_at__isnull=True).order_by("-number").first()


class ScoreVersion(AuditedModel):
    response = models.ForeignKey(Response, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    total = models.FloatField()
    item_scores = models.CharField(max_length=400, blank=True)  # comma-separated
    entry_mode = models.CharField(max_length=12, choices=EntryMode.choices)
    recorded_at = models.DateTimeField(null=True, blank=True)  # server clock, never the client
    recorded_by = models.CharField(max_length=64, blank=True)  # staff id (CW_RecordedBy)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.TextField(blank=True)  # why a clinician entered or corrected it
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="one_number_per_version")
        ]
        ordering = ["response", "number"]

    def trail_patient(self) -> str:
        return self.response.referral.patient.local_id

    def items(self) -> list[int]:
        return [int(x) for x in self.item_scores.split(",")] if self.item_scores else []


class RiskAlert(AuditedModel):
    """Raised when PHQ-9 item 9 (thoughts of being better off dead or of self-harm) is
    above 0.  Shown to the referral's clinician, their supervisor and every duty
    clinician until acknowledged with a recorded action."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="alerts")
    version = models.ForeignKey(ScoreVersion, on_delete=models.PROTECT, related_name="alerts")
    item9 = models.PositiveSmallIntegerField()
    raised_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)

    def trail_patient(self) -> str:
        return self.referral.patient.local_id


class SelfCompletionLink(AuditedModel):
    """A one-time link for the patient.  Only the SHA-256 of the token is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="links")
    instruments = models.CharField(max_length=100)  # comma-separated codes, in order
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def trail_patient(self) -> str:
        return self.appointment.referral.patient.local_id

    def instrument_list(self) -> list[str]:
        return [c for c in self.instruments.split(",") if c]


class InstrumentText(AuditedModel):
    """A version of an instrument's item texts and answer anchors, with its licence.

    Free instruments (PHQ-9, GAD-7) ship with Clearwater; copyrighted ones appear only
    when a service loads its own licensed copy.  Without texts the instrument can only be
    entered as scores by a clinician."""

    instrument = models.CharField(max_length=16)
    version = models.CharField(max_length=40)
    licence = models.TextField()
    source = models.CharField(max_length=200)
    content = models.JSONField()  # {"stem": ..., "items": [...], "anchors": [[value, label], ...]}
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=150)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="one_text_version")
        ]


class Upload(AuditedModel):
    """A data-contract folder uploaded by a user: what was accepted and quarantined."""

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField()
    files = models.JSONField(default=list)
    status = models.CharField(max_length=16)  # imported, refused
    message = models.TextField(blank=True)
    accounting = models.JSONField(default=list)
    quarantine = models.JSONField(default=list)
