"""Small builders shared by the feedback tests."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pyarrow as pa

PATHWAY_SCHEMA = pa.schema(
    [
        ("pathway_id", pa.string()),
        ("person_id", pa.string()),
        ("therapist_id", pa.string()),
        ("team_id", pa.string()),
        ("finished_course", pa.bool_()),
        ("discharge_date", pa.date32()),
        ("first_treatment_date", pa.date32()),
        ("second_treatment_date", pa.date32()),
        ("problem_descriptor", pa.string()),
        ("imd_decile", pa.int64()),
        ("language", pa.string()),
        ("previous_referrals", pa.int64()),
        ("treatment_contacts", pa.int64()),
        ("phq9_first", pa.float64()),
        ("anx_first", pa.float64()),
        ("anxiety_measure", pa.string()),
    ]
)


def pathways_table(engine, rows: list[dict]):
    cols = {f.name: [r.get(f.name) for r in rows] for f in PATHWAY_SCHEMA}
    return engine.table(pa.Table.from_pydict(cols, schema=PATHWAY_SCHEMA))


def course(pid: str, measure: str, scores: list[float], start: date = date(2024, 1, 8), items=None):
    """Score rows one week apart for one pathway and measure."""
    rows = []
    for i, s in enumerate(scores):
        rows.append(
            {
                "pathway_id": pid,
                "tool": measure,
                "score": float(s),
                "score_date": start + timedelta(days=7 * i),
                "item_scores": (items[i] if items else None),
                "contact_id": f"{pid}-c{i}",
            }
        )
    return rows


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)
