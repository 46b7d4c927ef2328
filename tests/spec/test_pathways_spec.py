"""Spec: derive_pathways gives the exact NHS-derived fields for every boundary case.

Runs on every engine (the ``engine`` fixture): DuckDB and PySpark must agree exactly.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from clearwater.engine.pathways import PATHWAY_COLUMNS, derive_pathways
from spec import cases


def canon(value) -> str:
    """One token per value, as written in the expected tables."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "T" if value else "F"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def expected(text: str) -> dict[str, dict[str, str]]:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split("|")]
    out = {}
    for ln in lines[1:]:
        cells = [c.strip() for c in ln.split("|")]
        out[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    return out


@pytest.fixture(scope="module")
def pathways(request, engine, instruments) -> pd.DataFrame:
    data = cases.pathway_case_data(engine)
    frame = engine.execute(derive_pathways(data, instruments))
    return frame.set_index("pathway_id", drop=False)


def check(pathways: pd.DataFrame, table: str) -> None:
    want = expected(table)
    problems = []
    for pid, cols in want.items():
        row = pathways.loc[pid]
        for col, value in cols.items():
            got = canon(row[col])
            if got != value:
                problems.append(f"{pid}.{col}: expected {value}, got {got}")
    assert not problems, "\n".join(problems)


def test_columns_exact(pathways):
    assert tuple(pathways.columns) == PATHWAY_COLUMNS
    assert len(pathways) == 12
    assert pathways.pathway_id.is_unique


CONTACTS = """
pathway_id    | first_assessment_date | first_treatment_date | second_treatment_date | last_treatment_date | contact_count | treatment_contacts | dna_count | cancelled_count
REC           | 2023-04-10            | 2023-04-20           | 2023-05-04            | 2023-05-18          | 5             | 3                  | 2         | 1
THRESH        | 2023-04-05            | 2023-04-05           | 2023-05-05            | 2023-06-06          | 4             | 4                  | 0         | 0
NOTCASE       | -                     | 2023-04-12           | 2023-04-12            | 2023-04-12          | 2             | 2                  | 0         | 0
MIXED         | -                     | 2023-05-12           | 2023-09-01            | 2023-09-01          | 2             | 2                  | 0         | 0
UNPAIRED      | -                     | 2023-04-05           | 2023-04-12            | 2023-04-12          | 2             | 2                  | 1         | 0
SINGLE        | 2023-04-25            | 2023-04-25           | -                     | 2023-04-25          | 1             | 1                  | 1         | 0
ASSESS_ONLY   | 2023-04-25            | -                    | -                     | -                   | 1             | 0                  | 0         | 1
NOT_SEEN      | -                     | -                    | -                     | -                   | 0             | 0                  | 0         | 0
OPEN          | -                     | 2023-04-25           | 2023-05-25            | 2023-05-25          | 2             | 2                  | 0         | 0
"""


def test_contacts_and_dates(pathways):
    check(pathways, CONTACTS)


ENDINGS = """
pathway_id    | finished_course | ended_before_treatment | ended_after_one_treatment | wait_to_first_treatment_days | first_to_second_treatment_days
REC           | T               | F                      | F                         | 17                           | 14
NOTCASE       | T               | F                      | F                         | 2                            | 0
MIXED         | T               | F                      | F                         | 2                            | 112
SINGLE        | F               | F                      | T                         | 5                            | -
ASSESS_ONLY   | F               | T                      | F                         | -                            | -
NOT_SEEN      | F               | T                      | F                         | -                            | -
OPEN          | F               | F                      | F                         | 2                            | 30
"""


def test_endings_and_waits(pathways):
    check(pathways, ENDINGS)


CLINICIANS = """
pathway_id    | therapist_id | assessor_id | team_id
REC           | T1           | A1          | TA
THRESH        | T3           | T3          | TD
NOTCASE       | T2           | -           | TC
SINGLE        | T2           | T2          | TC
ASSESS_ONLY   | -            | A2          | TF
NOT_SEEN      | -            | -           | -
"""


def test_therapist_assessor_team(pathways):
    check(pathways, CLINICIANS)


DESCRIPTORS = """
pathway_id    | problem_descriptor | adsm | anxiety_measure | paired_adsm
REC           | depression         | -    | GAD7            | F
THRESH        | depression         | -    | GAD7            | F
NOTCASE       | mus                | PHQ15| GAD7            | F
MIXED         | other              | -    | GAD7            | F
UNPAIRED      | -                  | -    | GAD7            | F
SPIN_PAIRED   | social_phobia      | SPIN | SPIN            | T
IESR_UNPAIRED | ptsd               | IESR | GAD7            | F
MI_FLOAT      | agoraphobia        | MI   | MI              | T
"""


def test_problem_descriptor_and_anxiety_measure(pathways):
    check(pathways, DESCRIPTORS)


SCORES = """
pathway_id    | phq9_first | phq9_last | gad7_first | gad7_last | anx_first | anx_last | adsm_first | adsm_last | wsas_first | wsas_last
REC           | 15         | 9         | 12         | 4         | 12        | 4        | -          | -         | 20         | 10
THRESH        | 10         | 9         | 7          | 7         | 7         | 7        | -          | -         | -          | -
NOTCASE       | 9          | 3         | 7          | 7         | 7         | 7        | -          | -         | -          | -
MIXED         | 20         | 14        | 10         | 14        | 10        | 14       | -          | -         | -          | -
UNPAIRED      | 18         | -         | 15         | 5         | 15        | 5        | -          | -         | -          | -
SPIN_PAIRED   | 12         | 8         | 10         | 10        | 40        | 18       | 40         | 18        | -          | -
IESR_UNPAIRED | 14         | 7         | 15         | 6         | 15        | 6        | 50         | -         | -          | -
SINGLE        | 16         | -         | 16         | -         | 16        | -        | -          | -         | -          | -
ASSESS_ONLY   | 7          | -         | 5          | -         | 5         | -        | -          | -         | -          | -
NOT_SEEN      | -          | -         | -          | -         | -         | -        | -          | -         | -          | -
MI_FLOAT      | 12         | 7         | -          | -         | 3.03      | 2.3      | 3.03       | 2.3       | -          | -
"""


def test_first_and_last_scores(pathways):
    check(pathways, SCORES)


FLAGS = """
pathway_id    | at_caseness | not_at_caseness | recovery | reliable_improvement | reliable_deterioration | no_reliable_change | reliable_recovery
REC           | T           | F               | T        | T                    | F                      | F                  | T
THRESH        | T           | F               | T        | F                    | F                      | T                  | F
NOTCASE       | F           | T               | F        | T                    | F                      | F                  | F
MIXED         | T           | F               | F        | F                    | T                      | F                  | F
UNPAIRED      | T           | F               | F        | F                    | F                      | F                  | F
SPIN_PAIRED   | T           | F               | T        | T                    | F                      | F                  | T
IESR_UNPAIRED | T           | F               | T        | T                    | F                      | F                  | T
SINGLE        | T           | F               | F        | F                    | F                      | F                  | F
ASSESS_ONLY   | F           | T               | F        | F                    | F                      | F                  | F
NOT_SEEN      | F           | F               | F        | F                    | F                      | F                  | F
MI_FLOAT      | T           | F               | T        | T                    | F                      | F                  | T
"""


def test_outcome_flags(pathways):
    check(pathways, FLAGS)


PEOPLE = """
pathway_id    | person_id | age_at_referral | age_band    | ethnic_group | imd_decile | gender | language | previous_referrals | referral_source | end_code | provider_id
REC           | P1        | 32              | 26 to 64    | White        | 1          | 2      | en       | 0                  | B1              | 46       | RCW
THRESH        | P1        | 32              | 26 to 64    | White        | 1          | 2      | en       | 1                  | B1              | 46       | RCW
OPEN          | P1        | 32              | 26 to 64    | White        | 1          | 2      | en       | 6                  | B1              | -        | RCW
MIXED         | P2        | 73              | 65 to 74    | Asian        | 10         | 1      | -        | 2                  | A1              | 47       | RCW
UNPAIRED      | P2        | 72              | 65 to 74    | Asian        | 10         | 1      | -        | 1                  | A1              | 46       | RCW
MI_FLOAT      | P2        | 72              | 65 to 74    | Asian        | 10         | 1      | -        | 0                  | A1              | 46       | RCW
SPIN_PAIRED   | P3        | 16              | Under 18    | Not stated   | -          | 2      | -        | 1                  | B1              | 46       | RCW
"""


def test_people_and_previous_referrals(pathways):
    check(pathways, PEOPLE)
