"""Workload: back-to-back runs on hand-made days, weekly counts, caseload, supervision, SPC."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from clearwater.dataset.model import CleanData
from clearwater.workforce.workload import (
    WorkloadSettings,
    apply_guidance,
    clinician_weeks,
    compute_workload,
    team_chart,
)

MON, TUE = date(2024, 1, 8), date(2024, 1, 9)


def _contacts():
    rows = [
        # Monday: 09:00-09:50, 10:00-10:50, 11:00-11:50 (gaps of 10 min: one run of 3),
        # a DNA at 12:00, 13:00-13:30, 13:30 (no duration: 45 min -> 14:15), 14:30 (gap 15)
        ("c1", MON, "09:00", 50, "5"),
        ("c2", MON, "10:00", 50, "5"),
        ("c3", MON, "11:00", 50, "6"),
        ("c4", MON, "12:00", 50, "3"),
        ("c5", MON, "13:00", 30, "5"),
        ("c6", MON, "13:30", None, "5"),
        ("c7", MON, "14:30", 40, "5"),
        # Tuesday: four hours with 5-minute gaps -> one run of 4; a cancellation
        ("c8", TUE, "09:00", 60, "5"),
        ("c9", TUE, "10:05", 60, "5"),
        ("c10", TUE, "11:10", 60, "5"),
        ("c11", TUE, "12:15:00", 60, "5"),
        ("c12", TUE, "15:00", 60, "2"),
        # a contact with no time still counts as attended
        ("c13", TUE, None, 30, "5"),
    ]
    return pd.DataFrame(
        [
            {
                "contact_id": cid,
                "pathway_id": "P1",
                "contact_date": d,
                "contact_time": t,
                "duration_min": dur,
                "attend_code": code,
                "app_type": "02",
                "clinician_id": "C1",
            }
            for cid, d, t, dur, code in rows
        ]
    )


def _pathways(engine):
    schema = pa.schema(
        [
            ("pathway_id", pa.string()),
            ("therapist_id", pa.string()),
            ("first_treatment_date", pa.date32()),
            ("discharge_date", pa.date32()),
        ]
    )
    rows = {
        "pathway_id": ["P1", "P2", "P3"],
        "therapist_id": ["C1", "C1", "C1"],
        "first_treatment_date": [date(2024, 1, 1), date(2024, 1, 10), date(2023, 12, 1)],
        "discharge_date": [None, date(2024, 1, 12), date(2024, 1, 5)],
    }
    return engine.table(pa.Table.from_pydict(rows, schema=schema))


def test_weekly_counts_runs_and_caseload_on_every_engine(engine):
    sup = pd.DataFrame(
        {
            "clinician_id": ["C1"],
            "supervision_date": [TUE],
            "supervision_type": ["case_management"],
            "duration_min": [60],
        }
    )
    data = CleanData.from_frames(engine, contact=_contacts(), supervision=sup)
    weeks = clinician_weeks(data, _pathways(engine), WorkloadSettings(max_gap_min=10))
    w = weeks.set_index("week_start").loc[MON]
    assert w["attended"] == 11
    assert w["dna"] == 1 and w["cancelled"] == 1
    assert w["days_worked"] == 2
    assert w["clinical_minutes"] == 50 * 3 + 30 + 45 + 40 + 60 * 4 + 30
    assert w["longest_run"] == 4
    assert w["open_caseload"] == 2  # P1 and P2; P3 was discharged the week before
    assert w["case_management_min"] == 60 and w["clinical_skills_min"] == 0
    # a tighter definition of back-to-back (no gap at all) splits Tuesday's run
    tight = clinician_weeks(data, _pathways(engine), WorkloadSettings(max_gap_min=0))
    assert tight.set_index("week_start").loc[MON, "longest_run"] == 2  # 13:00 then 13:30


def test_supervision_against_guidance():
    weeks = pd.DataFrame(
        {
            "clinician_id": ["P"] * 3 + ["H"] * 2,
            "week_start": [date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)]
            + [date(2024, 1, 1), date(2024, 1, 8)],
            "attended": [10, 10, 0, 12, 12],
            "dna": 0,
            "cancelled": 0,
            "days_worked": [4, 4, 0, 4, 4],
            "clinical_minutes": 600,
            "longest_run": 3,
            "open_caseload": 40,
            "case_management_min": [30, 60, 0, 0, 0],
            "clinical_skills_min": [60, 0, 0, 60, 0],
            "supervision_sessions": [2, 1, 0, 1, 0],
        }
    )
    staff = pd.DataFrame(
        {"clinician_id": ["P", "H"], "team_id": "T", "role": ["PWP", "HIT"], "fte": [0.5, 1.0]}
    )
    out = apply_guidance(weeks, staff).set_index(["clinician_id", "week_start"])
    # PWP at 0.5 FTE needs 30 min case management a week, clinical skills fortnightly
    assert out.loc[("P", date(2024, 1, 1)), "supervision_met"] is True
    assert out.loc[("P", date(2024, 1, 8)), "supervision_met"] is True  # skills last week
    assert out.loc[("P", date(2024, 1, 15)), "supervision_met"] is None  # not working
    # HIT: weekly supervision
    assert out.loc[("H", date(2024, 1, 1)), "supervision_met"] is True
    assert out.loc[("H", date(2024, 1, 8)), "supervision_met"] is False
    assert out.loc[("P", date(2024, 1, 1)), "clinical_hours_per_fte"] == pytest.approx(20.0)


def test_team_chart_known_answer():
    x = [10, 12, 10, 12, 10, 12, 10, 12, 30]
    chart = team_chart(x)
    # moving ranges: 2 (x7) and 18; 18 >= 3.267 x 4 is screened out, so AMR = 2
    assert chart["centre"].iloc[0] == pytest.approx(np.mean(x))
    assert chart["upper"].iloc[0] == pytest.approx(np.mean(x) + 2.66 * 2)
    assert chart["signal"].iloc[-1] == "outside limits"
    shift = team_chart([1, 2, 1, 2, 1, 2, 1, 5, 6, 5, 6, 5, 6, 5])
    # mean 24/7, AMR 16/13: limits 0.15 to 6.70, near bands below 1.25 and above 5.61.
    # Every point is in a run of seven on one side (shift); the 1s and 6s are also two of three
    # near a limit, which takes precedence (the one XmR's rule order, clearwater.stats.xmr).
    assert shift["upper"].iloc[0] == pytest.approx(24 / 7 + 2.66 * 16 / 13)
    assert (shift["signal"] != "").all()
    assert set(shift["signal"][shift["value"].isin([1, 6])]) == {"two of three near a limit"}
    assert set(shift["signal"][shift["value"].isin([2, 5])]) == {"shift"}
    gaps = team_chart([10, np.nan, 12, np.inf, 10, 12])  # no FTE that week: a gap
    assert gaps["signal"].tolist()[1] == "" and gaps["centre"].iloc[1] == pytest.approx(11)
    trend = team_chart([1, 2, 3, 4, 5, 6, 7, 7, 7])
    # outside-limits takes precedence; every other point of the rising run is a trend
    first7 = list(trend["signal"][:7])
    assert set(first7) == {"trend", "outside limits"} and first7[3] == "trend"
    assert trend["signal"].iloc[8] == "" or trend["signal"].iloc[8] == "outside limits"


def test_compute_workload_team_level(duckdb_engine):
    staff = pd.DataFrame({"clinician_id": ["C1"], "team_id": ["T1"], "role": ["HIT"], "fte": [0.8]})
    data = CleanData.from_frames(duckdb_engine, contact=_contacts(), staff=staff)
    res = compute_workload(data, _pathways(duckdb_engine))
    t = res.team_weeks.set_index(["team_id", "week_start"]).loc[("T1", MON)]
    assert t["clinical_hours_per_fte"] == pytest.approx((535 / 60) / 0.8)
    assert t["dna_rate"] == pytest.approx(1 / 12)
    assert not res.has_supervision and res.clinician_weeks["supervision_met"].isna().all()


def test_report_sections_show_teams_not_people(duckdb_engine):
    from clearwater.workforce.report import report_sections, run_workforce

    staff = pd.DataFrame({"clinician_id": ["C1"], "team_id": ["T1"], "role": ["HIT"], "fte": [1.0]})
    data = CleanData.from_frames(duckdb_engine, contact=_contacts(), staff=staff)
    secs = report_sections(run_workforce(data, _pathways(duckdb_engine)))
    assert [s.id for s in secs] == ["workforce-workload"]
    assert "T1" in secs[0].body_html and "C1" not in secs[0].body_html
