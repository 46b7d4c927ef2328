"""Which records a member of staff may see (object-level rules).

Clinicians see the referrals on their own caseload; supervisors those of their supervisees
as well as their own.  Every clinical view fetches through these querysets, so another
clinician's patient is simply not found (404).  Risk alerts are also visible to duty
clinicians.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from clearwater.web.accounts.models import Role, Staff
from clearwater.web.records.models import Patient, Referral, Response, RiskAlert


def visible_staff_ids(staff: Staff | None) -> list[int]:
    if staff is None:
        return []
    if staff.role == Role.CLINICIAN:
        return [staff.pk]
    if staff.role == Role.SUPERVISOR:
        return [staff.pk, *staff.supervisees.values_list("pk", flat=True)]
    return []


def referrals(staff: Staff | None) -> QuerySet[Referral]:
    return Referral.objects.filter(holder_id__in=visible_staff_ids(staff))


def patients(staff: Staff | None) -> QuerySet[Patient]:
    return Patient.objects.filter(referrals__in=referrals(staff)).distinct()


def responses(staff: Staff | None) -> QuerySet[Response]:
    return Response.objects.filter(referral__in=referrals(staff))


def alerts(staff: Staff | None) -> QuerySet[RiskAlert]:
    if staff is None or staff.role not in (Role.CLINICIAN, Role.SUPERVISOR):
        return RiskAlert.objects.none()
    q = Q(referral__in=referrals(staff))
    if staff.duty:
        q = Q()  # the duty clinician sees every alert in the service
    return RiskAlert.objects.filter(q)
