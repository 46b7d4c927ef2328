"""Benchmark every English provider from the published NHS Talking Therapies statistics.

Reads the annual "main measures" CSV (wide: OrgType, OrgCode, OrgName, VariableType, VariableA,
VariableB, Count_*, Percentage_*; extra columns ignored) and the monthly activity-performance CSV
(long: REPORTING_PERIOD_START, REPORTING_PERIOD_END, GROUP_TYPE, ORG_CODE1, ORG_NAME1, MEASURE_NAME,
MEASURE_VALUE_SUPPRESSED).  ``*`` means suppressed and stays suppressed: a suppressed count is
never estimated, back-calculated or replaced; a rate whose numerator or denominator is suppressed
is reported as not available.

Expected rates come from indirect standardisation: each provider's published mix of finished
courses over IMD deciles (and optionally age group and problem descriptor) is weighted by the
national rate in each group, recomputed from the England counts.  Finished courses the
breakdown does not attribute (suppressed cells, rounding) are given the national rate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from clearwater.errors import ClearwaterError, DataContractError
from clearwater.stats.funnel import (
    Overdispersion,
    OverdispersionMethod,
    funnel_proportions,
)
from clearwater.stats.intervals import wilson

RECOVERY_TARGET = 0.50

# Standard count names <- published column / measure names (annual and monthly spellings).
COUNT_NAMES: dict[str, tuple[str, ...]] = {
    "finished": ("Count_FinishedCourseTreatment",),
    "at_caseness": ("Count_AtCaseness",),
    "not_at_caseness": ("Count_NotAtCaseness",),
    "improvement": ("Count_Improvement", "Count_ReliableImprovement"),
    "deterioration": ("Count_Deterioration", "Count_ReliableDeterioration"),
    "no_change": ("Count_NoReliableChange", "Count_NoChange"),
    "recovery": ("Count_Recovery",),
    "reliable_recovery": ("Count_ReliableRecovery",),
    "referrals": ("Count_ReferralsReceived",),
}
PERCENT_NAMES = {
    "recovery": ("Percentage_Recovery",),
    "reliable_recovery": ("Percentage_ReliableRecovery",),
    "reliable_improvement": ("Percentage_Improvement", "Percentage_ReliableImprovement"),
}


@dataclass(frozen=True)
class PublicMeasure:
    id: str
    title: str
    numerator: str  # standard count name
    denominator: str  # 'finished' or 'recovery_denominator'


# Reliable improvement first (it is the least gameable and covers everyone who finished).
MEASURES: tuple[PublicMeasure, ...] = (
    PublicMeasure("reliable_improvement", "Reliable improvement", "improvement", "finished"),
    PublicMeasure("recovery", "Recovery", "recovery", "recovery_denominator"),
    PublicMeasure(
        "reliable_recovery", "Reliable recovery", "reliable_recovery", "recovery_denominator"
    ),
)
MEASURE_BY_ID = {m.id: m for m in MEASURES}

ADJUSTERS: dict[str, tuple[str, ...]] = {
    "imd": ("Indices of Deprivation Decile",),
    "age": ("Age Group",),
    "descriptor": ("Problem Descriptor", "Presenting Complaint"),
}

ANNUAL_KEYS = ("OrgType", "OrgCode", "OrgName", "VariableType", "VariableA")
MONTHLY_KEYS = (
    "REPORTING_PERIOD_START",
    "REPORTING_PERIOD_END",
    "GROUP_TYPE",
    "ORG_CODE1",
    "ORG_NAME1",
    "MEASURE_NAME",
    "MEASURE_VALUE_SUPPRESSED",
)
PROVIDER_COLUMNS = [
    "provider_code",
    "provider_name",
    "measure",
    "finished",
    "observed",
    "expected",
    "ratio",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "position",
]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def _parse_counts(raw: pd.Series, *, file: str, column: str) -> tuple[pd.Series, pd.Series]:
    """Published cells -> (float values with NaN, suppressed mask).  Bad cells raise."""
    text = raw.astype(str).str.strip()
    suppressed = text.eq("*")
    missing = text.isin(["", "NULL", "null", "nan", "NaN"]) | raw.isna()
    values = pd.to_numeric(text.where(~suppressed & ~missing), errors="coerce")
    bad = values.isna() & ~suppressed & ~missing
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataContractError(
            f"'{text.iloc[pos]}' is not a count, '*' (suppressed) or empty",
            file=file,
            row=int(raw.index[pos]) + 2,
            column=column,
        )
    negative = values < 0
    if negative.any():
        pos = int(np.flatnonzero(negative.to_numpy())[0])
        raise DataContractError("a count cannot be negative", file=file, row=pos + 2, column=column)
    return values.astype(float), suppressed


def _period_from_name(path: Path) -> str:
    m = re.search(r"(20\d\d)[-_](\d\d)(?!\d)", path.name)
    return f"{m.group(1)}-{m.group(2)}" if m else path.stem


@dataclass(frozen=True)
class PublicTable:
    """Tidy published counts: one row per period x organisation x breakdown row.

    Columns: period, org_type, org_code, org_name, variable_type, variable_a, then one float
    column per standard count (NaN = suppressed or not published) and ``<count>_suppressed``.
    """

    frame: pd.DataFrame
    sources: tuple[str, ...]
    layout: str  # 'annual' or 'monthly'
    notes: tuple[str, ...] = ()


def read_public(path: str | Path, *, period: str | None = None) -> PublicTable:
    """Read one published CSV (annual wide or monthly long layout)."""
    path = Path(path)
    if not path.is_file():
        raise ClearwaterError(f"published statistics file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataContractError(f"cannot read as CSV: {exc}", file=str(path)) from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    if all(k in raw.columns for k in ANNUAL_KEYS):
        return _read_annual(raw, path, period or _period_from_name(path))
    upper = {c.upper(): c for c in raw.columns}
    if all(k in upper for k in MONTHLY_KEYS):
        raw = raw.rename(columns={v: k for k, v in upper.items()})
        return _read_monthly(raw, path)
    raise DataContractError(
        "not a recognised NHS Talking Therapies layout: need the annual main-measures columns "
        f"({', '.join(ANNUAL_KEYS)}) or the monthly long columns ({', '.join(MONTHLY_KEYS)})",
        file=str(path),
    )


def _standardise(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    out = {}
    for std, names in COUNT_NAMES.items():
        col = next((n for n in names if n in raw.columns), None)
        if col is None:
            out[std] = pd.Series(np.nan, index=raw.index)
            out[f"{std}_suppressed"] = pd.Series(False, index=raw.index)
            continue
        values, supp = _parse_counts(raw[col], file=file, column=col)
        out[std] = values
        out[f"{std}_suppressed"] = supp
    for std, names in PERCENT_NAMES.items():
        col = next((n for n in names if n in raw.columns), None)
        if col is not None:
            out[f"published_pct_{std}"] = _parse_counts(raw[col], file=file, column=col)[0]
    return pd.DataFrame(out, index=raw.index)


def _read_annual(raw: pd.DataFrame, path: Path, period: str) -> PublicTable:
    if "Count_FinishedCourseTreatment" not in raw.columns:
        raise DataContractError(
            "the column Count_FinishedCourseTreatment is required",
            file=str(path),
            column="Count_FinishedCourseTreatment",
        )
    counts = _standardise(raw, str(path))
    frame = pd.DataFrame(
        {
            "period": period,
            "org_type": raw["OrgType"].str.strip(),
            "org_code": raw["OrgCode"].str.strip(),
            "org_name": raw["OrgName"].str.strip(),
            "variable_type": raw["VariableType"].str.strip(),
            "variable_a": raw["VariableA"].str.strip(),
            "variable_b": (raw["VariableB"].str.strip() if "VariableB" in raw.columns else "NULL"),
        }
    )
    frame = pd.concat([frame, counts], axis=1)
    frame, notes = _deduplicate(frame, str(path))
    frame = _collapse_subgroups(frame)
    return PublicTable(frame, (str(path),), "annual", notes)


_KEYS = ["period", "org_type", "org_code", "variable_type", "variable_a", "variable_b"]


def _deduplicate(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Rows repeated under two names of one organisation: keep one, name both; differing -> error."""
    dup = frame.duplicated(_KEYS, keep=False)
    if not dup.any():
        return frame, ()
    values = [c for c in frame.columns if c not in (*_KEYS, "org_name")]
    part = frame[dup]
    same = part.duplicated([*_KEYS, *values], keep=False)
    if not same.all():
        row = int(part.index[np.flatnonzero(~same.to_numpy())[0]]) + 2
        raise DataContractError(
            "the same organisation and breakdown row appears twice with different counts",
            file=file,
            row=row,
            column="OrgCode",
        )
    notes = []
    frame = frame.copy()
    for code, names in part.groupby("org_code")["org_name"].unique().items():
        joined = " / ".join(sorted(names))
        frame.loc[frame["org_code"] == code, "org_name"] = joined
        notes.append(
            f"{file}: organisation {code} is published under {len(names)} names with identical "
            f"figures ({joined}); counted once"
        )
    return frame.drop_duplicates(_KEYS).reset_index(drop=True), tuple(notes)


def _collapse_subgroups(frame: pd.DataFrame) -> pd.DataFrame:
    """Presenting-complaint rows are nested (VariableB sub-groups): keep one row per VariableA.

    Use the group's own 'All' (or NULL) row when published; otherwise add up its sub-rows
    (suppressed sub-rows add nothing, so the group total is then a lower bound and the rest
    of the provider's courses stay unattributed).  The cross-cutting 'All ADSM' row is dropped.
    """
    nested = frame["variable_type"].isin(ADJUSTERS["descriptor"])
    if not nested.any():
        return frame
    part = frame[nested & ~frame["variable_a"].eq("All ADSM")]
    counts = [c for c in COUNT_NAMES]
    rows = []
    for _, g in part.groupby(["period", "org_type", "org_code", "variable_type", "variable_a"]):
        if len(g) == 1:
            rows.append(g.iloc[0])
            continue
        own = g[g["variable_b"].isin(["All", "NULL"])]
        if len(own):
            rows.append(own.iloc[0])
            continue
        r = g.iloc[0].copy()
        for c in counts:
            r[c] = g[c].sum(min_count=1)
            r[f"{c}_suppressed"] = bool(g[f"{c}_suppressed"].any())
        for c in [c for c in g.columns if c.startswith("published_pct_")]:
            r[c] = np.nan
        rows.append(r)
    collapsed = pd.DataFrame(rows)
    collapsed["variable_b"] = "All"
    return pd.concat([frame[~nested], collapsed], ignore_index=True)


def _read_monthly(raw: pd.DataFrame, path: Path) -> PublicTable:
    wanted = {n for names in COUNT_NAMES.values() for n in names}
    wanted |= {n for names in PERCENT_NAMES.values() for n in names}
    keep = raw[raw["MEASURE_NAME"].str.strip().isin(wanted)].copy()
    if keep.empty:
        raise DataContractError(
            "no outcome measures (Count_FinishedCourseTreatment, Count_Recovery, ...) in MEASURE_NAME",
            file=str(path),
            column="MEASURE_NAME",
        )
    keep["MEASURE_NAME"] = keep["MEASURE_NAME"].str.strip()
    keys = ["REPORTING_PERIOD_START", "GROUP_TYPE", "ORG_CODE1", "ORG_NAME1"]
    dup = keep.duplicated(keys + ["MEASURE_NAME"])
    if dup.any():
        first = int(keep.index[np.flatnonzero(dup.to_numpy())[0]])
        raise DataContractError(
            "the same measure appears twice for one organisation and month",
            file=str(path),
            row=first + 2,
            column="MEASURE_NAME",
        )
    wide = keep.pivot(index=keys, columns="MEASURE_NAME", values="MEASURE_VALUE_SUPPRESSED")
    wide = wide.reset_index()
    # keep the row numbers meaningful for errors: parse on the long frame first
    _parse_counts(
        keep["MEASURE_VALUE_SUPPRESSED"], file=str(path), column="MEASURE_VALUE_SUPPRESSED"
    )
    wide = wide.fillna("")  # a measure missing for an organisation = not published
    counts = _standardise(wide, str(path))
    text = wide["REPORTING_PERIOD_START"].str.strip()
    iso = text.str.match(r"^\d{4}-\d{2}-\d{2}")
    start = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    start[iso] = pd.to_datetime(text[iso].str[:10], errors="coerce", format="%Y-%m-%d")
    start[~iso] = pd.to_datetime(text[~iso], errors="coerce", dayfirst=True)
    if start.isna().any():
        raise DataContractError(
            "REPORTING_PERIOD_START is not a date", file=str(path), column="REPORTING_PERIOD_START"
        )
    group = wide["GROUP_TYPE"].str.strip()
    frame = pd.DataFrame(
        {
            "period": start.dt.strftime("%Y-%m"),
            "org_type": np.where(group.str.lower().eq("england"), "England", group),
            "org_code": wide["ORG_CODE1"].str.strip(),
            "org_name": wide["ORG_NAME1"].str.strip(),
            "variable_type": "Total",
            "variable_a": "NULL",
            "variable_b": "NULL",
        }
    )
    frame = pd.concat([frame, counts], axis=1)
    frame, notes = _deduplicate(frame, str(path))
    return PublicTable(frame, (str(path),), "monthly", notes)


def combine(tables: Sequence[PublicTable]) -> PublicTable:
    frame = pd.concat([t.frame for t in tables], ignore_index=True)
    dup = frame.duplicated(_KEYS)
    if dup.any():
        r = frame[dup].iloc[0]
        raise ClearwaterError(
            f"period {r['period']} for {r['org_type']} {r['org_code']} appears in more than one file"
        )
    layouts = {t.layout for t in tables}
    return PublicTable(
        frame,
        tuple(s for t in tables for s in t.sources),
        "+".join(sorted(layouts)),
        tuple(n for t in tables for n in t.notes),
    )


# ---------------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------------
def _denominators(frame: pd.DataFrame) -> pd.DataFrame:
    """Add recovery_denominator (Finished - NotAtCaseness, as published) and its basis.

    When NotAtCaseness is suppressed the published AtCaseness count is used instead (both are
    published figures); the basis column says which.  Nothing suppressed is estimated.
    """
    out = frame.copy()
    both = out["finished"].notna() & out["not_at_caseness"].notna()
    out["recovery_denominator"] = np.where(
        both, out["finished"] - out["not_at_caseness"], out["at_caseness"]
    )
    out["recovery_denominator_basis"] = np.where(
        both,
        "finished minus not at caseness",
        np.where(out["at_caseness"].notna(), "at caseness", "not available"),
    )
    return out


def national_rates(table: PublicTable) -> pd.DataFrame:
    """England rates per period and breakdown row, recomputed from the published counts."""
    eng = _denominators(table.frame[table.frame["org_type"].eq("England")])
    if eng.empty:
        raise ClearwaterError(
            "no England rows in the published file(s): national rates cannot be recomputed"
        )
    rows = []
    for m in MEASURES:
        num = eng[m.numerator]
        den = eng[m.denominator]
        pub = eng.get(f"published_pct_{m.id}", pd.Series(np.nan, index=eng.index))
        rows.append(
            pd.DataFrame(
                {
                    "period": eng["period"],
                    "variable_type": eng["variable_type"],
                    "variable_a": eng["variable_a"],
                    "measure": m.id,
                    "numerator": num,
                    "denominator": den,
                    "rate": num / den.where(den > 0),
                    "published_percentage": pub,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def imd_decile(label: str) -> int | None:
    """'10 Most deprived' -> IMD decile 1 (the publication's labels run the other way)."""
    m = re.match(r"\s*(\d{1,2})\b", str(label))
    if not m:
        return None
    k = int(m.group(1))
    return 11 - k if 1 <= k <= 10 else None


# ---------------------------------------------------------------------------------------------
# Benchmarking
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublicResult:
    providers: pd.DataFrame  # PROVIDER_COLUMNS + extras
    national: pd.DataFrame
    summary: dict
    overdispersion: dict[tuple[str, str], Overdispersion]
    gradient: pd.DataFrame  # national rates by IMD decile (equity gradient)
    spc: pd.DataFrame | None = None
    adjusters: tuple[str, ...] = ("imd",)
    sources: tuple[str, ...] = field(default_factory=tuple)


def _expected_for_factor(
    prov: pd.DataFrame, nat: pd.DataFrame, measure: PublicMeasure, vtypes: tuple[str, ...]
) -> tuple[pd.DataFrame, str] | None:
    """Expected rate per (period, provider) from one breakdown, and the breakdown used."""
    vtype = next((v for v in vtypes if prov["variable_type"].eq(v).any()), None)
    if vtype is None:
        return None
    rates = nat[(nat["variable_type"] == vtype) & (nat["measure"] == measure.id)][
        ["period", "variable_a", "rate"]
    ]
    totals = nat[(nat["variable_type"] == "Total") & (nat["measure"] == measure.id)][
        ["period", "rate"]
    ].rename(columns={"rate": "national"})
    rows = prov[prov["variable_type"] == vtype][
        ["period", "org_code", "variable_a", measure.denominator]
    ].rename(columns={measure.denominator: "den"})
    rows = rows.merge(rates, on=["period", "variable_a"], how="left")
    rows = rows[rows["den"].notna() & rows["rate"].notna()]
    agg = (
        rows.assign(weighted=rows["den"] * rows["rate"])
        .groupby(["period", "org_code"], as_index=False)
        .agg(attributed=("den", "sum"), weighted=("weighted", "sum"))
    )
    return agg.merge(totals, on="period", how="left"), vtype


def benchmark_public(
    tables: Sequence[PublicTable] | PublicTable,
    *,
    adjust: Sequence[str] = ("imd",),
    od_method: OverdispersionMethod = "additive",
    target: float = RECOVERY_TARGET,
) -> PublicResult:
    """Observed, expected (indirectly standardised) and funnel limits for every provider."""
    table = combine([tables] if isinstance(tables, PublicTable) else list(tables))
    unknown = [a for a in adjust if a not in ADJUSTERS]
    if unknown:
        raise ClearwaterError(
            f"unknown adjustment {unknown}: choose from {', '.join(ADJUSTERS)} (comma-separated)"
        )
    nat = national_rates(table)
    frame = _denominators(table.frame)
    prov = frame[frame["org_type"].eq("Provider")]
    if prov.empty:
        raise ClearwaterError("no Provider rows in the published file(s)")
    totals = prov[prov["variable_type"].eq("Total")]
    names = (
        totals.sort_values("period").groupby("org_code")["org_name"].last().rename("provider_name")
    )
    used: list[str] = []
    out_frames = []
    ods: dict[tuple[str, str], Overdispersion] = {}
    for m in MEASURES:
        base = pd.DataFrame(
            {
                "period": totals["period"].to_numpy(),
                "org_code": totals["org_code"].to_numpy(),
                "finished": totals["finished"].to_numpy(),
                "num": totals[m.numerator].to_numpy(),
                "den": totals[m.denominator].to_numpy(),
                "num_suppressed": totals[f"{m.numerator}_suppressed"].to_numpy(),
            }
        )
        if m.denominator == "recovery_denominator":
            base["denominator_basis"] = totals["recovery_denominator_basis"].to_numpy()
        else:
            base["denominator_basis"] = "finished"
        nat_total = nat[(nat["variable_type"] == "Total") & (nat["measure"] == m.id)][
            ["period", "rate"]
        ].rename(columns={"rate": "national"})
        base = base.merge(nat_total, on="period", how="left")
        logit_shift = pd.Series(0.0, index=base.index)
        coverage = {}
        for a in adjust:
            got = _expected_for_factor(prov, nat, m, ADJUSTERS[a])
            if got is None:
                if a == "imd":
                    raise ClearwaterError(
                        "the published file(s) have no 'Indices of Deprivation Decile' breakdown, "
                        "so deprivation-adjusted expected rates cannot be computed; pass "
                        "--adjust none to benchmark against the national rate only"
                    )
                raise ClearwaterError(
                    f"the published file(s) have no {' or '.join(ADJUSTERS[a])} breakdown "
                    f"for --adjust {a}"
                )
            agg, vtype = got
            if vtype not in used:
                used.append(vtype)
            merged = base[["period", "org_code", "den", "national"]].merge(
                agg.drop(columns="national"), on=["period", "org_code"], how="left"
            )
            attributed = merged["attributed"].fillna(0.0)
            weighted = merged["weighted"].fillna(0.0)
            rest = np.maximum(0.0, merged["den"].fillna(0.0) - attributed)
            total_w = attributed + rest
            exp_rate = (weighted + rest * merged["national"]) / total_w.where(total_w > 0)
            exp_rate = exp_rate.fillna(merged["national"])
            coverage[a] = (attributed / merged["den"].where(merged["den"] > 0)).clip(upper=1.0)
            logit_shift = logit_shift + (
                logit(exp_rate.clip(1e-6, 1 - 1e-6).to_numpy())
                - logit(merged["national"].to_numpy())
            )
        base["expected_rate"] = expit(logit(base["national"].to_numpy()) + logit_shift.to_numpy())
        for a, cov in coverage.items():
            base[f"{a}_coverage"] = cov.to_numpy()
        for period, part in base.groupby("period", sort=True):
            out_frames.append(_funnel_part(part.copy(), m, od_method, ods, period, target))
    providers = pd.concat(out_frames, ignore_index=True)
    providers = providers.merge(names, left_on="org_code", right_index=True, how="left")
    providers = providers.rename(columns={"org_code": "provider_code"})
    order = {m.id: i for i, m in enumerate(MEASURES)}
    providers = providers.sort_values(
        ["period", "measure", "provider_code"],
        key=lambda s: s.map(order) if s.name == "measure" else s,
    ).reset_index(drop=True)
    extras = [c for c in providers.columns if c not in PROVIDER_COLUMNS]
    providers = providers[PROVIDER_COLUMNS + extras]
    gradient = _gradient(nat)
    summary = _summary(providers, nat, ods, table, adjust, used, target)
    spc = _spc_trends(providers, nat) if providers["period"].nunique() > 1 else None
    return PublicResult(
        providers=providers,
        national=nat,
        summary=summary,
        overdispersion=ods,
        gradient=gradient,
        spc=spc,
        adjusters=tuple(adjust),
        sources=table.sources,
    )


def _funnel_part(part, m, od_method, ods, period, target) -> pd.DataFrame:
    ok = part["num"].notna() & part["den"].notna() & (part["den"] > 0)
    ok &= part["num"] <= part["den"]
    part["observed"] = np.where(ok, part["num"] / part["den"].where(part["den"] > 0), np.nan)
    for col in ("ratio", "lower95", "upper95", "lower998", "upper998", "z"):
        part[col] = np.nan
    part["position"] = np.where(part["num_suppressed"], "suppressed", "not available")
    part["position95"] = part["position"]
    part["position_raw"] = part["position"]
    if ok.sum() > 0:
        sub = part[ok]
        adj = funnel_proportions(
            sub["num"].to_numpy(),
            sub["den"].to_numpy(),
            sub["expected_rate"].to_numpy(),
            method=od_method,
        )
        raw = funnel_proportions(
            sub["num"].to_numpy(),
            sub["den"].to_numpy(),
            sub["national"].to_numpy(),
            method=od_method,
        )
        ods[(str(period), m.id)] = adj.overdispersion
        ods[(str(period), f"{m.id}_raw")] = raw.overdispersion
        t = adj.table
        idx = part.index[ok.to_numpy()]
        for col in ("ratio", "lower95", "upper95", "lower998", "upper998", "z"):
            part.loc[idx, col] = t[col].to_numpy()
        part.loc[idx, "position"] = t["position"].to_numpy()
        part.loc[idx, "position95"] = t["position95"].to_numpy()
        part.loc[idx, "position_raw"] = raw.table["position"].to_numpy()
    part["measure"] = m.id
    part["expected"] = part["expected_rate"]
    part["expected_count"] = part["expected_rate"] * part["den"]
    if m.id == "recovery":
        part["below_target"] = np.where(part["observed"].notna(), part["observed"] < target, np.nan)
        adjusted_target = target * part["expected_rate"] / part["national"]
        part["adjusted_target"] = adjusted_target
    part = part.rename(columns={"num": "observed_count", "den": "denominator"})
    part = part.drop(columns=["num_suppressed", "expected_rate"])
    return part


def _gradient(nat: pd.DataFrame) -> pd.DataFrame:
    g = nat[nat["variable_type"] == ADJUSTERS["imd"][0]].copy()
    g["imd_decile"] = g["variable_a"].map(imd_decile)
    g = g[g["imd_decile"].notna()]
    g["imd_decile"] = g["imd_decile"].astype(int)
    lower, upper = wilson(g["rate"] * g["denominator"], g["denominator"])
    g["lower95"], g["upper95"] = np.asarray(lower), np.asarray(upper)
    return g.sort_values(["period", "measure", "imd_decile"]).reset_index(drop=True)


def _summary(providers, nat, ods, table, adjust, used, target) -> dict:
    national = {}
    for period, part in nat[nat["variable_type"] == "Total"].groupby("period"):
        national[str(period)] = {
            r.measure: {
                "numerator": int(r.numerator),
                "denominator": int(r.denominator),
                "rate": round(float(r.rate), 6),
                "published_percentage": (
                    None if pd.isna(r.published_percentage) else float(r.published_percentage)
                ),
            }
            for r in part.itertuples()
        }
    delgadillo = {}
    rec = providers[providers["measure"] == "recovery"]
    for period, part in rec.groupby("period"):
        known = part[part["observed"].notna()]
        below = known[known["observed"] < target]
        below_adj_target = known[known["observed"] < known["adjusted_target"]]
        delgadillo[str(period)] = {
            "providers_with_published_recovery": int(len(known)),
            "providers_recovery_suppressed_or_unavailable": int(len(part) - len(known)),
            "below_target_raw": int(len(below)),
            "below_target_raw_share": _share(len(below), len(known)),
            "below_deprivation_adjusted_target": int(len(below_adj_target)),
            "below_deprivation_adjusted_target_share": _share(len(below_adj_target), len(known)),
            "below_target_raw_but_not_below_adjusted_target": int(
                (below["observed"] >= below["adjusted_target"]).sum()
            ),
            "below_adjusted_target_but_not_below_target_raw": int(
                (below_adj_target["observed"] >= target).sum()
            ),
            "below_target_raw_but_within_or_above_expectation": int(
                below["position"].isin(["within", "above"]).sum()
            ),
            "below_target_raw_and_below_expectation": int((below["position"] == "below").sum()),
            "below_national_rate_limits_raw": int((known["position_raw"] == "below").sum()),
            "below_expected_limits_adjusted": int((known["position"] == "below").sum()),
            "above_expected_limits_adjusted": int((known["position"] == "above").sum()),
        }
    return {
        "sources": [Path(s).name for s in table.sources],
        "periods": sorted(providers["period"].unique().tolist()),
        "recovery_target": target,
        "adjusted_for": list(adjust),
        "breakdowns_used": used,
        "notes": list(table.notes),
        "method": (
            "Expected rate = the provider's published mix of finished courses across the "
            "breakdown groups weighted by the national rate in each group (indirect "
            "standardisation); unattributed courses get the national rate; several factors are "
            "combined on the log-odds scale assuming they act independently. Funnel limits are "
            "exact binomial around the expected rate, widened for overdispersion when the "
            "chi-square test says so; position uses the 99.8% limits."
        ),
        "national": national,
        "overdispersion": {
            f"{p}/{m}": {
                "applied": od.applied,
                "method": od.method,
                "phi": _round(od.phi),
                "tau2": _round(od.tau2),
                "units": od.units,
                "p_value": _round(od.p_value),
            }
            for (p, m), od in ods.items()
        },
        "delgadillo": delgadillo,
    }


def _share(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def _round(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def _spc_trends(providers: pd.DataFrame, nat: pd.DataFrame) -> pd.DataFrame:
    """XmR of the national rate and of each provider's observed rate over periods.

    A period whose rate is suppressed or not published is a gap: a row with no value and its
    ``point_type`` saying why ('suppressed' / 'not available') and its group's centre and
    limits.  The chart's centre, limits and rules come from the published points only, in time
    order (:func:`clearwater.stats.xmr.xmr` with ``missing='gap'``); a provider needs two.
    """
    from clearwater.stats.xmr import GAP, xmr

    frames = []
    tot = nat[nat["variable_type"] == "Total"].sort_values("period")
    for mid, part in tot.groupby("measure"):
        res = xmr(part["rate"].to_numpy(), labels=part["period"].tolist(), direction="increase")
        f = res.points.assign(org_code="England", measure=mid, series="national rate")
        frames.append(f)
    for (code, mid), part in providers.groupby(["provider_code", "measure"]):
        part = part.sort_values("period")
        if part["observed"].notna().sum() < 2:
            continue
        res = xmr(
            part["observed"].to_numpy(),
            labels=part["period"].tolist(),
            direction="increase",
            missing="gap",
        )
        points = res.points
        gap = (points["point_type"] == GAP).to_numpy()
        points.loc[gap, "point_type"] = part["position"].to_numpy()[gap]  # why it is missing
        frames.append(points.assign(org_code=code, measure=mid, series="observed rate"))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_outputs(result: PublicResult, out_dir: Path) -> list[Path]:
    """providers.csv, summary.json, national.csv (and spc.csv with several periods)."""
    import json

    from clearwater.outputs import write_csv

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    paths.append(write_csv(result.providers, out_dir / "providers.csv", float_format="%.6g"))
    p = out_dir / "summary.json"
    p.write_text(json.dumps(result.summary, indent=2), encoding="utf-8")
    paths.append(p)
    paths.append(write_csv(result.national, out_dir / "national.csv", float_format="%.6g"))
    if result.spc is not None and not result.spc.empty:
        paths.append(write_csv(result.spc, out_dir / "spc.csv", float_format="%.6g"))
    return paths
