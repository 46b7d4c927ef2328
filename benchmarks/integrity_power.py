"""Sensitivity and false-positive rate of the integrity audit on synthetic services.

For each seed and intensity: synthesise an honest service with hard honest units
(deprived, refugee, small, step-2-only, excellent), inject each of the nine patterns on a
different standard clinician at that intensity, run the audit at therapist level, and count
(a) gamed clinicians flagged by their pattern's detector (sensitivity) and (b) honest
clinicians flagged by any detector (false-positive rate per honest unit), with the hard
units reported separately.

    .venv/bin/python benchmarks/integrity_power.py --seeds 2 --referrals 12000
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

from clearwater.dataset.load import load_dataset
from clearwater.integrity import run_audit
from clearwater.synth.gaming import PATTERNS, Injection, apply_injections
from clearwater.synth.generator import SynthConfig, synthesise, write_tables


def one_run(seed: int, intensity: float, referrals: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = synthesise(SynthConfig(referrals=referrals, seed=seed, hard_units=True))
    cl = r.clinicians
    std = cl[cl["profile"] == "standard"]["clinician_id"].tolist()
    inj = [Injection(p, std[(i * 3 + seed) % len(std)], intensity) for i, p in enumerate(PATTERNS)]
    tables, truth = apply_injections(r.tables, cl, inj, seed=seed)
    with tempfile.TemporaryDirectory() as d:
        write_tables(tables, Path(d))
        res = run_audit(load_dataset(d))
    f = res.findings
    fin = f[f["detector"] == "coaching"].set_index("unit_id")["n"]  # caseload proxy
    sens = []
    for _, t in truth.iterrows():
        hit = f[(f["pattern"] == t["pattern"]) & (f["unit_id"] == t["unit_id"])]
        sens.append(
            {
                "pattern": t["pattern"],
                "intensity": intensity,
                "seed": seed,
                "injected": int(t["injected"]),
                "caseload": int(fin.get(t["unit_id"], 0)),
                "detected": bool(hit["flagged"].any()),
            }
        )
    gamed = set(truth["unit_id"])
    honest = cl[~cl["clinician_id"].isin(gamed)]
    flagged = set(f.loc[f["flagged"], "unit_id"])
    fp = [
        {"seed": seed, "intensity": intensity, "unit_id": u, "profile": p, "flagged": u in flagged}
        for u, p in zip(honest["clinician_id"], honest["profile"], strict=True)
    ]
    return pd.DataFrame(sens), pd.DataFrame(fp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--referrals", type=int, default=12000)
    ap.add_argument("--intensities", default="0.15,0.3,0.5")
    a = ap.parse_args()
    t0 = time.time()
    sens, fp = [], []
    for seed in range(a.seeds):
        for x in (float(v) for v in a.intensities.split(",")):
            s, f = one_run(seed, x, a.referrals)
            sens.append(s)
            fp.append(f)
            print(
                f"[{time.time() - t0:6.0f}s] seed {seed} intensity {x}: "
                f"{int(s['detected'].sum())}/{len(s)} detected, {int(f['flagged'].sum())} honest flagged",
                flush=True,
            )
    S, F = pd.concat(sens), pd.concat(fp)
    print(
        f"\nmachine: {platform.machine()} {platform.processor() or ''}, {date.today()}, "
        f"referrals={a.referrals}, seeds={a.seeds}, {time.time() - t0:.0f}s"
    )
    print("\nSensitivity (share of gamed clinicians flagged by their pattern's detector):")
    print(
        S.pivot_table(index="pattern", columns="intensity", values="detected", aggfunc="mean")
        .round(2)
        .to_string()
    )
    print("\nMedian caseload (coaching trials) and injected cases at intensity 0.3:")
    print(
        S[S["intensity"] == 0.3].groupby("pattern")[["caseload", "injected"]].median().to_string()
    )
    print("\nFalse-positive rate per honest clinician (any detector):")
    print(F.groupby("profile")["flagged"].agg(["mean", "count"]).round(3).to_string())
    print(f"overall: {F['flagged'].mean():.3f} over {len(F)} honest clinician-runs")


if __name__ == "__main__":
    main()
