"""Evidence charts for flagged findings: exact figures on hand-built inputs, and the report."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.integrity import run_audit
from clearwater.integrity.base import PATTERNS
from clearwater.integrity.evidence import (
    EVIDENCE,
    Evidence,
    adsm_suppression_evidence,
    assessment_as_treatment_evidence,
    build_evidence,
    cherry_picking_evidence,
    coaching_evidence,
    dropout_fill_evidence,
    early_discharge_evidence,
    fabrication_evidence,
    holding_list_evidence,
    p_table,
    repeat_until_good_evidence,
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


def test_registry_covers_every_pattern():
    assert set(EVIDENCE) == set(PATTERNS)


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
        ("A5", "A", "ptsd", "IESR", d5, 1, []),  # one treatment contact: not a finished course
        ("B0", "B", "panic", "PDSS", date(2023, 5, 3), 4, ["PDSS"]),
        ("B1", "B", "panic", "PDSS", date(2023, 6, 3), 4, ["PDSS"]),
        ("B2", "B", "mixed_anxiety_depression", None, date(2023, 6, 10), 4, []),
    ]
    rows, pws = [], []
    for pid, unit, descr, adsm, disch, tc, tools in spec:
        pws.append(
            _pw(pid, unit, problem_descriptor=descr, adsm=adsm, discharge_date=disch,
                treatment_contacts=tc, finished_course=tc >= 2)
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
    assert "on 1 of this therapist's 2 finished courses with an ADSM descriptor (50%)" in (ev.words)
    assert "against 75% across all units" in ev.words
    assert "67% of its 3 finished anxiety courses" in ev.words
    assert "against 67% at other units" in ev.words
    _renders(ev)


SCORE_COLS = [
    "pathway_id", "contact_id", "tool", "score", "score_date",
    "recorded_at", "item_scores", "recorded_by", "entry_mode",
]  # fmt: skip
EMPTY_CONTACT = pd.DataFrame(
    columns=["contact_id", "pathway_id", "contact_date", "app_type", "attend_code"]
)


def test_repeat_until_good_words_when_peers_never_repeat(duckdb_engine):
    day, t0 = date(2023, 5, 1), datetime(2023, 5, 1, 10, 0)
    rows = [
        ("A0", None, "PHQ9", 14, day, t0, None, None, "self"),
        ("A0", None, "PHQ9", 9, day, datetime(2023, 5, 1, 10, 20), None, None, "self"),
        ("B0", None, "PHQ9", 12, day, t0, None, None, "self"),  # one administration only
    ]
    score = pd.DataFrame(rows, columns=SCORE_COLS)
    pw = pd.DataFrame([_pw(p, p[0]) for p in ("A0", "B0")])
    ev = repeat_until_good_evidence(
        _ctx(duckdb_engine, {"score": score, "contact": EMPTY_CONTACT}, pw), "A"
    )
    assert ev.words == (
        "1 of this therapist's 1 questionnaires repeated on the same day kept a lower score "
        "than the first one entered (100%), while other units repeated no questionnaire on "
        "the same day."
    )


def test_repeat_until_good_kept_scores_and_items_on_every_engine(engine):
    day, t0 = date(2023, 5, 1), datetime(2023, 5, 1, 10, 0)
    t1 = datetime(2023, 5, 1, 10, 20)
    hi, lo = "2,2,2,2,2,1,1,1,1", "1,1,1,1,1,1,1,1,1"  # items 1-5 differ, 6-9 do not
    rows = [
        ("A0", None, "PHQ9", 14, day, t0, hi, None, "self"),
        ("A0", None, "PHQ9", 9, day, t1, lo, None, "self"),  # kept lower
        ("A1", None, "PHQ9", 9, day, t0, lo, None, "self"),
        ("A1", None, "PHQ9", 14, day, t1, hi, None, "self"),  # kept higher
        ("A2", None, "GAD7", 10, day, t0, None, None, "self"),
        ("A2", None, "GAD7", 10, day, t1, None, None, "self"),  # kept the same, no items
        ("A3", None, "PHQ9", 12, day, t0, None, None, "self"),  # one administration
        ("B0", None, "PHQ9", 12, day, t0, "2,2,2,2,1,1,1,1,0", None, "self"),
        ("B0", None, "PHQ9", 12, day, t1, "2,2,2,2,1,1,1,1,0", None, "self"),  # same
        ("B1", None, "PHQ9", 10, day, t0, None, None, "self"),
        ("B1", None, "PHQ9", 12, day, t1, None, None, "self"),  # higher
    ]
    score = pd.DataFrame(rows, columns=SCORE_COLS)
    pw = pd.DataFrame([_pw(p, p[0]) for p in ("A0", "A1", "A2", "A3", "B0", "B1")])
    ev = repeat_until_good_evidence(
        _ctx(engine, {"score": score, "contact": EMPTY_CONTACT}, pw), "A"
    )
    want = {
        "measure": ["all measures"] * 2,
        "part": ["total score"] * 2,
        "group": ["this unit", "other units"],
        "repeats": [3, 2],
        "kept_lower": [1, 0],
        "kept_same": [1, 1],
        "kept_higher": [1, 1],
    }
    for item in range(1, 10):
        moved = item <= 5
        for grp, n, low, same, high in (
            ("this unit", 2, int(moved), 2 * (not moved), int(moved)),
            ("other units", 1, 0, 1, 0),
        ):
            for col, v in zip(want, ["PHQ9", f"item {item}", grp, n, low, same, high], strict=True):
                want[col].append(v)
    want["share_kept_lower"] = [
        k / n for k, n in zip(want["kept_lower"], want["repeats"], strict=True)
    ]
    _frame_eq(ev.table, want)
    assert ev.words == (
        "1 of this therapist's 3 questionnaires repeated on the same day kept a lower score "
        "than the first one entered (33%), against 0% of other units' 2 repeats; where both "
        "answer sets were recorded, the item most often lower on the kept one was PHQ9 item 1 "
        "(1 of 2)."
    )
    _renders(ev)


def test_dropout_fill_signature_shares_on_every_engine(engine):
    d1, d8 = date(2023, 5, 1), date(2023, 5, 8)
    contacts = [
        ("c1", "A0", d1, "02", "5"),
        ("c2", "A0", d8, "02", "5"),
        ("c3", "A1", d1, "02", "5"),
        ("c4", "A1", d8, "02", "3"),  # did not attend
        ("c5", "A2", d1, "02", "5"),
        ("c6", "A3", d1, "02", "5"),
        ("c7", "B0", d1, "02", "5"),
        ("c8", "B1", d1, "02", "5"),
    ]
    rows = [
        ("A0", "c1", "PHQ9", 14, d1, None),
        ("A0", "c2", "PHQ9", 12, d8, None),  # clean
        ("A1", "c3", "PHQ9", 14, d1, None),
        ("A1", "c4", "PHQ9", 8, d8, None),  # not attended + after last attended: event
        ("A2", "c5", "PHQ9", 14, d1, datetime(2023, 7, 20, 12)),  # entered 80 days late
        ("A2", None, "PHQ9", 6, date(2023, 7, 10), None),  # after last attended + discharge
        ("A3", "c6", "PHQ9", 14, d1, None),
        ("A3", None, "PHQ9", 9, date(2023, 5, 15), None),  # after last attended only
        ("B0", "c7", "PHQ9", 14, d1, datetime(2023, 5, 1, 12)),  # entry time, on time
        ("B1", "c8", "PHQ9", 14, d1, None),
        ("B1", None, "PHQ9", 10, date(2023, 5, 20), None),  # after last attended only
    ]
    ids = ("A0", "A1", "A2", "A3", "B0", "B1")
    frames, pw = _frames_for_scores(rows, [_pw(p, p[0]) for p in ids], contacts)
    ev = dropout_fill_evidence(_ctx(engine, frames, pw), "A")
    labels = [
        "a score at a contact that was not attended",
        "a score dated after the last attended contact",
        "a score dated after discharge",
        "a score entered more than 28 days after its date",
        "a score with two or more of these (the check's event)",
    ]
    _frame_eq(
        ev.table,
        {
            "signature": [x for x in labels for _ in (0, 1)],
            "group": ["this unit", "other units"] * 5,
            "courses": [4, 2, 4, 2, 4, 2, 1, 1, 4, 2],
            "with_signature": [1, 0, 3, 1, 1, 0, 1, 0, 2, 0],
            "share": [0.25, 0.0, 0.75, 0.5, 0.25, 0.0, 1.0, 0.0, 0.5, 0.0],
        },
    )
    assert ev.words == (
        "2 of this therapist's 4 courses with scores had a score showing two or more signs that "
        "the patient was not seen (50%), against 0% of other units' 2 courses; courses with "
        "each sign: 1 missed contact, 3 after last attended, 1 after discharge, 1 entered late."
    )
    _renders(ev)


def test_cherry_picking_endings_by_vulnerability_on_every_engine(engine):
    def ref(pid, ended=False, end="46", seen=1, **kw):
        base = dict(phq9_first=12.0, imd_decile=6.0, language="en", ethnic_group="White")
        base.update(kw)
        return _pw(pid, pid[0], contact_count=seen, ended_before_treatment=ended,
                   end_code=end, **base)  # fmt: skip

    pws = [
        ref("A0", ended=True, phq9_first=22.0),  # severe, ended
        ref("A1", end="10", imd_decile=1.0, language="pol"),  # two flags, not suitable
        ref("A2", ethnic_group="Asian"),  # minority ethnic, treated
        ref("A3"),
        ref("A4", ended=True),
        ref("A5", ended=True, seen=0, phq9_first=25.0),  # never seen: not counted
        ref("B0", phq9_first=21.0),
        ref("B1", ended=True),
        ref("B2"),
        ref("B3", language="English"),
        ref("B4", ethnic_group="Not stated", imd_decile=None, language=None),
    ]
    frames, pw = _frames_for_scores([], pws)
    ev = cherry_picking_evidence(_ctx(engine, frames, pw), "A")
    labels = [
        "all referrals seen",
        "with any vulnerability flag",
        "severe baseline (PHQ-9 20 or more)",
        "most deprived areas (IMD decile 1-2)",
        "preferred language not English",
        "minority ethnic group",
        "with no vulnerability flag",
    ]
    nan = float("nan")
    _frame_eq(
        ev.table,
        {
            "referrals": [x for x in labels for _ in (0, 1)],
            "group": ["this unit", "other units"] * 7,
            "seen": [5, 5, 3, 1, 1, 1, 1, 0, 1, 0, 1, 0, 2, 4],
            "ended_before_treatment": [3, 1, 2, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1],
            "share": [0.6, 0.2, 2 / 3, 0.0, 1.0, 0.0, 1.0, nan, 1.0, nan, 0.0, nan, 0.5, 0.25],
        },
    )
    assert ev.words == (
        "3 of this therapist's 5 referrals seen ended before treatment (60%, other units 20%); "
        "of its 3 referrals with a vulnerability flag, 67% (other units 0%), and of its 2 "
        "without one, 50% (other units 25%)."
    )
    _renders(ev)


def _items(total: int, k: int, shift: int = 0) -> str:
    v = [0] * k
    for i in range(total):
        v[(i + shift) % k] += 1
    return ",".join(map(str, v))


def test_fabrication_signature_shares_on_every_engine(engine):
    days = [date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 15)]
    rows, pws = [], []

    def add(pid, tool, totals, items=True, at=None, by=None, mode="self"):
        k = 9 if tool == "PHQ9" else 7
        for i, (d, t) in enumerate(zip(days, totals, strict=False)):
            rec = at + pd.Timedelta(minutes=i) if at is not None else None
            vec = _items(t, k, shift=sum(map(ord, pid)) + i) if items else None
            rows.append((pid, None, tool, t, d, rec, vec, by, mode))

    for pid in ("A0", "A1", "A2", "A3", "A4", "B5"):
        pws.append(_pw(pid, pid[0]))
    add("A0", "PHQ9", [12, 12, 12])  # flat on both measures
    add("A0", "GAD7", [9, 9, 9])
    add("A1", "PHQ9", [15, 11, 6])  # ordinary
    for pid in ("A2", "A3"):  # every answer set shared with the other: copied
        for d, t in zip(days, [14, 11, 9], strict=True):
            rows.append((pid, None, "PHQ9", t, d, None, _items(t, 9), None, "self"))
    add("A4", "PHQ9", [13], items=False)  # one day, no answer sets: only in "any"
    burst = pd.Timestamp("2023-06-30 21:00")
    for i in range(5):  # five courses entered by one person within 15 minutes
        pws.append(_pw(f"B{i}", "B"))
        add(f"B{i}", "PHQ9", [15 - i, 12 - i], items=False, at=burst + pd.Timedelta(minutes=2 * i),
            by="X", mode="clinician")  # fmt: skip
    add("B5", "PHQ9", [15, 11, 6])
    score = pd.DataFrame(rows, columns=SCORE_COLS)
    ctx = _ctx(engine, {"score": score, "contact": EMPTY_CONTACT}, pd.DataFrame(pws))
    ev = fabrication_evidence(ctx, "A")
    labels = [
        "every answer set shared with another patient of the unit",
        "a score entered in a burst (5+ courses in 15 minutes)",
        "the same total (of 5+) on every scored day",
        "any of these (the check's event)",
    ]
    nan = float("nan")
    _frame_eq(
        ev.table,
        {
            "signature": [x for x in labels for _ in (0, 1)],
            "group": ["this unit", "other units"] * 4,
            "courses": [4, 1, 0, 5, 4, 1, 5, 6],
            "with_signature": [2, 0, 0, 5, 1, 0, 3, 5],
            "share": [0.5, 0.0, nan, 1.0, 0.25, 0.0, 0.6, 5 / 6],
        },
    )
    assert ev.words == (
        "3 of this therapist's 5 courses with PHQ-9/GAD-7 scores show at least one of these "
        "patterns (60%), against 83% of other units' 6 courses: copied answers in 2 of 4; "
        "flat trajectory in 1 of 4 where it can be seen."
    )
    _renders(ev)


def test_new_builders_say_when_there_is_nothing_to_show(duckdb_engine):
    # one unit with three single PHQ-9 scores and no answer sets or entry times
    rows = [(f"A{i}", None, "PHQ9", 12 + i, date(2023, 5, 1 + 7 * i), None) for i in range(3)]
    frames, pw = _frames_for_scores(rows, [_pw(f"A{i}", "A", contact_count=1) for i in range(3)])
    for col, v in (("phq9_first", 12.0), ("imd_decile", 5.0), ("language", "en"),
                   ("ethnic_group", "White"), ("ended_before_treatment", False)):  # fmt: skip
        pw[col] = v
    ctx = _ctx(duckdb_engine, frames, pw)
    for builder, msg in (
        (repeat_until_good_evidence, "no questionnaire repeated on the same day for unit A"),
        (dropout_fill_evidence, "no course with scores for unit Z"),
        (cherry_picking_evidence, "no referral seen by unit Z"),
        (fabrication_evidence, "no course with PHQ-9/GAD-7 scores for unit Z"),
    ):
        with pytest.raises(ValueError, match=msg):
            builder(ctx, "A" if builder is repeat_until_good_evidence else "Z")
    # without answer sets or entry times, only what the data can show is shown
    fab = fabrication_evidence(ctx, "A")
    assert fab.table["signature"].unique().tolist() == ["any of these (the check's event)"]
    assert "copied answers, bulk entry, flat trajectory" in fab.how_to_read
    assert fab.words.endswith("against n/a of other units' 0 courses.")
    drop = dropout_fill_evidence(ctx, "A")
    assert not drop.table["signature"].str.contains("entered more than").any()
    assert "so late entry is not shown" in drop.how_to_read


def test_a_failing_builder_becomes_a_note(duckdb_engine, monkeypatch):
    frames, pw = _frames_for_scores([], [_pw("A0", "A")])
    ctx = _ctx(duckdb_engine, frames, pw)

    def broken(ctx, unit):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(EVIDENCE, "coaching", broken)
    monkeypatch.delitem(EVIDENCE, "cherry_picking")  # a detector without a builder: skipped
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
