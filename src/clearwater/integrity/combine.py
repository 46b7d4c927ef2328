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
    "flagged",
)


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
                }
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})
    f = pd.DataFrame(rows)
    if method == "dbh":
        supports = [
            stats.null_support(n, e, rho)
            for n, e, rho in zip(f["n"], f["expected"], f["_rho"], strict=True)
        ]
        f["q_value"] = stats.discrete_bh_qvalues(f["p_value"].to_numpy(), supports)
    else:
        f["q_value"] = stats.bh_qvalues(f["p_value"].to_numpy(), method=method)
    excess = f["observed"] - f["expected"]
    f["flagged"] = (
        ((f["q_value"] <= fdr) & (f["effect"] >= f["_min_effect"]) & (excess >= f["_min_excess"]))
        .fillna(False)
        .astype(bool)
    )
    f = f.drop(columns=["_rho", "_min_effect", "_min_excess"])
    return f[list(FINDING_COLUMNS)].sort_values(["pattern", "unit_id"]).reset_index(drop=True)


def unit_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: tests run, patterns flagged, smallest q-value."""
    if findings.empty:
        return pd.DataFrame(
            columns=["unit_type", "unit_id", "tests", "flags", "patterns_flagged", "min_q_value"]
        )
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
    out["flags"] = out["flags"].astype(int)
    return out[["unit_type", "unit_id", "tests", "flags", "patterns_flagged", "min_q_value"]]
