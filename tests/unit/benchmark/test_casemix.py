"""Case-mix model: known coefficients recovered, calibration, JSON round trip, Ibis = pandas."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from clearwater.benchmark.casemix import (
    CaseMixModel,
    c_statistic,
    calibration,
    expected_expr,
    fit_casemix,
)
from clearwater.errors import ClearwaterError

TRUE = {"const": 0.2, "phq9": -0.12, "gad7": -0.06, "imd": 0.08, "self": 0.3}


def simulate(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Finished courses with outcomes drawn from a known logistic model (pathways-shaped)."""
    rng = np.random.default_rng(seed)
    phq9 = rng.integers(0, 28, n).astype(float)
    gad7 = rng.integers(0, 22, n).astype(float)
    imd = rng.integers(1, 11, n).astype(float)
    source = rng.choice(["Self", "GP"], n)
    lp = (
        TRUE["const"]
        + TRUE["phq9"] * (phq9 - 14)
        + TRUE["gad7"] * (gad7 - 10)
        + TRUE["imd"] * (imd - 5.5)
        + TRUE["self"] * (source == "Self")
        + shift
    )
    p = expit(lp)
    return pd.DataFrame(
        {
            "phq9_first": phq9,
            "gad7_first": gad7,
            "imd_decile": imd,
            "referral_source": source,
            "at_caseness": rng.random(n) < 0.95,
            "recovery": rng.random(n) < p,
            "reliable_improvement": rng.random(n) < p,
            "true_p": p,
            "finished_course": True,
            "therapist_id": rng.choice([f"T{i}" for i in range(10)], n),
        }
    )


FEATURES = ("phq9_first", "gad7_first", "imd_decile", "referral_source")


@pytest.fixture(scope="module")
def fitted():
    data = simulate(20000, 1)
    return data, fit_casemix(data, outcomes=("reliable_improvement",), features=FEATURES)


def test_known_coefficients_recovered(fitted):
    _, model = fitted
    m = model.outcomes["reliable_improvement"]
    coef = dict(zip(m.terms, m.coef, strict=True))
    (mean_p, sd_p) = model.encoding.numeric["phq9_first"]
    (mean_i, sd_i) = model.encoding.numeric["imd_decile"]
    # standardised coefficient / sd = per-point coefficient
    assert coef["phq9_first"] / sd_p == pytest.approx(TRUE["phq9"], abs=0.01)
    assert coef["imd_decile"] / sd_i == pytest.approx(TRUE["imd"], abs=0.015)
    assert abs(coef["phq9_first^2"]) < 0.1  # no curvature in the truth (SE about 0.025)
    key = "referral_source=Self" if "referral_source=Self" in coef else "referral_source=GP"
    sign = 1 if key.endswith("Self") else -1
    assert sign * coef[key] == pytest.approx(TRUE["self"], abs=0.08)


def test_calibration_on_fresh_data(fitted):
    _, model = fitted
    fresh = simulate(20000, 2)
    p = model.predict(fresh, "reliable_improvement")
    cal = calibration(fresh["reliable_improvement"].to_numpy(), p)
    assert cal.calibration_in_the_large == pytest.approx(0.0, abs=0.06)
    assert cal.slope == pytest.approx(1.0, abs=0.08)
    truth = c_statistic(fresh["reliable_improvement"].to_numpy(), fresh["true_p"].to_numpy())
    assert cal.c_statistic == pytest.approx(truth, abs=0.01)
    # a service whose outcomes are better across the board shows up in the large
    better = simulate(20000, 3, shift=0.5)
    cal_b = calibration(
        better["reliable_improvement"].to_numpy(), model.predict(better, "reliable_improvement")
    )
    assert cal_b.calibration_in_the_large == pytest.approx(0.5, abs=0.08)
    assert cal_b.slope == pytest.approx(1.0, abs=0.1)


def test_oe_equals_one_under_the_null(fitted):
    data, model = fitted
    fresh = simulate(30000, 4)
    p = model.predict(fresh, "reliable_improvement")
    o = fresh.groupby("therapist_id")["reliable_improvement"].sum()
    e = pd.Series(p, index=fresh.index).groupby(fresh["therapist_id"]).sum()
    assert ((o / e) - 1).abs().max() < 0.06


def test_c_statistic_hand():
    assert c_statistic(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(
        0.75
    )


def test_json_round_trip(fitted, tmp_path):
    data, model = fitted
    path = model.save(tmp_path / "m.json")
    again = CaseMixModel.load(path)
    assert np.allclose(
        again.predict(data, "reliable_improvement"), model.predict(data, "reliable_improvement")
    )
    assert again.thresholds_version == model.thresholds_version
    bad = tmp_path / "bad.json"
    bad.write_text('{"format_version": 1}')
    with pytest.raises(ClearwaterError):
        CaseMixModel.load(bad)


def test_process_columns_refused():
    with pytest.raises(ClearwaterError, match="process"):
        fit_casemix(simulate(500, 5), features=("phq9_first", "treatment_contacts"))


def test_unseen_and_missing_values_are_handled(fitted):
    _, model = fitted
    odd = simulate(50, 6)
    odd.loc[:10, "referral_source"] = "Carrier pigeon"
    odd.loc[:5, "phq9_first"] = np.nan
    p = model.predict(odd, "reliable_improvement")
    assert np.isfinite(p).all()


@pytest.mark.parametrize("engine_name", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_ibis_expression_equals_pandas(fitted, engine_name, request):
    engine = request.getfixturevalue(f"{engine_name}_engine")
    data, model = fitted
    sample = data.head(300).copy()
    sample.loc[:20, "phq9_first"] = np.nan
    sample.loc[20:30, "referral_source"] = None
    name = f"cw_bm_casemix_{uuid.uuid4().hex[:10]}"
    t = engine.table(sample.assign(row=np.arange(len(sample))), name=name)
    expr = t.select("row", p=expected_expr(t, model, "reliable_improvement")).order_by("row")
    got = engine.execute(expr)["p"].to_numpy()
    # pandas has no missing-indicator for phq9 unless it was missing when fitted
    want = model.predict(sample, "reliable_improvement")
    assert np.allclose(got, want, atol=1e-9)


def _separated(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Known-model data plus a referral source with 40 courses and no events in any outcome:
    the plain GLM separates, so the ridge fallback has to run."""
    data = simulate(n, seed)
    data.loc[:39, "referral_source"] = "Carrier pigeon"
    for col in ("recovery", "reliable_improvement"):
        data.loc[:39, col] = False
    return data


def test_ridge_fallback_keeps_sum_observed_equal_to_sum_expected():
    data = _separated()
    model = fit_casemix(data, outcomes=("reliable_improvement", "recovery"), features=FEATURES)
    assert {m.method for m in model.outcomes.values()} == {"ridge"}  # the fallback ran
    for oid, m in model.outcomes.items():
        part = data[data["at_caseness"]] if m.cohort == "at_caseness" else data
        observed = part[oid].sum()
        expected = model.predict(part, oid).sum()
        assert expected == pytest.approx(observed, rel=1e-9), oid
        assert m.fit.calibration_in_the_large == pytest.approx(0.0, abs=1e-6)


def test_every_fallback_keeps_sum_observed_equal_to_sum_expected():
    """Whatever the method, a model fitted with an intercept reproduces the total events."""
    for seed in range(3):
        data = _separated(1500, 20 + seed)
        model = fit_casemix(data, outcomes=("reliable_improvement",), features=FEATURES)
        m = model.outcomes["reliable_improvement"]
        assert model.predict(data, m.outcome).sum() == pytest.approx(
            data["reliable_improvement"].sum(), rel=1e-9
        )


def test_pooled_rare_levels_never_fall_below_the_minimum_level_size():
    data = simulate(2000, 8)
    data.loc[:9, "referral_source"] = "Carrier pigeon"  # 10 rows: too few for a level
    enc = fit_casemix(data, outcomes=("reliable_improvement",), features=FEATURES).encoding
    assert "Other (rare)" not in enc.categorical["referral_source"]  # joins the reference level
    data.loc[10:19, "referral_source"] = "Semaphore"  # two rare levels, 20 rows pooled
    enc = fit_casemix(data, outcomes=("reliable_improvement",), features=FEATURES).encoding
    assert enc.categorical["referral_source"][-1] == "Other (rare)"
