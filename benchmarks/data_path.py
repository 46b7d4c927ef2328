"""The data path side by side: ``clearwater kpis`` against a plain pandas script.

    .venv/bin/python benchmarks/data_path.py DATA [--rounds 2] [--engine duckdb]

Runs, alternately in one session (so both see the same machine load), ``clearwater kpis DATA
--format json`` (read, validate, quarantine, account for every row, derive the pathways and
compute the full KPI set) and ``benchmarks/pandas_baseline.py DATA`` (read and derive the
headline pathways and KPIs, no validation).  For each run it prints wall time and the child's
peak resident memory (``wait4``'s ru_maxrss); at the end, the best of each and the ratios
(pandas time / Clearwater time: above 1 means Clearwater is faster; memory the same way).
It also times ``clearwater --help`` (the import cost every command pays).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in GiB) of one child process; its output is discarded."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024**2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--engine", default="duckdb")
    args = ap.parse_args()
    print(
        f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}"
    )
    clearwater = [str(BIN / "clearwater"), "kpis", str(args.data), "--format", "json",
                  "--engine", args.engine]  # fmt: skip
    pandas = [sys.executable, str(HERE / "pandas_baseline.py"), str(args.data)]
    best: dict[str, tuple[float, float]] = {}
    for i in range(args.rounds):
        for name, cmd in (("clearwater kpis", clearwater), ("pandas baseline", pandas)):
            wall, rss = run(cmd)
            print(f"round {i + 1}  {name:16s} {wall:8.1f} s  peak RSS {rss:5.2f} GiB", flush=True)
            old = best.get(name)
            best[name] = (min(wall, old[0]), min(rss, old[1])) if old else (wall, rss)
    help_s, _ = run([str(BIN / "clearwater"), "--help"])
    cw, pd_ = best["clearwater kpis"], best["pandas baseline"]
    print(f"best: clearwater {cw[0]:.1f} s {cw[1]:.2f} GiB; pandas {pd_[0]:.1f} s {pd_[1]:.2f} GiB")
    print(f"speed ratio (pandas / clearwater): {pd_[0] / cw[0]:.2f}x  (target >= 2)")
    print(f"memory ratio (pandas / clearwater): {pd_[1] / cw[1]:.2f}x  (target >= 1)")
    print(f"clearwater --help: {help_s:.2f} s; load now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
