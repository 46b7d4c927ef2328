"""Record-level benchmarking on hand-made pathways-shaped frames (DuckDB)."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from clearwater.benchmark.record import BENCHMARK_COLUMNS, benchmark_pathways
from clearwater.benchmark.report import write_benchmark


def pathways_frame(n: int = 6000, seed: int = 0, bad_therapist: str | None = "T07") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    phq9 = rng.integers(5, 28, n).astype(float)
    gad7 = rng.integers(3, 22, n).astype(float)
    imd = rng.integers(1, 11, n).astype(float)
    therapist = rng.choice([f"T{i:02d}" for i in range(20)], n)
    lp = 0.4 - 0.1 * (phq9 - 15) - 0.05 * (gad7 - 11) + 0.07 * (imd - 5.5)
    lp = lp - np.where(therapist == bad_therapist, 1.0, 0.0)
    finished = rng.random(n) < 0.6
    ri = rng.random(n) < expit(lp)
    rec = ri & (rng.random(n) < 0.85)
    return pd.DataFrame(
        {
            "pathway_id": [f"P{i}" for i in range(n)],
            "therapist_id": therapist,
            "team_id": np.where(pd.Series(therapist).str[-1].astype(int) % 2 == 0, "A", "B"),
            "provider_id": "RCW",
            "finished_course": finished,
            "at_caseness": phq9 >= 10,
            "recovery": np.where(finished, rec, None),
            "reliable_improvement": np.where(finished, ri, None),
            "reliable_deterioration": np.where(finished, ~ri & (rng.random(n) < 0.1), None),
            "phq9_first": phq9,
            "gad7_first": gad7,
            "wsas_first": rng.integers(0, 41, n).astype(float),
            "imd_decile": imd,
            "age_at_referral": rng.integers(18, 80, n).astype(float),
            "age_band": "26 to 64",
            "gender": rng.choice(["Female", "Male"], n),
            "ethnic_group": rng.choice(["White", "Asian", "Black"], n),
            "problem_descriptor": rng.choice(["depression", "gad"], n),
            "referral_source": rng.choice(["Self", "GP"], n),
            "previous_referrals": rng.integers(0, 3, n),
            "discharge_date": pd.Timestamp("2024-01-01"),
            "first_treatment_date": pd.Timestamp("2023-10-01"),
            "end_code": rng.choice(["46", "47"], n),
            "ended_before_treatment": False,
            "treatment_contacts": rng.integers(0, 20, n),  # process: must not be used
        }
    ).astype(
        {
            "recovery": "boolean",
            "reliable_improvement": "boolean",
            "reliable_deterioration": "boolean",
        }
    )


@pytest.fixture(scope="module")
def result(duckdb_engine):
    frame = pathways_frame()
    t = duckdb_engine.table(frame, name=f"cw_bm_rec_{uuid.uuid4().hex[:8]}")
    return benchmark_pathways(t, execute=duckdb_engine.execute, by=("therapist", "team"))


def test_benchmark_columns_and_order(result):
    t = result.table
    assert list(t.columns[: len(BENCHMARK_COLUMNS)]) == BENCHMARK_COLUMNS
    assert t["measure"].iloc[0] == "reliable_improvement"
    assert set(t["position"]) <= {"above", "within", "below"}
    assert "treatment_contacts" not in result.model.features


def test_oe_consistent_and_planted_unit_found(result):
    t = result.table
    ri = t[(t["unit_type"] == "therapist") & (t["measure"] == "reliable_improvement")]
    # sum of expected over units = sum observed (fitted on these data, logistic score equations)
    assert (ri["expected"] * ri["n"]).sum() == pytest.approx(
        (ri["observed"] * ri["n"]).sum(), rel=1e-6
    )
    bad = ri[ri["unit_id"] == "T07"].iloc[0]
    assert bad["position"] == "below"
    others = ri[ri["unit_id"] != "T07"]
    assert (others["position"] == "within").mean() >= 0.85
    assert bad["shrunken"] < 1 and bad["shrunken_upper"] < 1.0


def test_equity_and_sections(result, tmp_path):
    eq = result.equity
    assert {"imd_decile", "ethnic_group", "gender"} <= set(eq["dimension"])
    imd = eq[(eq["dimension"] == "imd_decile") & (eq["measure"] == "reliable_improvement")]
    assert imd["n"].sum() > 0 and (imd["lower95"] <= imd["rate"]).all()
    paths = write_benchmark(result, tmp_path, save_model=tmp_path / "model.json")
    names = {p.name for p in paths}
    assert {"benchmark.csv", "equity.csv", "model.json", "report.html"} <= names
    page = (tmp_path / "report.html").read_text()
    assert "How to read this" in page


def test_saved_model_applied_to_another_period(result, duckdb_engine):
    other = pathways_frame(seed=5, bad_therapist=None)
    t = duckdb_engine.table(other, name=f"cw_bm_rec_{uuid.uuid4().hex[:8]}")
    res = benchmark_pathways(
        t,
        execute=duckdb_engine.execute,
        by=("therapist",),
        model=result.model,
        model_source="saved",
    )
    cal = res.validation["reliable_improvement"]
    # T07 no longer worse, and the first model's intercept was pulled down by it: mild shift only
    assert abs(cal.calibration_in_the_large) < 0.15
    assert cal.slope == pytest.approx(1.0, abs=0.15)
