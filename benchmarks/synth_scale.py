"""Time and peak memory of synthesising and writing a national-size year.

    .venv/bin/python benchmarks/synth_scale.py [--referrals 1800000] [--seed 0]
        [--format parquet] [--out DIR] [--calibrate] [--tracemalloc]

Prints wall time per stage, peak resident memory (resource.getrusage) and, with
--tracemalloc, the peak of Python-tracked allocations (slower).  With --calibrate it also runs
the real pipeline (load_dataset -> derive_pathways -> compute_kpis) on the written folder and
prints published vs synthetic figures, failing (exit 1) if a rate is more than 2 points away.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from clearwater.synth.generator import SynthConfig, synthesise, write_tables


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--referrals", type=int, default=1_800_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="clearwater-synth-"))
    if args.tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    res = synthesise(SynthConfig(referrals=args.referrals, seed=args.seed))
    t1 = time.perf_counter()
    rows = {k: len(v) for k, v in res.tables.items()}
    print(f"synthesise  {t1 - t0:8.1f} s   peak RSS {_rss_gb():6.2f} GB")
    write_tables(res.tables, out, args.format)
    t2 = time.perf_counter()
    size = sum(p.stat().st_size for p in out.iterdir()) / 1024**2
    print(
        f"write       {t2 - t1:8.1f} s   peak RSS {_rss_gb():6.2f} GB   {size:,.0f} MB {args.format}"
    )
    if args.tracemalloc:
        _cur, peak = tracemalloc.get_traced_memory()
        print(f"tracemalloc peak {peak / 1024**3:.2f} GB")
    for k, v in rows.items():
        print(f"  {k:32s} {v:>12,d} rows")
    del res
    if not args.calibrate:
        return 0
    from clearwater.synth.calibration import calibration_table

    cfg = SynthConfig(referrals=args.referrals, seed=args.seed)
    first, last = cfg.start, cfg.end.fromordinal(cfg.end.toordinal() - 1)
    t3 = time.perf_counter()
    cal = calibration_table(out, first, last)
    print(f"pipeline    {time.perf_counter() - t3:8.1f} s   peak RSS {_rss_gb():6.2f} GB")
    print(cal.table.to_string(index=False))
    print(f"finished courses {cal.finished:,d} of {cal.referrals:,d} referrals")
    rates = cal.table[cal.table["unit"] == "%"]
    return 1 if (rates["difference"].abs() > 2.0).any() else 0


if __name__ == "__main__":
    sys.exit(main())
