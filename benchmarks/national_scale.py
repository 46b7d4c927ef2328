"""National scale: synthesise a national-size year, then time validate, derive and the KPI set.

    .venv/bin/python benchmarks/national_scale.py [--referrals 1800000] [--seed 0]
        [--data DIR]    # reuse a folder written earlier instead of synthesising
        [--keep DIR]    # where to write the synthetic folder (default: a temporary folder)
        [--window YYYY-MM-DD..YYYY-MM-DD]   # with --data: the year to measure

Runs on DuckDB (the embedded default).  For each stage it prints wall time and the process's
peak resident memory so far (ru_maxrss; DuckDB's memory is in the same process).  It then
prints the ratio of the KPI stage (pathway derivation + the full KPI set for every month of the
window and for the whole window) to the time DuckDB needs merely to scan the same input columns
of the Parquet files once, and the calibration table: published England 2023-24 figures beside
the synthetic service's own, computed by the real pipeline.
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from clearwater.dataset import contract
from clearwater.dataset.load import load_dataset
from clearwater.engine.pathways import derive_pathways
from clearwater.measures import compute_kpis
from clearwater.measures.periods import Period, periods_for
from clearwater.synth.calibration import calibration_from_pathways
from clearwater.synth.generator import SynthConfig, synthesise, write_tables


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _line(stage: str, seconds: float, extra: str = "") -> None:
    print(f"{stage:34s} {seconds:9.1f} s   peak RSS {_peak_gb():6.2f} GB  {extra}", flush=True)


def _scan_seconds(folder: Path) -> float:
    """DuckDB reading every contract column of every Parquet file once (an aggregate per column)."""
    con = duckdb.connect()
    t0 = time.perf_counter()
    for spec in contract.TABLES:
        path = folder / f"{spec.source}.parquet"
        if not path.exists():
            continue
        present = {
            c.lower(): c
            for c in con.execute(f"DESCRIBE SELECT * FROM '{path}'").df()["column_name"]
        }
        cols = [present[c.source.lower()] for c in spec.columns if c.source.lower() in present]
        aggs = ", ".join(f'count("{c}")' for c in cols)
        con.execute(f"SELECT {aggs} FROM '{path}'").fetchall()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--referrals", type=int, default=1_800_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument(
        "--window",
        default=None,
        help="with --data: the window as YYYY-MM-DD..YYYY-MM-DD (default: first to last referral)",
    )
    args = ap.parse_args()

    print(
        f"machine: {platform.node()} {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, duckdb {duckdb.__version__}, date {date.today()}"
    )
    tmp = None
    if args.data is not None:
        folder = args.data
        window = None
    else:
        folder = args.keep or Path(tmp := tempfile.mkdtemp(prefix="clearwater-national-"))
        t0 = time.perf_counter()
        res = synthesise(SynthConfig(referrals=args.referrals, seed=args.seed))
        write_tables(res.tables, folder, "parquet")
        window = res.window
        rows = {k: len(v) for k, v in res.tables.items()}
        del res
        _line("synthesise + write parquet", time.perf_counter() - t0)
        for k, v in rows.items():
            print(f"    {k:34s} {v:>12,d} rows")

    scan = _scan_seconds(folder)
    _line("baseline: DuckDB scan of inputs", scan)

    t0 = time.perf_counter()
    data = load_dataset(folder)
    t_load = time.perf_counter() - t0
    acc = data.accounting
    _line(
        "validate (load_dataset)",
        t_load,
        f"read {int(acc['read'].sum()):,} = accepted {int(acc['accepted'].sum()):,}"
        f" + quarantined {int(acc['quarantined'].sum()):,}",
    )

    t0 = time.perf_counter()
    pw = derive_pathways(data)
    n_pw = int(data.engine.execute(pw.count()))
    t_derive = time.perf_counter() - t0
    _line("derive pathways", t_derive, f"{n_pw:,} pathways")

    if window is None and args.window:
        p = periods_for(args.window, date.min, date.max)[0]
        window = (p.start, p.end)
    if window is None:
        bounds = data.engine.execute(
            pw.aggregate(first=pw.referral_date.min(), last=pw.referral_date.max())
        ).iloc[0]
        window = (bounds["first"].date(), bounds["last"].date())
    first, last = window
    periods = [Period("window", first, last), *periods_for("month", first, last)]
    t0 = time.perf_counter()
    kpis = compute_kpis(pw, periods=periods)
    t_kpis = time.perf_counter() - t0
    _line("KPI set (window + every month)", t_kpis, f"{len(kpis):,} figures")

    t0 = time.perf_counter()
    by = compute_kpis(pw, periods=periods[:1], by=["provider", "team", "therapist"])
    _line("KPI set by provider/team/therapist", time.perf_counter() - t0, f"{len(by):,} figures")

    print(f"\nratio (derive + KPI set) / scan = {(t_derive + t_kpis) / scan:.2f}")
    print(f"ratio KPI set alone / scan      = {t_kpis / scan:.2f}")

    cal = calibration_from_pathways(data.engine, pw, first, last)
    print(f"\ncalibration ({cal.referrals:,} referrals, {cal.finished:,} finished courses)")
    print(cal.table.to_string(index=False))
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
