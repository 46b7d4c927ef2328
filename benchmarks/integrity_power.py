"""Sensitivity and false-positive rate of the integrity audit on synthetic services.

For each seed and intensity: synthesise an honest service with hard honest units
(deprived, refugee, small, step-2-only, excellent) in which every standard clinician carries
about 40 or more finished courses (a smaller service: few teams, fewer clinicians), inject
each of the nine patterns on its own standard clinician (chosen at random among those with
at least 40 finished courses, or 40 assessed referrals for the assessor-attributed
patterns) at that intensity, run the audit at therapist level (FDR 0.05 across units x
detectors, discrete Benjamini-Hochberg step-down), and count

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
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from clearwater.dataset.load import load_dataset
from clearwater.integrity import run_audit
from clearwater.integrity.stats import discrete_bh_critical, null_support
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


def oracle_power(hit: pd.DataFrame, injected: int, alpha: float) -> float:
    """Power of an oracle test of the same trials that knows the honest rate exactly.

    Honest events ~ Binomial(trials - injected, r) with r the peers' expected rate, plus the
    injected events; the oracle rejects when the count reaches the binomial critical value at
    ``alpha`` (no heterogeneity, no multiplicity beyond ``alpha``).  No test of these trials
    can do much better, so it separates a weak detector from a weak signal.
    """
    if hit.empty or not np.isfinite(hit["expected"].iloc[0]) or hit["n"].iloc[0] <= 0:
        return float("nan")
    n, e = int(hit["n"].iloc[0]), float(hit["expected"].iloc[0])
    r = min(max(e / n, 1e-9), 1 - 1e-9)
    ks = np.arange(n + 2)
    sf = sps.binom.sf(ks - 1, n, r)  # P(X >= k)
    c = int(ks[np.argmax(sf <= alpha)]) if (sf <= alpha).any() else n + 1
    m = min(injected, n)
    return float(sps.binom.sf(c - m - 1, n - m, r))


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
        res = run_audit(load_dataset(d), evidence=False)
    f = res.findings
    fin = load.set_index("clinician_id")
    # the threshold a gamed unit must pass when the nine gamed units are the discoveries
    # (discrete BH step-down: the critical value for the ninth discovery of this run)
    supports = [
        null_support(u.n, u.e, u.rho)
        for det in res.details.values()
        for u in det.units.itertuples()
        if np.isfinite(u.p_value)
    ]
    alpha_star = discrete_bh_critical(supports, len(truth), 0.05)
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
                "trials": int(hit["n"].max()) if len(hit) else 0,
                "observed": int(hit["observed"].max()) if len(hit) else 0,
                "expected": float(hit["expected"].max()) if len(hit) else float("nan"),
                "p_value": float(hit["p_value"].min()) if len(hit) else float("nan"),
                "q_value": float(hit["q_value"].min()) if len(hit) else float("nan"),
                "oracle_power": oracle_power(hit, int(t["injected"]), alpha_star),
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
                "min_p": float(f.loc[f["unit_id"] == u, "p_value"].min()),
            }
        )
    p_honest = f.loc[f["unit_id"].isin(set(honest["clinician_id"])), "p_value"].dropna()
    return pd.DataFrame(sens), pd.DataFrame(fp), p_honest.to_numpy()


def _run(args: tuple[int, float, dict[str, int]]):
    return one_run(*args)


def caseload_band(finished: int) -> str:
    return "40-59" if finished < 60 else ("60-99" if finished < 100 else "100+")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--referrals", type=int, default=7000)
    ap.add_argument("--teams", type=int, default=2)
    ap.add_argument("--per-team", type=int, default=12)
    ap.add_argument("--intensities", default="0.15,0.3,0.5")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", type=Path, help="write per-run details (CSV) to this directory")
    a = ap.parse_args()
    cfg = {"referrals": a.referrals, "teams": a.teams, "per_team": a.per_team}
    t0 = time.time()
    runs = [
        (seed, float(x), cfg)
        for seed in range(a.first_seed, a.first_seed + a.seeds)
        for x in a.intensities.split(",")
    ]
    sens, fp, ps = [], [], []
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        for (seed, x, _), (s, f, p) in zip(runs, pool.map(_run, runs), strict=True):
            sens.append(s)
            fp.append(f)
            ps.append(p)
            miss = ", ".join(s.loc[~s["detected"], "pattern"]) or "-"
            hon = f.loc[f["flagged"]]
            print(
                f"[{time.time() - t0:6.0f}s] seed {seed} intensity {x}: "
                f"{int(s['detected'].sum())}/{len(s)} detected (missed: {miss}); "
                f"honest flagged: {', '.join(hon['unit_id'] + ':' + hon['patterns']) or 'none'}",
                flush=True,
            )
    S, F, P = pd.concat(sens), pd.concat(fp), np.concatenate(ps)
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        S.to_csv(a.out / "sensitivity.csv", index=False)
        F.to_csv(a.out / "honest.csv", index=False)
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {date.today()}; "
        f"referrals={a.referrals}, teams={a.teams}, clinicians/team={a.per_team}, "
        f"seeds={a.seeds}; {time.time() - t0:.0f}s"
    )
    print("\nSensitivity (share of gamed clinicians flagged by their pattern's detector):")
    tab = S.pivot_table(index="pattern", columns="intensity", values="detected", aggfunc="mean")
    print(tab.reindex(list(PATTERNS)).round(2).to_string())
    size = np.where(
        S["pattern"].isin(ASSESSOR_PATTERNS), S["assessed"] // 4, S["finished"]
    )  # assessor patterns: a quarter of assessed referrals, roughly the courses they lead to
    S = S.assign(caseload=[caseload_band(int(v)) for v in size])
    print("\nOracle power (a test that knows the honest rate; the ceiling for these trials):")
    tab = S.pivot_table(index="pattern", columns="intensity", values="oracle_power", aggfunc="mean")
    print(tab.reindex(list(PATTERNS)).round(2).to_string())
    print("\nSensitivity at each intensity by caseload (finished courses; n gamed clinicians):")
    by = S.groupby(["pattern", "intensity", "caseload"])["detected"].agg(["mean", "count"])
    by = by.assign(cell=[f"{m:.2f} ({c})" for m, c in zip(by["mean"], by["count"], strict=True)])
    print(by["cell"].unstack(["intensity"]).to_string())
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
