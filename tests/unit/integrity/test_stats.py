"""The shared statistics on data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from clearwater.integrity import stats


def test_bh_and_by_match_statsmodels():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 0.002, size=5)])
    for method, sm in (("bh", "fdr_bh"), ("by", "fdr_by")):
        ours = stats.bh_qvalues(p, method=method)
        ref = multipletests(p, method=sm)[1]
        np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_bh_ignores_nan():
    q = stats.bh_qvalues([0.01, np.nan, 0.04])
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2]], [0.02, 0.04])


def test_betabinom_reduces_to_binomial_and_widens_with_rho():
    assert stats.betabinom_sf(5, 15, 0.1, 0.0) == pytest.approx(sps.binom.sf(4, 15, 0.1))
    assert stats.betabinom_sf(5, 15, 0.1, 0.05) > stats.betabinom_sf(5, 15, 0.1, 0.0)
    assert stats.betabinom_sf(0, 15, 0.1, 0.0) == 1.0


def test_loo_expected_excludes_the_unit_itself():
    agg = pd.DataFrame(
        {"unit_id": ["a", "b", "c"], "stratum": ["s", "s", "s"], "n": [10, 10, 10], "o": [10, 0, 0]}
    )
    out = stats.loo_expected(agg, prior_weight=0.0).set_index("unit_id")
    # peers b, c had no events in 20 trials: half an event is added at the root (Jeffreys),
    # so a's expectation is small but not zero: 10 * 0.5 / (20 + 21)
    assert out.loc["a", "e"] == pytest.approx(10 * 0.5 / 41)
    assert out.loc["b", "e"] == pytest.approx(5.0)  # peers a, c: 10 of 20


def _expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_robust_tau2_recovers_known_heterogeneity_and_resists_outliers():
    rng = np.random.default_rng(11)
    k, n, tau = 400, 200, 0.3  # tau: SD of the units' true rates on the logit scale
    p = _expit(np.log(0.2 / 0.8) + rng.normal(0, tau, k))
    o = rng.binomial(n, p)
    e = np.full(k, 0.2 * n)
    nn = np.full(k, n)
    t2 = stats.robust_tau2(nn, o, e)
    assert np.sqrt(t2) == pytest.approx(tau, rel=0.2)
    o2 = o.copy()
    o2[:20] = n  # 5% wildly atypical units barely move it
    assert np.sqrt(stats.robust_tau2(nn, o2, e)) == pytest.approx(np.sqrt(t2), rel=0.1)
    # no heterogeneity -> (near) zero
    o0 = rng.binomial(n, 0.2, size=k)
    assert stats.robust_tau2(nn, o0, e) < 0.01


def test_logit_scale_heterogeneity_is_calibrated_at_rare_and_common_rates():
    """Units whose expected rates differ tenfold (3% and 30%) but whose odds vary alike:
    one logit-scale variance describes both, so honest p-values are roughly uniform in each
    group.  (An additive variance on the rate scale, fitted to both groups, gave 13-14% of
    the common units' p-values below 0.05 and none of the rare units': too narrow for one,
    far too wide for the other; measured in docs/adr/0068.)"""
    rng = np.random.default_rng(3)
    k, n, tau = 1000, 150, 0.5
    base = np.where(np.arange(k) % 2 == 0, 0.03, 0.3)
    p = _expit(np.log(base / (1 - base)) + rng.normal(0, tau, k))
    o = rng.binomial(n, p)
    # peers give the *mean* rate of their group (a logit-normal's mean is above its median)
    mean = {b: float(np.mean(_expit(np.log(b / (1 - b)) + rng.normal(0, tau, 200_000))))
            for b in (0.03, 0.3)}  # fmt: skip
    units = pd.DataFrame({"n": float(n), "o": o.astype(float), "e": [mean[b] * n for b in base]})
    out = stats.overdispersed_test(units)
    # the simulated target reads the skewed (logit-normal) spread right (the truncated-normal
    # target of ADR 0068 read 0.41 here)
    assert 0.44 < np.sqrt(out["tau2"].iloc[0]) < 0.6
    for b in (0.03, 0.3):
        pv = out.loc[base == b, "p_value"].to_numpy()
        assert 0.02 < np.mean(pv < 0.05) < 0.11, b
        assert np.mean(pv < 0.01) < 0.035, b
        assert 0.3 < np.mean(pv < 0.5) < 0.6, b
    pm = mean[0.03]
    rho = out.loc[base == 0.03, "rho"].iloc[0]
    assert rho == pytest.approx(out["tau2"].iloc[0] * pm * (1 - pm))


def test_overdispersed_pvalues_uniform_under_heterogeneous_null():
    rng = np.random.default_rng(5)
    ps = []
    for _ in range(40):
        k = 30
        n = rng.integers(15, 120, k)
        p = np.clip(0.15 + rng.normal(0, 0.04, k), 0.01, 0.9)
        o = rng.binomial(n, p)
        units = pd.DataFrame({"unit_id": range(k), "n": n, "o": o, "e": n * 0.15})
        ps.extend(stats.overdispersed_test(units)["p_value"])
    ps = np.asarray(ps)
    assert np.mean(ps < 0.05) <= 0.07
    assert np.mean(ps < 0.01) <= 0.02
    assert np.mean(ps < 0.5) > 0.35  # not degenerate


def test_robust_loo_expected_leaves_a_gross_outlier_out_of_peers():
    # ten units at a 10% rate and one at 60%: plain LOO lets the outlier raise the others'
    # expectations; the robust version sets it aside (but still gives it an expectation).
    units = [f"u{i}" for i in range(10)] + ["bad"]
    agg = pd.DataFrame(
        {
            "unit_id": units,
            "stratum": ["s"] * 11,
            "n": [100] * 10 + [200],
            "o": [10] * 10 + [120],
        }
    )
    plain = stats.loo_expected(agg).set_index("unit_id")
    robust = stats.robust_loo_expected(agg).set_index("unit_id")
    assert plain.loc["u0", "e"] > 15  # contaminated by the outlier
    assert robust.loc["u0", "e"] == pytest.approx(10.0, abs=0.01)
    assert robust.loc["bad", "e"] == pytest.approx(20.0, abs=0.01)
    # without an outlier nothing changes
    clean = agg[agg["unit_id"] != "bad"]
    pd.testing.assert_frame_equal(stats.robust_loo_expected(clean), stats.loo_expected(clean))


def test_robust_loo_keeps_pvalues_valid_under_the_null():
    rng = np.random.default_rng(8)
    ps = []
    for _ in range(60):
        k = 25
        n = rng.integers(20, 150, k)
        p = np.clip(0.15 + rng.normal(0, 0.03, k), 0.01, 0.9)
        agg = pd.DataFrame(
            {
                "unit_id": [f"u{i}" for i in range(k)],
                "stratum": "s",
                "n": n,
                "o": rng.binomial(n, p),
            }
        )
        ps.extend(stats.overdispersed_test(stats.robust_loo_expected(agg))["p_value"])
    ps = np.asarray(ps)
    assert np.mean(ps < 0.05) <= 0.07
    assert np.mean(ps < 0.01) <= 0.02


def test_loo_expected_shrinks_towards_the_parent_stratum():
    # unit a alone has stratum "x:rare"; its peers' rate in "x" is 0.5, overall 0.25
    agg = pd.DataFrame(
        {
            "unit_id": ["a", "b", "b", "c"],
            "stratum": ["x:rare", "x:common", "y", "x:common"],
            "n": [10, 100, 100, 100],
            "o": [5, 50, 0, 50],
        }
    )
    out = stats.loo_expected(agg).set_index("unit_id")
    # no peer in "x:rare": its rate is the peers' rate in "x" (0.5), not the overall 1/3
    # (the peers' overall rate adds half an event and one trial: Jeffreys, ADR 0090)
    r0 = 100.5 / 301
    assert out.loc["a", "e"] == pytest.approx(10 * (100 + 2 * r0) / (200 + 2))
    # single-level strata behave as before: peers' rate shrunk towards the overall rate
    flat = agg.assign(stratum=["rare", "common", "y", "common"])
    assert stats.loo_expected(flat).set_index("unit_id").loc["a", "e"] == pytest.approx(10 * r0)


def test_loo_expected_does_not_take_a_rare_event_rate_as_zero():
    # a rare signature: 2 events in 2,000 peer trials overall, none in unit z's stratum
    agg = pd.DataFrame(
        {
            "unit_id": ["z", "p", "q"],
            "stratum": ["t1", "t1", "t2"],
            "n": [200, 1000, 1000],
            "o": [2, 0, 2],
        }
    )
    e = stats.loo_expected(agg).set_index("unit_id").loc["z", "e"]
    r0 = 2.5 / 2001  # Jeffreys root (ADR 0090)
    w = 0.5 / r0  # the prior is worth half an event at the parent's rate
    assert e == pytest.approx(200 * (0 + w * r0) / (1000 + w))
    assert e > 0.05  # not the near-zero a 2-trial prior would give (200 * 0.002/1002)


def test_pvalue_support_holds_every_attainable_pvalue():
    rng = np.random.default_rng(5)
    for _ in range(40):
        n = int(rng.integers(1, 60))
        p, rho = float(rng.uniform(0.01, 0.6)), float(rng.choice([0.0, 0.05, 0.3]))
        sup = stats.pvalue_support(n, p, rho)
        assert len(sup) == n + 1 and sup[-1] == 1.0 and np.all(np.diff(sup) >= 0)
        for o in range(n + 1):
            pv = stats.betabinom_sf(o, n, p, rho)
            assert np.isclose(sup, pv, rtol=1e-12, atol=0).any()


def test_discrete_bh_hand_computed():
    # A: Binomial(2, 0.5) -> p-values {0.25, 0.75, 1}; B: Binomial(1, 0.5) -> {0.5, 1}.
    # xi(0.25) = G(0.25) + G(0) = 1/3; xi(0.5) = G(0.25) + G(0.5) = 1/3 + 1 = 4/3
    sup = [stats.pvalue_support(2, 0.5, 0.0), stats.pvalue_support(1, 0.5, 0.0)]
    np.testing.assert_allclose(sup[0], [0.25, 0.75, 1.0])
    q = stats.discrete_bh_qvalues([0.25, 0.5], sup)
    np.testing.assert_allclose(q, [1 / 3, 2 / 3])
    # a NaN p-value is left out and not counted; a continuous test adds t / (1 - t)
    q = stats.discrete_bh_qvalues([0.25, np.nan, 0.2], [sup[0], None, None])
    np.testing.assert_allclose(q, [(1 / 3 + 1 / 3) / 2, np.nan, (0.25 + 0) / 1])


def test_discrete_bh_continuous_tests_give_the_bh_bound_stepping_down():
    p = np.array([0.001, 0.02, 0.004, 0.3, 0.04])
    q = stats.discrete_bh_qvalues(p, [None] * len(p))
    s = np.sort(p)
    want = np.maximum.accumulate(len(p) * s / (1 - s) / np.arange(1, 6))
    np.testing.assert_allclose(np.sort(q), np.minimum(want, 1))


def test_discrete_bh_gains_on_tests_that_cannot_reach_small_pvalues():
    # 40 tiny tests (3 trials at rate 0.3: smallest attainable p-value 0.027) and one large
    # test with p = 0.002: BH counts all 41 tests, the discrete procedure almost only one
    sup_small = stats.pvalue_support(3, 0.3, 0.0)
    big_n, big_p = 200, 0.2
    big = stats.pvalue_support(big_n, big_p, 0.0)
    p_big = float(big[big <= 0.002].max())
    p = np.array([p_big] + [1.0] * 40)
    q_dbh = stats.discrete_bh_qvalues(p, [big] + [sup_small] * 40)
    q_bh = stats.bh_qvalues(p)
    assert q_bh[0] > 0.05 and q_dbh[0] < 0.01
    assert q_dbh[0] == pytest.approx(p_big / (1 - p_big))


def test_discrete_bh_controls_fdr_on_independent_binomial_tests():
    rng = np.random.default_rng(11)
    alpha, reps, m, m1 = 0.1, 400, 60, 6
    ns = rng.integers(3, 60, m)
    rates = rng.uniform(0.05, 0.4, m)
    sups = [stats.pvalue_support(int(n), float(r), 0.0) for n, r in zip(ns, rates, strict=True)]
    fdp, power, power_bh = [], [], []
    for _ in range(reps):
        true = np.minimum(rates + np.r_[np.full(m1, 0.35), np.zeros(m - m1)], 0.95)
        o = rng.binomial(ns, true)
        pv = np.array(
            [
                stats.betabinom_sf(int(k), int(n), float(r), 0.0)
                for k, n, r in zip(o, ns, rates, strict=True)
            ]
        )
        rej = stats.discrete_bh_qvalues(pv, sups) <= alpha
        fdp.append(rej[m1:].sum() / max(1, rej.sum()))
        power.append(rej[:m1].mean())
        power_bh.append((stats.bh_qvalues(pv)[:m1] <= alpha).mean())
    # FDR at most alpha (Monte Carlo error ~0.01), and more powerful than BH on these tests
    assert np.mean(fdp) <= alpha + 0.02
    assert np.mean(power) > np.mean(power_bh) + 0.02


def test_discrete_bh_critical_values():
    sup = [stats.pvalue_support(2, 0.5, 0.0), stats.pvalue_support(1, 0.5, 0.0)]
    # xi(0.25) = 1/3, xi(0.5) = 4/3, xi(0.75) = 3 + 1 = 4
    assert stats.discrete_bh_critical(sup, 1, 0.5) == 0.25
    assert stats.discrete_bh_critical(sup, 3, 0.5) == 0.5
    assert stats.discrete_bh_critical(sup, 1, 0.1) == 0.0
    # ten continuous tests: 10 t / (1 - t) <= 0.05, so t <= 0.05 / 10.05
    t = stats.discrete_bh_critical([None] * 10, 1, 0.05)
    assert t <= 0.05 / 10.05 and t == pytest.approx(0.05 / 10.05, rel=0.02)


def test_simulated_target_reads_a_skewed_spread_without_the_low_bias():
    """Rare events (5%) whose odds vary with logit SD 0.6: the rates are skewed, and the
    truncated-normal target read such spreads about 20% low (ADR 0068); the simulated
    target (ADR 0090) recovers the SD."""
    rng = np.random.default_rng(21)
    k, tau = 600, 0.6
    n = rng.integers(40, 200, k)
    o = rng.binomial(n, _expit(np.log(0.05 / 0.95) + rng.normal(0, tau, k)))
    mean = float(np.mean(_expit(np.log(0.05 / 0.95) + rng.normal(0, tau, 200_000))))
    est = np.sqrt(stats.robust_tau2(n, o, n * mean))
    assert est == pytest.approx(tau, abs=0.1)


def test_honest_tau2_uses_the_prior_when_units_are_few_and_weighs_it_as_five_units():
    n, o, e = np.full(4, 50.0), np.array([5.0, 5, 5, 5]), np.full(4, 5.0)
    assert stats.honest_tau2(n, o, e) == stats.TAU2_PRIOR
    rng = np.random.default_rng(2)
    n = np.full(45, 100.0)
    o = rng.binomial(100, 0.2, 45).astype(float)
    est = stats.robust_tau2(n, o, n * 0.2)
    assert stats.honest_tau2(n, o, n * 0.2) == pytest.approx((45 * est + 5 * 0.25) / 50)
