"""Compile the KPI declarations into one Ibis aggregation per cohort and run them.

For each cohort (referred / entered / ended / second) one query scans the pathway table once:
rows whose cohort date falls in any requested period get a period label (a CASE over the
periods), are grouped by period and the ``by`` columns, and every condition count, sum and
median any requested measure needs is computed as a conditional aggregate in that same pass.
Only those small aggregates come back to pandas, where numerators, denominators and values
are assembled.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from clearwater.errors import ClearwaterError
from clearwater.instruments import Instruments, WaitStandards, load_instruments
from clearwater.measures.definitions import COHORTS, CONDITIONS, MEASURES, Measure
from clearwater.measures.periods import Period

# Friendly names for --by and the pathway column each one means.
BY_COLUMNS: dict[str, str] = {
    "provider": "provider_id",
    "team": "team_id",
    "therapist": "therapist_id",
    "imd_decile": "imd_decile",
    "imd": "imd_decile",
    "ethnic_group": "ethnic_group",
    "ethnicity": "ethnic_group",
    "age_band": "age_band",
    "age": "age_band",
    "gender": "gender",
    "problem_descriptor": "problem_descriptor",
    "descriptor": "problem_descriptor",
}
KPI_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "measure",
    "numerator",
    "denominator",
    "value",
)


def resolve_by(by: Sequence[str], columns: Sequence[str]) -> list[str]:
    """Map friendly names (``therapist``) or pathway columns (``therapist_id``) to columns."""
    out = []
    for name in by:
        col = BY_COLUMNS.get(name, name)
        if col not in columns:
            choices = ", ".join(sorted(k for k in BY_COLUMNS if BY_COLUMNS[k] == k or k in (
                "provider", "team", "therapist")))  # fmt: skip
            raise ClearwaterError(f"cannot break down by {name!r}; choose from {choices}")
        if col not in out:
            out.append(col)
    return out


def _layers(periods: Sequence[Period]) -> list[list[Period]]:
    """Split periods into groups with no overlap inside a group (usually just one group)."""
    layers: list[list[Period]] = []
    for p in periods:
        for layer in layers:
            if all(p.end < q.start or p.start > q.end for q in layer):
                layer.append(p)
                break
        else:
            layers.append([p])
    return layers


def _agg_keys(m: Measure) -> list[tuple[str, str, str | None]]:
    """(column name, kind, condition/column) triples this measure needs."""
    keys = []
    if m.stat in ("count", "rate"):
        keys.append((f"n__{m.num}", "count", m.num))
    if m.stat == "rate" and m.den:
        keys.append((f"n__{m.den}", "count", m.den))
    if m.stat in ("mean", "median"):
        assert m.den and m.value_column
        keys.append((f"n__{m.den}", "count", m.den))
        kind = "sum" if m.stat == "mean" else "median"
        keys.append((f"{kind}__{m.value_column}__{m.den}", kind, m.den))
    return keys


def _cohort_query(
    t: ir.Table,
    date_col: str,
    layer: list[Period],
    by: list[str],
    measures: list[Measure],
    waits: WaitStandards,
) -> ir.Table:
    d = t[date_col]
    lo = min(p.start for p in layer)
    hi = max(p.end for p in layer)
    t = t.filter(d.notnull() & (d >= lo) & (d <= hi))
    label = ibis.cases(*((t[date_col].between(p.start, p.end), p.label) for p in layer))
    t = t.mutate(__period=label)
    t = t.filter(t.__period.notnull())
    aggs: dict[str, ir.Scalar] = {}
    for m in measures:
        for name, kind, cond_id in _agg_keys(m):
            if name in aggs:
                continue
            cond = CONDITIONS[cond_id].build(t, waits).fill_null(False)
            if kind == "count":
                aggs[name] = ibis.cases((cond, 1), else_=0).sum().cast("int64")
            elif kind == "sum":
                aggs[name] = t[m.value_column].sum(where=cond)
            else:
                # the condition goes into the value, not ``where=``: Ibis would also wrap
                # Spark's percentile fraction in it, which Spark rejects as non-constant
                vals = ibis.cases((cond, t[m.value_column].cast("float64")), else_=None)
                aggs[name] = vals.median()
    return t.group_by([t.__period, *(t[c] for c in by)]).aggregate(**aggs)


def _key_frame(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    parts = [f[keys] for f in frames if len(f)]
    if not parts:
        return pd.DataFrame(columns=keys)
    return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)


def compute_kpis(
    pathways: ir.Table,
    *,
    periods: Sequence[Period],
    by: Sequence[str] = (),
    measures: Sequence[str] | None = None,
    instruments: Instruments | None = None,
) -> pd.DataFrame:
    """KPIs for every period (and ``by`` group): one row per period x group x measure.

    Columns: period, period_start, period_end, <each by column>, measure, numerator,
    denominator, value.  ``by`` takes pathway column names or the friendly names of
    :data:`BY_COLUMNS`; output columns carry the pathway column names.  A group appears when
    any cohort has a row for it in the period (its other measures then read 0 / null); with no
    ``by``, every period appears.  Rates with a zero denominator have a null value.
    """
    ids = list(MEASURES) if measures is None else list(measures)
    unknown = [i for i in ids if i not in MEASURES]
    if unknown:
        raise ClearwaterError(f"unknown measure(s): {', '.join(unknown)}")
    chosen = [MEASURES[i] for i in ids]
    by_cols = resolve_by(by, pathways.columns)
    waits = (instruments or load_instruments()).waits
    periods = list(periods)
    if not periods:
        raise ClearwaterError("no periods to compute")
    keys = ["__period", *by_cols]

    results: dict[str, pd.DataFrame] = {}
    for cohort, (date_col, _) in COHORTS.items():
        ms = [m for m in chosen if m.cohort == cohort]
        if not ms:
            continue
        frames = [
            _cohort_query(pathways, date_col, layer, by_cols, ms, waits).execute()
            for layer in _layers(periods)
        ]
        results[cohort] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    grid = _key_frame(list(results.values()), keys)
    if not by_cols:
        grid = pd.DataFrame({"__period": [p.label for p in periods]})
    by_period = {p.label: p for p in periods}

    rows = []
    for cohort, frame in results.items():
        merged = grid.merge(frame, on=keys, how="left") if len(frame) else grid.copy()
        for m in (m for m in chosen if m.cohort == cohort):
            rows.append(_assemble(m, merged, keys))
    if not rows:
        return pd.DataFrame(columns=[*KPI_COLUMNS[:3], *by_cols, *KPI_COLUMNS[3:]])
    out = pd.concat(rows, ignore_index=True)
    out["period_start"] = [by_period[p].start for p in out["__period"]]
    out["period_end"] = [by_period[p].end for p in out["__period"]]
    out = out.rename(columns={"__period": "period"})
    order_p = {p.label: i for i, p in enumerate(periods)}
    order_m = {m: i for i, m in enumerate(ids)}
    out["_p"] = out["period"].map(order_p)
    out["_m"] = out["measure"].map(order_m)
    out = out.sort_values(["_p", *by_cols, "_m"], na_position="last", kind="stable")
    cols = ["period", "period_start", "period_end", *by_cols, "measure", "numerator",
            "denominator", "value"]  # fmt: skip
    return out[cols].reset_index(drop=True)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.nan, index=frame.index)


def _assemble(m: Measure, merged: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = merged[keys].copy()
    out["measure"] = m.id
    num_n = _col(merged, f"n__{m.num}").fillna(0).astype("int64")
    if m.stat == "count":
        out["numerator"] = pd.array(num_n, dtype="Int64")
        out["denominator"] = pd.array([None] * len(out), dtype="Int64")
        out["value"] = pd.array(num_n.astype(float), dtype="Float64")
        return out
    den = _col(merged, f"n__{m.den}").fillna(0).astype("int64")
    out["denominator"] = pd.array(den, dtype="Int64")
    if m.stat == "rate":
        out["numerator"] = pd.array(num_n, dtype="Int64")
        value = np.where(den > 0, 100.0 * num_n / den.where(den > 0, 1), np.nan)
    elif m.stat == "mean":
        total = _col(merged, f"sum__{m.value_column}__{m.den}")
        total = total.where(den > 0, 0).fillna(0)
        out["numerator"] = pd.array(total.round().astype("int64"), dtype="Int64")
        value = np.where(den > 0, total / den.where(den > 0, 1), np.nan)
    else:
        out["numerator"] = pd.array([None] * len(out), dtype="Int64")
        med = _col(merged, f"median__{m.value_column}__{m.den}").astype(float)
        value = np.where(den > 0, med, np.nan)
    out["value"] = pd.array(value, dtype="Float64")
    return out
