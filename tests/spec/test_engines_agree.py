"""Spark and DuckDB give identical pathways and KPIs on a random medium-sized case."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.engine.pathways import derive_pathways
from clearwater.measures import compute_kpis, periods_for
from spec.test_pathways_oracle import DESCRIPTORS, SCORE_VALUES, frames


def random_refs(n: int, seed: int):
    rng = random.Random(seed)
    refs = []
    for _ in range(n):
        contacts = [
            (
                rng.randint(0, 120),
                rng.choice(["01", "02", "02", "03", "05", "06", "04"]),
                rng.choice(["5", "5", "6", "3", "2", None]),
                rng.choice(["Y", "Y", "N", None]),
            )
            for _ in range(rng.randint(0, 8))
        ]
        scores = [
            (
                rng.choice(list(SCORE_VALUES)),
                rng.randint(0, 9),
                rng.randint(-1, 8),
                rng.randint(0, 130),
            )
            for _ in range(rng.randint(0, 12))
        ]
        dis = rng.choice([None, rng.randint(10, 200)])
        refs.append((rng.choice(list(DESCRIPTORS)), dis, contacts, scores))
    return refs


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


@pytest.mark.spark
def test_spark_and_duckdb_agree(duckdb_engine, spark_engine, instruments):
    tables = frames(random_refs(300, seed=7))
    results = {}
    for eng in (duckdb_engine, spark_engine):
        data = CleanData.from_frames(eng, **tables)
        pw = derive_pathways(data, instruments)
        k = compute_kpis(
            pw,
            periods=periods_for("month", dt.date(2023, 4, 1), dt.date(2023, 11, 30)),
            by=["problem_descriptor"],
            instruments=instruments,
        )
        p = eng.execute(pw).sort_values("pathway_id").reset_index(drop=True)
        results[eng.name] = (p, k)
    (pd_, kd), (ps, ks) = results["duckdb"], results["pyspark"]
    assert len(pd_) == 300
    pd.testing.assert_frame_equal(
        pd_.astype(object).where(pd_.notna(), None),
        ps.astype(object).where(ps.notna(), None),
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(canonical(kd), canonical(ks), check_dtype=False)
