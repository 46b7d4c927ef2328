"""The supervisor's caseload review: one short table per clinician, designed for 15 minutes.

For each open referral of a clinician: starting and latest severity (PHQ-9 and the anxiety
measure), problem descriptor, complexity markers, sessions so far, weeks in treatment, the
not-on-track and risk flags, days since the last attended contact, and whether the client is
waiting for a second treatment session.  Rows with a risk flag come first, then not-on-track
clients, then the longest since last contact.  This is a working list for supervision, not a
comparison of clinicians.

Complexity markers (plain words): "most deprived 20% of areas" (IMD decile 1-2), "long-term
condition" (when the pathways carry a ``long_term_condition`` flag), "may need an interpreter"
(preferred language recorded and not English), "referred before (n)" (earlier referrals of the
same person - people coming back for another course).
"""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd

from clearwater.dataset import contract
from clearwater.dataset.model import CleanData
from clearwater.feedback.alerts import NOT_ON_TRACK, Alerts

ENGLISH = frozenset({"en", "eng", "english"})
PHQ9_SEVERITY = (
    (20, "severe"),
    (15, "moderately severe"),
    (10, "moderate"),
    (5, "mild"),
    (0, "minimal"),
)
GAD7_SEVERITY = ((15, "severe"), (10, "moderate"), (5, "mild"), (0, "minimal"))

CASELOAD_COLUMNS = (
    "therapist_id",
    "team_id",
    "pathway_id",
    "problem_descriptor",
    "phq9_start",
    "phq9_latest",
    "anxiety_start",
    "anxiety_latest",
    "complexity",
    "sessions_so_far",
    "weeks_in_treatment",
    "not_on_track",
    "risk_flag",
    "days_since_last_contact",
    "waiting_for_second_session",
)


def severity(score: float | None, measure: str) -> str:
    """'16 (moderately severe)'; empty when there is no score."""
    if score is None or pd.isna(score):
        return ""
    bands = PHQ9_SEVERITY if measure == "PHQ9" else GAD7_SEVERITY
    label = next((lbl for lo, lbl in bands if score >= lo), "")
    if measure not in ("PHQ9", "GAD7"):
        label = measure
    return f"{score:g} ({label})"


def complexity_markers(row: pd.Series) -> str:
    marks = []
    imd = row.get("imd_decile")
    if imd is not None and not pd.isna(imd) and int(imd) <= 2:
        marks.append("most deprived 20% of areas")
    if bool(row.get("long_term_condition") or False):
        marks.append("long-term condition")
    lang = row.get("language")
    if lang is not None and not pd.isna(lang) and str(lang).strip().lower() not in ENGLISH:
        marks.append("may need an interpreter")
    prev = row.get("previous_referrals")
    if prev is not None and not pd.isna(prev) and int(prev) > 0:
        marks.append(f"referred before ({int(prev)})")
    return "; ".join(marks)


def last_contacts(data: CleanData) -> ibis.Table:
    c = data.tables["contact"]
    c = c.filter(c.attend_code.isin(list(contract.ATTENDED_CODES)))
    return c.group_by("pathway_id").aggregate(last_contact=c.contact_date.max())


def caseload_review(
    data: CleanData,
    pathways: ibis.Table,
    alerts: Alerts,
    *,
    therapist: str | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """The review table (CASELOAD_COLUMNS), for one clinician or all of them."""
    p = pathways.filter(pathways.discharge_date.isnull() & pathways.therapist_id.notnull())
    if therapist is not None:
        p = p.filter(p.therapist_id == therapist)
    wanted = [
        "pathway_id",
        "therapist_id",
        "team_id",
        "problem_descriptor",
        "first_treatment_date",
        "second_treatment_date",
        "treatment_contacts",
        "imd_decile",
        "language",
        "previous_referrals",
        "phq9_first",
        "gad7_first",
    ]
    if "long_term_condition" in p.columns:
        wanted.append("long_term_condition")
    p = p.select(*[c for c in wanted if c in p.columns])
    lc = last_contacts(data)
    frame = p.left_join(lc, "pathway_id").select(p, lc.last_contact).execute()
    if as_of is None:
        c = data.tables["contact"]
        as_of = pd.Timestamp(data.engine.execute(c.contact_date.max())).date()
    a = alerts.frame
    latest = {(r.pathway_id, r.measure): r for r in a.itertuples(index=False)}
    rows = []
    for r in frame.to_dict("records"):
        pid = r["pathway_id"]
        phq = latest.get((pid, "PHQ9"))
        anx = latest.get((pid, "GAD7"))
        risk = next(
            (x.risk_flag for x in (phq, anx) if x is not None and x.risk_flag is not None), None
        )
        not_on_track = any(x is not None and x.status == NOT_ON_TRACK for x in (phq, anx))
        ft, last = r.get("first_treatment_date"), r.get("last_contact")
        rows.append(
            {
                "therapist_id": r["therapist_id"],
                "team_id": r.get("team_id"),
                "pathway_id": pid,
                "problem_descriptor": r.get("problem_descriptor") or "",
                "phq9_start": severity(r.get("phq9_first"), "PHQ9"),
                "phq9_latest": severity(phq.score if phq is not None else None, "PHQ9"),
                # the same questionnaire as anxiety_latest (GAD-7, which the alerts follow),
                # not the problem-specific measure (IESR, OCI, ...) some referrals start with
                "anxiety_start": severity(r.get("gad7_first"), "GAD7"),
                "anxiety_latest": severity(anx.score if anx is not None else None, "GAD7"),
                "complexity": complexity_markers(pd.Series(r)),
                "sessions_so_far": int(r.get("treatment_contacts") or 0),
                "weeks_in_treatment": (
                    (as_of - pd.Timestamp(ft).date()).days // 7
                    if ft is not None and not pd.isna(ft)
                    else None
                ),
                "not_on_track": not_on_track,
                "risk_flag": risk,
                "days_since_last_contact": (
                    (as_of - pd.Timestamp(last).date()).days
                    if last is not None and not pd.isna(last)
                    else None
                ),
                "waiting_for_second_session": bool(
                    ft is not None
                    and not pd.isna(ft)
                    and (
                        r.get("second_treatment_date") is None
                        or pd.isna(r.get("second_treatment_date"))
                    )
                ),
            }
        )
    out = pd.DataFrame(rows, columns=list(CASELOAD_COLUMNS))
    if out.empty:
        return out
    out["_risk"] = out["risk_flag"].map(lambda v: 0 if v is True else 1)
    out["_days"] = -out["days_since_last_contact"].fillna(-1)
    # risk first within each clinician; the referral id breaks ties, so identical runs give
    # identical files whatever order the engine returned the rows in
    out = out.sort_values(
        ["therapist_id", "_risk", "not_on_track", "_days", "pathway_id"],
        ascending=[True, True, False, True, True],
        kind="stable",
    )
    return out.drop(columns=["_risk", "_days"]).reset_index(drop=True)
