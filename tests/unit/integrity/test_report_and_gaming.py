"""Report section words and the gaming injection's ground truth."""

from __future__ import annotations

import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.errors import ConfigError
from clearwater.instruments import load_instruments
from clearwater.integrity import run_audit
from clearwater.integrity.report import report_sections
from clearwater.synth.gaming import Injection, apply_injections

from .simdata import coach, honest_service


def test_report_section_names_the_finding_in_plain_words(duckdb_engine):
    frames, pw = honest_service(units=12, per_unit=70, seed=21)
    frames = coach(frames, "T05", 0.5)
    res = run_audit(CleanData.from_frames(duckdb_engine, **frames), duckdb_engine.table(pw))
    sec = report_sections(res)[0]
    assert sec.id == "integrity"
    assert "T05" in sec.body_html and "<svg" in sec.body_html
    assert "inconsistent with the expected pattern" in sec.body_html
    assert "fraud" not in sec.body_html.lower()
    assert "Innocent explanations" in sec.body_html


def test_injection_validates_its_spec():
    with pytest.raises(ConfigError):
        Injection("bribery", "X", 0.3)
    with pytest.raises(ConfigError):
        Injection("coaching", "X", 1.5)


def test_coaching_injection_moves_final_scores_below_caseness():
    gen = pytest.importorskip("clearwater.synth.generator")
    r = gen.synthesise(gen.SynthConfig(referrals=1500, seed=4))
    target = r.clinicians["clinician_id"].iloc[0]
    tables, truth = apply_injections(
        r.tables, r.clinicians, [Injection("coaching", target, 1.0)], seed=0
    )
    row = truth.iloc[0]
    assert row["injected"] == row["eligible"] > 0
    with pytest.raises(ConfigError):
        apply_injections(r.tables, r.clinicians, [Injection("coaching", "nobody", 0.3)], seed=0)


def test_early_discharge_injection_truncates_only_the_clinicians_own_sessions():
    gen = pytest.importorskip("clearwater.synth.generator")
    r = gen.synthesise(gen.SynthConfig(referrals=1500, seed=4))
    c0 = r.tables["IDS201CareContact"]
    target = c0["CarePersLocalId"].astype(str).value_counts().index[0]
    tables, truth = apply_injections(
        r.tables, r.clinicians, [Injection("early_discharge", target, 1.0)], seed=0
    )
    assert truth.iloc[0]["injected"] == truth.iloc[0]["eligible"] > 0
    before = r.tables["IDS101Referral"].set_index("ServiceRequestId")["ServDischDate"]
    after = tables["IDS101Referral"].set_index("ServiceRequestId")["ServDischDate"]
    a, b = pd.to_datetime(after), pd.to_datetime(before.reindex(after.index))
    changed = after.index[(a != b) & ~(a.isna() & b.isna())]
    assert len(changed) == truth.iloc[0]["injected"]
    c = tables["IDS201CareContact"]
    treat = c[
        c["ServiceRequestId"].isin(changed)
        & c["AttendOrDNACode"].astype(str).isin({"5", "6"})
        & c["AppType"].astype(str).isin({"02", "03", "05"})
    ]
    for pid, g in treat.groupby("ServiceRequestId"):
        counts = g["CarePersLocalId"].astype(str).value_counts()
        assert len(g) >= 2  # still a finished course
        assert counts.index[0] == target and (len(counts) == 1 or counts.iloc[1] < counts.iloc[0])
        # ended at one of the clinician's own sessions
        last = g.sort_values("CareContDate").iloc[-1]
        assert str(last["CarePersLocalId"]) == target, pid


def test_adsm_suppression_injection_removes_only_finished_courses_adsm_scores():
    """Only finished courses count towards recovery, so only their ADSMs are suppressed."""
    gen = pytest.importorskip("clearwater.synth.generator")
    r = gen.synthesise(gen.SynthConfig(referrals=1500, seed=4, teams=1, clinicians_per_team=4))
    team = str(r.clinicians["team_id"].iloc[0])
    tables, truth = apply_injections(
        r.tables, r.clinicians, [Injection("adsm_suppression", team, 1.0, unit_type="team")], seed=0
    )
    S, C, R = "IDS607CodedScoreAssessmentAct", "IDS201CareContact", "IDS101Referral"
    core = {"PHQ9", "GAD7", "WSAS"}
    instruments = load_instruments()

    def adsm_courses(t: dict[str, pd.DataFrame]) -> set[str]:
        s = t[S].merge(t[C][["CareContactId", "ServiceRequestId"]], on="CareContactId")
        tool = s["CodedAssToolType"].astype(str).map(lambda c: instruments.resolve_tool(c))
        return set(s.loc[~tool.isin(core) & tool.notna(), "ServiceRequestId"])

    before, after = adsm_courses(r.tables), adsm_courses(tables)
    c = r.tables[C]
    treat = c[c["AppType"].astype(str).isin({"02", "03", "05"})]
    treat = treat[treat["AttendOrDNACode"].astype(str).isin({"5", "6"})]
    n_treat = treat.groupby("ServiceRequestId").size()
    ended = set(r.tables[R].loc[r.tables[R]["ServDischDate"].notna(), "ServiceRequestId"])
    finished = {p for p in before if n_treat.get(p, 0) >= 2 and p in ended}
    assert truth.iloc[0]["injected"] == truth.iloc[0]["eligible"] == len(finished) > 0
    assert after == before - finished  # unfinished courses keep their ADSM scores
    assert before - finished  # the case has unfinished courses with an ADSM to keep


def test_hidden_wait_injection_stops_the_clock_early_and_moves_the_course_months_later():
    """Form hidden_wait of assessment_as_treatment: a short first 'treatment' within five
    weeks of referral, then more than 90 days to the (moved) real course."""
    gen = pytest.importorskip("clearwater.synth.generator")
    r = gen.synthesise(gen.SynthConfig(referrals=1500, seed=4, teams=1, clinicians_per_team=4))
    hit = str(r.clinicians.loc[r.clinicians["role"] != "PWP", "clinician_id"].iloc[0])
    inj = Injection("assessment_as_treatment", hit, 1.0, form="hidden_wait")
    tables, truth = apply_injections(r.tables, r.clinicians, [inj], seed=0)
    assert truth.iloc[0]["injected"] == truth.iloc[0]["eligible"] > 0
    c = tables["IDS201CareContact"]
    ref = tables["IDS101Referral"].set_index("ServiceRequestId")["ReferralRequestReceivedDate"]
    treat = c[c["AppType"].isin(["02", "03"]) & c["AttendOrDNACode"].isin(["5", "6"])].copy()
    treat["day"] = pd.to_datetime(treat["CareContDate"])
    fake = treat[treat["CareContactId"].str.contains("GAME")]
    assert len(fake) == truth.iloc[0]["injected"]
    assert (fake["ClinContDurOfCareCont"].astype(float) <= 25).all()
    for _, f in fake.iterrows():
        pid = f["ServiceRequestId"]
        assert 7 <= (f["day"] - pd.Timestamp(ref[pid])).days <= 35
        rest = treat[
            (treat["ServiceRequestId"] == pid) & (treat["CareContactId"] != f["CareContactId"])
        ]
        if len(rest):  # the real course, unless moved past the end of the data
            assert (rest["day"].min() - f["day"]).days > 90
    with pytest.raises(ConfigError):
        Injection("coaching", hit, 0.3, form="hidden_wait")
