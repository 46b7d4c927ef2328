"""Import validated data-contract tables (a ``CleanData`` from ``load_dataset``) into the
app.  Rows whose identifier is already in the app are counted and left alone; every
imported row gets its trail entry."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone

from clearwater.instruments import load_instruments
from clearwater.web.accounts.models import Role, Staff, Team
from clearwater.web.records.models import (
    Appointment,
    CareActivity,
    Complaint,
    Patient,
    Referral,
    Response,
    ScoreVersion,
    Supervision,
)
from clearwater.web.trail.chain import append_many


def _v(x: Any) -> Any:
    """pandas missing values -> None."""
    if x is None:
        return None
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    return x


def _s(x: Any) -> str:
    x = _v(x)
    return "" if x is None else str(x)


def _d(x: Any) -> dt.date | None:
    x = _v(x)
    if x is None:
        return None
    if isinstance(x, pd.Timestamp | dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    return dt.date.fromisoformat(str(x)[:10])


def _i(x: Any) -> int | None:
    x = _v(x)
    return None if x is None else int(x)


def _frame(clean, name: str) -> pd.DataFrame:
    if not clean.has(name):
        return pd.DataFrame()
    return clean[name].to_pandas()


def _bulk(model, rows: list, patient_of=None) -> list:
    if not rows:
        return []
    created = []
    for i in range(0, len(rows), 2000):
        created.extend(model.objects.bulk_create(rows[i : i + 2000]))
    append_many(created, "create", patient_of=patient_of)
    return created


@transaction.atomic
def import_clean(clean) -> dict[str, dict[str, int]]:
    """Import every table; return {table: {"imported": n, "already": n}}."""
    inst = load_instruments()
    tz = timezone.get_current_timezone()
    summary: dict[str, dict[str, int]] = {}

    def note(table: str, imported: int, already: int) -> None:
        summary[table] = {"imported": imported, "already": already}

    staff_df = _frame(clean, "staff")
    referral_df = _frame(clean, "referral")
    contact_df = _frame(clean, "contact")

    # teams
    team_codes = set()
    for df in (staff_df, referral_df):
        if "team_id" in df:
            team_codes |= {_s(t) for t in df["team_id"] if _s(t)}
    known_teams = set(Team.objects.values_list("code", flat=True))
    _bulk(Team, [Team(code=c, name=c) for c in sorted(team_codes - known_teams)])
    teams = dict(Team.objects.values_list("code", "pk"))

    # staff (CWStaff plus any clinician seen in contacts)
    known_staff = set(Staff.objects.values_list("staff_id", flat=True))
    new_staff = []
    seen = set()
    for r in staff_df.itertuples(index=False):
        sid = _s(r.clinician_id)
        if sid in known_staff or sid in seen:
            continue
        seen.add(sid)
        fte = _v(r.fte)
        new_staff.append(
            Staff(
                staff_id=sid,
                role=Role.CLINICIAN,
                team_id=teams.get(_s(r.team_id)),
                profession=_s(r.role),
                fte=None if fte is None else round(float(fte), 2),
            )
        )
    extra = set()
    for df in (contact_df, _frame(clean, "activity")):
        if "clinician_id" in df:
            extra |= {_s(c) for c in df["clinician_id"] if _s(c)}
    for sid in sorted(extra - known_staff - seen):
        new_staff.append(Staff(staff_id=sid, role=Role.CLINICIAN))
    _bulk(Staff, new_staff)
    note("staff", len(new_staff), len(staff_df) - sum(1 for s in new_staff if s.staff_id in seen))
    staff = dict(Staff.objects.values_list("staff_id", "pk"))

    # supervision
    sup_df = _frame(clean, "supervision")
    sups = [
        Supervision(
            staff_id=staff[_s(r.clinician_id)],
            date=_d(r.supervision_date),
            supervision_type=_s(r.supervision_type),
            duration_min=_i(r.duration_min),
        )
        for r in sup_df.itertuples(index=False)
        if _s(r.clinician_id) in staff
    ]
    _bulk(Supervision, sups)
    note("supervision", len(sups), 0)

    # people
    person_df = _frame(clean, "person")
    known = set(Patient.objects.values_list("local_id", flat=True))
    people = [
        Patient(
            local_id=_s(r.person_id),
            birth_date=_d(r.birth_date),
            gender=_s(r.gender),
            ethnic_category=_s(r.ethnic_category),
            imd_decile=_i(r.imd_decile),
            language=_s(getattr(r, "language", "")),
        )
        for r in person_df.itertuples(index=False)
        if _s(r.person_id) not in known
    ]
    _bulk(Patient, people, patient_of=lambda p: p.local_id)
    note("person", len(people), len(person_df) - len(people))
    patients = dict(Patient.objects.values_list("local_id", "pk"))

    # referrals; the caseload holder is the clinician of most of the referral's contacts
    holder: dict[str, str] = {}
    if len(contact_df):
        for pid, grp in contact_df.groupby("pathway_id"):
            ids = [_s(c) for c in grp["clinician_id"] if _s(c)]
            if ids:
                holder[str(pid)] = Counter(ids).most_common(1)[0][0]
    complaint_df = _frame(clean, "complaint")
    descriptor: dict[str, str] = {}
    for r in complaint_df.itertuples(index=False):
        pid = _s(r.pathway_id)
        if pid not in descriptor or _s(r.significance) == "P":
            descriptor[pid] = inst.descriptor_for_code(_s(r.complaint_code)) or ""
    known = set(Referral.objects.values_list("pathway_id", flat=True))
    refs = [
        Referral(
            pathway_id=_s(r.pathway_id),
            patient_id=patients[_s(r.person_id)],
            provider_id=_s(r.provider_id),
            team_id=teams.get(_s(getattr(r, "team_id", ""))),
            holder_id=staff.get(holder.get(_s(r.pathway_id), "")),
            referral_date=_d(r.referral_date),
            referral_source=_s(r.referral_source),
            discharge_date=_d(r.discharge_date),
            end_code=_s(r.end_code),
            descriptor=descriptor.get(_s(r.pathway_id), ""),
        )
        for r in referral_df.itertuples(index=False)
        if _s(r.pathway_id) not in known and _s(r.person_id) in patients
    ]
    local_of = dict(Patient.objects.values_list("pk", "local_id"))
    _bulk(Referral, refs, patient_of=lambda x: local_of[x.patient_id])
    note("referral", len(refs), len(referral_df) - len(refs))
    referrals = dict(Referral.objects.values_list("pathway_id", "pk"))
    ref_patient = {pk: local_of[p] for pk, p in Referral.objects.values_list("pk", "patient_id")}

    new_ref_ids = {r.pk for r in refs}
    comps = [
        Complaint(
            referral_id=referrals[_s(r.pathway_id)],
            complaint_code=_s(r.complaint_code),
            significance=_s(r.significance),
            complaint_date=_d(r.complaint_date),
        )
        for r in complaint_df.itertuples(index=False)
        if referrals.get(_s(r.pathway_id)) in new_ref_ids
    ]
    _bulk(Complaint, comps, patient_of=lambda x: ref_patient[x.referral_id])
    note("complaint", len(comps), len(complaint_df) - len(comps))

    known = set(Appointment.objects.values_list("contact_id", flat=True))
    appts = [
        Appointment(
            contact_id=_s(r.contact_id),
            referral_id=referrals[_s(r.pathway_id)],
            date=_d(r.contact_date),
            time=_s(r.contact_time),
            app_type=_s(r.app_type),
            attend_code=_s(r.attend_code),
            planned=_s(r.planned),
            duration_min=_i(r.duration_min),
            cons_mechanism=_s(r.cons_mechanism),
            clinician_id=_s(r.clinician_id),
        )
        for r in contact_df.itertuples(index=False)
        if _s(r.contact_id) not in known and _s(r.pathway_id) in referrals
    ]
    _bulk(Appointment, appts, patient_of=lambda x: ref_patient[x.referral_id])
    note("contact", len(appts), len(contact_df) - len(appts))
    appointments = dict(Appointment.objects.values_list("contact_id", "pk"))
    appt_ref = dict(Appointment.objects.values_list("pk", "referral_id"))

    act_df = _frame(clean, "activity")
    known = set(CareActivity.objects.values_list("activity_id", flat=True))
    acts = [
        CareActivity(
            activity_id=_s(r.activity_id),
            appointment_id=appointments[_s(r.contact_id)],
            procedure_code=_s(r.procedure_code),
            clinician_id=_s(r.clinician_id),
        )
        for r in act_df.itertuples(index=False)
        if _s(r.activity_id) not in known and _s(r.contact_id) in appointments
    ]
    _bulk(CareActivity, acts, patient_of=lambda x: ref_patient[appt_ref[x.appointment_id]])
    note("activity", len(acts), len(act_df) - len(acts))

    # scores: one response + version 1 each (only for newly imported referrals/contacts)
    score_df = _frame(clean, "score")
    new_appts = {a.pk for a in appts}
    resps: list[Response] = []
    versions_data: list[dict] = []
    for r in score_df.itertuples(index=False):
        cid = _s(r.contact_id)
        appt_pk = appointments.get(cid) if cid else None
        ref_pk = referrals.get(_s(r.pathway_id))
        if ref_pk is None:
            continue
        if appt_pk is not None and appt_pk not in new_appts:
            continue
        if appt_pk is None and ref_pk not in new_ref_ids:
            continue
        level = "referral" if str(r.source_table).upper().startswith("IDS606") else "contact"
        resps.append(
            Response(
                referral_id=ref_pk,
                appointment_id=appt_pk,
                level=level,
                instrument=_s(r.tool),
                tool_code=_s(r.tool),
                completed_date=_d(r.score_date),
                completed_time=_s(r.score_time),
            )
        )
        rec = _v(r.recorded_at)
        if rec is not None:
            rec = pd.Timestamp(rec).to_pydatetime()
            rec = timezone.make_aware(rec, tz) if timezone.is_naive(rec) else rec
        total = float(r.score) + 0.0  # no negative zero
        versions_data.append(
            {
                "total": total if not math.isnan(total) else 0.0,
                "item_scores": _s(r.item_scores),
                "entry_mode": _s(r.entry_mode),
                "recorded_at": rec,
                "recorded_by": _s(r.recorded_by),
            }
        )
    resps = _bulk(Response, resps, patient_of=lambda x: ref_patient[x.referral_id])
    vers = [
        ScoreVersion(response_id=resp.pk, number=1, reason="imported", **vd)
        for resp, vd in zip(resps, versions_data, strict=True)
    ]
    resp_ref = {x.pk: x.referral_id for x in resps}
    _bulk(ScoreVersion, vers, patient_of=lambda x: ref_patient[resp_ref[x.response_id]])
    note("score", len(vers), len(score_df) - len(vers))
    return summary
