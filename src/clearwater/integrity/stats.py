"""The statistics every detector shares: peer expectations, overdispersed nulls, FDR.

Every detector reduces its evidence to *binary trials*: for each eligible case of a unit,
did the signature occur (1) or not (0)?  Each trial belongs to a case-mix *stratum*.
The row-level work (which cases, which stratum, did it occur) runs in Ibis; what comes back
to Python is one row per unit x stratum with ``n`` trials and ``o`` events.  From there:

1. **Expected events from peers, leave-one-out.**  For unit *k* and stratum *s* the expected
   rate is the rate among all *other* units in that stratum, shrunk a little towards the
   other units' rate in the parent stratum (strata are hierarchical labels, coarse to fine,
   ``"h2:k4:mild"``), and so on up to their overall rate:
   ``r_ks = (O_s - o_ks + a * r_k,parent(s)) / (N_s - n_ks + a)``.  A unit therefore never
   sets its own expectation, and a stratum no peer shares takes its nearest ancestor's
   rate.  By default a second pass leaves grossly
   atypical units (binomial z > 3.5, at most 10% of units) out of *everyone's* peers, so one
   gaming unit in a small service cannot raise the others' expectations
   (:func:`robust_loo_expected`).
2. **Honest heterogeneity.**  Real services differ for reasons nobody controls.  We estimate
   the between-unit variance ``tau2`` of a unit's true rate *on the logit scale* (a random
   effect that multiplies the odds, so a stratum honestly at 3% and one at 30% vary alike
   in relative terms) with a *robust* random-effects estimator.  With
   ``d_k = (o_k - e_k) / n_k``, ``s_k^2 = p_k (1 - p_k) / n_k``, the delta-method variance
   of the rate ``tau2 * (p_k (1 - p_k))^2`` and
   ``z_k = d_k / sqrt(s_k^2 + tau2 * (p_k (1 - p_k))^2)``, ``tau2`` is the
   smallest value >= 0 for which the mean of ``z_k^2`` over the 80% of units with the lowest
   ``z_k`` equals the value it takes on average in services simulated from the model at that
   ``tau2``, with these units' sizes and rates (:func:`simulated_target`, ADR 0090).  Setting
   the most *positive* units aside (where gaming would sit; gaming is one-sided) means a
   minority of atypical units cannot inflate the heterogeneity that is then used to judge
   them, while honest spread on both sides is still measured (unlike DerSimonian-Laird,
   which uses all).  The tests use that estimate averaged with a prior (logit SD 0.5, worth
   five units; the prior alone below five units): :func:`honest_tau2`.
3. **One-sided p-value under a beta-binomial null** with mean ``p_k = e_k / n_k`` and
   intra-unit correlation ``rho = tau2 * p_k (1 - p_k)`` (the same rate variance):
   ``P(X >= o_k)``.  Exact for small
   units (no normal approximation), conservative because the distribution is discrete.
4. **False-discovery control** (Benjamini-Hochberg, or Benjamini-Yekutieli) across every
   unit x detector test, in :mod:`clearwater.integrity.combine`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

ROOT_EVENTS = 0.5  # added to the peers' overall events (and twice to their trials)
PRIOR_EVENTS = 0.5  # a stratum's prior (its parent's rate) counts for at least this many events
MIN_UNITS_FOR_TAU = 5  # fewer units than this: no heterogeneity estimate (the prior alone)
TAU2_PRIOR = 0.25  # honest heterogeneity assumed before the data speak: logit SD 0.5
TAU2_PRIOR_UNITS = 5  # ... worth this many units' estimate
MAX_RHO = 0.5
OUTLIER_Z = 3.5  # binomial z beyond which a unit is left out of its peers' expectations
OUTLIER_SHARE = 0.1  # ... at most this share of the units
TRIM_KEEP = 0.8  # share of units (lowest z) used to estimate honest heterogeneity


def loo_expected(
    agg: pd.DataFrame, *, prior_weight: float = 2.0, exclude: Collection[str] = ()
) -> pd.DataFrame:
    """Leave-one-unit-out expected events, with hierarchical strata.

    ``agg`` has one row per unit_id x stratum with integer columns ``n`` (trials) and ``o``
    (events).  Returns one row per unit_id with ``n``, ``o``, ``e`` (expected events from the
    other units in the same strata) and ``peer_rate`` (the other units' overall rate).

    A stratum label may be hierarchical, its parts separated by ``:`` from the coarsest to
    the finest (``"h2:k4:mild"``).  The expected rate in a stratum is the other units' rate
    there, shrunk with weight ``prior_weight`` trials (or enough trials to hold
    ``PRIOR_EVENTS`` events at the parent's rate, if more) towards the other units' rate in
    the parent stratum (``"h2:k4"``), itself shrunk towards its parent, and so on up to the
    other units' overall rate.  A stratum that no other unit has therefore takes its nearest ancestor's
    rate rather than the overall one, so a unit with an unusual case mix is compared with
    the peers most like it.  Units in ``exclude`` are still given expectations but are left
    out of every unit's peers.
    """
    if agg.empty:
        return pd.DataFrame(columns=["unit_id", "n", "o", "e", "peer_rate"])
    a = agg[["unit_id", "stratum", "n", "o"]].copy().reset_index(drop=True)
    a["stratum"] = a["stratum"].astype(str)
    a["n"] = a["n"].astype(float)
    a["o"] = a["o"].astype(float)
    peer = ~a["unit_id"].isin(set(exclude))
    a["_pn"] = np.where(peer, a["n"], 0.0)
    a["_po"] = np.where(peer, a["o"], 0.0)
    parts = a["stratum"].str.split(":")
    depth = int(parts.str.len().max())
    tot_n, tot_o = float(a["_pn"].sum()), float(a["_po"].sum())
    own = a.groupby("unit_id")[["_pn", "_po"]].transform("sum")
    other_n = tot_n - own["_pn"].to_numpy()
    other_o = tot_o - own["_po"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        # the other units' overall rate, with half an event added (Jeffreys): peers with no
        # event in a few hundred trials do not make a single event of this unit impossible
        r0 = np.where(other_n > 0, (other_o + ROOT_EVENTS) / (other_n + 2 * ROOT_EVENTS), np.nan)
    rate = r0
    for d in range(1, depth + 1):
        # the label cut to its first d parts (labels with fewer parts keep their own rate)
        has = (parts.str.len() >= d).to_numpy()
        key = parts.str[:d].str.join(":")
        both = a.assign(_k=key)
        all_k = both.groupby("_k")[["_pn", "_po"]].transform("sum")
        own_k = both.groupby(["unit_id", "_k"])[["_pn", "_po"]].transform("sum")
        on = all_k["_pn"].to_numpy() - own_k["_pn"].to_numpy()
        oo = all_k["_po"].to_numpy() - own_k["_po"].to_numpy()
        # the prior is worth at least PRIOR_EVENTS events: for a rare event, a stratum whose
        # few hundred peer trials happen to hold no event is not taken as a rate of zero
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(rate > 0, np.maximum(prior_weight, PRIOR_EVENTS / rate), prior_weight)
            den = on + w
            r_d = np.where(den > 0, (oo + w * rate) / den, rate)
        rate = np.where(has, r_d, rate)
    a["r"] = rate
    a["peer_rate"] = r0
    a["e"] = a["n"] * a["r"]
    out = (
        a.groupby("unit_id")
        .agg(n=("n", "sum"), o=("o", "sum"), e=("e", "sum"), peer_rate=("peer_rate", "first"))
        .reset_index()
    )
    return out


def robust_loo_expected(
    agg: pd.DataFrame,
    *,
    min_n: float = 5,
    z_out: float = OUTLIER_Z,
    max_share: float = OUTLIER_SHARE,
) -> pd.DataFrame:
    """Leave-one-out expectations with grossly atypical units removed from the peers.

    A first pass (:func:`loo_expected`) finds units whose binomial z (no heterogeneity)
    exceeds ``z_out``; the most extreme of them, at most ``max_share`` of the units with at
    least ``min_n`` trials, are then left out of every unit's peers in a second pass.  One
    heavily atypical unit in a small service otherwise raises every other unit's expected
    rate, pushing honest units below expectation and inflating the heterogeneity that is
    then used to judge the atypical unit itself.  Atypical units are still tested (against
    the cleaned peers).
    """
    first = loo_expected(agg)
    if first.empty:
        return first
    n = first["n"].to_numpy(float)
    e = first["e"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.clip(e / n, 1e-9, 1 - 1e-9)
        z = (first["o"].to_numpy(float) - e) / np.sqrt(n * p * (1 - p))
    ok = (n >= min_n) & np.isfinite(z)
    cap = int(np.floor(max_share * ok.sum()))
    cand = first.loc[ok & (z > z_out), "unit_id"]
    if cap < 1 or cand.empty:
        return first
    zz = pd.Series(z, index=first["unit_id"]).loc[cand].sort_values(ascending=False)
    return loo_expected(agg, exclude=list(zz.index[:cap]))


TAU_GRID = np.array(
    [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 0.9, 1.1, 1.4, 1.8, 2.4, 3.2]
)  # logit-scale SDs at which the estimator's target is simulated
TARGET_DRAWS = 400  # simulated services per grid point
TARGET_SEED = 20261207  # fixed: the estimate is a deterministic function of the data


def _trimmed_stat(d: np.ndarray, s2: np.ndarray, g: np.ndarray, t2: float, m: int) -> np.ndarray:
    """Mean z^2 of the ``m`` lowest z (last axis), z = d / sqrt(s2 + t2 g)."""
    z = np.sort(d / np.sqrt(s2 + t2 * g), axis=-1)[..., :m]
    return np.mean(z**2, axis=-1)


def _logit_centre(p: np.ndarray, tau: float, nodes: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per unit, the logit-scale centre ``c`` whose logit-normal rates have *mean* ``p``
    (peers' rates are means; a skewed rate distribution's median lies below its mean)."""
    c = np.log(p / (1 - p))
    if tau <= 0:
        return c
    for _ in range(30):  # Newton on E[expit(c + tau Z)] = p (Gauss-Hermite expectation)
        r = 1.0 / (1.0 + np.exp(-(c[:, None] + tau * nodes[None, :])))
        f = r @ w - p
        df = (r * (1 - r)) @ w
        step = f / np.maximum(df, 1e-12)
        c = c - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return c


def simulated_target(n: np.ndarray, p: np.ndarray, m: int, taus: np.ndarray) -> np.ndarray:
    """The trimmed moment's expected value when the units' true odds vary with logit SD
    ``tau`` (each of ``taus``), simulated for these units' ``n`` and expected rates ``p``.

    ``TARGET_DRAWS`` services are simulated at each ``tau`` with fixed random numbers:
    unit k's true rate is ``expit(c_k + tau Z)`` with ``c_k`` chosen so the rates average
    ``p_k``, its events binomial, and each draw is scored with the estimator's own statistic
    at ``tau2 = tau^2``.  The mean over draws is the value the observed statistic should take
    if ``tau`` is right: it allows for the skew of rates on the rate scale, for small counts
    and for rare events, none of which the truncated-normal value ``E[Z^2 | Z < c]`` does.
    """
    rng = np.random.default_rng(TARGET_SEED)
    k = len(n)
    zs = rng.standard_normal((TARGET_DRAWS, k))
    nodes, w = np.polynomial.hermite_e.hermegauss(24)
    w = w / w.sum()
    s2 = p * (1 - p) / n
    g = (p * (1 - p)) ** 2
    ni = np.round(n).astype(np.int64)
    out = np.empty(len(taus))
    for i, tau in enumerate(taus):
        c = _logit_centre(p, float(tau), nodes, w)
        rate = 1.0 / (1.0 + np.exp(-(c[None, :] + tau * zs)))
        o = np.random.default_rng(TARGET_SEED + i).binomial(ni[None, :], rate)
        d = (o - p[None, :] * ni[None, :]) / ni[None, :]
        out[i] = float(np.mean(_trimmed_stat(d, s2, g, float(tau) ** 2, m)))
    return out


def robust_tau2(
    n: np.ndarray, o: np.ndarray, e: np.ndarray, *, min_n: float = 5, keep: float = TRIM_KEEP
) -> float:
    """Robust between-unit variance, on the logit scale, of the units' true rates (see the
    module docstring; :func:`rate_rho` turns it into each unit's intra-unit correlation).

    The units with the largest *positive* z (the top ``1 - keep`` share, where gaming would
    sit) are set aside; ``tau2`` is the smallest value making the mean z^2 of the rest equal
    the value it takes, on average, in services simulated from the model with that ``tau2``
    and these units' sizes and expected rates (:func:`simulated_target`; ADR 0090).  The
    simulated target replaces ``E[Z^2 | Z < c]`` of a normal null, which ignored the skew of
    rates on the rate scale and read a logit SD of 0.5 as about 0.4.
    """
    n = np.asarray(n, float)
    o = np.asarray(o, float)
    e = np.asarray(e, float)
    ok = (n >= min_n) & np.isfinite(e)
    if ok.sum() < MIN_UNITS_FOR_TAU:
        return 0.0
    n, o, e = n[ok], o[ok], e[ok]
    p = np.clip(e / n, 1e-6, 1 - 1e-6)
    d = (o - e) / n
    s2 = p * (1 - p) / n
    g = (p * (1 - p)) ** 2  # rate variance per unit of logit-scale variance (delta method)
    m = max(MIN_UNITS_FOR_TAU - 1, int(np.ceil(keep * len(n))))
    target = simulated_target(n, p, m, TAU_GRID)

    def excess(t2: float) -> float:
        tgt = float(np.interp(np.sqrt(t2), TAU_GRID, target))
        return float(_trimmed_stat(d, s2, g, t2, m)) - tgt

    if excess(0.0) <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    while excess(hi) > 0 and hi < 1e6:
        hi *= 4
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
    return hi


def honest_tau2(
    n: np.ndarray, o: np.ndarray, e: np.ndarray, *, min_n: float = 5, keep: float = TRIM_KEEP
) -> float:
    """The heterogeneity the tests use: :func:`robust_tau2` from the ``k`` units with at
    least ``min_n`` trials, averaged with the prior ``TAU2_PRIOR`` worth ``TAU2_PRIOR_UNITS``
    units: ``(k * tau2_hat + 5 * 0.25) / (k + 5)``.  With few units the estimate is noisy and
    an estimate of zero from five units is no evidence that honest units do not differ; with
    fewer than ``MIN_UNITS_FOR_TAU`` it is not estimated and the prior is used alone (ADR
    0090).  Large services are judged by their own estimate."""
    n = np.asarray(n, float)
    k = int(((n >= min_n) & np.isfinite(np.asarray(e, float))).sum())
    if k < MIN_UNITS_FOR_TAU:
        return TAU2_PRIOR
    est = robust_tau2(n, o, e, min_n=min_n, keep=keep)
    return (k * est + TAU2_PRIOR_UNITS * TAU2_PRIOR) / (k + TAU2_PRIOR_UNITS)


def _null_counts(n: int, p: float, rho: float):  # noqa: ANN202 - a frozen scipy distribution
    """The null distribution of a unit's event count: binomial, or beta-binomial if rho > 0."""
    p = float(np.clip(p, 1e-9, 1 - 1e-9))
    if rho <= 1e-9:
        return sps.binom(n, p)
    rho = min(rho, MAX_RHO)
    ab = 1.0 / rho - 1.0
    return sps.betabinom(n, p * ab, (1 - p) * ab)


def null_distribution(n: int, p: float, rho: float):  # noqa: ANN201 - a frozen scipy distribution
    """A unit's event count under the null (binomial, or beta-binomial if ``rho`` > 0)."""
    return _null_counts(n, p, rho)


def betabinom_sf(o: float, n: float, p: float, rho: float) -> float:
    """P(X >= o) for X ~ beta-binomial(n, mean p, intra-class correlation rho)."""
    n_i = int(round(n))
    o_i = int(round(o))
    if n_i <= 0 or not np.isfinite(p):
        return float("nan")
    if o_i <= 0:
        return 1.0
    return float(_null_counts(n_i, p, rho).sf(o_i - 1))


def pvalue_support(n: float, p: float, rho: float) -> np.ndarray:
    """Every value the one-sided p-value ``P(X >= o)`` can take under the null, ascending.

    The p-value of :func:`betabinom_sf` is discrete: with ``n`` trials it takes one of
    ``n + 1`` values, ``P(X >= x)`` for ``x = n, ..., 0`` (the last is 1).  Under the null,
    ``P(p-value <= t)`` is the largest of these values that is at most ``t``, often far
    below ``t``; the discrete FDR procedure (:func:`discrete_bh_qvalues`) uses that.
    """
    n_i = int(round(n))
    if n_i <= 0 or not np.isfinite(p):
        return np.array([1.0])
    x = np.arange(n_i, 0, -1)
    sf = _null_counts(n_i, p, rho).sf(x - 1)
    return np.append(np.maximum.accumulate(np.asarray(sf, float)), 1.0)


def rate_rho(tau2: float, p: float) -> float:
    """Intra-unit correlation of a beta-binomial whose rate varies like a logit-normal one
    with variance ``tau2`` around ``p``: rate variance ``tau2 (p (1 - p))^2`` divided by
    ``p (1 - p)`` (capped at MAX_RHO)."""
    return min(tau2 * p * (1 - p), MAX_RHO)


def overdispersed_test(units: pd.DataFrame, *, min_n: float = 5) -> pd.DataFrame:
    """Add ``tau2``, ``rho``, ``z`` and one-sided ``p_value`` to a frame of n, o, e per unit.

    Units with ``n < min_n`` trials get no p-value (too small to judge; reported as such).
    """
    out = units.copy()
    if out.empty:
        for c in ("tau2", "rho", "z", "p_value"):
            out[c] = pd.Series(dtype=float)
        return out
    tau2 = honest_tau2(out["n"].to_numpy(), out["o"].to_numpy(), out["e"].to_numpy(), min_n=min_n)
    ps, zs, rhos = [], [], []
    for n, o, e in zip(out["n"], out["o"], out["e"], strict=True):
        if n < min_n or not np.isfinite(e):
            ps.append(np.nan)
            zs.append(np.nan)
            rhos.append(np.nan)
            continue
        p = float(np.clip(e / n, 1e-9, 1 - 1e-9))
        rho = rate_rho(tau2, p)
        var = n * p * (1 - p) * (1 + (n - 1) * rho)
        zs.append((o - e) / np.sqrt(var) if var > 0 else np.nan)
        rhos.append(rho)
        ps.append(betabinom_sf(o, n, p, rho))
    out["tau2"] = tau2
    out["rho"] = rhos
    out["z"] = zs
    out["p_value"] = ps
    return out


def bh_qvalues(p: Sequence[float], *, method: str = "bh") -> np.ndarray:
    """Benjamini-Hochberg (``bh``) or Benjamini-Yekutieli (``by``) adjusted p-values.

    NaN p-values are ignored (they stay NaN and do not count towards m).
    """
    p = np.asarray(p, float)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    if method == "by":
        ranked = ranked * float(np.sum(1.0 / np.arange(1, m + 1)))
    elif method != "bh":
        raise ValueError(f"unknown FDR method {method!r}: use 'bh' or 'by'")
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    q[ok] = adj
    return q


CONTINUOUS_ABOVE = 5000  # tests with more trials are treated as continuous (F(t) = t)


def null_support(n: float, e: float, rho: float) -> np.ndarray | None:
    """The support of a unit's p-value for :func:`discrete_bh_qvalues`, from its ``n``
    trials, expected events ``e`` and ``rho``; ``None`` (continuous) when the unit has no
    trials or more than :data:`CONTINUOUS_ABOVE` (its p-value is then nearly continuous,
    and not building its support saves the work)."""
    if not (n > 0 and np.isfinite(e)) or n > CONTINUOUS_ABOVE:
        return None
    return pvalue_support(n, e / n, rho)


def _continuous(sup: np.ndarray | None) -> bool:
    return sup is None or len(sup) > CONTINUOUS_ABOVE + 1


def discrete_bh_qvalues(p: Sequence[float], supports: Sequence[np.ndarray | None]) -> np.ndarray:
    """Adjusted p-values of the discrete Benjamini-Hochberg step-down procedure.

    This is the [HSD] procedure of Doehler, Durand and Roquain (2018, *Electronic Journal
    of Statistics* 12:1867-1900), which controls the false-discovery rate for independent
    discrete tests whose null distributions ``F_i`` are known.  With
    ``xi(t) = sum_i F_i(t) / (1 - F_i(t))`` over all ``m`` tests, the ``k``-th smallest
    p-value is rejected, stepping down, while ``xi(p_(j)) <= alpha * j`` for every
    ``j <= k``; the adjusted value is ``q_(k) = max_{j <= k} xi(p_(j)) / j`` (capped at 1),
    so a test is rejected at level ``alpha`` exactly when ``q <= alpha``.

    For a continuous test ``F_i(t) = t`` and ``xi(t) = m t / (1 - t)``, which is the
    Benjamini-Hochberg bound; a discrete test whose p-value cannot fall just below ``t``
    (few trials, a rare event) adds much less than ``t``, so small units and rare
    signatures no longer use up the error budget of the tests that can reach significance.

    ``supports[i]`` is the ascending array of values the i-th p-value can take under its
    null (:func:`pvalue_support`); ``None`` (or more than :data:`CONTINUOUS_ABOVE` values)
    means treat it as continuous.  NaN p-values are ignored (they stay NaN and are not
    counted).
    """
    p = np.asarray(p, float)
    if len(supports) != len(p):
        raise ValueError("one support per p-value is needed")
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return q
    pv = p[ok]
    xi = _xi(pv, [supports[i] for i in ok])
    order = np.argsort(pv, kind="stable")
    ranked = np.maximum.accumulate(xi[order] / np.arange(1, m + 1))
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    q[ok] = adj
    return q


def _xi(t: np.ndarray, supports: Sequence[np.ndarray | None]) -> np.ndarray:
    """``xi(t) = sum_i F_i(t) / (1 - F_i(t))`` at each value of ``t`` (see above)."""
    t = np.asarray(t, float)
    pts, inc = [], []
    n_cont = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for sup in supports:
            if _continuous(sup):
                n_cont += 1
                continue
            sup = np.unique(np.asarray(sup, float))
            g = sup / (1.0 - sup)  # G(F) jumps at each support point
            pts.append(sup)
            inc.append(np.diff(g, prepend=0.0))
        xi = np.zeros(len(t))
        if pts:
            allp = np.concatenate(pts)
            order = np.argsort(allp, kind="stable")
            allp = allp[order]
            cum = np.cumsum(np.concatenate(inc)[order])
            # an observed p-value is a support point: allow for rounding
            idx = np.searchsorted(allp, t * (1 + 1e-9), side="right") - 1
            xi += np.where(idx >= 0, cum[np.maximum(idx, 0)], 0.0)
        if n_cont:
            xi += n_cont * np.where(t < 1, t / (1.0 - t), np.inf)
    return xi


def discrete_bh_critical(supports: Sequence[np.ndarray | None], k: int, alpha: float) -> float:
    """The step-down critical value for the ``k``-th smallest p-value at level ``alpha``.

    The largest attainable p-value ``t`` with ``xi(t) <= alpha * k``: how small a p-value
    must be to be the ``k``-th discovery (``alpha * k / m`` under Benjamini-Hochberg).
    """
    cand = [np.asarray(s, float) for s in supports if not _continuous(s)]
    grid = np.unique(np.concatenate(cand)) if cand else np.array([])
    if any(_continuous(s) for s in supports):
        grid = np.unique(np.concatenate([grid, np.geomspace(1e-12, 1, 2000)]))
    if len(grid) == 0:
        return float("nan")
    ok = grid[_xi(grid, supports) <= alpha * k]
    return float(ok.max()) if len(ok) else 0.0
