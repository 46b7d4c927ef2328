"""A small honest service in clean form (CleanData frames + a pathways frame) for tests.

Units differ honestly (baseline severity, response, drop-out, session length), so the
detectors' nulls are exercised under real heterogeneity.  It is deliberately simple; the
full generator (clearwater.synth) is used by the benchmark.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

START = date(2023, 4, 1)


def _items(total: int, k: int, rng: np.random.Generator) -> str:
    total = int(max(0, min(3 * k, total)))
    v = np.zeros(k, int)
    for _ in range(total):
        free = np.flatnonzero(v < 3)
        v[rng.choice(free)] += 1
    return ",".join(map(str, v))


def honest_service(
    *, units: int = 12, per_unit: int = 60, seed: int = 0, teams: int = 3
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return (clean frames, pathways frame)."""
    rng = np.random.default_rng(seed)
    refs, contacts, scores, pws, persons = [], [], [], [], []
    cid = 0
    for u in range(units):
        unit = f"T{u:02d}"
        team = f"TM{u % teams}"
        sev_shift = rng.normal(0, 1.5)
        resp = rng.uniform(0.6, 1.4)
        drop = rng.uniform(0.05, 0.3)
        dur = int(rng.choice([30, 45, 60]))
        for i in range(per_unit):
            pid = f"{unit}-{i:03d}"
            rdate = START + timedelta(days=int(rng.integers(0, 300)))
            imd = int(rng.integers(1, 11))
            eth = str(
                rng.choice(
                    ["White", "Asian", "Black", "Mixed", "Not stated"],
                    p=[0.7, 0.1, 0.1, 0.05, 0.05],
                )
            )
            lang = "en" if rng.random() < 0.9 else "ar"
            phq0 = int(np.clip(rng.normal(15 + sev_shift, 5), 0, 27))
            gad0 = int(np.clip(rng.normal(12 + sev_shift * 0.7, 4), 0, 21))
            persons.append({"person_id": pid, "imd_decile": imd})
            # assessment
            a_day = int(rng.integers(5, 30))
            cid += 1
            contacts.append(
                dict(
                    contact_id=f"C{cid}",
                    pathway_id=pid,
                    contact_date=rdate + timedelta(days=a_day),
                    app_type="01",
                    attend_code="5",
                    duration_min=60,
                    clinician_id=unit,
                )
            )
            treated = rng.random() < 0.8
            notsuit = (not treated) and rng.random() < 0.5
            pw = dict(
                pathway_id=pid,
                person_id=pid,
                therapist_id=unit if treated else None,
                assessor_id=unit,
                team_id=team,
                provider_id="RCW",
                referral_date=rdate,
                imd_decile=imd,
                ethnic_group=eth,
                language=lang,
                phq9_first=float(phq0),
                contact_count=1,
                treatment_contacts=0,
                first_treatment_date=None,
                second_treatment_date=None,
                wait_to_first_treatment_days=None,
                first_to_second_treatment_days=None,
                finished_course=False,
                ended_before_treatment=not treated,
                problem_descriptor="gad",
                adsm=None,
                paired_adsm=False,
            )
            if not treated:
                d = rdate + timedelta(days=a_day + int(rng.integers(1, 30)))
                pw.update(
                    discharge_date=d,
                    end_code="10" if notsuit else str(rng.choice(["12", "14", "16"])),
                )
                pws.append(pw)
                refs.append(
                    dict(
                        pathway_id=pid,
                        person_id=pid,
                        provider_id="RCW",
                        referral_date=rdate,
                        discharge_date=d,
                        end_code=pw["end_code"],
                        team_id=team,
                    )
                )
                continue
            wait = a_day + int(rng.gamma(3, 10))
            nses = int(rng.integers(2, 12))
            dropped = rng.random() < drop
            day = wait
            phq, gad = float(phq0), float(gad0)
            tdates = []
            descr = str(rng.choice(["gad", "ptsd", "social_phobia"], p=[0.6, 0.2, 0.2]))
            adsm = None if descr == "gad" else ("IESR" if descr == "ptsd" else "SPIN")
            adsm_done = adsm is not None and rng.random() < 0.7
            for s in range(nses):
                cid += 1
                d = rdate + timedelta(days=day)
                contacts.append(
                    dict(
                        contact_id=f"C{cid}",
                        pathway_id=pid,
                        contact_date=d,
                        app_type="02",
                        attend_code="5",
                        duration_min=dur,
                        clinician_id=unit,
                    )
                )
                tdates.append(d)
                rec = datetime.combine(d, datetime.min.time()) + timedelta(
                    hours=int(rng.integers(9, 17)), minutes=int(rng.integers(0, 60))
                )
                for tool, val, k in (("PHQ9", phq, 9), ("GAD7", gad, 7)):
                    sc = int(np.clip(round(val + rng.normal(0, 2)), 0, 3 * k))
                    scores.append(
                        dict(
                            pathway_id=pid,
                            contact_id=f"C{cid}",
                            tool=tool,
                            score=float(sc),
                            score_date=d,
                            item_scores=_items(sc, k, rng),
                            recorded_at=rec,
                            recorded_by=unit,
                            entry_mode="clinician",
                        )
                    )
                if adsm_done and s in (0, nses - 1):
                    scores.append(
                        dict(
                            pathway_id=pid,
                            contact_id=f"C{cid}",
                            tool=adsm,
                            score=30.0,
                            score_date=d,
                            recorded_at=rec,
                            recorded_by=unit,
                            entry_mode="clinician",
                        )
                    )
                phq = max(0.0, phq - resp * rng.uniform(0, 2.5))
                gad = max(0.0, gad - resp * rng.uniform(0, 2.0))
                day += int(rng.integers(5, 15))
            end = "47" if dropped else "46"
            disch = tdates[-1] + timedelta(days=int(rng.integers(1, 20)))
            pw.update(
                contact_count=1 + nses,
                treatment_contacts=nses,
                first_treatment_date=tdates[0],
                second_treatment_date=tdates[1],
                wait_to_first_treatment_days=(tdates[0] - rdate).days,
                first_to_second_treatment_days=(tdates[1] - tdates[0]).days,
                finished_course=True,
                discharge_date=disch,
                end_code=end,
                problem_descriptor=descr,
                adsm=adsm,
                paired_adsm=bool(adsm_done and nses >= 2),
            )
            pws.append(pw)
            refs.append(
                dict(
                    pathway_id=pid,
                    person_id=pid,
                    provider_id="RCW",
                    referral_date=rdate,
                    discharge_date=disch,
                    end_code=end,
                    team_id=team,
                )
            )
    frames = {
        "person": pd.DataFrame(persons),
        "referral": pd.DataFrame(refs),
        "contact": pd.DataFrame(contacts),
        "score": pd.DataFrame(scores),
    }
    return frames, pd.DataFrame(pws)


def coach(
    frames: dict[str, pd.DataFrame], unit: str, share: float, seed: int = 1
) -> dict[str, pd.DataFrame]:
    """Move the final PHQ-9/GAD-7 of a share of a unit's non-recovered courses to just below caseness."""
    rng = np.random.default_rng(seed)
    s = frames["score"].copy()
    s = s.sort_values(["pathway_id", "tool", "score_date"])
    last = s.groupby(["pathway_id", "tool"]).tail(1)
    last = last[last["pathway_id"].str.startswith(unit + "-")]
    cut = last["tool"].map({"PHQ9": 10, "GAD7": 8})
    elig = last[last["score"] >= cut]
    pids = elig["pathway_id"].unique()
    chosen = set(rng.choice(pids, size=int(round(share * len(pids))), replace=False))
    for idx, r in elig.iterrows():
        if r["pathway_id"] in chosen:
            c = 10 if r["tool"] == "PHQ9" else 8
            s.loc[idx, "score"] = float(c - rng.integers(1, 3))
    out = dict(frames)
    out["score"] = s
    return out
