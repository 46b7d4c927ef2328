"""Clinician and team workload by week: caseload, contacts, back-to-back runs, hours, supervision.

Row-level work runs in Ibis (DuckDB or Spark): weekly counts per clinician, the longest run of
back-to-back contacts in a day (a gaps-and-islands window calculation), open caseload at each
week (a range join of pathways onto the week calendar), supervision minutes by type.  Only
the clinician x week aggregates come back to Python, where FTE, guidance and SPC are applied.

Definitions (all thresholds are local policy, configurable in :class:`WorkloadSettings`):

- *attended contact*: AttendOrDNACode 5 or 6; *DNA*: 3; *cancellation*: 2 (patient) or 4
  (provider).
- *back-to-back*: the next attended contact of the day starts no more than ``max_gap_min``
  minutes after the previous one ends (start + recorded duration, or ``default_duration_min``
  when no duration is recorded).  A run is a maximal chain of back-to-back contacts; its length
  is the number of contacts.
- *clinical hours*: the recorded durations of attended contacts, per week, against FTE
  (``hours_per_fte_warning`` = 20 attended clinical hours per full-time week, a planning figure
  from a secondary source, not a national standard).
- *supervision against guidance* (IAPT Supervision Guidance 2008/2011): PWPs at least 60
  minutes of case-management supervision a week (pro rata FTE) and clinical-skills supervision
  at least fortnightly; high-intensity therapists and others supervision every week.  Weeks
  with no attended contacts (leave) are not judged.
- *open caseload* at a week: the clinician's pathways that started treatment on or before the
  week's last day and were not discharged before its first day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from clearwater.dataset import contract
from clearwater.dataset.model import CleanData
from clearwater.errors import ClearwaterError
from clearwater.stats.xmr import xmr


@dataclass(frozen=True)
class WorkloadSettings:
    max_gap_min: int = 10
    default_duration_min: int = 45
    hours_per_fte_warning: float = 20.0
    pwp_case_management_min_per_week: float = 60.0
    pwp_clinical_skills_every_weeks: int = 2
    other_supervision_every_weeks: int = 1


CLINICIAN_WEEK_COLUMNS = (
    "clinician_id",
    "week_start",
    "attended",
    "dna",
    "cancelled",
    "days_worked",
    "clinical_minutes",
    "longest_run",
    "open_caseload",
    "case_management_min",
    "clinical_skills_min",
    "supervision_sessions",
)


def _minutes_of_day(t: ibis.StringValue) -> ibis.IntegerValue:
    return t.substr(0, 2).cast("int64") * 60 + t.substr(3, 2).cast("int64")


def _week(d: ibis.DateValue) -> ibis.DateValue:
    return d.truncate("W")


def contacts_with_clinician(data: CleanData) -> ibis.Table:
    """Contacts with their clinician: the contact's own, else its first activity's."""
    c = data.tables["contact"]
    if data.has("activity"):
        a = data.tables["activity"]
        a = a.filter(a.clinician_id.notnull())
        act = a.group_by("contact_id").aggregate(act_clinician=a.clinician_id.min())
        c = c.left_join(act, "contact_id")
        c = c.mutate(clinician=ibis.coalesce(c.clinician_id, c.act_clinician))
    else:
        c = c.mutate(clinician=c.clinician_id)
    return c.filter(c.clinician.notnull())


def back_to_back_runs(contacts: ibis.Table, settings: WorkloadSettings) -> ibis.Table:
    """Longest back-to-back run per clinician and day: clinician, contact_date, longest_run."""
    att = contacts.filter(
        contacts.attend_code.isin(list(contract.ATTENDED_CODES)) & contacts.contact_time.notnull()
    )
    att = att.mutate(
        start=_minutes_of_day(att.contact_time),
        dur=att.duration_min.fill_null(settings.default_duration_min).cast("int64"),
    )
    att = att.mutate(end=att.start + att.dur)
    w = ibis.window(
        group_by=[att.clinician, att.contact_date], order_by=[att.start, att.contact_id]
    )
    att = att.mutate(prev_end=att.end.lag().over(w))
    gap = att.start - att.prev_end
    att = att.mutate(
        new_run=ibis.ifelse(att.prev_end.isnull() | (gap > settings.max_gap_min), 1, 0).cast(
            "int64"
        )
    )
    att = att.mutate(
        run_id=att.new_run.cumsum(
            group_by=[att.clinician, att.contact_date], order_by=[att.start, att.contact_id]
        )
    )
    runs = att.group_by(["clinician", "contact_date", "run_id"]).aggregate(length=att.count())
    return runs.group_by(["clinician", "contact_date"]).aggregate(longest_run=runs.length.max())


def week_calendar(first: date, last: date) -> pd.DataFrame:
    start = first - timedelta(days=first.weekday())
    weeks = []
    d = start
    while d <= last:
        weeks.append({"week_start": d, "week_end": d + timedelta(days=6)})
        d += timedelta(days=7)
    return pd.DataFrame(weeks)


def clinician_weeks(
    data: CleanData, pathways: ibis.Table, settings: WorkloadSettings | None = None
) -> pd.DataFrame:
    """The clinician x week table (CLINICIAN_WEEK_COLUMNS), computed in the engine."""
    settings = settings or WorkloadSettings()
    c = contacts_with_clinician(data)
    attended = c.attend_code.isin(list(contract.ATTENDED_CODES))
    c = c.mutate(week_start=_week(c.contact_date), _att=attended)
    weekly = c.group_by(["clinician", "week_start"]).aggregate(
        attended=c._att.sum().cast("int64"),
        dna=(c.attend_code == "3").sum().cast("int64"),
        cancelled=c.attend_code.isin(["2", "4"]).sum().cast("int64"),
        days_worked=c.contact_date.nunique(where=c._att).cast("int64"),
        clinical_minutes=ibis.ifelse(
            c._att, c.duration_min.fill_null(settings.default_duration_min), 0
        )
        .sum()
        .cast("int64"),
    )
    runs = back_to_back_runs(c, settings)
    runs = runs.mutate(week_start=_week(runs.contact_date))
    runs = runs.group_by(["clinician", "week_start"]).aggregate(
        longest_run=runs.longest_run.max().cast("int64")
    )
    weekly = weekly.left_join(runs, ["clinician", "week_start"]).select(
        weekly, longest_run=runs.longest_run
    )
    span = c.aggregate(first=c.contact_date.min(), last=c.contact_date.max()).execute()
    if span.empty or pd.isna(span.iloc[0]["first"]):
        raise ClearwaterError("no care contacts with a clinician: workload cannot be measured")
    first, last = (
        pd.Timestamp(span.iloc[0]["first"]).date(),
        pd.Timestamp(span.iloc[0]["last"]).date(),
    )
    cal = data.engine.table(week_calendar(first, last))
    # open caseload: a range join of treated pathways onto the week calendar
    p = pathways.filter(pathways.first_treatment_date.notnull() & pathways.therapist_id.notnull())
    j = p.join(
        cal,
        [
            p.first_treatment_date <= cal.week_end,
            p.discharge_date.isnull() | (p.discharge_date >= cal.week_start),
        ],
    )
    case = j.group_by([j.therapist_id, j.week_start]).aggregate(
        open_caseload=j.count().cast("int64")
    )
    case = case.rename(clinician="therapist_id")
    frames = [weekly.execute(), case.execute()]
    if data.has("supervision"):
        s = data.tables["supervision"]
        s = s.mutate(week_start=_week(s.supervision_date))
        sup = s.group_by([s.clinician_id, s.week_start]).aggregate(
            case_management_min=ibis.ifelse(
                s.supervision_type == "case_management", s.duration_min, 0
            )
            .sum()
            .cast("int64"),
            clinical_skills_min=ibis.ifelse(
                s.supervision_type == "clinical_skills", s.duration_min, 0
            )
            .sum()
            .cast("int64"),
            supervision_sessions=s.count().cast("int64"),
        )
        frames.append(sup.rename(clinician="clinician_id").execute())
    out = frames[0]
    for f in frames[1:]:
        for col in ("week_start",):
            f[col] = pd.to_datetime(f[col]).dt.date
        out["week_start"] = pd.to_datetime(out["week_start"]).dt.date
        out = out.merge(f, on=["clinician", "week_start"], how="left")
    out = out.rename(columns={"clinician": "clinician_id"})
    for col in CLINICIAN_WEEK_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan if col.endswith("_min") or col == "supervision_sessions" else 0
    ints = ["open_caseload", "longest_run"]
    if data.has("supervision"):
        ints += ["case_management_min", "clinical_skills_min", "supervision_sessions"]
    for col in ints:
        out[col] = out[col].fillna(0).astype("int64")
    out["week_start"] = pd.to_datetime(out["week_start"]).dt.date
    return (
        out[list(CLINICIAN_WEEK_COLUMNS)]
        .sort_values(["clinician_id", "week_start"])
        .reset_index(drop=True)
    )


def staff_frame(data: CleanData) -> pd.DataFrame:
    """clinician_id, team_id, role, fte (from CWStaff when present)."""
    if data.has("staff"):
        st = data.tables["staff"].select("clinician_id", "team_id", "role", "fte").execute()
        return st.drop_duplicates("clinician_id")
    return pd.DataFrame(columns=["clinician_id", "team_id", "role", "fte"])


def apply_guidance(
    weeks: pd.DataFrame,
    staff: pd.DataFrame,
    settings: WorkloadSettings | None = None,
    *,
    has_supervision: bool = True,
) -> pd.DataFrame:
    """Add team, role, fte, rates per day and per FTE, and whether supervision met guidance."""
    settings = settings or WorkloadSettings()
    out = weeks.merge(staff, on="clinician_id", how="left")
    out["team_id"] = out["team_id"].fillna("Unknown team")
    out["role"] = out["role"].fillna("OTHER")
    out["fte_known"] = out["fte"].notna()
    out["fte"] = out["fte"].fillna(1.0).clip(lower=0.1)
    out["contacts_per_day"] = np.where(
        out["days_worked"] > 0, out["attended"] / out["days_worked"].replace(0, np.nan), np.nan
    )
    out["clinical_hours"] = out["clinical_minutes"] / 60.0
    out["clinical_hours_per_fte"] = out["clinical_hours"] / out["fte"]
    out["hours_over_guide"] = out["clinical_hours_per_fte"] > settings.hours_per_fte_warning
    out["working_week"] = out["attended"] > 0
    met: list[object] = []
    if not has_supervision:
        out["supervision_met"] = None
        return out
    out = out.sort_values(["clinician_id", "week_start"]).reset_index(drop=True)
    for _, g in out.groupby("clinician_id", sort=False):
        cs = g["clinical_skills_min"].to_numpy() > 0
        any_sup = g["supervision_sessions"].to_numpy() > 0
        dates = pd.to_datetime(g["week_start"]).to_numpy()
        for k, (_, r) in enumerate(g.iterrows()):
            if not r["working_week"]:
                met.append(None)
                continue

            def within(
                mask: np.ndarray, weeks_back: int, _k: int = k, _d: np.ndarray = dates
            ) -> bool:
                lo = _d[_k] - np.timedelta64(7 * (weeks_back - 1), "D")
                sel = (_d <= _d[_k]) & (_d >= lo)
                return bool(mask[sel].any())

            if r["role"] == "PWP":
                cm_ok = r["case_management_min"] >= (
                    settings.pwp_case_management_min_per_week * r["fte"] - 1e-9
                )
                met.append(bool(cm_ok and within(cs, settings.pwp_clinical_skills_every_weeks)))
            else:
                met.append(within(any_sup, settings.other_supervision_every_weeks))
    out["supervision_met"] = met
    return out


def team_weeks(clinician_weeks_frame: pd.DataFrame) -> pd.DataFrame:
    """Team x week totals and rates (never below team level)."""
    f = clinician_weeks_frame
    g = f.groupby(["team_id", "week_start"])
    out = g.agg(
        clinicians=("clinician_id", "nunique"),
        fte=("fte", "sum"),
        attended=("attended", "sum"),
        dna=("dna", "sum"),
        cancelled=("cancelled", "sum"),
        clinical_hours=("clinical_hours", "sum"),
        open_caseload=("open_caseload", "sum"),
        longest_run=("longest_run", "max"),
    ).reset_index()
    sup = f[f["working_week"]].groupby(["team_id", "week_start"])["supervision_met"]
    share = sup.agg(lambda s: np.nan if s.isna().all() else float(s.dropna().astype(bool).mean()))
    out = out.merge(share.rename("supervision_met_share").reset_index(), how="left")
    out["clinical_hours_per_fte"] = out["clinical_hours"] / out["fte"]
    out["caseload_per_fte"] = out["open_caseload"] / out["fte"]
    booked = out["attended"] + out["dna"]
    out["dna_rate"] = np.where(booked > 0, out["dna"] / booked.replace(0, np.nan), np.nan)
    return out


# --------------------------------------------------------------------------------------
# SPC (XmR, Making Data Count defaults)
# --------------------------------------------------------------------------------------


def team_chart(values: Sequence[float]) -> pd.DataFrame:
    """One team's weekly XmR chart as columns value, centre, upper, lower and signal (the rule
    that fired, or '').  The chart is :func:`clearwater.stats.xmr.xmr`, the one XmR in
    Clearwater (Making Data Count defaults and all its rules, two-in-three included); a week
    with no figure (no FTE recorded) is a gap.  Fewer than two known weeks: no limits."""
    x = np.asarray(values, dtype=float)
    x = np.where(np.isfinite(x), x, np.nan)
    out = pd.DataFrame({"value": x})
    if np.isfinite(x).sum() < 2:
        out["centre"], out["upper"], out["lower"], out["signal"] = np.nan, np.nan, np.nan, ""
        return out
    points = xmr(x, missing="gap").points
    out["centre"] = points["centre"].to_numpy()
    out["upper"] = points["upl"].to_numpy()
    out["lower"] = points["lpl"].to_numpy()
    out["signal"] = points["rule"].to_numpy()
    return out


@dataclass(frozen=True)
class WorkloadResult:
    clinician_weeks: pd.DataFrame
    team_weeks: pd.DataFrame
    spc: pd.DataFrame  # team_id, measure, week_start, value, centre, upper, lower, signal
    settings: WorkloadSettings = field(default_factory=WorkloadSettings)
    has_supervision: bool = True
    has_staff: bool = True

    def to_frame(self) -> pd.DataFrame:
        return self.team_weeks


SPC_MEASURES = {
    "clinical_hours_per_fte": "Attended clinical hours per FTE",
    "caseload_per_fte": "Open caseload per FTE",
}


def compute_workload(
    data: CleanData, pathways: ibis.Table, settings: WorkloadSettings | None = None
) -> WorkloadResult:
    settings = settings or WorkloadSettings()
    weeks = clinician_weeks(data, pathways, settings)
    staff = staff_frame(data)
    cw = apply_guidance(weeks, staff, settings, has_supervision=data.has("supervision"))
    tw = team_weeks(cw)
    spc_rows = []
    for team, g in tw.sort_values("week_start").groupby("team_id"):
        for m in SPC_MEASURES:
            chart = team_chart(g[m].to_numpy())
            chart.insert(0, "week_start", g["week_start"].to_numpy())
            chart.insert(0, "measure", m)
            chart.insert(0, "team_id", team)
            spc_rows.append(chart)
    spc = pd.concat(spc_rows, ignore_index=True) if spc_rows else pd.DataFrame()
    return WorkloadResult(
        clinician_weeks=cw,
        team_weeks=tw,
        spc=spc,
        settings=settings,
        has_supervision=data.has("supervision"),
        has_staff=data.has("staff"),
    )
