"""Sensitivity and false-positive rate of the integrity audit on synthetic services.

Two levels (--level); --patterns chooses the patterns to inject (default all nine).

therapist (default): for each seed and intensity, synthesise an honest service with hard
honest units (deprived, refugee, small, step-2-only, excellent) in which every standard
clinician carries about 40 or more finished courses (a smaller service: few teams, fewer
clinicians), inject each pattern on its own standard clinician (chosen at random among
those with at least 40 finished courses, or 40 assessed referrals for the
assessor-attributed patterns) at that intensity, run the audit at therapist level (FDR
0.05 across units x detectors, discrete Benjamini-Hochberg step-down), and count

- sensitivity: gamed clinicians flagged by their own pattern's detector;
- false-positive rate: honest clinicians (standard and hard units) flagged by any detector.

team: for each seed and intensity, synthesise a service of many teams (default 14 teams of
5 clinicians and 12,000 referrals: about 40 or more finished courses for three clinicians in
four, about 300 per team) with the hard honest units in team T01, inject each pattern on its
own team chosen at random (never T01: it stays honest, the "hard honest team") at that
intensity, run the audit at team level, and count

- sensitivity: gamed teams flagged by their own pattern's detector;
- false-positive rate: honest teams (every team not gamed; T01 reported apart) flagged by
  any detector.

honest: the calibration check.  For each seed, synthesise an honest service (nothing
injected) of a random size and shape (clinicians log-uniform in 5..--max-clinicians, 5 to
18 per team, 100 to 260 referrals a year per clinician, the hard honest units in team T01),
run the therapist-level audit and count the services with any flag (the target: at most
0.05, with its exact 95% interval), and each hard profile's flagged runs.

demo: the same count on the services of ``clearwater demo --seed N`` (20,000 referrals,
default teams, hard units; the demo report's integrity section is this audit).

The first two levels also print the power of an oracle test of the same trials (a ceiling) and the
calibration of the honest units' p-values (share below 0.05, 0.01 and 0.5).

    .venv/bin/python benchmarks/integrity_power.py --seeds 6
    .venv/bin/python benchmarks/integrity_power.py --level team --seeds 10 --jobs 1
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from clearwater.dataset.load import load_dataset
from clearwater.integrity import run_audit
from clearwater.integrity.stats import discrete_bh_critical, null_support
from clearwater.synth.gaming import PATTERNS as DETECTED
from clearwater.synth.gaming import Injection, apply_injections, caseload_summary
from clearwater.synth.generator import SynthConfig, synthesise, write_tables

MIN_COURSES = 40
ASSESSOR_PATTERNS = ("holding_list", "cherry_picking")
HIDDEN_WAIT = "assessment_as_treatment:hidden_wait"  # the second form of the pattern
PATTERNS = (*DETECTED, HIDDEN_WAIT)  # injected patterns ("pattern:form")


def injection(label: str, unit: str, intensity: float, unit_type: str = "clinician") -> Injection:
    """The injection of a pattern label ("pattern" or "pattern:form")."""
    pattern, _, form = label.partition(":")
    return Injection(pattern, unit, intensity, unit_type=unit_type, form=form)


LEVELS = ("therapist", "team", "honest", "demo")
# service shape per level: referrals, teams, clinicians per team
DEFAULTS = {
    "therapist": (7000, 2, 12),
    "team": (12000, 14, 5),
    "honest": (0, 0, 0),
    "demo": (20000, 0, 0),
}


@dataclass(frozen=True)
class Setup:
    level: str
    referrals: int
    teams: int
    per_team: int
    patterns: tuple[str, ...]


def hard_teams(clinicians: pd.DataFrame) -> set[str]:
    """Teams holding a hard honest unit (T01 with hard_units=True): never gamed."""
    return set(clinicians.loc[clinicians["profile"] != "standard", "team_id"].astype(str))


def pick_targets(
    clinicians: pd.DataFrame, load: pd.DataFrame, seed: int, patterns: tuple[str, ...] = PATTERNS
) -> dict[str, str]:
    """One distinct standard clinician per pattern with enough eligible work."""
    rng = np.random.default_rng(1000 + seed)
    std = set(clinicians.loc[clinicians["profile"] == "standard", "clinician_id"].astype(str))
    load = load[load["clinician_id"].isin(std)]
    assessors = load.loc[load["assessed"] >= MIN_COURSES, "clinician_id"].tolist()
    treaters = load.loc[load["finished_courses"] >= MIN_COURSES, "clinician_id"].tolist()
    out: dict[str, str] = {}
    taken: set[str] = set()
    for pat in sorted(patterns, key=lambda p: p not in ASSESSOR_PATTERNS):
        pool = [c for c in (assessors if pat in ASSESSOR_PATTERNS else treaters) if c not in taken]
        if not pool:
            raise SystemExit(f"no clinician left with >= {MIN_COURSES} cases for {pat}")
        out[pat] = str(rng.choice(sorted(pool)))
        taken.add(out[pat])
    return out


def pick_teams(clinicians: pd.DataFrame, seed: int, patterns: tuple[str, ...]) -> dict[str, str]:
    """One distinct team per pattern, at random among the teams without hard units."""
    rng = np.random.default_rng(1000 + seed)
    pool = sorted(set(clinicians["team_id"].astype(str)) - hard_teams(clinicians))
    if len(pool) < len(patterns):
        raise SystemExit(f"{len(pool)} teams to game but {len(patterns)} patterns: add --teams")
    return dict(
        zip(patterns, map(str, rng.choice(pool, len(patterns), replace=False)), strict=True)
    )


def unit_loads(load: pd.DataFrame, clinicians: pd.DataFrame, level: str) -> pd.DataFrame:
    """Finished courses and assessed referrals per audited unit (clinician or team)."""
    if level == "therapist":
        return load.set_index("clinician_id")
    team = clinicians.set_index(clinicians["clinician_id"].astype(str))["team_id"].astype(str)
    return (
        load.assign(unit_id=load["clinician_id"].map(team))
        .groupby("unit_id")[["finished_courses", "assessed"]]
        .sum()
    )


def honest_units(clinicians: pd.DataFrame, gamed: set[str], level: str) -> pd.DataFrame:
    """The units not gamed (unit_id, profile); a team's profile is 'hard (Txx)' or standard."""
    if level == "therapist":
        h = clinicians[~clinicians["clinician_id"].isin(gamed)]
        return pd.DataFrame({"unit_id": h["clinician_id"], "profile": h["profile"]})
    hard = hard_teams(clinicians)
    teams = sorted(set(clinicians["team_id"].astype(str)) - gamed)
    prof = [f"hard ({t})" if t in hard else "standard" for t in teams]
    return pd.DataFrame({"unit_id": teams, "profile": prof})


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
    seed: int, intensity: float, cfg: Setup
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    r = synthesise(
        SynthConfig(
            referrals=cfg.referrals,
            seed=seed,
            hard_units=True,
            teams=cfg.teams,
            clinicians_per_team=cfg.per_team,
        )
    )
    cl = r.clinicians
    load = caseload_summary(r.tables)
    if cfg.level == "team":
        targets = pick_teams(cl, seed, cfg.patterns)
        inj = [injection(p, u, intensity, unit_type="team") for p, u in targets.items()]
    else:
        targets = pick_targets(cl, load, seed, cfg.patterns)
        inj = [injection(p, u, intensity) for p, u in targets.items()]
    tables, truth = apply_injections(r.tables, cl, inj, seed=seed)
    with tempfile.TemporaryDirectory() as d:
        write_tables(tables, Path(d))
        res = run_audit(load_dataset(d), level=cfg.level, evidence=False)
    f = res.findings
    fin = unit_loads(load, cl, cfg.level)
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
    for label, (_, t) in zip(targets, truth.iterrows(), strict=True):
        hit = f[(f["pattern"] == t["pattern"]) & (f["unit_id"] == t["unit_id"])]
        sens.append(
            {
                "pattern": label,
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
    honest = honest_units(cl, set(truth["unit_id"]), cfg.level)
    flagged = f[f["flagged"]]
    fp = []
    for u, prof in zip(honest["unit_id"], honest["profile"], strict=True):
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
    p_honest = f.loc[f["unit_id"].isin(set(honest["unit_id"])), "p_value"].dropna()
    return pd.DataFrame(sens), pd.DataFrame(fp), p_honest.to_numpy()


def honest_shape(seed: int, max_clinicians: int) -> tuple[int, int, int]:
    """(referrals, teams, clinicians per team) of honest service ``seed``: clinicians
    log-uniform in 5..max_clinicians, 5-18 per team, 100-260 referrals a year each."""
    rng = np.random.default_rng(5000 + seed)
    n = int(round(np.exp(rng.uniform(np.log(5), np.log(max_clinicians)))))
    per = int(rng.integers(5, 19))
    teams = max(1, int(round(n / per)))
    per = max(2, int(round(n / teams)))
    return int(teams * per * rng.uniform(100, 260)), teams, per


def honest_run(seed: int, max_clinicians: int, demo: bool = False) -> tuple[dict, pd.DataFrame]:
    """One honest service: its shape, whether anything was flagged, and per-unit flags.
    ``demo``: the service of ``clearwater demo --seed seed`` (20,000 referrals, default
    teams, hard units), whose report's integrity section is this audit."""
    if demo:
        cfg = SynthConfig(referrals=20000, seed=seed, hard_units=True)
    else:
        referrals, teams, per = honest_shape(seed, max_clinicians)
        cfg = SynthConfig(
            referrals=referrals,
            seed=seed,
            hard_units=True,
            teams=teams,
            clinicians_per_team=per,
        )
    r = synthesise(cfg)
    referrals = cfg.referrals
    teams = int(r.clinicians["team_id"].nunique())
    with tempfile.TemporaryDirectory() as d:
        write_tables(r.tables, Path(d))
        res = run_audit(load_dataset(d), level="therapist", evidence=False)
    f = res.findings
    flagged = f[f["flagged"]]
    prof = r.clinicians.set_index("clinician_id")["profile"]
    units = pd.DataFrame(
        {
            "seed": seed,
            "unit_id": prof.index.astype(str),
            "profile": prof.to_numpy(),
            "flagged": [u in set(flagged["unit_id"]) for u in prof.index.astype(str)],
        }
    )
    hits = ", ".join(
        f"{u}:{d} (q={q:.3f})"
        for u, d, q in zip(flagged["unit_id"], flagged["detector"], flagged["q_value"], strict=True)
    )
    tested = f[f["p_value"].notna()]
    row = {
        "seed": seed,
        "referrals": referrals,
        "teams": teams,
        "clinicians": len(prof),
        "tests": len(tested),
        "any_flag": bool(len(flagged)),
        "flags": hits,
        "min_q": float(f["q_value"].min()) if len(f) else float("nan"),
        "min_p": float(tested["p_value"].min()) if len(tested) else float("nan"),
    }
    return row, units


def _honest(args: tuple[int, int, bool]):
    return honest_run(*args)


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    a = 1 - level
    lo = float(sps.beta.ppf(a / 2, k, n - k + 1)) if k > 0 else 0.0
    hi = float(sps.beta.ppf(1 - a / 2, k + 1, n - k)) if k < n else 1.0
    return lo, hi


def main_honest(a: argparse.Namespace) -> None:
    t0 = time.time()
    demo = a.level == "demo"
    runs = [(seed, a.max_clinicians, demo) for seed in range(a.first_seed, a.first_seed + a.seeds)]
    rows, units = [], []
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        for row, u in pool.map(_honest, runs):
            rows.append(row)
            units.append(u)
            print(
                f"[{time.time() - t0:6.0f}s] seed {row['seed']}: {row['clinicians']} clinicians "
                f"in {row['teams']} teams, {row['referrals']} referrals, {row['tests']} tests; "
                f"min p {row['min_p']:.2g}, flagged: {row['flags'] or 'none'}",
                flush=True,
            )
    R, U = pd.DataFrame(rows), pd.concat(units)
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        R.to_csv(a.out / "honest_services.csv", index=False)
        U.to_csv(a.out / "honest_units.csv", index=False)
    k, n = int(R["any_flag"].sum()), len(R)
    lo, hi = clopper_pearson(k, n)
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {date.today()}; honest "
        f"services={n} (clinicians {R['clinicians'].min()}-{R['clinicians'].max()}, median "
        f"{R['clinicians'].median():.0f}); {time.time() - t0:.0f}s"
    )
    print(
        f"\nServices with any flag: {k} of {n} = {k / n:.3f} "
        f"(exact 95% interval {lo:.3f}-{hi:.3f}; target <= 0.05)"
    )
    print("\nFlagged runs per unit profile (share, flagged, runs):")
    print(U.groupby("profile")["flagged"].agg(["mean", "sum", "count"]).round(3).to_string())


def _run(args: tuple[int, float, Setup]):
    return one_run(*args)


def caseload_band(finished: int) -> str:
    return "40-59" if finished < 60 else ("60-99" if finished < 100 else "100+")


def main() -> None:  # noqa: C901 - one linear report
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--level", choices=LEVELS, default="therapist", help="unit audited and gamed")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--referrals", type=int, help="default 7000 (therapist), 12000 (team)")
    ap.add_argument("--teams", type=int, help="default 2 (therapist), 14 (team)")
    ap.add_argument("--per-team", type=int, help="default 12 (therapist), 5 (team)")
    ap.add_argument("--patterns", default=",".join(PATTERNS), help="comma list to inject")
    ap.add_argument("--intensities", default="0.15,0.3,0.5")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", type=Path, help="write per-run details (CSV) to this directory")
    ap.add_argument(
        "--max-clinicians", type=int, default=150, help="honest level: largest service size"
    )
    a = ap.parse_args()
    if a.level in ("honest", "demo"):
        main_honest(a)
        return
    wanted = {p.strip() for p in a.patterns.split(",") if p.strip()}
    if unknown := wanted - set(PATTERNS):
        ap.error(
            f"unknown pattern(s) {', '.join(sorted(unknown))}: choose from {', '.join(PATTERNS)}"
        )
    patterns = tuple(p for p in PATTERNS if p in wanted)
    team = a.level == "team"
    d_ref, d_teams, d_per = DEFAULTS[a.level]
    cfg = Setup(
        level=a.level,
        referrals=a.referrals or d_ref,
        teams=a.teams or d_teams,
        per_team=a.per_team or d_per,
        patterns=patterns,
    )
    noun = "team" if team else "clinician"
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
        + (f"level=team ({len(patterns)} gamed teams per run), " if team else "")
        + f"referrals={cfg.referrals}, teams={cfg.teams}, clinicians/team={cfg.per_team}, "
        f"seeds={a.seeds}; {time.time() - t0:.0f}s"
    )
    print(f"\nSensitivity (share of gamed {noun}s flagged by their pattern's detector):")
    tab = S.pivot_table(index="pattern", columns="intensity", values="detected", aggfunc="mean")
    print(tab.reindex(list(patterns)).round(2).to_string())
    print("\nOracle power (a test that knows the honest rate; the ceiling for these trials):")
    tab = S.pivot_table(index="pattern", columns="intensity", values="oracle_power", aggfunc="mean")
    print(tab.reindex(list(patterns)).round(2).to_string())
    cols = ["finished", "assessed", "eligible", "injected"]
    if team:
        print(
            "\nMedian per gamed team: finished courses / assessed referrals (before injection), "
            "eligible, injected:"
        )
        mid = S.groupby(["pattern", "intensity"])[cols].median()
        print(mid.reindex(list(patterns), level="pattern").to_string())
    else:
        size = np.where(
            S["pattern"].isin(ASSESSOR_PATTERNS), S["assessed"] // 4, S["finished"]
        )  # assessor patterns: a quarter of assessed referrals, roughly the courses they lead to
        S = S.assign(caseload=[caseload_band(int(v)) for v in size])
        print("\nSensitivity at each intensity by caseload (finished courses; n gamed clinicians):")
        by = S.groupby(["pattern", "intensity", "caseload"])["detected"].agg(["mean", "count"])
        by = by.assign(
            cell=[f"{m:.2f} ({c})" for m, c in zip(by["mean"], by["count"], strict=True)]
        )
        print(by["cell"].unstack(["intensity"]).to_string())
        print(
            "\nAt intensity 0.3: median finished courses / assessed referrals, eligible, injected:"
        )
        mid = S[np.isclose(S["intensity"], 0.3)].groupby("pattern")
        print(mid[cols].median().reindex(list(patterns)).to_string())
    print(f"\nFalse-positive rate per honest {noun} (any detector), by profile:")
    print(F.groupby("profile")["flagged"].agg(["mean", "sum", "count"]).round(3).to_string())
    print(
        f"overall: {F['flagged'].mean():.3f} ({int(F['flagged'].sum())} of {len(F)} honest unit-runs)"
    )
    if team:
        fl = F[F["flagged"]]
        hits = fl.assign(detector=fl["patterns"].str.split(",")).explode("detector")
        print("\nHonest teams flagged, by detector (unit-runs):")
        print(hits.groupby(["profile", "detector"]).size().to_string() if len(hits) else "none")
    print(
        f"\nHonest p-values (unit x detector, n={len(P)}): share < 0.05 = {np.mean(P < 0.05):.3f}, "
        f"< 0.01 = {np.mean(P < 0.01):.3f}, < 0.5 = {np.mean(P < 0.5):.3f}"
    )


if __name__ == "__main__":
    main()
