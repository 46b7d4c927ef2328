"""Every detector honours the shared contract; row-level aggregation on every engine."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.integrity.base import PATTERNS, AuditContext
from clearwater.integrity.detectors import DETECTORS
from clearwater.integrity.detectors.coaching import CoachingDetector
from clearwater.integrity.detectors.dropout_fill import DropoutFillDetector
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
    # unit B: final GAD-7 after penultimate 7 (not eligible: below caseness) and 9 -> 7 (event)
    pws.append(_pw("B0", "B"))
    rows += [
        ("B0", None, "GAD7", 12, d[0], None),
        ("B0", None, "GAD7", 7, d[1], None),
        ("B0", None, "GAD7", 5, d[2], None),
    ]
    pws.append(_pw("B1", "B"))
    rows += [
        ("B1", None, "GAD7", 12, d[0], None),
        ("B1", None, "GAD7", 9, d[1], None),
        ("B1", None, "GAD7", 7, d[2], None),
    ]
    # not finished: ignored
    pws.append(_pw("B2", "B", finished_course=False))
    rows += [("B2", None, "PHQ9", 12, d[0], None), ("B2", None, "PHQ9", 9, d[1], None)]
    frames, pw = _frames_for_scores(rows, pws)
    agg = CoachingDetector().aggregate(_ctx(engine, frames, pw))
    tot = agg.groupby("unit_id")[["n", "o"]].sum()
    assert tot.loc["A"].tolist() == [3, 2]
    assert tot.loc["B"].tolist() == [1, 1]
    assert set(agg["stratum"]) == {"PHQ9:+2", "GAD7:+1"}


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
    assert agg["n"].sum() == 3 and agg["o"].sum() == 2


def test_levels_change_the_unit(duckdb_engine, small_service):
    frames, pw = small_service
    for level, col in (("team", "team_id"), ("provider", "provider_id")):
        agg = CoachingDetector().aggregate(_ctx(duckdb_engine, frames, pw, level))
        assert set(agg["unit_id"]) <= set(pw[col].dropna().astype(str))
    assert np.isfinite(agg["n"].sum())
