"""Funnel-plot limits, overdispersion and shrinkage (Spiegelhalter 2005a/b; 2012).

The one implementation of funnel limits in Clearwater (ADR 0002: benchmarking, published
statistics and the integrity funnel use it).  Our own code (see docs/adr/0040): the formulas
are short and the available packages either differ from each other, carry known porting
hazards, or are GPL.

Two kinds of indicator:

* **proportions** ``y = O / n`` compared with a per-unit target ``t`` (the national rate, or the
  unit's indirectly standardised expected rate ``E / n``).  Unadjusted limits are exact binomial
  with Spiegelhalter's interpolation; overdispersed limits are on the arcsine scale
  ``sin^2(asin(sqrt t) +/- z * sqrt(s^2 + tau^2))`` with ``s = 1 / (2 sqrt n)``.
* **standardised ratios** ``O / E`` (target 1).  Unadjusted limits are exact Poisson
  (chi-square form); overdispersed limits are on the log scale ``exp(+/- z sqrt(1/E + tau^2))``.

Overdispersion: z-scores on the variance-stabilised scale are winsorised at the 10th/90th
percentiles, ``phi = mean(z_w^2) / c`` where ``c`` is the second moment of a standard normal
winsorised the same way (so phi is about 1 for in-control data; without ``c`` it is about 0.68
and overdispersion is understated), and DerSimonian-Laird ``tau^2`` follows from phi.  Limits are
widened only when ``I * phi`` exceeds the 95th centile of chi-square on ``I - 1`` degrees of
freedom (the "auto" rule) unless the caller forces a choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from clearwater.errors import ClearwaterError

Z95 = float(stats.norm.ppf(0.975))  # 1.959964
Z998 = float(stats.norm.ppf(0.999))  # 3.090232
LEVELS = {"95": (0.025, 0.975), "998": (0.001, 0.999)}

OverdispersionMethod = Literal["additive", "multiplicative", "none"]
OverdispersionRule = Literal["auto", "always", "never"]


# ---------------------------------------------------------------------------------------------
# Unadjusted limits
# ---------------------------------------------------------------------------------------------
def binomial_limit(n: np.ndarray | float, target: np.ndarray | float, p: float) -> np.ndarray:
    """Exact binomial control limit for a proportion at probability ``p`` (interpolated).

    ``r`` is the smallest count with ``P(Y <= r) >= p`` under Bin(n, target);
    ``alpha = (P(Y <= r) - p) / P(Y = r)``; the limit is ``(r - alpha) / n``.
    """
    n = np.asarray(n, dtype=float)
    t = np.asarray(target, dtype=float)
    r = stats.binom.ppf(p, n, t)
    f_r = stats.binom.cdf(r, n, t)
    f_r1 = stats.binom.cdf(r - 1, n, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r - f_r1 > 0, (f_r - p) / (f_r - f_r1), 0.0)
        out = (r - alpha) / n
    return np.clip(out, 0.0, 1.0)


def betabinomial_limit(
    n: np.ndarray | float, target: np.ndarray | float, rho: float, p: float
) -> np.ndarray:
    """Exact limit for a proportion at probability ``p`` when the count is beta-binomial with
    ``n`` trials, mean rate ``target`` and intra-unit correlation ``rho`` (the overdispersed
    null of the integrity audit, :func:`clearwater.integrity.stats.betabinom_sf`), interpolated
    as :func:`binomial_limit`; with ``rho`` = 0 it is :func:`binomial_limit`."""
    if rho <= 1e-9:
        return binomial_limit(n, target, p)
    n = np.round(np.asarray(n, dtype=float))
    t = np.clip(np.asarray(target, dtype=float), 1e-9, 1 - 1e-9)
    ab = 1.0 / rho - 1.0
    dist = stats.betabinom(n.astype(int), t * ab, (1 - t) * ab)
    r = dist.ppf(p)
    f_r, f_r1 = dist.cdf(r), dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r - f_r1 > 0, (f_r - p) / (f_r - f_r1), 0.0)
        out = (r - alpha) / n
    return np.clip(out, 0.0, 1.0)


def normal_proportion_limit(n: np.ndarray | float, target: np.ndarray | float, z: float):
    """Normal-approximation limit ``t + z sqrt(t (1 - t) / n)`` (z signed)."""
    n = np.asarray(n, dtype=float)
    t = np.asarray(target, dtype=float)
    return np.clip(t + z * np.sqrt(t * (1 - t) / n), 0.0, 1.0)


def poisson_ratio_limit(expected: np.ndarray | float, p: float) -> np.ndarray:
    """Exact Poisson limit for a standardised ratio O/E (target 1), chi-square form."""
    e = np.asarray(expected, dtype=float)
    if p < 0.5:
        return stats.chi2.ppf(p, 2 * e) / (2 * e)
    return stats.chi2.ppf(p, 2 * (e + 1)) / (2 * e)


# ---------------------------------------------------------------------------------------------
# Overdispersion
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Overdispersion:
    """What was estimated and what was applied."""

    method: OverdispersionMethod  # what the caller asked for
    applied: bool  # were the limits widened?
    phi: float
    tau2: float
    units: int
    statistic: float  # I * phi
    critical: float  # chi-square 95th centile on I - 1 df
    p_value: float
    trim: float
    rule: OverdispersionRule

    def describe(self) -> str:
        if self.units < 3:
            return "Too few units to estimate overdispersion; limits are unadjusted."
        if not self.applied:
            return (
                f"No overdispersion adjustment (phi = {self.phi:.2f}, test p = {self.p_value:.3f}"
                f" over {self.units} units; rule '{self.rule}')."
            )
        if self.method == "additive":
            return (
                f"Limits widened by an additive random effect (tau^2 = {self.tau2:.4g}, "
                f"phi = {self.phi:.2f}, test p = {self.p_value:.3g}, {self.units} units, "
                f"z-scores winsorised at {self.trim:.0%})."
            )
        return (
            f"Limits widened multiplicatively (phi = {self.phi:.2f}, test p = {self.p_value:.3g}, "
            f"{self.units} units, z-scores winsorised at {self.trim:.0%})."
        )


def _winsorised_normal_moment(trim: float) -> float:
    """E[W^2] for W a standard normal clipped at its trim / 1 - trim quantiles."""
    if trim <= 0:
        return 1.0
    c = float(stats.norm.ppf(1 - trim))
    inner = (2 * stats.norm.cdf(c) - 1) - 2 * c * stats.norm.pdf(c)
    return float(inner + c * c * 2 * trim)


def winsorise(z: np.ndarray, trim: float = 0.1) -> np.ndarray:
    """Clip z at its ``trim`` and ``1 - trim`` percentiles."""
    z = np.asarray(z, dtype=float)
    if trim <= 0 or len(z) == 0:
        return z
    lo, hi = np.percentile(z, [100 * trim, 100 * (1 - trim)])
    return np.clip(z, lo, hi)


def estimate_overdispersion(
    z: np.ndarray,
    s: np.ndarray,
    *,
    method: OverdispersionMethod = "additive",
    rule: OverdispersionRule = "auto",
    trim: float = 0.1,
    consistency: bool = True,
) -> Overdispersion:
    """phi and DerSimonian-Laird tau^2 from variance-stabilised z-scores ``z`` with SEs ``s``."""
    z = np.asarray(z, dtype=float)
    s = np.asarray(s, dtype=float)
    keep = np.isfinite(z) & np.isfinite(s) & (s > 0)
    z, s = z[keep], s[keep]
    units = len(z)
    if units < 3:
        return Overdispersion(method, False, float("nan"), 0.0, units, 0.0, 0.0, 1.0, trim, rule)
    zw = winsorise(z, trim)
    phi = float(np.mean(zw**2))
    if consistency:
        phi /= _winsorised_normal_moment(trim)
    w = 1.0 / s**2
    denom = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (units * phi - (units - 1)) / denom) if denom > 0 else 0.0
    statistic = units * phi
    critical = float(stats.chi2.ppf(0.95, units - 1))
    p_value = float(stats.chi2.sf(statistic, units - 1))
    if method == "none" or rule == "never":
        applied = False
    elif rule == "always":
        applied = True
    else:
        applied = statistic > critical
    if method == "multiplicative" and phi <= 1:
        applied = False
    return Overdispersion(
        method, applied, phi, tau2, units, statistic, critical, p_value, trim, rule
    )


# ---------------------------------------------------------------------------------------------
# Funnel tables
# ---------------------------------------------------------------------------------------------
def proportion_z(observed: np.ndarray, n: np.ndarray, target: np.ndarray):
    """Arcsine z-score and its SE for proportions: z = (asin sqrt y - asin sqrt t) * 2 sqrt n."""
    n = np.asarray(n, dtype=float)
    y = np.clip(np.asarray(observed, dtype=float) / n, 0, 1)
    s = 1.0 / (2.0 * np.sqrt(n))
    z = (np.arcsin(np.sqrt(y)) - np.arcsin(np.sqrt(np.asarray(target, dtype=float)))) / s
    return z, s


def ratio_z(observed: np.ndarray, expected: np.ndarray):
    """Log-scale (SHMI) z-score and SE for O/E: z = ln(O/E) sqrt(E); O = 0 gets +0.5 to both."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    zero = o <= 0
    ratio = np.where(zero, (o + 0.5) / (e + 0.5), o / np.where(e > 0, e, np.nan))
    s = 1.0 / np.sqrt(e)
    return np.log(ratio) / s, s


def _arcsine_limit(n, target, z, od: Overdispersion):
    s = 1.0 / (2.0 * np.sqrt(np.asarray(n, dtype=float)))
    width = np.sqrt(od.phi) * s if od.method == "multiplicative" else np.sqrt(s**2 + od.tau2)
    angle = np.arcsin(np.sqrt(np.asarray(target, dtype=float))) + z * width
    return np.sin(np.clip(angle, 0.0, np.pi / 2)) ** 2


def _log_limit(expected, z, od: Overdispersion):
    s = 1.0 / np.sqrt(np.asarray(expected, dtype=float))
    width = np.sqrt(od.phi) * s if od.method == "multiplicative" else np.sqrt(s**2 + od.tau2)
    return np.exp(z * width)


def _position(value, lower, upper) -> np.ndarray:
    out = np.full(len(value), "within", dtype=object)
    v = np.asarray(value, dtype=float)
    out[v > np.asarray(upper, dtype=float)] = "above"
    out[v < np.asarray(lower, dtype=float)] = "below"
    out[~np.isfinite(v)] = "not available"
    return out


@dataclass(frozen=True)
class FunnelResult:
    """Per-unit limits (on the ratio O/E scale and the proportion scale) and overdispersion."""

    table: pd.DataFrame
    overdispersion: Overdispersion
    kind: str  # 'proportion' or 'ratio'


def funnel_proportions(
    observed: np.ndarray,
    n: np.ndarray,
    target: np.ndarray | float,
    *,
    method: OverdispersionMethod = "additive",
    rule: OverdispersionRule = "auto",
    trim: float = 0.1,
) -> FunnelResult:
    """Limits for observed counts ``observed`` out of ``n`` against per-unit target rates.

    Returns columns n, observed_count, observed (rate), expected (target rate), expected_count,
    ratio (observed/expected), z, lower95/upper95/lower998/upper998 on the ratio scale,
    rate_lower95 ... on the rate scale, position (99.8%) and position95.
    """
    o = np.asarray(observed, dtype=float)
    n = np.asarray(n, dtype=float)
    t = np.broadcast_to(np.asarray(target, dtype=float), n.shape).astype(float)
    if np.any(n <= 0):
        raise ClearwaterError("funnel: every unit needs a denominator above zero")
    if np.any((t <= 0) | (t >= 1)):
        raise ClearwaterError("funnel: target rates must lie strictly between 0 and 1")
    z, s = proportion_z(o, n, t)
    ok = np.isfinite(o)
    od = estimate_overdispersion(z[ok], s[ok], method=method, rule=rule, trim=trim)
    limits = {}
    for level, (plo, phi_) in LEVELS.items():
        if od.applied:
            zq = Z95 if level == "95" else Z998
            lo = _arcsine_limit(n, t, -zq, od)
            hi = _arcsine_limit(n, t, zq, od)
        else:
            lo = binomial_limit(n, t, plo)
            hi = binomial_limit(n, t, phi_)
        limits[level] = (lo, hi)
    rate = o / n
    table = pd.DataFrame(
        {
            "n": n,
            "observed_count": o,
            "observed": rate,
            "expected": t,
            "expected_count": t * n,
            "ratio": rate / t,
            "z": z,
            "lower95": limits["95"][0] / t,
            "upper95": limits["95"][1] / t,
            "lower998": limits["998"][0] / t,
            "upper998": limits["998"][1] / t,
            "rate_lower95": limits["95"][0],
            "rate_upper95": limits["95"][1],
            "rate_lower998": limits["998"][0],
            "rate_upper998": limits["998"][1],
        }
    )
    table["position"] = _position(rate, limits["998"][0], limits["998"][1])
    table["position95"] = _position(rate, limits["95"][0], limits["95"][1])
    return FunnelResult(table, od, "proportion")


def funnel_ratios(
    observed: np.ndarray,
    expected: np.ndarray,
    *,
    method: OverdispersionMethod = "additive",
    rule: OverdispersionRule = "auto",
    trim: float = 0.1,
) -> FunnelResult:
    """Limits for standardised ratios O/E (target 1): exact Poisson, or log-scale when overdispersed."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    if np.any(e <= 0):
        raise ClearwaterError("funnel: every unit needs an expected count above zero")
    z, s = ratio_z(o, e)
    ok = np.isfinite(o)
    od = estimate_overdispersion(z[ok], s[ok], method=method, rule=rule, trim=trim)
    limits = {}
    for level, (plo, phi_) in LEVELS.items():
        if od.applied:
            zq = Z95 if level == "95" else Z998
            limits[level] = (_log_limit(e, -zq, od), _log_limit(e, zq, od))
        else:
            limits[level] = (poisson_ratio_limit(e, plo), poisson_ratio_limit(e, phi_))
    ratio = o / e
    table = pd.DataFrame(
        {
            "expected_count": e,
            "observed_count": o,
            "ratio": ratio,
            "z": z,
            "lower95": limits["95"][0],
            "upper95": limits["95"][1],
            "lower998": limits["998"][0],
            "upper998": limits["998"][1],
        }
    )
    table["position"] = _position(ratio, limits["998"][0], limits["998"][1])
    table["position95"] = _position(ratio, limits["95"][0], limits["95"][1])
    return FunnelResult(table, od, "ratio")


def funnel_curve(
    target: float, n_max: float, od: Overdispersion | None = None, points: int = 120
) -> pd.DataFrame:
    """Limit lines for a chart, for a single target rate over n = 1 .. n_max (rate scale)."""
    n = np.unique(np.round(np.geomspace(1, max(n_max, 2), points)))
    rows = {"n": n}
    for level, (plo, phi_) in LEVELS.items():
        if od is not None and od.applied:
            zq = Z95 if level == "95" else Z998
            rows[f"lower{level}"] = _arcsine_limit(n, target, -zq, od)
            rows[f"upper{level}"] = _arcsine_limit(n, target, zq, od)
        else:
            rows[f"lower{level}"] = binomial_limit(n, target, plo)
            rows[f"upper{level}"] = binomial_limit(n, target, phi_)
    frame = pd.DataFrame(rows)
    # Interpolated binomial limits are not monotone in n for tiny n; make the lines readable.
    for col in ("lower95", "lower998"):
        frame[col] = np.maximum.accumulate(frame[col].to_numpy())
    for col in ("upper95", "upper998"):
        frame[col] = np.minimum.accumulate(frame[col].to_numpy())
    return frame


# ---------------------------------------------------------------------------------------------
# Shrinkage (empirical Bayes, normal-normal on the log O/E scale)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shrinkage:
    table: pd.DataFrame  # shrunken, shrunken_lower, shrunken_upper, weight
    tau2: float
    method: str = (
        "Empirical Bayes on log(O/E): each unit's log ratio is pulled towards 0 (O = E) with "
        "weight tau^2 / (tau^2 + s^2); tau^2 by DerSimonian-Laird without winsorisation; 95% "
        "posterior intervals."
    )


def shrink_ratios(observed: np.ndarray, expected: np.ndarray, n: np.ndarray) -> Shrinkage:
    """Empirical-Bayes shrunken O/E for binary outcomes.

    ``y = ln((O + 0.5) / (E + 0.5))`` with binomial delta-method variance
    ``s^2 = (1 - e) / (n e)`` where ``e = E / n`` (plus 1/(O+0.5) floor for O near 0);
    ``tau^2`` by DerSimonian-Laird; posterior mean ``B y`` with ``B = tau^2 / (tau^2 + s^2)``
    and variance ``B s^2``.  With tau^2 = 0 every unit shrinks to O/E = 1: there is then no
    evidence that units differ beyond chance, and ranking them is meaningless.
    """
    o = np.asarray(observed, dtype=float)
    e_count = np.asarray(expected, dtype=float)
    n = np.asarray(n, dtype=float)
    y = np.log((o + 0.5) / (e_count + 0.5))
    rate = np.clip(e_count / n, 1e-6, 1 - 1e-6)
    s2 = (1 - rate) / (n * rate)
    ok = np.isfinite(y) & np.isfinite(s2) & (s2 > 0)
    tau2 = 0.0
    if ok.sum() >= 3:
        w = 1 / s2[ok]
        mu = 0.0  # indirect standardisation: the expected value of log(O/E) is 0
        q = float(np.sum(w * (y[ok] - mu) ** 2))
        denom = w.sum() - (w**2).sum() / w.sum()
        tau2 = max(0.0, (q - (ok.sum() - 1)) / denom) if denom > 0 else 0.0
    b = tau2 / (tau2 + s2)
    post = b * y
    sd = np.sqrt(b * s2)
    table = pd.DataFrame(
        {
            "shrunken": np.exp(post),
            "shrunken_lower": np.exp(post - Z95 * sd),
            "shrunken_upper": np.exp(post + Z95 * sd),
            "weight": b,
        }
    )
    return Shrinkage(table, tau2)
