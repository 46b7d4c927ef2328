"""Inject known gaming patterns into synthetic data, with a ground-truth record.

``apply_injections(tables, clinicians, spec, seed)`` edits data-set tables (IDS201, IDS101,
IDS607, ...) as a person gaming the figures would, for the chosen clinicians or teams, on a
chosen share (*intensity*) of their *eligible* cases, and returns the modified tables plus a
ground-truth frame (pattern, unit_type, unit_id, intensity, eligible, injected).  A spec is a
sequence of :class:`Injection` or a CSV/JSON file with columns pattern, unit_id, intensity
and optionally unit_type ('clinician' (default) or 'team').

Eligible cases per pattern (the case is attributed to its treating clinician, or to its
assessor for holding_list and cherry_picking):

- coaching: finished courses whose final PHQ-9 or GAD-7 is at caseness -> final moved 1-2
  points below caseness.
- early_discharge: finished courses at caseness at the start that first went below caseness
  before their last session, at an attended treatment contact of the clinician with at least
  two treatment contacts by then -> course truncated there (discharged, planned completion).
- repeat_until_good: finished courses -> at the last scored contact a first, worse PHQ-9 and
  GAD-7 are added (entered 15 minutes earlier); the original is the kept repeat.
- dropout_fill: treated courses with an unplanned ending (47/48) -> good final scores at a
  missed appointment after the last attended one (a new DNA contact if none), entered late.
- assessment_as_treatment, form ``clock_stop`` (default): courses whose first treatment came
  after 30 days -> a short 'treatment' contact 0-12 days inside the 6-week (or 18-week)
  standard, before the real first treatment.  Form ``hidden_wait``: courses with two or more
  treatment contacts that started at least 150 days before the end of the data -> a short
  'treatment' contact (15-25 minutes) 7-35 days after referral, and the real course moved
  so that it starts 91-150 days later (the clock stopped early, the patient waits unseen);
  contacts moved past the end of the data are dropped and the course is left open.
- holding_list: referrals assessed by the clinician and treated after waiting a week or more
  -> kept on a holding list and discharged untreated (declined / no response) in the last
  two weeks of the quarter of their assessment.
- cherry_picking: vulnerable referrals (IMD 1-2, not English, minority ethnic, PHQ-9 >= 20)
  taken into treatment -> ended 'not suitable' after assessment.
- adsm_suppression: finished courses with an anxiety-specific measure -> those scores
  removed (only finished courses count towards recovery, the figure the practice protects;
  an open or untreated referral's ADSM would be suppressed to no purpose).
- fabrication: finished courses -> PHQ-9/GAD-7 answers replaced by a few copied templates
  (flat totals), entered in one evening burst.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from clearwater.dataset import contract
from clearwater.errors import ConfigError
from clearwater.instruments import load_instruments
from clearwater.integrity.base import PATTERNS

GROUND_TRUTH_COLUMNS = ("pattern", "unit_type", "unit_id", "intensity", "eligible", "injected")
_TREAT = contract.TREATMENT_APP_TYPES
_ATT = contract.ATTENDED_CODES
# caseness cut-offs of the core tools, from the instruments file (10 and 8 by default)
_CUT = {t: int(load_instruments()[t].caseness) for t in ("PHQ9", "GAD7")}
_ITEMS = {"PHQ9": 9, "GAD7": 7}
AAT_MIN_WAIT = 30  # waits longer than this get an early 'treatment' to stop the clock
HOLDING_WAIT_DAYS = 7  # treated after waiting at least a week from assessment
AAT_FORMS = ("clock_stop", "hidden_wait")
HIDDEN_WAIT_ROOM = 150  # hidden_wait: the course started at least this long before the end


@dataclass(frozen=True)
class Injection:
    pattern: str
    unit_id: str
    intensity: float
    unit_type: str = "clinician"
    form: str = ""  # assessment_as_treatment: "clock_stop" (default) or "hidden_wait"

    def __post_init__(self) -> None:
        if self.pattern not in PATTERNS:
            raise ConfigError(
                f"unknown gaming pattern {self.pattern!r}: choose from {', '.join(PATTERNS)}"
            )
        if not 0 < self.intensity <= 1:
            raise ConfigError(f"injection intensity must be in (0, 1] (got {self.intensity})")
        forms = AAT_FORMS if self.pattern == "assessment_as_treatment" else ()
        if self.form and self.form not in forms:
            raise ConfigError(f"unknown form {self.form!r} for {self.pattern}")
        if self.unit_type not in ("clinician", "team"):
            raise ConfigError(
                f"injection unit_type must be 'clinician' or 'team' (got {self.unit_type!r})"
            )


def read_spec(path: Path) -> list[Injection]:
    """Read injections from a CSV or JSON file (errors name the file and row)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"injection spec not found: {path}")
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text(encoding="utf-8"))
    else:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    out = []
    for i, r in enumerate(rows, start=2):
        try:
            out.append(
                Injection(
                    pattern=str(r["pattern"]).strip(),
                    unit_id=str(r["unit_id"]).strip(),
                    intensity=float(r["intensity"]),
                    unit_type=str(r.get("unit_type") or "clinician").strip(),
                    form=str(r.get("form") or "").strip(),
                )
            )
        except (KeyError, ValueError, ConfigError) as exc:
            raise ConfigError(f"{path}, row {i}: bad injection ({exc})") from exc
    return out


def _vector(total: int, k: int, rng: np.random.Generator) -> str:
    v = np.zeros(k, int)
    for _ in range(int(np.clip(total, 0, 3 * k))):
        free = np.flatnonzero(v < 3)
        v[rng.choice(free)] += 1
    return ",".join(map(str, v))


class _State:
    """Working copies of the tables plus derived per-pathway facts."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.t = {k: v.copy() for k, v in tables.items()}
        ins = load_instruments()
        c = self.t["IDS201CareContact"]
        c["CareContDate"] = pd.to_datetime(c["CareContDate"]).dt.date
        r = self.t["IDS101Referral"]
        r["ServDischDate"] = pd.to_datetime(r["ServDischDate"])
        s = self.t["IDS607CodedScoreAssessmentAct"]
        codes = s["CodedAssToolType"].astype(str)
        tool_of = {v: ins.resolve_tool(v) for v in codes.unique()}
        s["_tool"] = codes.map(tool_of)
        s["CW_RecordedAt"] = pd.to_datetime(s.get("CW_RecordedAt"))
        self.adsm_tools = set(ins.adsm_descriptors().values())
        self.snomed = {
            code: ins[code].snomed[0] if ins[code].snomed else code for code in ("PHQ9", "GAD7")
        }
        self.next_id = 0
        self.refresh()

    def refresh(self) -> None:
        c = self.t["IDS201CareContact"]
        r = self.t["IDS101Referral"]
        # group on datetime64 (object dates fall back to slow pure-Python reductions)
        c = c.assign(_day=pd.to_datetime(c["CareContDate"]))
        att = c[c["AttendOrDNACode"].astype(str).isin(_ATT)]
        tr = att[att["AppType"].astype(str).isin(_TREAT)]
        cnt = tr.groupby(["ServiceRequestId", "CarePersLocalId"]).size().reset_index(name="k")
        cnt = cnt.sort_values(["ServiceRequestId", "k"], ascending=[True, False])
        ther = cnt.drop_duplicates("ServiceRequestId").set_index("ServiceRequestId")[
            "CarePersLocalId"
        ]
        first_att = att.sort_values(["_day", "CareContactId"]).groupby("ServiceRequestId").head(1)
        assessor = first_att.set_index("ServiceRequestId")["CarePersLocalId"]
        p = r.set_index("ServiceRequestId")[
            ["CW_TeamId", "ReferralRequestReceivedDate", "EndCode", "ServDischDate"]
        ]
        p = p.assign(
            therapist=ther,
            assessor=assessor,
            n_treat=tr.groupby("ServiceRequestId").size(),
            first_treat=tr.groupby("ServiceRequestId")["_day"].min().dt.date,
            last_att=att.groupby("ServiceRequestId")["_day"].max().dt.date,
            assess_date=first_att.set_index("ServiceRequestId")["_day"].dt.date,
        )
        p["n_treat"] = p["n_treat"].fillna(0).astype(int)
        p["ReferralRequestReceivedDate"] = pd.to_datetime(p["ReferralRequestReceivedDate"]).dt.date
        p["finished"] = (p["n_treat"] >= 2) & p["ServDischDate"].notna()
        self.p = p
        s = self.t["IDS607CodedScoreAssessmentAct"]
        cc = c[["CareContactId", "ServiceRequestId", "CareContDate", "AttendOrDNACode"]]
        self.s = s.reset_index().merge(cc, on="CareContactId", how="left").set_index("index")

    def new_id(self, prefix: str) -> str:
        self.next_id += 1
        return f"{prefix}GAME{self.next_id:07d}"

    def drop_after(self, pid: str, day: date) -> None:
        c = self.t["IDS201CareContact"]
        gone = c[(c["ServiceRequestId"] == pid) & (c["CareContDate"] > day)]["CareContactId"]
        self.drop_contacts(set(gone))

    def drop_contacts(self, ids: set[str]) -> None:
        if not ids:
            return
        c = self.t["IDS201CareContact"]
        self.t["IDS201CareContact"] = c[~c["CareContactId"].isin(ids)]
        s = self.t["IDS607CodedScoreAssessmentAct"]
        self.t["IDS607CodedScoreAssessmentAct"] = s[~s["CareContactId"].isin(ids)]
        if "IDS202CareActivity" in self.t:
            a = self.t["IDS202CareActivity"]
            self.t["IDS202CareActivity"] = a[~a["CareContactId"].isin(ids)]

    def end(self, pid: str, day: date, code: str) -> None:
        r = self.t["IDS101Referral"]
        m = r["ServiceRequestId"] == pid
        r.loc[m, "ServDischDate"] = pd.Timestamp(day)
        r.loc[m, "EndCode"] = code

    def add_contact(
        self, pid: str, day: date, app: str, attend: str, clin: str, dur: float | None
    ) -> str:
        cid = self.new_id("C")
        row = {
            "CareContactId": cid,
            "ServiceRequestId": pid,
            "CareContDate": day,
            "CareContTime": "10:00",
            "AppType": app,
            "AttendOrDNACode": attend,
            "PlannedCareContIndicator": "Y",
            "ClinContDurOfCareCont": dur,
            "ConsMechanism": "01",
            "CarePersLocalId": clin,
        }
        c = self.t["IDS201CareContact"]
        self.t["IDS201CareContact"] = pd.concat(
            [c, pd.DataFrame([{k: row.get(k) for k in c.columns}])], ignore_index=True
        )
        return cid

    def add_score(
        self,
        cid: str,
        tool: str,
        score: int,
        at: datetime,
        by: str,
        rng: np.random.Generator,
        items: str | None = None,
    ) -> None:
        s = self.t["IDS607CodedScoreAssessmentAct"]
        row = {
            "CareContactId": cid,
            "CareActId": None,
            "CodedAssToolType": self.snomed[tool],
            "PersScore": float(score),
            "CW_ItemScores": items or _vector(score, _ITEMS[tool], rng),
            "CW_RecordedAt": pd.Timestamp(at),
            "CW_RecordedBy": by,
            "CW_EntryMode": "clinician",
            "_tool": tool,
        }
        self.t["IDS607CodedScoreAssessmentAct"] = pd.concat(
            [s, pd.DataFrame([{k: row.get(k) for k in s.columns}])], ignore_index=True
        )


def _owner(st: _State, inj: Injection) -> pd.Series:
    if inj.unit_type == "team":
        return st.p["CW_TeamId"].astype(str) == inj.unit_id
    col = "assessor" if inj.pattern in ("holding_list", "cherry_picking") else "therapist"
    return st.p[col].astype(str) == inj.unit_id


def _recorder(st: _State, inj: Injection, pids: pd.Series) -> pd.Series:
    """Who enters the injected scores of these courses: the gaming clinician, or for a team
    injection each course's own treating clinician (a staff id, never the team id)."""
    if inj.unit_type == "team":
        return pids.map(st.p["therapist"]).astype(str)
    return pd.Series(inj.unit_id, index=pids.index)


def _core_last(st: _State, pid_set: set[str]) -> pd.DataFrame:
    s = st.s[st.s["ServiceRequestId"].isin(pid_set) & st.s["_tool"].isin(("PHQ9", "GAD7"))]
    return (
        s.sort_values(["CareContDate", "CW_RecordedAt"])
        .groupby(["ServiceRequestId", "_tool"])
        .tail(1)
    )


def _early_discharge_days(st: _State, inj: Injection, pids: set[str]) -> pd.Series:
    """Per eligible course, the day it would be ended under the stopping rule.

    A finished course is eligible if it was at caseness on its first scored day and first
    scored below caseness (PHQ-9 < 10 and GAD-7 < 8) on a later day that is not its last
    scored day, *at an attended treatment contact of the gaming clinician* (or of the team,
    for a team injection) with at least two attended treatment contacts up to that day, of
    which the clinician held more than anyone else.  A clinician can only discharge at a
    session they hold; a course ended after one treatment contact is not a finished course,
    so it would not flatter the figures; and the truncated course must remain attributed to
    the clinician (a stepped-up course cut back to its step-2 sessions would not be).
    """
    c = st.t["IDS201CareContact"]
    c = c[c["ServiceRequestId"].isin(pids)]
    att = c[c["AttendOrDNACode"].astype(str).isin(_ATT) & c["AppType"].astype(str).isin(_TREAT)]
    if inj.unit_type == "team":
        team = st.p["CW_TeamId"].astype(str)
        mine = att["ServiceRequestId"].map(team) == inj.unit_id
    else:
        mine = att["CarePersLocalId"].astype(str) == inj.unit_id
    att = att.assign(_mine=mine.to_numpy())
    own_days = set(
        zip(att.loc[mine, "ServiceRequestId"], att.loc[mine, "CareContDate"], strict=True)
    )
    s = st.s[st.s["ServiceRequestId"].isin(pids) & st.s["_tool"].isin(("PHQ9", "GAD7"))]
    out: dict[str, date] = {}
    for pid, g in s.groupby("ServiceRequestId"):
        w = g.pivot_table(
            index="CareContDate", columns="_tool", values="PersScore", aggfunc="last"
        ).sort_index()
        phq = w.get("PHQ9", pd.Series(0, index=w.index)).fillna(0)
        gad = w.get("GAD7", pd.Series(0, index=w.index)).fillna(0)
        ok = (phq < 10) & (gad < 8)
        if len(ok) < 3 or ok.iloc[0] or not ok.iloc[1:-1].any():
            continue
        day = ok.iloc[1:-1][ok.iloc[1:-1]].index[0]
        if (pid, day) not in own_days:
            continue
        a = att[(att["ServiceRequestId"] == pid) & (att["CareContDate"] <= day)]
        if len(a) < 2:
            continue
        if inj.unit_type != "team":
            # the course must stay this clinician's (most treatment contacts) once truncated
            others = a.loc[~a["_mine"], "CarePersLocalId"].astype(str).value_counts()
            if len(others) and int(others.iloc[0]) >= int(a["_mine"].sum()):
                continue
        out[pid] = day
    return pd.Series(out, dtype=object)


def _eligible(st: _State, inj: Injection, persons: pd.DataFrame) -> list[str]:
    own = st.p[_owner(st, inj)]
    finished = set(own[own["finished"]].index)
    pat = inj.pattern
    if pat == "coaching":
        last = _core_last(st, finished)
        hit = last[last["PersScore"] >= last["_tool"].map(_CUT)]
        return sorted(set(hit["ServiceRequestId"]))
    if pat == "early_discharge":
        return _early_discharge_days(st, inj, finished).index.tolist()
    if pat in ("repeat_until_good", "fabrication"):
        return sorted(set(_core_last(st, finished)["ServiceRequestId"]))
    if pat == "dropout_fill":
        return sorted(
            own[
                (own["n_treat"] >= 1)
                & own["EndCode"].astype(str).isin(contract.END_CODES_UNPLANNED)
            ].index
        )
    if pat == "assessment_as_treatment" and inj.form == "hidden_wait":
        end = pd.Timestamp(max(st.t["IDS201CareContact"]["CareContDate"]))
        start = pd.to_datetime(own["first_treat"])
        room = start <= end - pd.Timedelta(days=HIDDEN_WAIT_ROOM)
        return sorted(own[(own["n_treat"] >= 2) & room].index)
    if pat == "assessment_as_treatment":
        wait = (
            pd.to_datetime(own["first_treat"]) - pd.to_datetime(own["ReferralRequestReceivedDate"])
        ).dt.days
        return sorted(own[(own["n_treat"] >= 2) & (wait > AAT_MIN_WAIT)].index)
    if pat == "holding_list":
        wait = (pd.to_datetime(own["first_treat"]) - pd.to_datetime(own["assess_date"])).dt.days
        return sorted(own[(own["n_treat"] >= 1) & (wait >= HOLDING_WAIT_DAYS)].index)
    if pat == "cherry_picking":
        per = persons.drop_duplicates("LocalPatientId").set_index("LocalPatientId")
        pat_of = st.t["IDS101Referral"].set_index("ServiceRequestId")["LocalPatientId"]
        cand = own[own["n_treat"] >= 1].index
        lp = pat_of.reindex(cand)
        known = lp.isin(per.index).to_numpy()
        pr = per.reindex(lp.to_numpy())
        imd = pd.to_numeric(pr["IndicesOfDeprivationDecile"], errors="coerce").to_numpy()
        lang = pr["LanguageCodePreferred"].where(pr["LanguageCodePreferred"].astype(bool), "en")
        eth = pr["EthnicCategory"].where(pr["EthnicCategory"].astype(bool), "A")
        first_phq = (
            st.s[st.s["_tool"] == "PHQ9"]
            .sort_values("CareContDate")
            .groupby("ServiceRequestId")["PersScore"]
            .first()
        )
        vuln = (
            (imd <= 2)
            | ~lang.astype(str).str.lower().isin(["en", "nan", "none"]).to_numpy()
            | ~eth.astype(str).isin(["A", "B", "C", "Z", "99", "nan", "None"]).to_numpy()
            | (first_phq.reindex(cand).fillna(0).to_numpy() >= 20)
        )
        return list(cand[known & vuln])
    if pat == "adsm_suppression":
        s = st.s[st.s["ServiceRequestId"].isin(finished) & st.s["_tool"].isin(st.adsm_tools)]
        return sorted(set(s["ServiceRequestId"]))
    raise ConfigError(f"unknown pattern {pat}")  # pragma: no cover - validated in Injection


def _inject(st: _State, inj: Injection, chosen: list[str], rng: np.random.Generator) -> None:  # noqa: C901
    pat = inj.pattern
    S = "IDS607CodedScoreAssessmentAct"
    if pat == "coaching":
        last = _core_last(st, set(chosen))
        hit = last[last["PersScore"] >= last["_tool"].map(_CUT)]
        new = hit["_tool"].map(_CUT).to_numpy() - rng.integers(1, 3, len(hit))
        st.t[S].loc[hit.index, "PersScore"] = new.astype(float)
        st.t[S].loc[hit.index, "CW_ItemScores"] = [
            _vector(int(v), _ITEMS[t], rng) for v, t in zip(new, hit["_tool"], strict=True)
        ]
    elif pat == "early_discharge":
        days = _early_discharge_days(st, inj, set(chosen))
        for pid, day in days.items():
            st.drop_after(pid, day)
            st.end(pid, day, "46")
    elif pat == "repeat_until_good":
        last = _core_last(st, set(chosen))
        by = _recorder(st, inj, last["ServiceRequestId"])
        for (_, r), who in zip(last.iterrows(), by, strict=True):
            worse = int(min(3 * _ITEMS[r["_tool"]], r["PersScore"] + rng.integers(3, 7)))
            at = (
                r["CW_RecordedAt"]
                if pd.notna(r["CW_RecordedAt"])
                else pd.Timestamp(r["CareContDate"]) + pd.Timedelta(hours=12)
            )
            st.add_score(
                r["CareContactId"],
                r["_tool"],
                worse,
                at - pd.Timedelta(minutes=15),
                who,
                rng,
            )
    elif pat == "dropout_fill":
        c = st.t["IDS201CareContact"]
        for pid in chosen:
            last_att = st.p.loc[pid, "last_att"]
            g = c[
                (c["ServiceRequestId"] == pid)
                & (c["CareContDate"] > last_att)
                & ~c["AttendOrDNACode"].astype(str).isin(_ATT)
            ]
            clin = (
                st.p.loc[pid, "therapist"] if pd.notna(st.p.loc[pid, "therapist"]) else inj.unit_id
            )
            if len(g):
                cid, day = g.iloc[-1]["CareContactId"], g.iloc[-1]["CareContDate"]
            else:
                day = last_att + timedelta(days=14)
                cid = st.add_contact(pid, day, "02", "3", str(clin), None)
            at = datetime.combine(day, datetime.min.time()) + timedelta(
                days=int(rng.integers(30, 60)), hours=17
            )
            st.add_score(cid, "PHQ9", int(rng.integers(5, 10)), at, str(clin), rng)
            st.add_score(
                cid, "GAD7", int(rng.integers(4, 8)), at + timedelta(minutes=3), str(clin), rng
            )
    elif pat == "assessment_as_treatment" and inj.form == "hidden_wait":
        _hidden_wait(st, chosen, rng)
    elif pat == "assessment_as_treatment":
        for pid in chosen:
            ref = st.p.loc[pid, "ReferralRequestReceivedDate"]
            wait = (st.p.loc[pid, "first_treat"] - ref).days
            std = 126 if wait > 126 else 42
            # stop the clock inside the standard, before the real first treatment
            latest = min(std, wait - 1)
            earliest = max(AAT_MIN_WAIT, std - 12) if std == 42 else std - 12
            day = ref + timedelta(days=int(rng.integers(min(earliest, latest), latest + 1)))
            clin = st.p.loc[pid, "therapist"]
            st.add_contact(pid, day, "02", "5", str(clin), float(rng.integers(15, 26)))
    elif pat in ("holding_list", "cherry_picking"):
        for pid in chosen:
            a = st.p.loc[pid, "assess_date"]
            if pat == "holding_list":
                q = pd.Timestamp(a).to_period("Q").end_time.date()
                day = max(a + timedelta(days=1), q - timedelta(days=int(rng.integers(0, 13))))
                code = str(rng.choice(["14", "16", "12"]))
            else:
                day = a + timedelta(days=int(rng.integers(1, 11)))
                code = str(rng.choice(["10", "11"]))
            c = st.t["IDS201CareContact"]
            gone = c[(c["ServiceRequestId"] == pid) & (c["CareContDate"] > a)]["CareContactId"]
            st.drop_contacts(set(gone))
            st.end(pid, day, code)
    elif pat == "adsm_suppression":
        s = st.t[S]
        s_pid = s["CareContactId"].map(
            st.t["IDS201CareContact"].set_index("CareContactId")["ServiceRequestId"]
        )
        st.t[S] = s[~(s_pid.isin(set(chosen)) & s["_tool"].isin(st.adsm_tools))]
    elif pat == "fabrication":
        templates = {
            t: [_vector(int(rng.integers(9, 15)), _ITEMS[t], rng) for _ in range(3)]
            for t in ("PHQ9", "GAD7")
        }
        s = st.s[st.s["ServiceRequestId"].isin(set(chosen)) & st.s["_tool"].isin(("PHQ9", "GAD7"))]
        s = s.sort_values(["ServiceRequestId", "CareContDate"])
        evening = pd.Timestamp(max(st.s["CareContDate"].dropna())) + pd.Timedelta(hours=21)
        pick = dict(zip(chosen, rng.integers(0, 3, len(chosen)).tolist(), strict=True))
        vecs = [
            templates[t][pick[pid]]
            for pid, t in zip(s["ServiceRequestId"], s["_tool"], strict=True)
        ]
        i = np.arange(len(s))
        st.t[S].loc[s.index, "CW_ItemScores"] = vecs
        st.t[S].loc[s.index, "PersScore"] = [float(sum(map(int, v.split(",")))) for v in vecs]
        st.t[S].loc[s.index, "CW_RecordedAt"] = evening + pd.to_timedelta(20 * (i % 40), unit="s")
        st.t[S].loc[s.index, "CW_RecordedBy"] = _recorder(st, inj, s["ServiceRequestId"])
        st.t[S].loc[s.index, "CW_EntryMode"] = "clinician"


def _hidden_wait(st: _State, chosen: list[str], rng: np.random.Generator) -> None:
    """The hidden wait: a short 'treatment' soon after referral stops the clock, and the
    real course (every contact from the first treatment on, its scores' entry times and the
    discharge) moves so that it starts 91-150 days after that contact."""
    c = st.t["IDS201CareContact"]
    s = st.t["IDS607CodedScoreAssessmentAct"]
    r = st.t["IDS101Referral"]
    end = max(c["CareContDate"])
    drop: set[str] = set()
    for pid in chosen:
        ref = st.p.loc[pid, "ReferralRequestReceivedDate"]
        first = st.p.loc[pid, "first_treat"]
        latest = max(7, min(35, (first - ref).days - 1))
        day = ref + timedelta(days=int(rng.integers(7, latest + 1)))
        shift = timedelta(days=(day - first).days + int(rng.integers(91, 151)))
        moving = (c["ServiceRequestId"] == pid) & (c["CareContDate"] >= first)
        ids = set(c.loc[moving, "CareContactId"])
        c.loc[moving, "CareContDate"] = c.loc[moving, "CareContDate"] + shift
        drop |= set(c.loc[moving & (c["CareContDate"] > end), "CareContactId"])
        ms = s["CareContactId"].isin(ids)
        s.loc[ms, "CW_RecordedAt"] = s.loc[ms, "CW_RecordedAt"] + pd.Timedelta(shift)
        m = r["ServiceRequestId"] == pid
        disch = r.loc[m, "ServDischDate"].iloc[0]
        if pd.notna(disch):
            moved = disch + pd.Timedelta(shift)
            if moved > pd.Timestamp(end):
                r.loc[m, "ServDischDate"] = pd.NaT
                r.loc[m, "EndCode"] = None
            else:
                r.loc[m, "ServDischDate"] = moved
        st.add_contact(
            pid, day, "02", "5", str(st.p.loc[pid, "therapist"]), float(rng.integers(15, 26))
        )
        c = st.t["IDS201CareContact"]
    st.drop_contacts(drop)


def caseload_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per clinician: finished courses treated and referrals assessed (as injection sees them).

    Columns: clinician_id, finished_courses, assessed.  Used to pick gamed clinicians with
    enough eligible cases in power studies.
    """
    p = _State(tables).p
    fin = p[p["finished"]].groupby("therapist").size()
    ass = p.groupby("assessor").size()
    out = pd.concat([fin.rename("finished_courses"), ass.rename("assessed")], axis=1)
    out = out.fillna(0).astype(int).rename_axis("clinician_id").reset_index()
    out["clinician_id"] = out["clinician_id"].astype(str)
    return out


def apply_injections(
    tables: dict[str, pd.DataFrame],
    clinicians: pd.DataFrame,
    spec: Path | Sequence[Injection],
    seed: int,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Apply each injection in turn; return (modified tables, ground truth)."""
    injections = read_spec(spec) if isinstance(spec, (str, Path)) else list(spec)
    known_clin = set(clinicians["clinician_id"].astype(str))
    known_team = set(clinicians["team_id"].astype(str))
    for inj in injections:
        pool = known_clin if inj.unit_type == "clinician" else known_team
        if inj.unit_id not in pool:
            raise ConfigError(f"injection names unknown {inj.unit_type} {inj.unit_id!r}")
    rng = np.random.default_rng(seed)
    st = _State(tables)
    truth = []
    for inj in injections:
        elig = _eligible(st, inj, st.t["IDS001MPI"])
        k = int(round(inj.intensity * len(elig)))
        chosen = sorted(rng.choice(elig, size=k, replace=False).tolist()) if k else []
        if chosen:
            _inject(st, inj, chosen, rng)
            st.refresh()
        truth.append((inj.pattern, inj.unit_type, inj.unit_id, inj.intensity, len(elig), k))
    out = dict(st.t)
    out["IDS607CodedScoreAssessmentAct"] = out["IDS607CodedScoreAssessmentAct"].drop(
        columns=["_tool"]
    )
    return out, pd.DataFrame(truth, columns=list(GROUND_TRUTH_COLUMNS))
