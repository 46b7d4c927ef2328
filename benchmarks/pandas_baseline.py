"""A plain pandas script: the pathways and headline KPIs of a data folder, without validation.

    .venv/bin/python benchmarks/pandas_baseline.py DATA [--json]

What an analyst would write by hand against the same Parquet (or CSV) files: read the
columns needed, join contacts, activities and scores, derive one row per referral (contact
counts, first/second/last treatment dates, the therapist, first and last PHQ-9 and GAD-7 on
eligible contacts, caseness, recovery, reliable improvement) and the headline KPIs per
financial year (referrals, entering treatment, finishing a course, recovery and reliable
improvement rates, waits within 6 and 18 weeks).  No row is checked, quarantined or
accounted for, and the anxiety measure is always GAD-7 (no ADSM); it is the yardstick for
``benchmarks/data_path.py``, not a second implementation of Clearwater.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

TREATMENT, ASSESSMENT, ATTENDED = {"02", "03", "05"}, {"01", "03"}, {"5", "6"}
PHQ9 = {"PHQ9", "720433000"}
GAD7 = {"GAD7", "445455005"}


def read(folder: Path, table: str, columns: list[str]) -> pd.DataFrame:
    pq, csv = folder / f"{table}.parquet", folder / f"{table}.csv"
    if pq.exists():
        return pd.read_parquet(pq, columns=columns)
    return pd.read_csv(csv, usecols=columns, dtype=str, keep_default_na=False)


def pathways(folder: Path) -> pd.DataFrame:
    ref = read(folder, "IDS101Referral", ["ServiceRequestId", "ReferralRequestReceivedDate",
                                          "ServDischDate"])  # fmt: skip
    ref.columns = ["pathway_id", "referral_date", "discharge_date"]
    for c in ("referral_date", "discharge_date"):
        ref[c] = pd.to_datetime(ref[c], errors="coerce")
    con = read(folder, "IDS201CareContact", ["CareContactId", "ServiceRequestId", "CareContDate",
               "CareContTime", "AppType", "AttendOrDNACode", "PlannedCareContIndicator",
               "CarePersLocalId"])  # fmt: skip
    con.columns = ["contact_id", "pathway_id", "date", "time", "app", "attend", "planned", "clin"]
    con["date"] = pd.to_datetime(con["date"], errors="coerce")
    act = read(folder, "IDS202CareActivity", ["CareActId", "CareContactId", "CarePersLocalId"])
    act.columns = ["activity_id", "contact_id", "act_clin"]
    first_clin = act.dropna(subset=["act_clin"]).groupby("contact_id")["act_clin"].min()
    con = con.join(first_clin, on="contact_id")
    con["clin"] = con["clin"].where(con["clin"].notna() & (con["clin"] != ""), con["act_clin"])
    attended = con["attend"].isin(ATTENDED)
    con["treat"] = con["app"].isin(TREATMENT) & (attended | (con["planned"] == "N"))
    con["assess"] = con["app"].isin(ASSESSMENT) & attended
    con["attended"] = attended
    con = con.sort_values(["pathway_id", "date", "time"], na_position="last")

    treat = con[con["treat"]]
    g = treat.groupby("pathway_id")["date"]
    per = pd.DataFrame({
        "treatment_contacts": g.size(),
        "first_treatment_date": g.min(),
        "second_treatment_date": g.nth(1).set_axis(treat.groupby("pathway_id").nth(1)["pathway_id"]),
        "last_treatment_date": g.max(),
    })  # fmt: skip
    per["contact_count"] = con[con["attended"]].groupby("pathway_id").size()
    counts = treat.groupby(["pathway_id", "clin"]).size().rename("n").reset_index()
    counts = counts.sort_values(["pathway_id", "n"], ascending=[True, False])
    per["therapist_id"] = counts.drop_duplicates("pathway_id").set_index("pathway_id")["clin"]

    sc = read(folder, "IDS607CodedScoreAssessmentAct", ["CareContactId", "CareActId",
              "CodedAssToolType", "PersScore"])  # fmt: skip
    sc.columns = ["contact_id", "activity_id", "tool", "score"]
    via = act.set_index("activity_id")["contact_id"]
    sc["contact_id"] = sc["contact_id"].where(sc["contact_id"].notna(), sc["activity_id"].map(via))
    sc["score"] = pd.to_numeric(sc["score"], errors="coerce")
    sc["tool"] = sc["tool"].str.upper()
    sc["tool"] = sc["tool"].where(~sc["tool"].isin(PHQ9), "PHQ9")
    sc["tool"] = sc["tool"].where(~sc["tool"].isin(GAD7), "GAD7")
    sc = sc[sc["tool"].isin(["PHQ9", "GAD7"])]
    cinfo = con.set_index("contact_id")[
        ["pathway_id", "date", "time", "attended", "planned", "app"]
    ]
    sc = sc.join(cinfo, on="contact_id", how="inner")
    sc = sc.join(ref.set_index("pathway_id")["discharge_date"], on="pathway_id")
    ok = (sc["attended"] | (sc["planned"] == "N")) & (sc["app"] != "06")
    ok &= sc["discharge_date"].isna() | (sc["date"] <= sc["discharge_date"])
    sc = sc[ok].sort_values(["pathway_id", "tool", "date", "time"])
    gs = sc.groupby(["pathway_id", "tool"])["score"]
    fl = pd.DataFrame({"first": gs.first(), "last": gs.last(), "n": gs.size()})
    fl.loc[fl["n"] < 2, "last"] = float("nan")
    fl = fl.drop(columns="n").unstack("tool")
    fl.columns = [f"{t.lower()}_{w}" for w, t in fl.columns]

    pw = ref.set_index("pathway_id").join(per).join(fl)
    pw["treatment_contacts"] = pw["treatment_contacts"].fillna(0)
    pw["finished_course"] = pw["discharge_date"].notna() & (pw["treatment_contacts"] >= 2)
    case = (pw["phq9_first"] >= 10) | (pw["gad7_first"] >= 8)
    paired = pw["phq9_last"].notna() & pw["gad7_last"].notna()
    pw["at_caseness"] = case.fillna(False)
    pw["recovery"] = paired & pw["at_caseness"] & (pw["phq9_last"] < 10) & (pw["gad7_last"] < 8)
    d_phq = pw["phq9_first"] - pw["phq9_last"]
    d_gad = pw["gad7_first"] - pw["gad7_last"]
    better = (d_phq >= 6) | (d_gad >= 4)
    worse = (d_phq <= -6) | (d_gad <= -4)
    pw["reliable_improvement"] = paired & better & ~worse
    pw["wait_days"] = (pw["first_treatment_date"] - pw["referral_date"]).dt.days
    return pw.reset_index()


def kpis(pw: pd.DataFrame) -> list[dict]:
    def fy(d: pd.Series) -> pd.Series:
        return d.dt.year - (d.dt.month < 4)

    out = []
    ref_fy, tr_fy, dis_fy = (
        fy(pw["referral_date"]),
        fy(pw["first_treatment_date"]),
        fy(pw["discharge_date"]),
    )
    for year in sorted(set(ref_fy.dropna().astype(int))):
        fin = pw[(dis_fy == year) & pw["finished_course"]]
        case = fin[fin["at_caseness"]]
        entered = pw[tr_fy == year]
        out.append({
            "period": f"{year}-{(year + 1) % 100:02d}",
            "referrals": int((ref_fy == year).sum()),
            "entered_treatment": len(entered),
            "finished_course": len(fin),
            "recovery_rate": float(case["recovery"].mean()) if len(case) else None,
            "reliable_improvement_rate": float(fin["reliable_improvement"].mean())
            if len(fin) else None,
            "wait_6_weeks": float((entered["wait_days"] <= 42).mean()) if len(entered) else None,
            "wait_18_weeks": float((entered["wait_days"] <= 126).mean()) if len(entered) else None,
        })  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--json", action="store_true", help="print the KPIs as JSON")
    args = ap.parse_args()
    rows = kpis(pathways(args.data))
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    else:
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
