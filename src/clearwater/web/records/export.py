"""Export the app's records as a data-contract folder (one CSV per table, data-set column
names, the CW_ extension columns and CWStaff), so every other ``clearwater`` command reads
it unchanged.  Each score is exported as its current version.

``deidentified=True`` (for analysts) replaces patient, referral, contact and activity
identifiers with keyed hashes (HMAC-SHA-256 with the app's secret key, stable within one
installation) and moves every date of birth to the first of its month.  That is
pseudonymisation, not anonymisation: keep such exports inside the organisation.

Every export writes a trail entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.utils import timezone

from clearwater.dataset import contract
from clearwater.outputs.tables import write_csv
from clearwater.web.accounts.models import Staff
from clearwater.web.records.models import (
    Appointment,
    CareActivity,
    Complaint,
    Patient,
    Referral,
    ScoreVersion,
    Supervision,
)
from clearwater.web.trail.chain import append


def _pseudo(kind: str):
    key = settings.SECRET_KEY.encode("utf-8")

    def f(value: str) -> str:
        if not value:
            return value
        mac = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:16]
        return f"{kind[0].upper()}{mac}"

    return f


def _iso(d) -> str:
    return d.isoformat() if d else ""


def _num(x) -> str:
    if x is None:
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def _local(ts) -> str:
    if ts is None:
        return ""
    return timezone.localtime(ts).replace(tzinfo=None).isoformat(timespec="seconds")


def clean_frames(*, deidentified: bool = False) -> dict[str, pd.DataFrame]:
    """Every contract table as a frame with clean column names and text values."""
    person = _pseudo("person") if deidentified else str
    path = _pseudo("referral") if deidentified else str
    contact = _pseudo("contact") if deidentified else str
    activity = _pseudo("activity") if deidentified else str

    def dob(d):
        if d is None:
            return ""
        return (d.replace(day=1) if deidentified else d).isoformat()

    frames: dict[str, list[dict]] = {k: [] for k in contract.TABLES_BY_CLEAN}
    for p in Patient.objects.order_by("pk").iterator():
        frames["person"].append(
            {
                "person_id": person(p.local_id),
                "birth_date": dob(p.birth_date),
                "gender": p.gender,
                "ethnic_category": p.ethnic_category,
                "imd_decile": "" if p.imd_decile is None else str(p.imd_decile),
                "language": p.language,
            }
        )
    for r in Referral.objects.select_related("patient", "team").order_by("pk").iterator():
        frames["referral"].append(
            {
                "pathway_id": path(r.pathway_id),
                "person_id": person(r.patient.local_id),
                "provider_id": r.provider_id,
                "referral_date": _iso(r.referral_date),
                "referral_source": r.referral_source,
                "discharge_date": _iso(r.discharge_date),
                "end_code": r.end_code,
                "team_id": r.team.code if r.team else "",
            }
        )
    for c in Complaint.objects.select_related("referral").order_by("pk").iterator():
        frames["complaint"].append(
            {
                "pathway_id": path(c.referral.pathway_id),
                "complaint_code": c.complaint_code,
                "significance": c.significance,
                "complaint_date": _iso(c.complaint_date),
            }
        )
    for a in Appointment.objects.select_related("referral").order_by("pk").iterator():
        frames["contact"].append(
            {
                "contact_id": contact(a.contact_id),
                "pathway_id": path(a.referral.pathway_id),
                "contact_date": _iso(a.date),
                "contact_time": a.time,
                "app_type": a.app_type,
                "attend_code": a.attend_code,
                "planned": a.planned,
                "duration_min": "" if a.duration_min is None else str(a.duration_min),
                "cons_mechanism": a.cons_mechanism,
                "clinician_id": a.clinician_id,
            }
        )
    for a in CareActivity.objects.select_related("appointment").order_by("pk").iterator():
        frames["activity"].append(
            {
                "activity_id": activity(a.activity_id),
                "contact_id": contact(a.appointment.contact_id),
                "procedure_code": a.procedure_code,
                "clinician_id": a.clinician_id,
            }
        )
    current = (
        ScoreVersion.objects.filter(superseded_at__isnull=True)
        .select_related("response__referral", "response__appointment", "response__activity")
        .order_by("response_id")
    )
    for v in current.iterator():
        r = v.response
        common = {
            "tool": r.tool_code or r.instrument,
            "score": _num(v.total),
            "item_scores": v.item_scores,
            "recorded_at": _local(v.recorded_at),
            "recorded_by": v.recorded_by,
            "entry_mode": v.entry_mode,
        }
        if r.level == "referral" or r.appointment is None:
            frames["score_referral"].append(
                {
                    "pathway_id": path(r.referral.pathway_id),
                    "score_date": _iso(r.completed_date),
                    "score_time": r.completed_time,
                    **common,
                }
            )
        else:
            frames["score_activity"].append(
                {
                    "contact_id": contact(r.appointment.contact_id),
                    "activity_id": activity(r.activity.activity_id) if r.activity else "",
                    **common,
                }
            )
    for s in Staff.objects.select_related("team").order_by("pk").iterator():
        frames["staff"].append(
            {
                "clinician_id": s.staff_id,
                "team_id": s.team.code if s.team else "",
                "role": s.profession,
                "fte": _num(s.fte),
            }
        )
    for s in Supervision.objects.select_related("staff").order_by("pk").iterator():
        frames["supervision"].append(
            {
                "clinician_id": s.staff.staff_id,
                "supervision_date": _iso(s.date),
                "supervision_type": s.supervision_type,
                "duration_min": str(s.duration_min),
            }
        )
    out = {}
    for name, rows in frames.items():
        spec = contract.TABLES_BY_CLEAN[name]
        cols = [c.clean for c in spec.columns]
        out[name] = pd.DataFrame(rows, columns=cols, dtype=object).fillna("")
    return out


def export_folder(out: str | Path, *, deidentified: bool = False) -> list[Path]:
    """Write the folder; tables with no rows are left out unless required."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frames = clean_frames(deidentified=deidentified)
    written = []
    for name, frame in frames.items():
        spec = contract.TABLES_BY_CLEAN[name]
        if frame.empty and not spec.required:
            continue
        renamed = frame.rename(columns={c.clean: c.source for c in spec.columns})
        written.append(write_csv(renamed, out / f"{spec.source}.csv"))
    append(
        "export",
        details={
            "folder": str(out),
            "deidentified": deidentified,
            "rows": {k: len(v) for k, v in frames.items()},
            "at": dt.datetime.now(dt.UTC).isoformat(),
        },
    )
    return written
