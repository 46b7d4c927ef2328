"""Hand-made measure registry and KPI frames for the report's own tests."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest


@dataclass(frozen=True)
class FakeMeasure:
    id: str
    title: str
    definition: str
    numerator: str
    denominator: str
    cohort: str
    unit: str
    higher_is_better: bool | None
    source: str


@pytest.fixture()
def measures() -> dict[str, FakeMeasure]:
    def m(i, t, unit, hib=True):
        return FakeMeasure(
            i,
            t,
            f"Definition of {t} <b>",
            f"num {i}",
            f"den {i}",
            "finished",
            unit,
            hib,
            "spec 2.5",
        )

    return {
        "referrals": m("referrals", "Referrals received", "count", None),
        "finished_course": m("finished_course", "Finished a course", "count", None),
        "recovery": m("recovery", "Recovery rate", "%"),
        "reliable_improvement": m("reliable_improvement", "Reliable improvement rate", "%"),
        "mean_wait": m("mean_wait", "Mean wait", "days", False),
    }


def _kpi_row(period, measure, num, den, value, start="2023-04-01", end="2024-03-31", **by):
    return {
        "period": period,
        "period_start": pd.Timestamp(start).date(),
        "period_end": pd.Timestamp(end).date(),
        **by,
        "measure": measure,
        "numerator": num,
        "denominator": den,
        "value": value,
    }


@pytest.fixture()
def kpi_row():
    """Build one row of a compute_kpis frame."""
    return _kpi_row
