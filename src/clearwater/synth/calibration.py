"""Published England 2023-24 figures and the synthetic service's own, side by side.

The synthetic figures come from the real pipeline (``load_dataset`` -> ``derive_pathways``
-> ``compute_kpis`` over the whole window), never from a second implementation of the KPIs.
Score means are plain means of the pathway table's first/last columns over finished courses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

# (measure id or score column, published value, unit) - reference §5.1, §5.2, §5.3, §5.7
PUBLISHED: dict[str, tuple[float, str]] = {
    "recovery_rate": (50.1, "%"),
    "reliable_improvement_rate": (66.8, "%"),
    "reliable_recovery_rate": (47.1, "%"),
    "reliable_deterioration_rate": (5.9, "%"),
    "not_at_caseness_rate": (5.5, "%"),
    "finished_per_referral": (37.0, "%"),
    "wait_6_weeks": (90.5, "%"),
    "wait_18_weeks": (98.4, "%"),
    "finished_first_to_second_over_90_days": (21.7, "%"),
    "recovery_rate_imd10": (56.1, "%"),
    "recovery_rate_imd1": (42.3, "%"),
    "phq9_first": (13.8, "mean"),
    "phq9_last": (9.5, "mean"),
    "gad7_first": (12.7, "mean"),
    "gad7_last": (8.5, "mean"),
}

_KPIS = (
    "recovery_rate",
    "reliable_improvement_rate",
    "reliable_recovery_rate",
    "reliable_deterioration_rate",
    "not_at_caseness_rate",
    "wait_6_weeks",
    "wait_18_weeks",
    "finished_first_to_second_over_90_days",
    "finished_course",
    "referrals",
)


@dataclass(frozen=True)
class Calibration:
    table: pd.DataFrame  # measure, published, synthetic, difference, unit
    finished: int
    referrals: int


def calibration_table(folder: str | Path, first: date, last: date) -> Calibration:
    """Run the pipeline on a written synthetic folder and compare with the published figures."""
    from clearwater.dataset.load import load_dataset
    from clearwater.engine.pathways import derive_pathways

    data = load_dataset(folder)
    return calibration_from_pathways(data.engine, derive_pathways(data), first, last)


def calibration_from_pathways(engine, pw, first: date, last: date) -> Calibration:
    """Compare a derived pathway table (on ``engine``) with the published figures."""
    from clearwater.measures import compute_kpis
    from clearwater.measures.periods import Period

    period = [Period("window", first, last)]
    k = compute_kpis(pw, periods=period, measures=_KPIS)
    val = dict(zip(k["measure"], k["value"], strict=True))
    num = dict(zip(k["measure"], k["numerator"], strict=True))
    by = compute_kpis(pw, periods=period, by=["imd_decile"], measures=["recovery_rate"])
    imd = {int(d): v for d, v in zip(by["imd_decile"], by["value"], strict=True) if pd.notna(d)}
    fin = pw.filter(pw.finished_course & (pw.discharge_date >= first) & (pw.discharge_date <= last))
    means = engine.execute(
        fin.aggregate(
            phq9_first=fin.phq9_first.mean(),
            phq9_last=fin.phq9_last.mean(),
            gad7_first=fin.gad7_first.mean(),
            gad7_last=fin.gad7_last.mean(),
        )
    ).iloc[0]
    finished, referrals = int(num["finished_course"]), int(num["referrals"])
    synthetic = {
        **{m: float(val[m]) for m in _KPIS[:8]},
        "finished_per_referral": 100.0 * finished / max(1, referrals),
        "recovery_rate_imd10": float(imd.get(10, float("nan"))),
        "recovery_rate_imd1": float(imd.get(1, float("nan"))),
        **{c: float(means[c]) for c in ("phq9_first", "phq9_last", "gad7_first", "gad7_last")},
    }
    rows = [
        {
            "measure": m,
            "published": pub,
            "synthetic": round(synthetic[m], 2),
            "difference": round(synthetic[m] - pub, 2),
            "unit": unit,
        }
        for m, (pub, unit) in PUBLISHED.items()
    ]
    return Calibration(pd.DataFrame(rows), finished, referrals)
