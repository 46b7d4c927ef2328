"""Record-level benchmarking of a service's own data: O/E per therapist, team and provider with
funnel limits and shrunken estimates, SPC of monthly KPIs, and equity."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

from clearwater.benchmark.casemix import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    OUTCOMES,
    Calibration,
    CaseMixModel,
    calibration,
    clinical_features,
    cohort_rows,
    expected_expr,
    fit_casemix,
)
from clearwater.benchmark.equity import equity_table
from clearwater.errors import ClearwaterError
from clearwater.outputs import write_csv
from clearwater.stats.funnel import (
    Overdispersion,
    funnel_proportions,
    funnel_ratios,
    shrink_ratios,
)
from clearwater.stats.small_numbers import flag_small_numbers
from clearwater.stats.xmr import XmrResult, xmr

UNIT_COLUMNS = {"therapist": "therapist_id", "team": "team_id", "provider": "provider_id"}
BENCHMARK_COLUMNS = [
    "unit_type",
    "unit_id",
    "measure",
    "n",
    "observed",
    "expected",
    "ratio",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "shrunken",
    "shrunken_lower",
    "shrunken_upper",
    "position",
]
SPC_MEASURES = ("reliable_improvement_rate", "recovery_rate", "reliable_deterioration_rate")
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class BenchmarkResult:
    table: pd.DataFrame  # BENCHMARK_COLUMNS + observed_count, expected_count, position95
    model: CaseMixModel
    model_source: str  # 'fitted on these data' or the model file
    validation: dict[str, Calibration]  # the model's calibration on these data
    overdispersion: dict[tuple[str, str], Overdispersion]
    shrinkage_tau2: dict[tuple[str, str], float]
    equity: pd.DataFrame
    spc: tuple[tuple[str, str, XmrResult], ...] = ()
    limits: str = "binomial"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def casemix_summary(self) -> str:
        lines = [f"Case-mix model: {self.model_source}"]
        for oid, cal in self.validation.items():
            lines.append(f"  {OUTCOMES[oid].title}: {cal.describe()}")
        return "\n".join(lines)


def _features_present(columns: Sequence[str]) -> list[str]:
    return [c for c in (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES) if c in columns]


def fetch_casemix_rows(
    pathways: ibis.Table, execute: Callable[[Any], pd.DataFrame]
) -> pd.DataFrame:
    """Finished courses, pre-treatment features and outcome flags only (for fitting)."""
    cols = set(pathways.columns)
    wanted = _features_present(pathways.columns)
    wanted += [c for c in ("at_caseness", *[o.column for o in OUTCOMES.values()]) if c in cols]
    t = pathways.filter(pathways.finished_course.fill_null(False)).select(*wanted)
    return execute(t)


def benchmark_pathways(
    pathways: ibis.Table,
    *,
    execute: Callable[[Any], pd.DataFrame],
    by: Sequence[str] = ("therapist",),
    model: CaseMixModel | None = None,
    model_source: str = "",
    kpis: pd.DataFrame | None = None,
    thresholds_version: str = "unknown",
    od_method: str = "additive",
    limits: str = "binomial",
) -> BenchmarkResult:
    """Benchmark units of one service's pathways table (see module docstring)."""
    bad = [u for u in by if u not in UNIT_COLUMNS]
    if bad or not by:
        raise ClearwaterError(f"--by must be one or more of {', '.join(UNIT_COLUMNS)} (got {by})")
    if limits not in ("binomial", "poisson"):
        raise ClearwaterError("--limits must be binomial or poisson")
    if od_method not in ("additive", "multiplicative", "none"):
        raise ClearwaterError("--overdispersion must be additive, multiplicative or none")
    missing = [
        c for c in ("finished_course", *[UNIT_COLUMNS[u] for u in by]) if c not in pathways.columns
    ]
    if missing:
        raise ClearwaterError(f"the pathways table lacks {', '.join(missing)}")
    rows = fetch_casemix_rows(pathways, execute)
    notes: list[str] = []
    features = _features_present(rows.columns)
    outcomes = [o for o in OUTCOMES if o in rows.columns]
    if model is None:
        model = fit_casemix(
            rows,
            outcomes=outcomes,
            features=features,
            thresholds_version=thresholds_version,
            fitted_on=f"{len(rows)} finished courses",
        )
        model_source = (
            "fitted on these data (apparent performance; apply it to another period to validate)"
        )
    validation = {}
    for oid in outcomes:
        if oid not in model.outcomes:
            notes.append(f"the case-mix model has no {oid} outcome; it is not benchmarked")
            continue
        part = cohort_rows(rows, OUTCOMES[oid])
        if len(part):
            validation[oid] = calibration(
                part[oid].astype(bool).to_numpy(), model.predict(part, oid)
            )
    frames, ods, taus = [], {}, {}
    for unit in by:
        ucol = UNIT_COLUMNS[unit]
        for oid in [o for o in OUTCOMES if o in validation]:
            spec = OUTCOMES[oid]
            t = pathways.filter(
                pathways.finished_course.fill_null(False) & pathways[spec.column].notnull()
            )
            if spec.cohort:
                t = t.filter(t[spec.cohort].fill_null(False))
            t = t.mutate(
                _unit=t[ucol].cast("string").fill_null(NOT_RECORDED),
                _y=t[spec.column].cast("int64"),
                _p=expected_expr(t, model, oid),
            )
            agg = execute(
                t.group_by("_unit").aggregate(n=t.count(), o=t._y.sum(), e=t._p.sum())
            ).sort_values("_unit")
            agg = agg[agg["n"] > 0].reset_index(drop=True)
            if agg.empty:
                continue
            n = agg["n"].to_numpy(float)
            o = agg["o"].fillna(0).to_numpy(float)
            e = agg["e"].to_numpy(float)
            if limits == "poisson":
                res = funnel_ratios(o, e, method=od_method)
            else:
                res = funnel_proportions(o, n, np.clip(e / n, 1e-6, 1 - 1e-6), method=od_method)
            sh = shrink_ratios(o, e, n)
            ft = res.table
            frames.append(
                pd.DataFrame(
                    {
                        "unit_type": unit,
                        "unit_id": agg["_unit"],
                        "measure": oid,
                        "n": n.astype(int),
                        "observed": o / n,
                        "expected": e / n,
                        "ratio": ft["ratio"],
                        "lower95": ft["lower95"],
                        "upper95": ft["upper95"],
                        "lower998": ft["lower998"],
                        "upper998": ft["upper998"],
                        "shrunken": sh.table["shrunken"],
                        "shrunken_lower": sh.table["shrunken_lower"],
                        "shrunken_upper": sh.table["shrunken_upper"],
                        "position": ft["position"],
                        "observed_count": o.astype(int),
                        "expected_count": e,
                        "position95": ft["position95"],
                    }
                )
            )
            ods[(unit, oid)] = res.overdispersion
            taus[(unit, oid)] = sh.tau2
    table = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BENCHMARK_COLUMNS)
    )
    clinical = None
    clin_features = clinical_features(features)
    if clin_features:
        try:
            clinical = fit_casemix(
                rows,
                outcomes=[o for o in ("reliable_improvement", "recovery") if o in outcomes],
                features=clin_features,
                thresholds_version=thresholds_version,
            )
        except ClearwaterError as exc:
            notes.append(f"equity adjustment not available: {exc}")
    equity = equity_table(pathways, execute, clinical)
    spc = _spc_from_kpis(kpis) if kpis is not None else ()
    return BenchmarkResult(
        table=table,
        model=model,
        model_source=model_source or "given",
        validation=validation,
        overdispersion=ods,
        shrinkage_tau2=taus,
        equity=equity,
        spc=spc,
        limits=limits,
        notes=tuple(notes),
    )


def _spc_from_kpis(kpis: pd.DataFrame) -> tuple[tuple[str, str, XmrResult], ...]:
    from clearwater.measures import MEASURES

    out = []
    for mid in SPC_MEASURES:
        part = kpis[(kpis["measure"] == mid) & kpis["value"].notna()].sort_values("period_start")
        if len(part) < 2:
            continue
        m = MEASURES.get(mid)
        hib = getattr(m, "higher_is_better", None)
        direction = None if hib is None else ("increase" if hib else "decrease")
        title = getattr(m, "title", mid)
        values = part["value"].to_numpy(float)
        out.append((mid, title, xmr(values, labels=part["period"].tolist(), direction=direction)))
    return tuple(out)


def run_benchmark(
    data_dir: Path,
    *,
    by: Sequence[str],
    model_path: Path | None = None,
    engine_name: str = "duckdb",
    thresholds: Path | None = None,
    od_method: str = "additive",
    limits: str = "binomial",
    progress: bool = False,
) -> BenchmarkResult:
    from clearwater.dataset.load import load_dataset
    from clearwater.engine import connect
    from clearwater.engine.pathways import derive_pathways
    from clearwater.instruments import load_instruments
    from clearwater.measures import compute_kpis, periods_for

    instruments = load_instruments(thresholds)
    engine = connect(engine_name)
    data = load_dataset(data_dir, engine, instruments, progress=progress)
    pathways = derive_pathways(data, instruments)
    span = engine.execute(
        pathways.aggregate(first=pathways.referral_date.min(), last=pathways.discharge_date.max())
    )
    kpis = None
    first, last = span["first"].iloc[0], span["last"].iloc[0]
    if pd.notna(first) and pd.notna(last):
        periods = periods_for("month", pd.Timestamp(first).date(), pd.Timestamp(last).date())
        kpis = compute_kpis(
            pathways, periods=periods, measures=list(SPC_MEASURES), instruments=instruments
        )
    model = CaseMixModel.load(model_path) if model_path else None
    return benchmark_pathways(
        pathways,
        execute=engine.execute,
        by=by,
        model=model,
        model_source=str(model_path) if model_path else "",
        kpis=kpis,
        thresholds_version=instruments.version,
        od_method=od_method,
        limits=limits,
    )


def write_tables(result: BenchmarkResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    # every unit's figures are kept; units of fewer than 10 people are marked small_number
    table = flag_small_numbers(result.table, "n") if "n" in result.table.columns else result.table
    paths.append(write_csv(table, out / "benchmark.csv", float_format="%.6g"))
    if not result.equity.empty:
        paths.append(write_csv(result.equity, out / "equity.csv", float_format="%.6g"))
    if result.spc:
        points = pd.concat([r.points.assign(measure=m) for m, _, r in result.spc])
        paths.append(write_csv(points, out / "spc.csv"))
    return paths
