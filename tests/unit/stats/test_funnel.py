"""Funnel limits, overdispersion and shrinkage against hand-computed and simulated answers."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from clearwater.errors import ClearwaterError
from clearwater.stats.funnel import (
    Z95,
    Z998,
    betabinomial_limit,
    binomial_limit,
    estimate_overdispersion,
    funnel_curve,
    funnel_proportions,
    funnel_ratios,
    normal_proportion_limit,
    poisson_ratio_limit,
    proportion_z,
    shrink_ratios,
)


def _binomial_limit_by_hand(n: int, t: float, p: float) -> float:
    pmf = [comb(n, k) * t**k * (1 - t) ** (n - k) for k in range(n + 1)]
    cdf = np.cumsum(pmf)
    r = int(np.argmax(cdf >= p))
    below = cdf[r - 1] if r > 0 else 0.0
    alpha = (cdf[r] - p) / (cdf[r] - below)
    return (r - alpha) / n


@pytest.mark.parametrize(
    ("n", "t", "p"),
    [(20, 0.3, 0.025), (20, 0.3, 0.975), (50, 0.5, 0.001), (50, 0.5, 0.999), (137, 0.66, 0.975)],
)
def test_binomial_limit_matches_hand_computation(n, t, p):
    assert float(binomial_limit(n, t, p)) == pytest.approx(
        _binomial_limit_by_hand(n, t, p), abs=1e-9
    )


def test_binomial_limit_known_value():
    # Bin(100, 0.5): P(Y<=60) = 0.98240, P(Y<=59) = 0.97156 -> r = 60, alpha = 0.6826
    assert float(binomial_limit(100, 0.5, 0.975)) == pytest.approx(0.593174, abs=1e-5)


def test_exact_binomial_converges_to_normal():
    exact = float(binomial_limit(40000, 0.5, 0.975))
    normal = float(normal_proportion_limit(40000, 0.5, Z95))
    assert normal == pytest.approx(0.5 + 1.959964 * 0.0025, abs=1e-9)
    assert exact == pytest.approx(normal, abs=2e-4)


def test_poisson_ratio_limits_known_values():
    # E = 100: exact Poisson 95% limits for O/E are [0.814, 1.216] (chi-square form)
    assert float(poisson_ratio_limit(100, 0.025)) == pytest.approx(0.8137, abs=5e-4)
    assert float(poisson_ratio_limit(100, 0.975)) == pytest.approx(1.2163, abs=5e-4)


def test_unit_at_expected_is_within_with_ratio_one():
    n = np.array([50, 200, 800, 3000])
    target = np.array([0.4, 0.5, 0.55, 0.6])
    res = funnel_proportions(n * target, n, target, rule="never")
    assert np.allclose(res.table["ratio"], 1.0)
    assert (res.table["position"] == "within").all()
    assert (res.table["lower998"] < res.table["lower95"]).all()
    assert (res.table["upper95"] < res.table["upper998"]).all()
    r = funnel_ratios(np.array([30.0, 120.0]), np.array([30.0, 120.0]), rule="never")
    assert (r.table["position"] == "within").all() and np.allclose(r.table["ratio"], 1)


def test_positions_outside_limits():
    res = funnel_proportions([20, 80, 50], [100, 100, 100], 0.5, rule="never")
    assert list(res.table["position"]) == ["below", "above", "within"]


def test_bad_inputs_raise():
    with pytest.raises(ClearwaterError):
        funnel_proportions([1], [0], 0.5)
    with pytest.raises(ClearwaterError):
        funnel_proportions([1], [10], 1.0)


def _simulate(rng, units, tau, target=0.5):
    n = rng.integers(100, 2000, size=units)
    angle = np.arcsin(np.sqrt(target)) + rng.normal(0, tau, size=units)
    p = np.sin(np.clip(angle, 0, np.pi / 2)) ** 2
    return rng.binomial(n, p), n


def test_no_overdispersion_in_control():
    rng = np.random.default_rng(11)
    o, n = _simulate(rng, 600, 0.0)
    z, s = proportion_z(o, n, 0.5)
    od = estimate_overdispersion(z, s)
    assert od.phi == pytest.approx(1.0, abs=0.15)
    assert od.tau2 < 2e-4
    # without the normal-consistency factor winsorised phi sits near 0.68
    raw = estimate_overdispersion(z, s, consistency=False)
    assert raw.phi == pytest.approx(0.68, abs=0.1)


def test_multiplicative_phi_recovered():
    rng = np.random.default_rng(3)
    z = rng.normal(0, np.sqrt(2.5), size=2000)
    od = estimate_overdispersion(z, np.full(2000, 0.02), method="multiplicative")
    assert od.phi == pytest.approx(2.5, rel=0.12)
    assert od.applied


def test_additive_tau2_recovered():
    rng = np.random.default_rng(7)
    tau = 0.05
    o, n = _simulate(rng, 800, tau)
    res = funnel_proportions(o, n, 0.5)
    assert res.overdispersion.applied
    assert res.overdispersion.tau2 == pytest.approx(tau**2, rel=0.3)
    # with the random effect, about 95% of units fall within the 95% limits
    inside = (res.table["position95"] == "within").mean()
    assert 0.9 <= inside <= 0.99
    # unadjusted exact limits would flag far more than 5%
    raw = funnel_proportions(o, n, 0.5, rule="never")
    assert (raw.table["position95"] != "within").mean() > 0.3


def test_multiplicative_limits_scale_by_sqrt_phi():
    rng = np.random.default_rng(5)
    o, n = _simulate(rng, 500, 0.04)
    res = funnel_proportions(o, n, 0.5, method="multiplicative")
    od = res.overdispersion
    t = res.table.iloc[0]
    s = 1 / (2 * np.sqrt(t["n"]))
    upper = np.sin(np.arcsin(np.sqrt(0.5)) + Z998 * np.sqrt(od.phi) * s) ** 2
    assert t["upper998"] * 0.5 == pytest.approx(upper, rel=1e-9)


def test_funnel_curve_monotone():
    c = funnel_curve(0.5, 5000)
    assert (np.diff(c["upper998"]) <= 1e-12).all()
    assert (np.diff(c["lower998"]) >= -1e-12).all()


def test_shrinkage():
    rng = np.random.default_rng(2)
    units = 300
    n = rng.integers(20, 400, size=units)
    e_rate = np.full(units, 0.5)
    true_log = rng.normal(0, 0.15, size=units)
    p = np.clip(e_rate * np.exp(true_log), 0.01, 0.99)
    o = rng.binomial(n, p)
    sh = shrink_ratios(o, e_rate * n, n)
    assert sh.tau2 == pytest.approx(0.15**2, rel=0.4)
    t = sh.table
    raw = (o + 0.5) / (e_rate * n + 0.5)
    # shrunken estimates sit between the raw ratio and 1
    assert (np.abs(np.log(t["shrunken"])) <= np.abs(np.log(raw)) + 1e-12).all()
    truth = np.exp(true_log)
    covered = ((t["shrunken_lower"] <= truth) & (truth <= t["shrunken_upper"])).mean()
    assert 0.85 <= covered <= 0.99
    # no real differences: everyone shrinks (almost) to 1
    o0 = rng.binomial(n, 0.5)
    sh0 = shrink_ratios(o0, 0.5 * n, n)
    assert np.abs(np.log(sh0.table["shrunken"])).max() < 0.1


def test_betabinomial_limit_is_binomial_without_correlation():
    n = np.array([5, 20, 80, 400])
    for p in (0.001, 0.025, 0.975, 0.999):
        assert np.allclose(betabinomial_limit(n, 0.3, 0.0, p), binomial_limit(n, 0.3, p))


@pytest.mark.parametrize(("n", "t", "rho"), [(40, 0.2, 0.02), (200, 0.05, 0.01), (15, 0.5, 0.1)])
def test_betabinomial_limit_matches_the_flagging_null(n, t, rho):
    """The 99.8% line lies where the integrity audit's one-sided p-value P(X >= o) under the
    beta-binomial null crosses 0.001: a count above the line has p <= 0.001, the count just
    below it has p > 0.001."""
    from clearwater.integrity.stats import betabinom_sf

    limit = float(betabinomial_limit(n, t, rho, 0.999))
    r = int(np.ceil(limit * n - 1e-12))  # the interpolated limit lies in (r - 1, r]
    assert betabinom_sf(r + 1, n, t, rho) <= 0.001 < betabinom_sf(r, n, t, rho)
    # and it is wider than the binomial line: the null allows for real variation between units
    assert limit > float(binomial_limit(n, t, 0.999)) - 1e-12


def test_betabinomial_limit_by_hand():
    """Beta-binomial pmf written out (n = 10, mean 0.3, rho = 0.1: a = 2.7, b = 6.3)."""
    from math import lgamma

    n, a, b, p = 10, 2.7, 6.3, 0.975

    def log_beta(x: float, y: float) -> float:
        return lgamma(x) + lgamma(y) - lgamma(x + y)

    pmf = [comb(n, k) * np.exp(log_beta(k + a, n - k + b) - log_beta(a, b)) for k in range(n + 1)]
    cdf = np.cumsum(pmf)
    r = int(np.argmax(cdf >= p))
    want = (r - (cdf[r] - p) / pmf[r]) / n
    assert float(betabinomial_limit(n, 0.3, 0.1, p)) == pytest.approx(want, rel=1e-9)
