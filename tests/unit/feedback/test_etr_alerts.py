"""Expected treatment response, not-on-track alerts, risk flag and validation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.feedback.alerts import (
    NOT_ON_TRACK,
    ON_TRACK,
    auc,
    classify,
    compute_alerts,
    item9_risk,
    validate_not,
)
from clearwater.feedback.etr import (
    BANDS,
    ETRModel,
    fit_etr,
    fit_from_counts,
    session_scores,
    weighted_quantile,
)

from .helpers import course, frame, pathways_table


def test_bands():
    phq, gad = BANDS["PHQ9"], BANDS["GAD7"]
    assert [phq.band(x) for x in (0, 9, 10, 12, 13, 24, 25, 27)] == [0, 0, 1, 1, 2, 5, 6, 6]
    assert [phq.label(b) for b in range(7)][:3] == ["0-9", "10-12", "13-15"]
    assert phq.label(6) == "25-27" and gad.label(4) == "17-21"
    assert [gad.band(x) for x in (7, 8, 11, 16, 17, 21)] == [0, 1, 2, 3, 4, 4]


def test_session_numbering_on_every_engine(engine):
    rows = course("P1", "PHQ9", [18, 15, 12])
    # a second PHQ-9 the same day as the first, recorded later: it replaces the first
    rows.append({**rows[0], "score": 19.0, "score_time": "10:30", "contact_id": "x"})
    rows[0]["score_time"] = "09:00"
    rows += course("P1", "GAD7", [10, 11])
    rows += course("P2", "PHQ9", [7])
    data = CleanData.from_frames(engine, score=frame(rows))
    got = engine.execute(session_scores(data)).sort_values(
        ["pathway_id", "measure", "session_number"]
    )
    p1 = got[(got.pathway_id == "P1") & (got.measure == "PHQ9")]
    assert list(p1.session_number) == [1, 2, 3]
    assert list(p1.score) == [19.0, 15.0, 12.0]
    assert set(p1.baseline) == {19.0} and set(p1.last_score) == {12.0}
    assert set(p1.n_sessions) == {3}
    assert list(got[got.measure == "GAD7"].session_number) == [1, 2]
    assert got[got.pathway_id == "P2"].iloc[0]["n_sessions"] == 1


def test_weighted_quantile_inverted_cdf():
    scores = np.arange(10)
    w = np.ones(10)
    assert weighted_quantile(scores, w, 0.75) == 7  # F(6) = .7, F(7) = .8
    assert weighted_quantile(scores, w, 0.5) == 4  # F(4) = .5 exactly
    assert weighted_quantile(scores, w, 0.9) == 8


def test_bands_recover_known_quantiles_from_simulated_trajectories(duckdb_engine):
    """Baseline 15 for everyone; score at session t = 15 - t + e, e uniform on -2..2.
    True quantiles at session t: q10 = 13-t, q25 = 14-t, q50 = 15-t, q75 = 16-t, q90 = 17-t.
    (For e on -2..2, F(-2)=.2, F(-1)=.4, F(0)=.6, F(1)=.8.)"""
    rng = np.random.default_rng(7)
    rows, paths = [], []
    for i in range(2500):
        pid = f"S{i:05d}"
        n = int(rng.integers(2, 9))
        scores = [15] + [15 - t + int(rng.integers(-2, 3)) for t in range(2, n + 1)]
        rows += course(pid, "PHQ9", scores)
        paths.append({"pathway_id": pid, "finished_course": True, "therapist_id": "T"})
    data = CleanData.from_frames(duckdb_engine, score=frame(rows))
    model = fit_etr(data, pathways_table(duckdb_engine, paths), max_session=8, min_n=30)
    b = model.bands[(model.bands.measure == "PHQ9") & (model.bands.band == 2)].set_index("session")
    for t in range(2, 9):
        assert b.loc[t, "q10"] == 13 - t
        assert b.loc[t, "q25"] == 14 - t
        assert b.loc[t, "q50"] == 15 - t
        assert b.loc[t, "q75"] == 16 - t
        assert b.loc[t, "q90"] == 17 - t
    # later sessions have fewer courses (attrition) and all are counted
    assert b.loc[2, "n"] == 2500 and b.loc[8, "n"] < b.loc[4, "n"]
    # band 10-12 has no courses of its own: it borrows band 13-15 and says so
    b1 = model.bands[(model.bands.measure == "PHQ9") & (model.bands.band == 1)].set_index("session")
    assert "13-15" in b1.loc[2, "pooled_bands"] and b1.loc[2, "q50"] == 13
    # a band with nobody near it stays empty: no reference, no alert
    assert model.expected("PHQ9", 27, 3) is None


def test_save_and_load_reference(tmp_path):
    counts = pd.DataFrame(
        {"measure": "GAD7", "band": 2, "session": 2, "score": range(10), "n": 5, "fold": 0}
    )
    model = fit_from_counts(counts, max_session=4, min_n=20)
    path = model.save(tmp_path / "ref.csv")
    again = ETRModel.load(path)
    assert again.max_session == 4
    assert again.expected("GAD7", 12, 2) == model.expected("GAD7", 12, 2)
    assert again.expected("GAD7", 12, 2)["q75"] == 7


def test_item9():
    assert item9_risk("0,1,2,3,0,1,2,3,1") is True
    assert item9_risk("[0, 1, 2, 3, 0, 1, 2, 3, 0]") is False
    assert item9_risk("0;0;0;0;0;0;0;0;2") is True
    assert item9_risk(None) is None
    assert item9_risk("1,2,3") is None


def _reference_model():
    # session 2, band 13-15: scores 10..19 once each -> q50 = 14, q75 = 17, q90 = 18
    counts = pd.DataFrame(
        {"measure": "PHQ9", "band": 2, "session": 2, "score": range(10, 20), "n": 3, "fold": 0}
    )
    return fit_from_counts(counts, max_session=2, min_n=20)


def test_alerts_statuses_and_risk_first(engine):
    model = _reference_model()
    items_risk = "0,0,0,0,0,0,0,0,1"
    items_ok = "1,1,1,1,1,1,1,1,0"
    rows = []
    rows += course("A", "PHQ9", [15, 18])  # above q75 = 17: not on track
    rows += course("B", "PHQ9", [15, 17])  # at the band edge: on track
    rows += course("C", "PHQ9", [14, 12], items=[items_ok, items_risk])  # on track, but risk
    rows += course("D", "PHQ9", [14])  # baseline only
    rows += course("E", "PHQ9", [8, 14])  # reliable deterioration (+6), no band needed
    rows += course("F", "PHQ9", [26, 12])  # no reference for band 25-27
    rows += course("G", "PHQ9", [15, 19])  # discharged: not listed
    paths = [
        {"pathway_id": p, "therapist_id": "T1" if p < "D" else "T2", "team_id": "X"}
        for p in "ABCDEF"
    ] + [{"pathway_id": "G", "therapist_id": "T1", "discharge_date": date(2024, 3, 1)}]
    data = CleanData.from_frames(engine, score=frame(rows))
    alerts = compute_alerts(data, pathways_table(engine, paths), model)
    f = alerts.frame.set_index("pathway_id")
    assert list(alerts.frame.pathway_id)[0] == "C"  # risk shown first, always
    assert f.loc["A", "status"] == NOT_ON_TRACK and f.loc["A", "expected_upper"] == 17
    assert f.loc["A", "expected_median"] == 14
    assert f.loc["B", "status"] == ON_TRACK
    assert f.loc["C", "status"] == ON_TRACK and f.loc["C", "risk_flag"] is True
    assert f.loc["A", "risk_flag"] is None  # no item scores: unknown, not "no risk"
    assert f.loc["D", "status"] == "baseline only"
    assert f.loc["E", "status"] == NOT_ON_TRACK and "reliably" in f.loc["E", "reason"]
    assert f.loc["F", "status"] == "no reference"
    assert "G" not in f.index
    # the 90th percentile band is wider: A (18) is then on track
    assert classify("PHQ9", 15, 18, 2, model, "q90")[0] == ON_TRACK


def test_auc_hand_worked():
    # positives 3, 2, 1; negatives 0, 1: wins 5, one tie -> 5.5 / 6
    assert auc([3, 2, 1, 0, 1], [True, True, True, False, False]) == pytest.approx(5.5 / 6)
    assert auc([1, 2], [False, True]) == 1.0


def test_validation_on_a_constructed_case(duckdb_engine):
    """Per fold of 25 finished courses (baseline 15, session 2 score, final score):
    19 improvers at 12, 1 improver at 16, 3 non-improvers at 16, 2 non-improvers at 12.
    Session-2 q75 = 12 (F(12) = 21/25), so every 16 is not on track:
    TP 6, FN 4, FP 2, TN 38 -> sensitivity .6, specificity .95, AUC .775 (by hand)."""
    kinds = [("imp", 12)] * 19 + [("imp", 16)] + [("non", 16)] * 3 + [("non", 12)] * 2
    rows, paths = [], []
    for i, (kind, s2) in enumerate(kinds):
        for half in (0, 1):  # ids interleave so the two folds get the same mix
            pid = f"V{2 * i + half:03d}"
            rows += course(pid, "PHQ9", [15, s2, 8 if kind == "imp" else 14])
            paths.append({"pathway_id": pid, "finished_course": True, "therapist_id": "T"})
    data = CleanData.from_frames(duckdb_engine, score=frame(rows))
    v = validate_not(data, pathways_table(duckdb_engine, paths), min_n=10, max_session=4)
    row = v.frame.set_index(["measure", "session"]).loc[("PHQ9", 2)]
    assert row["n"] == 50
    assert row["sensitivity"] == pytest.approx(0.6)
    assert row["specificity"] == pytest.approx(0.95)
    assert row["auc"] == pytest.approx(0.775)
    assert row["no_improvement_share"] == pytest.approx(0.2)
