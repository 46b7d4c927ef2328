"""Sensitivity and false-positive rate of the integrity audit on synthetic services.

For each seed and intensity: synthesise an honest service with hard honest units
(deprived, refugee, small, step-2-only, excellent) in which every standard clinician carries
about 40 or more finished courses (a smaller service: few teams, fewer clinicians), inject
each of the nine patterns on its own standard clinician (chosen at random among those with
at least 40 finished courses, or 40 assessed referrals for the assessor-attributed
patterns) at that intensity, run the audit at therapist level (BH at FDR 0.05 across
units x detectors), and count

- sensitivity: gamed clinicians flagged by their own pattern's detector;
- false-positive rate: honest clinicians (standard and hard units) flagged by any detector.

It also prints the calibration of the honest units' p-values (share below 0.05 and 0.01).

    .venv/bin/python benchmarks/integrity_power.py --seeds 6
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from clearwater.dataset.load import load_dataset
from clearwater.integrity import run_audit
from clearwater.synth.gaming import PATTERNS, Injection, apply_injections, caseload_summary
from clearwater.synth.generator import SynthConfig, synthesise, write_tables

MIN_COURSES = 40
ASSESSOR_PATTERNS = ("holding_list", "cherry_picking")


def pick_targets(clinicians: pd.DataFrame, load: pd.DataFrame, seed: int) -> dict[str, str]:
    """One distinct standard clinician per pattern with enough eligible work."""
    rng = np.random.default_rng(1000 + seed)
    std = set(clinicians.loc[clinicians["profile"] == "standard", "clinician_id"].astype(str))
    load = load[load["clinician_id"].isin(std)]
    assessors = load.loc[load["assessed"] >= MIN_COURSES, "clinician_id"].tolist()
    treaters = load.loc[load["finished_courses"] >= MIN_COURSES, "clinician_id"].tolist()
    out: dict[str, str] = {}
    taken: set[str] = set()
    for pat in sorted(PATTERNS, key=lambda p: p not in ASSESSOR_PATTERNS):
        pool = [c for c in (assessors if pat in ASSESSOR_PATTERNS else treaters) if c not in taken]
        if not pool:
            raise SystemExit(f"no clinician left with >= {MIN_COURSES} cases for {pat}")
        out[pat] = str(rng.choice(sorted(pool)))
        taken.add(out[pat])
    return out


def one_run(
    seed: int, intensity: float, cfg: dict[str, int]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    r = synthesise(
        SynthConfig(
            referrals=cfg["referrals"],
            seed=seed,
            hard_units=True,
            teams=cfg["teams"],
            clinicians_per_team=cfg["per_team"],
        )
    )
    cl = r.clinicians
    load = caseload_summary(r.tables)
    targets = pick_targets(cl, load, seed)
    inj = [Injection(p, u, intensity) for p, u in targets.items()]
    tables, truth = apply_injections(r.tables, cl, inj, seed=seed)
    with tempfile.TemporaryDirectory() as d:
        write_tables(tables, Path(d))
        res = run_audit(load_dataset(d))
    f = res.findings
    fin = load.set_index("clinician_id")
    sens = []
    for _, t in truth.iterrows():
        hit = f[(f["pattern"] == t["pattern"]) & (f["unit_id"] == t["unit_id"])]
        sens.append(
            {
                "pattern": t["pattern"],
                "intensity": intensity,
                "seed": seed,
                "eligible": int(t["eligible"]),
                "injected": int(t["injected"]),
                "finished": int(fin.loc[t["unit_id"], "finished_courses"]),
                "assessed": int(fin.loc[t["unit_id"], "assessed"]),
                "detected": bool(hit["flagged"].any()),
                "q_value": float(hit["q_value"].min()) if len(hit) else float("nan"),
            }
        )
    gamed = set(truth["unit_id"])
    honest = cl[~cl["clinician_id"].isin(gamed)]
    flagged = f[f["flagged"]]
    fp = []
    for u, prof in zip(honest["clinician_id"], honest["profile"], strict=True):
        pats = sorted(set(flagged.loc[flagged["unit_id"] == u, "pattern"]))
        fp.append(
            {
                "seed": seed,
                "intensity": intensity,
                "unit_id": u,
                "profile": prof,
                "flagged": bool(pats),
                "patterns": ",".join(pats),
            }
        )
    p_honest = f.loc[f["unit_id"].isin(set(honest["clinician_id"])), "p_value"].dropna()
    return pd.DataFrame(sens), pd.DataFrame(fp), p_honest.to_numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--referrals", type=int, default=7000)
    ap.add_argument("--teams", type=int, default=2)
    ap.add_argument("--per-team", type=int, default=12)
    ap.add_argument("--intensities", default="0.15,0.3,0.5")
    a = ap.parse_args()
    cfg = {"referrals": a.referrals, "teams": a.teams, "per_team": a.per_team}
    t0 = time.time()
    sens, fp, ps = [], [], []
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        for x in (float(v) for v in a.intensities.split(",")):
            s, f, p = one_run(seed, x, cfg)
            sens.append(s)
            fp.append(f)
            ps.append(p)
            miss = ", ".join(s.loc[~s["detected"], "pattern"]) or "-"
            print(
                f"[{time.time() - t0:6.0f}s] seed {seed} intensity {x}: "
                f"{int(s['detected'].sum())}/{len(s)} detected (missed: {miss}); "
                f"honest flagged: {', '.join(f.loc[f['flagged'], 'unit_id'] + ':' + f.loc[f['flagged'], 'patterns']) or 'none'}",
                flush=True,
            )
    S, F, P = pd.concat(sens), pd.concat(fp), np.concatenate(ps)
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {date.today()}; "
        f"referrals={a.referrals}, teams={a.teams}, clinicians/team={a.per_team}, "
        f"seeds={a.seeds}; {time.time() - t0:.0f}s"
    )
    print("\nSensitivity (share of gamed clinicians flagged by their pattern's detector):")
    tab = S.pivot_table(index="pattern", columns="intensity", values="detected", aggfunc="mean")
    print(tab.reindex(list(PATTERNS)).round(2).to_string())
    print("\nAt intensity 0.3: median finished courses / assessed referrals, eligible, injected:")
    mid = S[np.isclose(S["intensity"], 0.3)].groupby("pattern")
    print(
        mid[["finished", "assessed", "eligible", "injected"]]
        .median()
        .reindex(list(PATTERNS))
        .to_string()
    )
    print("\nFalse-positive rate per honest clinician (any detector), by profile:")
    print(F.groupby("profile")["flagged"].agg(["mean", "sum", "count"]).round(3).to_string())
    print(
        f"overall: {F['flagged'].mean():.3f} ({int(F['flagged'].sum())} of {len(F)} honest unit-runs)"
    )
    print(
        f"\nHonest p-values (unit x detector, n={len(P)}): share < 0.05 = {np.mean(P < 0.05):.3f}, "
        f"< 0.01 = {np.mean(P < 0.01):.3f}, < 0.5 = {np.mean(P < 0.5):.3f}"
    )


if __name__ == "__main__":
    main()
