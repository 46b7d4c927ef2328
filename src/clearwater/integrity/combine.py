"""Findings table, false-discovery control across units x detectors, per-unit summary.

Multiple testing: every (detector, unit) pair with a p-value is one hypothesis.  Their
p-values are adjusted together, across all detectors and all units of the run, with the
discrete Benjamini-Hochberg step-down procedure (default, ``method='dbh'``: it uses each
test's exact null distribution, so tests that cannot reach a small p-value do not use up
the error budget; see :func:`stats.discrete_bh_qvalues` and ADR 0065), Benjamini-Hochberg
(``'bh'``; valid under independence and positive dependence) or Benjamini-Yekutieli
(``'by'``; valid under any dependence).  A finding is *flagged*
only if its q-value is at most the chosen FDR **and** its effect reaches the detector's
minimum (excess events per eligible case, and excess count), so trivially small but
'significant' effects in very large units are never flagged.

What cannot be tested is said: each test's ``power`` is the chance it would be flagged if
the unit alone had the detector's ``power_effect`` more events per trial than expected
(beta-binomial with the test's own heterogeneity, against the discrete step-down threshold
of a first discovery and the minimum effect).  A test whose power is below ``MIN_POWER`` is
``testable = False``; unless it is flagged anyway (significant despite its low power), it is
described as "not testable at this caseload" with its power, so no reader takes its large
p-value for a clean bill of health.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clearwater.integrity import stats
from clearwater.integrity.base import Detector, DetectorResult

FDR_METHODS = {
    "dbh": "discrete Benjamini-Hochberg (step-down)",
    "bh": "Benjamini-Hochberg",
    "by": "Benjamini-Yekutieli",
}

FINDING_COLUMNS = (
    "detector",
    "pattern",
    "unit_type",
    "unit_id",
    "n",
    "observed",
    "expected",
    "effect",
    "effect_description",
    "z",
    "p_value",
    "q_value",
    "power",
    "testable",
    "flagged",
)
MIN_POWER = 0.5  # below this power at the minimum effect a test is "not testable"


def power_at(
    n: float,
    e: float,
    rho: float,
    effect: float,
    alpha: float,
    min_excess: float,
    min_effect: float,
) -> float:
    """The chance of a flag for a unit with ``n`` trials and ``e`` expected events whose
    true rate is ``effect`` above expected: its count must reach the smallest value whose
    p-value is at most ``alpha`` and the minimum effect (``min_excess`` events and
    ``min_effect`` per trial above ``e``)."""
    if not (n > 0 and np.isfinite(e)) or not np.isfinite(alpha):
        return float("nan")
    ni = int(round(n))
    p0 = float(np.clip(e / n, 1e-9, 1 - 1e-9))
    x = np.arange(ni + 1)
    sf = np.asarray(stats.null_distribution(ni, p0, rho).sf(x - 1), float)  # P(X >= x)
    ok = x[(sf <= alpha) & (x - e >= min_excess) & (x - e >= min_effect * n)]
    if not len(ok):
        return 0.0
    p1 = float(np.clip(p0 + effect, 1e-9, 1 - 1e-9))
    return stats.betabinom_sf(int(ok[0]), ni, p1, rho)


def findings_frame(
    results: list[tuple[Detector, DetectorResult]],
    *,
    unit_type: str,
    fdr: float,
    method: str = "dbh",
) -> pd.DataFrame:
    """One row per detector x unit, with q-values and flags."""
    rows = []
    for det, res in results:
        for _, r in res.units.iterrows():
            n = float(r["n"])
            excess = float(r["o"] - r["e"]) if np.isfinite(r["e"]) else float("nan")
            rows.append(
                {
                    "detector": det.info.name,
                    "pattern": det.info.pattern,
                    "unit_type": unit_type,
                    "unit_id": str(r["unit_id"]),
                    "n": int(n),
                    "observed": int(r["o"]),
                    "expected": float(r["e"]),
                    "effect": excess / n if n > 0 else float("nan"),
                    "effect_description": det.describe(r) if n > 0 else "no eligible cases",
                    "z": float(r["z"]) if pd.notna(r["z"]) else float("nan"),
                    "p_value": float(r["p_value"]) if pd.notna(r["p_value"]) else float("nan"),
                    "_rho": float(r["rho"]) if "rho" in r and pd.notna(r["rho"]) else 0.0,
                    "_min_effect": det.info.min_effect,
                    "_min_excess": det.info.min_excess,
                    "_power_effect": det.info.power_effect,
                }
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
    f = pd.DataFrame(rows)
    tested = f["p_value"].notna().to_numpy()
    supports = [
        stats.null_support(n, e, rho) if ok else None
        for n, e, rho, ok in zip(f["n"], f["expected"], f["_rho"], tested, strict=True)
    ]
    if method == "dbh":
        f["q_value"] = stats.discrete_bh_qvalues(f["p_value"].to_numpy(), supports)
        alpha1 = (
            stats.discrete_bh_critical(
                [s for s, ok in zip(supports, tested, strict=True) if ok], 1, fdr
            )
            if tested.any()
            else float("nan")
        )
    else:
        f["q_value"] = stats.bh_qvalues(f["p_value"].to_numpy(), method=method)
        alpha1 = fdr / max(1, int(tested.sum()))
    f["power"] = [
        power_at(n, e, rho, eff, alpha1, mx, me) if ok else float("nan")
        for n, e, rho, eff, mx, me, ok in zip(
            f["n"],
            f["expected"],
            f["_rho"],
            f["_power_effect"],
            f["_min_excess"],
            f["_min_effect"],
            tested,
            strict=True,
        )
    ]
    f["testable"] = (f["power"] >= MIN_POWER).fillna(False).astype(bool)
    excess = f["observed"] - f["expected"]
    f["flagged"] = (
        ((f["q_value"] <= fdr) & (f["effect"] >= f["_min_effect"]) & (excess >= f["_min_excess"]))
        .fillna(False)
        .astype(bool)
    )
    untestable = tested & ~f["testable"].to_numpy() & ~f["flagged"].to_numpy()
    f.loc[untestable, "effect_description"] = [
        f"Not testable at this caseload: power {pw:.2f} to find {eff:.2f} more events per "
        f"case than expected (below {MIN_POWER:g}). {d}"
        for pw, eff, d in zip(
            f.loc[untestable, "power"],
            f.loc[untestable, "_power_effect"],
            f.loc[untestable, "effect_description"],
            strict=True,
        )
    ]
    f = f.drop(columns=["_rho", "_min_effect", "_min_excess", "_power_effect"])
    return f[list(FINDING_COLUMNS)].sort_values(["pattern", "unit_id"]).reset_index(drop=True)


SUMMARY_COLUMNS = (
    "unit_type",
    "unit_id",
    "tests",
    "flags",
    "patterns_flagged",
    "not_testable",
    "min_q_value",
)


def unit_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: tests run, patterns flagged, checks not testable at its caseload
    (power below MIN_POWER at the minimum effect), smallest q-value."""
    if findings.empty:
        return pd.DataFrame(columns=list(SUMMARY_COLUMNS))
    g = findings.groupby(["unit_type", "unit_id"], sort=True)
    out = g.agg(
        tests=("p_value", lambda s: int(s.notna().sum())),
        flags=("flagged", "sum"),
        min_q_value=("q_value", "min"),
    ).reset_index()
    pats = (
        findings[findings["flagged"]]
        .groupby("unit_id")["pattern"]
        .apply(lambda s: ", ".join(sorted(set(s))))
    )
    out["patterns_flagged"] = [pats.get(u, "") for u in out["unit_id"]]
    if "testable" in findings.columns:
        weak = findings[findings["p_value"].notna() & ~findings["testable"].astype(bool)]
        low = weak.groupby("unit_id")["pattern"].apply(lambda s: ", ".join(sorted(set(s))))
    else:
        low = pd.Series(dtype=str)
    out["not_testable"] = [low.get(u, "") for u in out["unit_id"]]
    out["flags"] = out["flags"].astype(int)
    return out[list(SUMMARY_COLUMNS)]
