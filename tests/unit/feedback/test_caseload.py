"""The supervisor's caseload review on a hand-made caseload."""

from __future__ import annotations

from datetime import date

import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.feedback.alerts import compute_alerts
from clearwater.feedback.caseload import caseload_review, complexity_markers, severity
from clearwater.feedback.etr import fit_from_counts

from .helpers import course, frame, pathways_table


def test_severity_words():
    assert severity(16, "PHQ9") == "16 (moderately severe)"
    assert severity(9, "GAD7") == "9 (mild)"
    assert severity(None, "PHQ9") == ""


def test_complexity_markers():
    row = pd.Series({"imd_decile": 2, "language": "pl", "previous_referrals": 2})
    assert complexity_markers(row) == (
        "most deprived 20% of areas; may need an interpreter; referred before (2)"
    )
    assert complexity_markers(pd.Series({"imd_decile": 7, "language": "en"})) == ""


def test_caseload_review_on_every_engine(engine):
    counts = pd.DataFrame(
        {"measure": "PHQ9", "band": 2, "session": 2, "score": range(10, 20), "n": 3, "fold": 0}
    )
    model = fit_from_counts(counts, max_session=2, min_n=20)
    scores = course("A", "PHQ9", [15, 19]) + course(
        "B", "PHQ9", [14, 12], items=[None, "0,0,0,0,0,0,0,0,2"]
    )
    contacts = pd.DataFrame(
        [
            {
                "contact_id": "a1",
                "pathway_id": "A",
                "contact_date": date(2024, 3, 1),
                "attend_code": "5",
                "app_type": "02",
            },
            {
                "contact_id": "a2",
                "pathway_id": "A",
                "contact_date": date(2024, 3, 20),
                "attend_code": "3",
                "app_type": "02",
            },
            {
                "contact_id": "b1",
                "pathway_id": "B",
                "contact_date": date(2024, 3, 25),
                "attend_code": "5",
                "app_type": "02",
            },
            {
                "contact_id": "c1",
                "pathway_id": "C",
                "contact_date": date(2024, 3, 31),
                "attend_code": "5",
                "app_type": "02",
            },
        ]
    )
    paths = [
        {
            "pathway_id": "A",
            "therapist_id": "T1",
            "team_id": "X",
            "first_treatment_date": date(2024, 3, 1),
            "imd_decile": 1,
            "previous_referrals": 1,
            "treatment_contacts": 1,
            "phq9_first": 15.0,
        },
        {
            "pathway_id": "B",
            "therapist_id": "T1",
            "team_id": "X",
            "first_treatment_date": date(2024, 2, 1),
            "second_treatment_date": date(2024, 2, 8),
            "treatment_contacts": 5,
            "phq9_first": 14.0,
        },
        {"pathway_id": "C", "therapist_id": "T2", "team_id": "X"},
        {"pathway_id": "D", "therapist_id": "T1", "discharge_date": date(2024, 3, 2)},
    ]
    data = CleanData.from_frames(engine, score=frame(scores), contact=contacts)
    pw = pathways_table(engine, paths)
    alerts = compute_alerts(data, pw, model)
    review = caseload_review(data, pw, alerts, therapist="T1")
    assert list(review.pathway_id) == ["B", "A"]  # risk first
    a = review.set_index("pathway_id").loc["A"]
    b = review.set_index("pathway_id").loc["B"]
    assert b["risk_flag"] is True and not b["not_on_track"]
    assert a["not_on_track"] and a["phq9_latest"] == "19 (moderately severe)"
    assert a["phq9_start"] == "15 (moderately severe)"
    assert a["complexity"] == "most deprived 20% of areas; referred before (1)"
    assert a["waiting_for_second_session"] and not b["waiting_for_second_session"]
    assert a["days_since_last_contact"] == 30  # as of 31 March; the DNA does not count
    assert a["weeks_in_treatment"] == 4 and b["weeks_in_treatment"] == 8
    assert "D" not in set(review.pathway_id)  # discharged
