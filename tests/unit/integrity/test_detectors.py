"""Every detector honours the shared contract; row-level aggregation on every engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.integrity.base import PATTERNS, AuditContext
from clearwater.integrity.detectors import DETECTORS
from clearwater.integrity.detectors.adsm_suppression import AdsmSuppressionDetector
from clearwater.integrity.detectors.assessment_as_treatment import AssessmentAsTreatmentDetector
from clearwater.integrity.detectors.coaching import CoachingDetector
from clearwater.integrity.detectors.dropout_fill import DropoutFillDetector
from clearwater.integrity.detectors.early_discharge import EarlyDischargeDetector
from clearwater.integrity.detectors.fabrication import FabricationDetector
from clearwater.integrity.detectors.repeat_until_good import RepeatUntilGoodDetector

from .simdata import honest_service


@pytest.fixture(scope="module")
def small_service():
    return honest_service(units=6, per_unit=15, seed=2)


def _ctx(engine, frames, pw, level="therapist"):
    data = CleanData.from_frames(engine, **frames)
    return AuditContext(data=data, pathways=engine.table(pw), level=level)


def test_detector_info_is_complete():
    names = set()
    for cls in DETECTORS:
        i = cls.info
        assert i.pattern in PATTERNS
        assert i.name not in names
        names.add(i.name)
        for text in (
            i.title,
            i.target,
            i.statistic,
            i.null,
            i.event_words,
            i.trial_words,
            i.expected_words,
        ):
            assert text.strip()
            assert "fraud" not in text.lower()
        assert i.blind_spots and i.innocent_explanations
        assert 0 < i.min_effect < 1 and i.min_excess >= 1
    assert names == set(PATTERNS)


@pytest.mark.parametrize("cls", DETECTORS, ids=lambda c: c.info.name)
def test_detector_conformance(cls, engine, small_service):
    frames, pw = small_service
    ctx = _ctx(engine, frames, pw)
    det = cls()
    cases = det.cases(ctx)
    assert list(cases.columns) == ["unit_id", "stratum", "event"]
    agg = det.aggregate(ctx)
    assert list(agg.columns) == ["unit_id", "stratum", "n", "o"]
    assert (agg["o"] <= agg["n"]).all() and (agg["o"] >= 0).all()
    res = det.run(ctx)
    u = res.units
    assert {"unit_id", "n", "o", "e", "p_value", "z"} <= set(u.columns)
    p = u["p_value"].dropna()
    assert ((p >= 0) & (p <= 1)).all()
    for _, r in u.iterrows():
        assert det.describe(r).endswith(".")


def _frames_for_scores(rows, pw_rows, contacts=()):
    score = pd.DataFrame(
        rows, columns=["pathway_id", "contact_id", "tool", "score", "score_date", "recorded_at"]
    )
    pw = pd.DataFrame(pw_rows)
    contact = pd.DataFrame(
        list(contacts),
        columns=["contact_id", "pathway_id", "contact_date", "app_type", "attend_code"],
    )
    return {"score": score, "contact": contact}, pw


def _pw(pid, unit, **kw):
    base = dict(
        pathway_id=pid,
        therapist_id=unit,
        assessor_id=unit,
        team_id="TM",
        provider_id="P",
        finished_course=True,
        treatment_contacts=3,
        discharge_date=date(2023, 6, 30),
        end_code="46",
    )
    base.update(kw)
    return base


def test_coaching_counts_known_events(engine):
    d = [date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 15)]
    rows, pws = [], []
    # unit A: three courses, penultimate PHQ-9 12 -> final 9 (event), 12 -> 12 (no), 12 -> 8 (event)
    for i, last in enumerate([9, 12, 8]):
        pid = f"A{i}"
        pws.append(_pw(pid, "A"))
        for dd, s in zip(d, [18, 12, last], strict=True):
            rows.append((pid, None, "PHQ9", s, dd, None))
    # unit B: final GAD-7 after penultimate 7 (not eligible: below caseness), 9 -> 7 (not
    # eligible: one point above the cut, where ordinary change reaches the notch) and
    # 10 -> 7 (event)
    for pid, pen in (("B0", 7), ("B3", 9), ("B1", 10)):
        pws.append(_pw(pid, "B"))
        rows += [
            (pid, None, "GAD7", 12, d[0], None),
            (pid, None, "GAD7", pen, d[1], None),
            (pid, None, "GAD7", pen - 3, d[2], None),
        ]
    # not finished: ignored
    pws.append(_pw("B2", "B", finished_course=False))
    rows += [("B2", None, "PHQ9", 12, d[0], None), ("B2", None, "PHQ9", 9, d[1], None)]
    frames, pw = _frames_for_scores(rows, pws)
    agg = CoachingDetector().aggregate(_ctx(engine, frames, pw))
    tot = agg.groupby("unit_id")[["n", "o"]].sum()
    assert tot.loc["A"].tolist() == [3, 2]
    assert tot.loc["B"].tolist() == [1, 1]
    assert set(agg["stratum"]) == {"PHQ9:+2", "GAD7:+2"}


def test_repeat_until_good_uses_entry_order(engine):
    day = date(2023, 5, 1)
    rows = [
        ("A0", "c1", "PHQ9", 14, day, datetime(2023, 5, 1, 10, 0)),
        ("A0", "c1", "PHQ9", 9, day, datetime(2023, 5, 1, 10, 20)),  # kept lower -> event
        ("A1", "c2", "PHQ9", 9, day, datetime(2023, 5, 1, 10, 0)),
        ("A1", "c2", "PHQ9", 14, day, datetime(2023, 5, 1, 10, 20)),  # kept higher -> no
        ("A2", "c3", "PHQ9", 9, day, datetime(2023, 5, 1, 10, 0)),
    ]
    frames, pw = _frames_for_scores(rows, [_pw(p, "A") for p in ("A0", "A1", "A2")])
    agg = RepeatUntilGoodDetector().aggregate(_ctx(engine, frames, pw))
    assert agg["n"].sum() == 3 and agg["o"].sum() == 1


def test_dropout_fill_signatures(engine):
    contacts = [
        ("c1", "A0", date(2023, 5, 1), "02", "5"),
        ("c2", "A0", date(2023, 5, 8), "02", "5"),
        ("c3", "A1", date(2023, 5, 1), "02", "5"),
        ("c4", "A1", date(2023, 5, 8), "02", "3"),  # DNA carrying a score -> event
        ("c5", "A2", date(2023, 5, 1), "02", "5"),
    ]
    rows = [
        ("A0", "c1", "PHQ9", 14, date(2023, 5, 1), None),
        ("A0", "c2", "PHQ9", 12, date(2023, 5, 8), datetime(2023, 5, 8, 12)),
        ("A1", "c3", "PHQ9", 14, date(2023, 5, 1), None),
        ("A1", "c4", "PHQ9", 8, date(2023, 5, 8), None),
        (
            "A2",
            "c5",
            "PHQ9",
            14,
            date(2023, 5, 1),
            datetime(2023, 7, 20, 12),
        ),  # entered 80 days late
    ]
    frames, pw = _frames_for_scores(rows, [_pw(p, "A") for p in ("A0", "A1", "A2")], contacts)
    agg = DropoutFillDetector().aggregate(_ctx(engine, frames, pw))
    assert agg["n"].sum() == 3 and agg["o"].sum() == 1


def test_levels_change_the_unit(duckdb_engine, small_service):
    frames, pw = small_service
    for level, col in (("team", "team_id"), ("provider", "provider_id")):
        agg = CoachingDetector().aggregate(_ctx(duckdb_engine, frames, pw, level))
        assert set(agg["unit_id"]) <= set(pw[col].dropna().astype(str))
    assert np.isfinite(agg["n"].sum())


def _items(total: int, k: int) -> str:
    v = [0] * k
    for i in range(total):
        v[i % k] += 1
    return ",".join(map(str, v))


def test_fabrication_and_adsm_on_every_engine(engine):
    """Hand-made case: known events for the fabrication and ADSM signatures (DuckDB and Spark)."""
    days = [date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 15)]
    rows, pws = [], []

    def add(pid, tool, totals, items=None, at=None, by=None, mode="self"):
        for i, (d, t) in enumerate(zip(days, totals, strict=False)):
            k = 9 if tool == "PHQ9" else 7
            rec = at + pd.Timedelta(minutes=i) if at is not None else None
            rows.append((pid, None, tool, t, d, rec, items or _items(t + i, k), by, mode))

    # A0: flat PHQ-9 and GAD-7 over three days -> event (c)
    pws.append(_pw("A0", "A"))
    add("A0", "PHQ9", [12, 12, 12], items=_items(12, 9))
    add("A0", "GAD7", [9, 9, 9], items=_items(9, 7))
    # A1: flat PHQ-9 but GAD-7 varies -> not flat on every measure, no event
    pws.append(_pw("A1", "A"))
    add("A1", "PHQ9", [12, 12, 12], items="0,1,2,3,3,3,0,0,0")
    add("A1", "GAD7", [9, 7, 5])
    # A4: flat at the floor of both scales (a well person) -> no event
    pws.append(_pw("A4", "A"))
    add("A4", "PHQ9", [2, 2, 2], items=_items(2, 9))
    add("A4", "GAD7", [1, 1, 1], items=_items(1, 7))
    # A2 and A3 share every PHQ-9 answer set (three each, totals >= 8) -> both copied (a)
    for pid in ("A2", "A3"):
        pws.append(_pw(pid, "A"))
        for d, t in zip(days, [14, 11, 9], strict=True):
            rows.append((pid, None, "PHQ9", t, d, None, _items(t, 9) + "", None, "self"))
    # B0..B4: five courses entered by one person within 15 minutes -> bulk (b), all events
    burst = pd.Timestamp("2023-06-30 21:00")
    for i in range(5):
        pid = f"B{i}"
        pws.append(_pw(pid, "B"))
        add(
            pid,
            "PHQ9",
            [15 - i, 12 - i],
            at=burst + pd.Timedelta(minutes=2 * i),
            by="X",
            mode="clinician",
        )
    # B5: ordinary varied self-entered course -> no event
    pws.append(_pw("B5", "B"))
    add("B5", "PHQ9", [15, 11, 6])
    score = pd.DataFrame(
        rows,
        columns=[
            "pathway_id", "contact_id", "tool", "score", "score_date",
            "recorded_at", "item_scores", "recorded_by", "entry_mode",
        ],
    )  # fmt: skip
    # A9: ended after one treatment contact, no SPIN score: not a finished course, no trial
    pws.append(_pw("A9", "A", finished_course=False, treatment_contacts=1))
    pw = pd.DataFrame(pws)
    pw["adsm"] = None
    pw.loc[pw["pathway_id"].isin(["A0", "A1", "B0", "A9"]), "adsm"] = "SPIN"
    pw["problem_descriptor"] = "social_anxiety"
    # A1 has a SPIN score; A0 and B0 have none -> two ADSM events out of three trials
    score.loc[len(score)] = ("A1", None, "SPIN", 30, days[0], None, None, None, "self")
    contact = pd.DataFrame(
        columns=["contact_id", "pathway_id", "contact_date", "app_type", "attend_code"]
    )
    ctx = _ctx(engine, {"score": score, "contact": contact}, pw)
    fab = FabricationDetector().aggregate(ctx).groupby("unit_id")[["n", "o"]].sum()
    assert fab.loc["A"].tolist() == [5, 3]
    assert fab.loc["B"].tolist() == [6, 5]
    ad = AdsmSuppressionDetector().aggregate(ctx)
    assert ad["n"].sum() == 3 and ad["o"].sum() == 2


def test_assessment_as_treatment_on_every_engine(engine):
    """Short first treatment just inside 6 weeks is an event; a normal one is not."""
    ref = date(2023, 4, 1)
    contacts, pws = [], []
    for pid, wait, first_dur in (("A0", 38, 20), ("A1", 38, 50), ("A2", 10, 20)):
        first = ref + timedelta(days=wait)
        contacts += [
            (
                f"{pid}c1",
                pid,
                first,
                "02",
                "5",
                first_dur,
            ),
            (f"{pid}c2", pid, first + timedelta(days=30), "02", "5", 50),
            (f"{pid}c3", pid, first + timedelta(days=37), "02", "5", 50),
        ]
        pws.append(
            _pw(
                pid,
                "A",
                referral_date=ref,
                first_treatment_date=ref + timedelta(days=wait),
                second_treatment_date=ref + timedelta(days=wait + 30),
                wait_to_first_treatment_days=wait,
                first_to_second_treatment_days=30,
            )
        )
    contact = pd.DataFrame(
        contacts,
        columns=[
            "contact_id",
            "pathway_id",
            "contact_date",
            "app_type",
            "attend_code",
            "duration_min",
        ],
    )
    score = pd.DataFrame(
        columns=["pathway_id", "contact_id", "tool", "score", "score_date", "recorded_at"]
    )
    ctx = _ctx(engine, {"score": score, "contact": contact}, pd.DataFrame(pws))
    agg = AssessmentAsTreatmentDetector().aggregate(ctx)
    assert agg["n"].sum() == 3 and agg["o"].sum() == 1


def test_coaching_leaves_out_finals_far_below_the_cut(engine):
    d = [date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 15)]
    rows, pws = [], []
    for i, last in enumerate([9, 3, 11]):  # notch event, far below (no trial), at caseness
        pws.append(_pw(f"A{i}", "A"))
        rows += [
            (f"A{i}", None, "PHQ9", s, dd, None) for dd, s in zip(d, [18, 12, last], strict=True)
        ]
    frames, pw = _frames_for_scores(rows, pws)
    agg = CoachingDetector().aggregate(_ctx(engine, frames, pw))
    assert agg[["n", "o"]].sum().tolist() == [2, 1]


def _course(pid, phq, start=date(2023, 1, 2)):
    """Score rows of one course: weekly PHQ-9 scores."""
    return [(pid, None, "PHQ9", s, start + timedelta(days=7 * i), None) for i, s in enumerate(phq)]


def test_early_discharge_events_and_hazard_strata(engine):
    rows, pws = [], []
    # unit A: three courses that never went below caseness, lasting 3, 3 and 5 scored days:
    # its own ending hazard at day 3 is 2 of 3 still going, shrunk towards the pool
    for i, phq in enumerate([[15, 14, 13], [16, 15, 12], [15, 14, 13, 12, 11]]):
        pws.append(_pw(f"AN{i}", "A"))
        rows += _course(f"AN{i}", phq)
    # A's trials: first below caseness at day 3, ending there (event) and going on (no event)
    for pid, phq in (("AE", [15, 12, 8]), ("AC", [15, 12, 8, 7, 6])):
        pws.append(_pw(pid, "A"))
        rows += _course(pid, phq)
    # unit B: never-below courses all long (5 days): hazard at day 3 is 0 before shrinkage
    for i in range(3):
        pws.append(_pw(f"BN{i}", "B"))
        rows += _course(f"BN{i}", [15, 14, 13, 12, 11])
    pws.append(_pw("BE", "B"))
    rows += _course("BE", [21, 12, 9])  # event, severe baseline
    # not trials: started below caseness; never went below; not finished
    pws += [_pw("X1", "B"), _pw("X2", "B", finished_course=False)]
    rows += _course("X1", [8, 7, 6]) + _course("X2", [15, 9])
    frames, pw = _frames_for_scores(rows, pws)
    agg = EarlyDischargeDetector().aggregate(_ctx(engine, frames, pw))
    got = {(r.unit_id, r.stratum): (r.n, r.o) for r in agg.itertuples()}
    # pooled hazard at day 3: 2 ended of 6 still going -> A: (2 + 5/3)/(3 + 5) = 0.46 (h3);
    # B: (0 + 5/3)/(3 + 5) = 0.21 (h2)
    assert got == {
        ("A", "h3:k3:unknown:mod"): (2, 1),
        ("B", "h2:k3:unknown:sev"): (1, 1),
    }
