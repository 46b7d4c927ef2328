"""Equity: outcomes, drop-out and pre-treatment endings by IMD decile, ethnic group, age band and
gender, raw and adjusted for clinical case mix, with 95% intervals.

Counts per group are aggregated in Ibis.  The adjusted rate is indirect standardisation with a
*clinical* case-mix model (baseline severity, impairment, problem, referral source, previous
referrals: no demographics, otherwise the gap being examined would be modelled away):
``adjusted = O / E x overall rate``.  It answers "is the gap explained by how unwell people
were at the start?".  Drop-out and pre-treatment endings are reported raw only.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from clearwater.benchmark.casemix import OUTCOMES, CaseMixModel, expected_expr
from clearwater.stats.intervals import wilson

DIMENSIONS = {
    "imd_decile": "IMD decile (1 = most deprived)",
    "ethnic_group": "Ethnic group",
    "age_band": "Age band",
    "gender": "Gender",
}
EXTRA_MEASURES = {
    "dropout": "Dropped out (ended earlier than planned, code 47)",
    "ended_before_treatment": "Ended before treatment",
}
NOT_RECORDED = "Not recorded"


def _group_col(t: ibis.Table, dim: str) -> ibis.Value:
    return t[dim].cast("string").fill_null(NOT_RECORDED).name("group")


def equity_table(pathways: ibis.Table, execute, clinical: CaseMixModel | None) -> pd.DataFrame:
    """Columns: dimension, dimension_title, group, measure, n, events, rate, lower95, upper95,
    expected, adjusted_rate, adjusted_lower95, adjusted_upper95."""
    frames = []
    cols = set(pathways.columns)
    dims = [d for d in DIMENSIONS if d in cols]
    for oid in ("reliable_improvement", "recovery"):
        spec = OUTCOMES[oid]
        t = pathways.filter(
            pathways.finished_course.fill_null(False) & pathways[spec.column].notnull()
        )
        if spec.cohort:
            t = t.filter(t[spec.cohort].fill_null(False))
        has_model = clinical is not None and oid in clinical.outcomes
        p = expected_expr(t, clinical, oid) if has_model else ibis.literal(np.nan)
        t = t.mutate(_y=t[spec.column].cast("int64"), _p=p)
        overall = execute(t.aggregate(n=t.count(), o=t._y.sum()))
        rate0 = float(overall["o"].iloc[0]) / max(float(overall["n"].iloc[0]), 1.0)
        for dim in dims:
            g = t.mutate(group=_group_col(t, dim))
            agg = execute(
                g.group_by("group").aggregate(n=g.count(), events=g._y.sum(), expected=g._p.sum())
            )
            frames.append(_finish(agg, dim, oid, rate0 if has_model else None))
    ended = pathways.filter(pathways.discharge_date.notnull())
    started = ended.filter(ended.first_treatment_date.notnull())
    extra = {
        "dropout": started.mutate(
            _y=(started.end_code.cast("string") == "47").fill_null(False).cast("int64")
        ),
        "ended_before_treatment": ended.mutate(
            _y=ended.ended_before_treatment.fill_null(False).cast("int64")
        ),
    }
    for mid, t in extra.items():
        for dim in dims:
            g = t.mutate(group=_group_col(t, dim))
            agg = execute(g.group_by("group").aggregate(n=g.count(), events=g._y.sum()))
            agg["expected"] = np.nan
            frames.append(_finish(agg, dim, mid, None))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out


def _finish(agg: pd.DataFrame, dim: str, measure: str, rate0: float | None) -> pd.DataFrame:
    agg = agg.copy()
    agg["n"] = agg["n"].astype(float)
    agg["events"] = agg["events"].fillna(0).astype(float)
    agg["rate"] = agg["events"] / agg["n"]
    agg["lower95"], agg["upper95"] = wilson(agg["events"], agg["n"])
    if rate0 is not None:
        ratio_scale = agg["n"] / agg["expected"] * rate0
        agg["adjusted_rate"] = agg["rate"] * ratio_scale
        agg["adjusted_lower95"] = agg["lower95"] * ratio_scale
        agg["adjusted_upper95"] = agg["upper95"] * ratio_scale
    else:
        agg["adjusted_rate"] = agg["adjusted_lower95"] = agg["adjusted_upper95"] = np.nan
    agg.insert(0, "measure", measure)
    agg.insert(0, "dimension_title", DIMENSIONS[dim])
    agg.insert(0, "dimension", dim)
    key = agg["group"].map(_sort_key)
    return agg.assign(_k=key).sort_values("_k").drop(columns="_k").reset_index(drop=True)


def _sort_key(g: str):
    try:
        return (0, float(g), "")
    except (TypeError, ValueError):
        return (1 if g != NOT_RECORDED else 2, 0.0, str(g))
