"""Spec: every KPI's exact numerator, denominator and value, on every engine.

The input is a small pathway table (as derive_pathways would give) whose waits and dates sit
on each boundary: 42/43 and 126/127 days, band edges 28/29 and 56/57, first-to-second 90/91,
discharge on the first and last day of the quarter, a not-at-caseness finished course, an
unpaired ADSM, zero denominators.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from clearwater.engine.pathways import derive_pathways
from clearwater.measures import MEASURES, compute_kpis, periods_for
from clearwater.measures.periods import Period, financial_quarter
from spec import cases

PATHWAYS = """
pathway_id | referral_date | first_treatment_date | second_treatment_date | discharge_date | finished_course | ended_before_treatment | ended_after_one_treatment | treatment_contacts | not_at_caseness | recovery | reliable_recovery | reliable_improvement | reliable_deterioration | no_reliable_change | wait_to_first_treatment_days | first_to_second_treatment_days | adsm | paired_adsm | referral_source | therapist_id
K1         | 2023-01-10    | 2023-02-21           | 2023-03-01            | 2023-04-01     | T               | F                      | F                         | 2                  | F               | T        | T                 | T                    | F                      | F                  | 42                           | 8                              | -    | F           | B1              | T1
K2         | 2023-01-10    | 2023-02-22           | 2023-05-23            | 2023-06-30     | T               | F                      | F                         | 3                  | F               | F        | F                 | F                    | T                      | F                  | 43                           | 90                             | SPIN | T           | A1              | T1
K3         | 2023-01-01    | 2023-05-07           | 2023-08-06            | 2023-08-10     | T               | F                      | F                         | 4                  | F               | F        | F                 | F                    | F                      | T                  | 126                          | 91                             | -    | F           | B1              | T2
K4         | 2022-12-31    | 2023-05-07           | 2023-06-07            | 2023-06-20     | T               | F                      | F                         | 5                  | T               | F        | F                 | T                    | F                      | F                  | 127                          | 31                             | OCI  | F           | B1              | T2
K5         | 2023-04-01    | 2023-04-29           | -                     | 2023-05-01     | F               | F                      | T                         | 1                  | F               | F        | F                 | F                    | F                      | F                  | 28                           | -                              | -    | F           | B1              | T1
K6         | 2023-04-15    | -                    | -                     | 2023-05-10     | F               | T                      | F                         | 0                  | F               | F        | F                 | F                    | F                      | F                  | -                            | -                              | -    | F           | B1              | -
K7         | 2023-06-30    | -                    | -                     | -              | F               | F                      | F                         | 0                  | F               | F        | F                 | F                    | F                      | F                  | -                            | -                              | -    | F           | A1              | -
K8         | 2023-07-01    | 2023-07-30           | 2023-08-10            | 2023-09-01     | T               | F                      | F                         | 2                  | F               | T        | F                 | F                    | F                      | T                  | 29                           | 11                             | -    | F           | A1              | T1
K9         | 2023-03-01    | 2023-04-26           | 2023-06-15            | 2023-06-29     | T               | F                      | F                         | 6                  | F               | F        | F                 | F                    | F                      | F                  | 56                           | 50                             | PDSS | F           | B1              | T2
"""

BOOL_COLS = {
    "finished_course",
    "ended_before_treatment",
    "ended_after_one_treatment",
    "not_at_caseness",
    "recovery",
    "reliable_recovery",
    "reliable_improvement",
    "reliable_deterioration",
    "no_reliable_change",
    "paired_adsm",
}
INT_COLS = {"treatment_contacts", "wait_to_first_treatment_days", "first_to_second_treatment_days"}


def pathway_frame(text: str) -> pd.DataFrame:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split("|")]
    rows = [
        [None if c.strip() in ("", "-") else c.strip() for c in ln.split("|")] for ln in lines[1:]
    ]
    cols: dict[str, object] = {}
    for i, name in enumerate(header):
        vals = [r[i] for r in rows]
        if name in BOOL_COLS:
            cols[name] = pd.array([v == "T" for v in vals], dtype="boolean")
        elif name in INT_COLS:
            cols[name] = pd.array([None if v is None else int(v) for v in vals], dtype="Int64")
        elif name.endswith("_date"):
            cols[name] = [None if v is None else dt.date.fromisoformat(v) for v in vals]
        else:
            cols[name] = pd.Series(vals, dtype=object)
    return pd.DataFrame(cols)


Q1 = financial_quarter(2023, 1)
Q2 = financial_quarter(2023, 2)


@pytest.fixture(scope="module")
def pathway_table(engine):
    return engine.table(pathway_frame(PATHWAYS))


@pytest.fixture(scope="module")
def kpis(pathway_table, instruments) -> pd.DataFrame:
    return compute_kpis(pathway_table, periods=[Q1, Q2], instruments=instruments)


def value(kpis: pd.DataFrame, period: Period, measure: str) -> tuple:
    row = kpis[(kpis.period == period.label) & (kpis.measure == measure)]
    assert len(row) == 1, (period.label, measure)
    r = row.iloc[0]

    def norm(x):
        if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
            return None
        return round(float(x), 4)

    return norm(r.numerator), norm(r.denominator), norm(r.value)


# (measure, numerator, denominator, value) for Q1 2023-24 (1 April - 30 June 2023)
EXPECTED_Q1 = [
    ("referrals", 3, None, 3),
    ("self_referrals", 2, None, 2),
    ("entered_treatment", 4, None, 4),
    ("ended_referrals", 6, None, 6),
    ("finished_course", 4, None, 4),
    ("ended_before_treatment", 1, None, 1),
    ("ended_after_one_treatment", 1, None, 1),
    ("recovery_rate", 1, 3, 33.3333),
    ("reliable_recovery_rate", 1, 3, 33.3333),
    ("reliable_improvement_rate", 2, 4, 50.0),
    ("reliable_deterioration_rate", 1, 4, 25.0),
    ("no_reliable_change_rate", 0, 4, 0.0),
    ("not_at_caseness_rate", 1, 4, 25.0),
    ("wait_6_weeks", 1, 4, 25.0),
    ("wait_18_weeks", 3, 4, 75.0),
    ("entered_wait_6_weeks", 1, 4, 25.0),
    ("entered_wait_18_weeks", 3, 4, 75.0),
    ("entered_wait_up_to_28_days", 1, 4, 25.0),
    ("entered_wait_29_to_56_days", 1, 4, 25.0),
    ("entered_wait_57_to_90_days", 0, 4, 0.0),
    ("entered_wait_over_90_days", 2, 4, 50.0),
    ("finished_wait_up_to_28_days", 0, 4, 0.0),
    ("finished_wait_29_to_56_days", 3, 4, 75.0),
    ("finished_wait_57_to_90_days", 0, 4, 0.0),
    ("finished_wait_over_90_days", 1, 4, 25.0),
    ("first_to_second_over_90_days", 0, 3, 0.0),
    ("finished_first_to_second_over_90_days", 0, 4, 0.0),
    ("mean_treatment_appointments", 16, 4, 4.0),
    ("paired_adsm_rate", 1, 3, 33.3333),
    ("mean_wait_entered", 337, 4, 84.25),
    ("median_wait_entered", None, 4, 91.0),
    ("mean_wait_finished", 268, 4, 67.0),
    ("median_wait_finished", None, 4, 49.5),
]

# Q2: K3 and K8 finish; K3's second appointment (91 days after the first) and K8's fall in Q2.
EXPECTED_Q2 = [
    ("referrals", 1, None, 1),
    ("finished_course", 2, None, 2),
    ("recovery_rate", 1, 2, 50.0),
    ("no_reliable_change_rate", 2, 2, 100.0),
    ("first_to_second_over_90_days", 1, 2, 50.0),
    ("finished_first_to_second_over_90_days", 1, 2, 50.0),
    ("paired_adsm_rate", 0, 0, None),  # no finished course with an ADSM descriptor
    ("entered_treatment", 1, None, 1),
]


def test_every_measure_has_a_q1_expectation():
    assert {m for m, *_ in EXPECTED_Q1} == set(MEASURES)


@pytest.mark.parametrize("measure,num,den,val", EXPECTED_Q1)
def test_q1(kpis, measure, num, den, val):
    assert value(kpis, Q1, measure) == (num, den, val)


@pytest.mark.parametrize("measure,num,den,val", EXPECTED_Q2)
def test_q2(kpis, measure, num, den, val):
    assert value(kpis, Q2, measure) == (num, den, val)


def test_by_therapist(pathway_table, instruments):
    k = compute_kpis(
        pathway_table,
        periods=[Q1],
        by=["therapist"],
        measures=["referrals", "finished_course", "recovery_rate"],
        instruments=instruments,
    )
    assert list(k.columns) == [
        "period", "period_start", "period_end", "therapist_id", "measure", "numerator",
        "denominator", "value",
    ]  # fmt: skip
    got = {
        (r.therapist_id if isinstance(r.therapist_id, str) else None, r.measure): (
            None if pd.isna(r.numerator) else int(r.numerator),
            None if pd.isna(r.denominator) else int(r.denominator),
            None if pd.isna(r.value) else round(float(r.value), 4),
        )
        for r in k.itertuples()
    }
    assert got == {
        ("T1", "referrals"): (1, None, 1.0),
        ("T1", "finished_course"): (2, None, 2.0),
        ("T1", "recovery_rate"): (1, 2, 50.0),
        ("T2", "referrals"): (0, None, 0.0),
        ("T2", "finished_course"): (2, None, 2.0),
        ("T2", "recovery_rate"): (0, 1, 0.0),
        (None, "referrals"): (2, None, 2.0),
        (None, "finished_course"): (0, None, 0.0),
        (None, "recovery_rate"): (0, 0, None),
    }


def test_end_to_end_from_raw_tables(engine, instruments):
    """KPIs over derive_pathways on the pathway spec case (see test_pathways_spec)."""
    data = cases.pathway_case_data(engine)
    pw = derive_pathways(data, instruments)
    (fy,) = periods_for("2023-24", dt.date(2023, 4, 1), dt.date(2024, 3, 31))
    k = compute_kpis(pw, periods=[fy], instruments=instruments).set_index("measure")

    def triple(m):
        r = k.loc[m]
        return tuple(
            None if pd.isna(x) else round(float(x), 4)
            for x in (r.numerator, r.denominator, r.value)
        )

    assert triple("referrals") == (12, None, 12)
    assert triple("finished_course") == (
        8,
        None,
        8,
    )  # REC THRESH NOTCASE MIXED UNPAIRED SPIN IESR MI
    assert triple("ended_before_treatment") == (2, None, 2)  # ASSESS_ONLY, NOT_SEEN
    assert triple("ended_after_one_treatment") == (1, None, 1)  # SINGLE
    assert triple("recovery_rate") == (5, 7, 71.4286)  # NOTCASE not at caseness
    assert triple("reliable_improvement_rate") == (5, 8, 62.5)
    assert triple("reliable_deterioration_rate") == (1, 8, 12.5)  # MIXED
    assert triple("no_reliable_change_rate") == (1, 8, 12.5)  # THRESH
    assert triple("paired_adsm_rate") == (2, 4, 50.0)  # SPIN, MI paired; IESR, PHQ15 not
    assert triple("mean_treatment_appointments") == (19, 8, 2.375)
