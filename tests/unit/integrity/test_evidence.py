"""Evidence charts for flagged findings: exact figures on hand-built inputs, and the report."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.integrity import run_audit
from clearwater.integrity.evidence import (
    EVIDENCE,
    Evidence,
    adsm_suppression_evidence,
    assessment_as_treatment_evidence,
    build_evidence,
    coaching_evidence,
    early_discharge_evidence,
    holding_list_evidence,
    p_table,
)
from clearwater.integrity.report import report_sections
from clearwater.report.core import chart_svg, escape

from .simdata import coach, honest_service
from .test_detectors import _course, _ctx, _frames_for_scores, _pw

approx = pytest.approx


def _frame_eq(got: pd.DataFrame, want: dict) -> None:
    assert list(got.columns) == list(want)
    for col, values in want.items():
        g = got[col].tolist()
        if any(isinstance(v, float) for v in values):
            assert g == approx(values, nan_ok=True, abs=1e-6), col
        else:
            assert g == values, col


def _renders(ev: Evidence) -> None:
    html = chart_svg(ev.chart, title=ev.title, how_to_read=ev.how_to_read)
    assert "<svg" in html and escape(ev.how_to_read) in html


def test_p_table_three_sigma_binomial_limits():
    t = p_table(pd.Series(["2023-01", "2023-02"]), pd.Series([4, 100]), pd.Series([4, 20]), 0.2)
    # se = sqrt(0.2 * 0.8 / n): 0.2 (n = 4) and 0.04 (n = 100)
    _frame_eq(
        t,
        {
            "month": ["2023-01", "2023-02"],
            "n": [4, 100],
            "o": [4, 20],
            "share": [1.0, 0.2],
            "centre": [0.2, 0.2],
            "lcl": [0.0, 0.08],
            "ucl": [0.8, 0.32],
        },
    )


def test_registry_covers_the_promised_patterns():
    assert set(EVIDENCE) == {
        "holding_list",
        "adsm_suppression",
        "coaching",
        "early_discharge",
        "assessment_as_treatment",
    }


def test_holding_list_p_chart_on_every_engine(engine):
    pws = []
    # unit A: four untreated endings in March (a quarter end), five treated endings in April
    for i, d in enumerate([1, 10, 20, 28]):
        pws.append(_pw(f"A{i}", "A", discharge_date=date(2023, 3, d), ended_before_treatment=True))
    for i in range(5):
        pws.append(
            _pw(f"AT{i}", "A", discharge_date=date(2023, 4, 3 + i), ended_before_treatment=False)
        )
    # unit B: one untreated ending, 20 treated endings; one referral still open (ignored)
    pws.append(_pw("B0", "B", discharge_date=date(2023, 4, 20), ended_before_treatment=True))
    for i in range(20):
        pws.append(
            _pw(f"BT{i}", "B", discharge_date=date(2023, 5, 1 + i), ended_before_treatment=False)
        )
    pws.append(_pw("BX", "B", discharge_date=None, ended_before_treatment=False))
    frames, pw = _frames_for_scores([], pws)
    ev = holding_list_evidence(_ctx(engine, frames, pw), "A")
    # centre: 5 untreated of 30 discharges = 1/6; se(4) = 0.186339, se(5) = 0.166667
    _frame_eq(
        ev.table,
        {
            "month": ["2023-03", "2023-04"],
            "discharged": [4, 5],
            "ended_before_treatment": [4, 0],
            "share": [1.0, 0.0],
            "centre": [1 / 6, 1 / 6],
            "lcl": [0.0, 0.0],
            "ucl": [0.725684, 2 / 3],
            "quarter_end": [True, False],
            "special_cause": [True, False],
        },
    )
    assert ev.words.startswith("1 of 2 months") and "(1 of them quarter-end months)" in ev.words
    assert "44% of this therapist's 9 discharges" in ev.words and "17% across all" in ev.words


def test_early_discharge_last_is_minimum_on_every_engine(engine):
    rows, pws = [], []
    courses = {
        "A0": [15, 12, 8],  # ends at the minimum; random stop: 2/2
        "A1": [15, 8, 12],  # does not; random stop: 1/2
        "A2": [10, 12, 10, 9],  # ends at the minimum; ties count: random stop 2/3
        "A3": [15, 9],  # two scored days: not used
        "B0": [12, 14, 16],  # never the minimum after the first day: 0
        "B1": [12, 10, 11, 13],  # 1/3
    }
    for pid, phq in courses.items():
        pws.append(_pw(pid, pid[0]))
        rows += _course(pid, phq)
    pws.append(_pw("A4", "A", finished_course=False))  # not finished: not used
    rows += _course("A4", [15, 12, 8])
    frames, pw = _frames_for_scores(rows, pws)
    ev = early_discharge_evidence(_ctx(engine, frames, pw), "A")
    _frame_eq(
        ev.table,
        {
            "group": ["this unit", "other units"],
            "courses": [3, 2],
            "last_is_minimum": [2, 0],
            "expected_random_stopping": [1 + 0.5 + 2 / 3, 1 / 3],
            "observed_share": [2 / 3, 0.0],
            "expected_share": [(1 + 0.5 + 2 / 3) / 3, 1 / 6],
            "observed_to_expected": [2 / (1 + 0.5 + 2 / 3), 0.0],
        },
    )
    assert "in 2 of this therapist's 3 finished courses" in ev.words
    assert "(67%), against 72% expected" in ev.words and "(ratio 0.92)" in ev.words
    assert "0% against 17% (ratio 0.00)" in ev.words
    _renders(ev)


def test_coaching_final_score_distribution(duckdb_engine):
    rows, pws = [], []
    courses = {
        "A0": [18, 12, 9],
        "A1": [18, 12, 8],
        "A2": [15, 11],
        "A3": [14],  # one scored day: not used
        "B0": [20, 15, 9],
        "B1": [12, 3],
        "B2": [14, 12],
        "B3": [16, 10],
    }
    for pid, phq in courses.items():
        pws.append(_pw(pid, pid[0]))
        rows += _course(pid, phq)
    pws.append(_pw("A9", "A", finished_course=False))
    rows += _course("A9", [15, 9])
    frames, pw = _frames_for_scores(rows, pws)
    ev = coaching_evidence(_ctx(duckdb_engine, frames, pw), "A")
    t = ev.table
    assert t["score"].tolist() == list(range(28))
    obs = dict.fromkeys(range(28), 0) | {8: 1, 9: 1, 11: 1}
    # other units: finals 9, 3, 12, 10 (four courses) scaled to A's three
    exp = dict.fromkeys(range(28), 0.0) | {3: 0.75, 9: 0.75, 10: 0.75, 12: 0.75}
    assert t["observed"].tolist() == [obs[s] for s in range(28)]
    assert t["expected"].tolist() == approx([exp[s] for s in range(28)])
    assert t.loc[t["just_below_caseness"], "score"].tolist() == [8, 9]
    assert ev.words.startswith("2 of this therapist's 3 final PHQ-9 scores were at 8-9")
    assert "against 0.8 expected" in ev.words
    _renders(ev)


def test_assessment_as_treatment_weekly_waits(duckdb_engine):
    waits = {"A": [0, 7, 8, 35, 42, 43, 126, 200], "B": [40, 100, None]}
    pws = [
        _pw(f"{u}{i}", u, wait_to_first_treatment_days=w)
        for u, ws in waits.items()
        for i, w in enumerate(ws)
    ]
    frames, pw = _frames_for_scores([], pws)
    pw["wait_to_first_treatment_days"] = pw["wait_to_first_treatment_days"].astype("Int64")
    ev = assessment_as_treatment_evidence(_ctx(duckdb_engine, frames, pw), "A")
    t = ev.table.set_index("week")
    assert t.index.tolist() == list(range(1, 28))
    # week w holds days 7(w-1)+1 .. 7w (day 0 in week 1); week 27 = more than 26 weeks
    want = {1: 2, 2: 1, 5: 1, 6: 1, 7: 1, 18: 1, 27: 1}
    assert t["observed"].to_dict() == {w: want.get(w, 0) for w in range(1, 28)}
    assert t["expected"].to_dict() == approx(
        {w: 4.0 if w in (6, 15) else 0.0 for w in range(1, 28)}
    )
    assert t.index[t["just_inside_standard"]].tolist() == [5, 6, 17, 18]
    assert ev.words.startswith("3 of this therapist's 8 treated referrals")
    assert "against 4.0 expected" in ev.words
    _renders(ev)


def test_adsm_completion_and_descriptor_mix(duckdb_engine):
    d5, d6 = date(2023, 5, 10), date(2023, 6, 5)
    spec = [
        # pid, unit, descriptor, adsm, discharge, treatment contacts, scored tools
        ("A0", "A", "ptsd", "IESR", d5, 3, ["PHQ9", "IESR"]),
        ("A1", "A", "ptsd", "IESR", date(2023, 5, 20), 3, ["PHQ9"]),
        ("A2", "A", "gad", None, d6, 3, ["GAD7"]),
        ("A3", "A", "depression", None, d6, 3, ["PHQ9"]),  # not an anxiety descriptor
        ("A4", "A", "social_phobia", "SPIN", d6, 0, []),  # not treated
        ("B0", "B", "panic", "PDSS", date(2023, 5, 3), 4, ["PDSS"]),
        ("B1", "B", "panic", "PDSS", date(2023, 6, 3), 4, ["PDSS"]),
        ("B2", "B", "mixed_anxiety_depression", None, date(2023, 6, 10), 4, []),
    ]
    rows, pws = [], []
    for pid, unit, descr, adsm, disch, tc, tools in spec:
        pws.append(
            _pw(pid, unit, problem_descriptor=descr, adsm=adsm, discharge_date=disch,
                treatment_contacts=tc)
        )  # fmt: skip
        rows += [(pid, None, tool, 20, date(2023, 4, 1), None) for tool in tools]
    frames, pw = _frames_for_scores(rows, pws)
    ev = adsm_suppression_evidence(_ctx(duckdb_engine, frames, pw), "A")
    nan = float("nan")
    # completion centre 3/4 (se(2) = 0.306); descriptor-mix centre 4/6 (se(2) = 1/3, se(1) = 0.471)
    _frame_eq(
        ev.table,
        {
            "month": ["2023-05", "2023-06"],
            "adsm_courses": [2, 0],
            "with_adsm_score": [1, 0],
            "adsm_share": [0.5, nan],
            "adsm_lcl": [0.0, nan],
            "adsm_ucl": [1.0, nan],
            "anxiety_courses": [2, 1],
            "adsm_descriptor": [2, 0],
            "descriptor_share": [1.0, 0.0],
            "descriptor_lcl": [0.0, 0.0],
            "descriptor_ucl": [1.0, 1.0],
        },
    )
    assert "on 1 of this therapist's 2 ended treated courses with an ADSM descriptor (50%)" in (
        ev.words
    )
    assert "against 75% across all units" in ev.words
    assert "67% of its 3 ended treated anxiety courses" in ev.words
    assert "against 67% at other units" in ev.words
    _renders(ev)


def test_a_failing_builder_becomes_a_note(duckdb_engine, monkeypatch):
    frames, pw = _frames_for_scores([], [_pw("A0", "A")])
    ctx = _ctx(duckdb_engine, frames, pw)

    def broken(ctx, unit):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(EVIDENCE, "coaching", broken)
    ev, notes = build_evidence(ctx, [("coaching", "A"), ("cherry_picking", "A")])
    assert ev == {}
    assert notes == {
        ("coaching", "A"): "The evidence chart could not be built (RuntimeError: disk on fire)."
    }


@pytest.fixture(scope="module")
def coached_audit(duckdb_engine):
    frames, pw = honest_service(units=12, per_unit=70, seed=21)
    frames = coach(frames, "T05", 0.5)
    data = CleanData.from_frames(duckdb_engine, **frames)
    return data, pw


def test_report_shows_the_evidence_of_a_coached_unit(duckdb_engine, coached_audit):
    data, pw = coached_audit
    res = run_audit(data, duckdb_engine.table(pw))
    f = res.flagged
    assert ((f["detector"] == "coaching") & (f["unit_id"] == "T05")).any()
    # evidence only for flagged findings with a builder
    keys = {(d, u) for d, u in zip(f["detector"], f["unit_id"], strict=True) if d in EVIDENCE}
    assert set(res.evidence) | set(res.evidence_notes) == keys
    ev = res.evidence[("coaching", "T05")]
    obs = int(ev.table.loc[ev.table["just_below_caseness"], "observed"].sum())
    exp = float(ev.table.loc[ev.table["just_below_caseness"], "expected"].sum())
    assert obs > exp + 3  # the heap at 8-9 is visible against peers' distribution
    html = report_sections(res)[0].body_html
    assert escape(ev.title) in html and escape(ev.words) in html
    assert "Figures behind the chart" in html
    assert html.count("<svg") == len(f) + len(res.evidence)  # a funnel each, plus evidence
    assert "fraud" not in html.lower()

    # a chart that cannot be drawn keeps the finding and its words
    broken = dataclasses.replace(ev, chart=object())
    res2 = dataclasses.replace(res, evidence={("coaching", "T05"): broken})
    html2 = report_sections(res2)[0].body_html
    assert "The evidence chart could not be drawn" in html2 and escape(ev.words) in html2
    assert "T05" in html2

    quiet = run_audit(data, duckdb_engine.table(pw), evidence=False)
    assert quiet.evidence == {} and quiet.evidence_notes == {}
    assert quiet.findings.equals(res.findings)
    assert escape(ev.title) not in report_sections(quiet)[0].body_html


def test_honest_service_builds_no_evidence(duckdb_engine):
    frames, pw = honest_service(units=6, per_unit=30, seed=5)
    res = run_audit(CleanData.from_frames(duckdb_engine, **frames), duckdb_engine.table(pw))
    assert res.flagged.empty
    assert res.evidence == {} and res.evidence_notes == {}
    assert np.isfinite(res.findings["p_value"].dropna()).all()
