"""Evidence for a flagged finding: the chart of the pattern itself, its figures and one sentence.

The funnel plot says *that* a unit is out of line with its peers; the evidence says *what it
looks like*: an SPC p-chart of the monthly ending mix for holding lists, ADSM completion and
the descriptor mix month by month for suppressed anxiety measures, the final-score
distribution against peers' for coaching, "last score is the minimum" against random
stopping for a stopping rule, the wait to first treatment against peers' around the 6-
and 18-week standards, which score was kept on same-day repeats (and which items moved),
the signs that a score was recorded without the patient, pre-treatment endings by
vulnerability group, and copied answers / bulk entry / flat trajectories.  The last four are
shares, this unit against other units, computed with the row-level definitions the detector
modules share (so a chart shows what its check looks for).

Every builder takes the audit's :class:`~clearwater.integrity.base.AuditContext` and a unit
id, does the row-level work in Ibis (DuckDB or Spark) and brings back only small
aggregates (per month, per score, per group).  Builders are registered in :data:`EVIDENCE`
by detector name (every detector has one; one without would show its funnel only).  The
audit builds evidence for flagged findings only (:func:`build_evidence`), so an honest run
costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import altair as alt
import ibis
import numpy as np
import pandas as pd

from clearwater.integrity.base import AuditContext
from clearwater.integrity.charts import grouped_share_bars, observed_vs_expected_bars, p_chart
from clearwater.integrity.detectors.adsm_suppression import with_adsm_score
from clearwater.integrity.detectors.cherry_picking import (
    ended_early,
    seen_referrals,
    vulnerability_flags,
)
from clearwater.integrity.detectors.dropout_fill import (
    LATE_ENTRY_DAYS,
    MIN_SIGNATURES,
    SIGNATURES,
    score_signatures,
)
from clearwater.integrity.detectors.fabrication import (
    BULK_PATHWAYS,
    FLAT_MIN_SCORE,
    core_scores,
    course_signatures,
    per_tool_days,
    scored_long,
    staff_entered,
)
from clearwater.integrity.detectors.repeat_until_good import same_day_administrations

SIGMA = 3.0  # control limits of the p-charts: centre +/- 3 binomial standard errors
QUARTER_END_MONTHS = (3, 6, 9, 12)
# anxiety descriptors measured by GAD-7 alone: where a recoded ADSM descriptor would go
GAD7_ANXIETY = ("gad", "mixed_anxiety_depression", "specific_phobia", "other_anxiety")
MAX_WEEKS = 26  # wait histogram: weekly bins up to 26 weeks, then one "longer" bin
STANDARDS_DAYS = (42, 126)
JUST_INSIDE_DAYS = 14


@dataclass(frozen=True)
class Evidence:
    """The chart of one finding's pattern, the figures behind it and one plain sentence."""

    title: str
    table: pd.DataFrame
    chart: Any  # an Altair chart (layered or concatenated)
    how_to_read: str
    words: str


EvidenceBuilder = Callable[[AuditContext, str], Evidence]
EVIDENCE: dict[str, EvidenceBuilder] = {}


def _register(name: str) -> Callable[[EvidenceBuilder], EvidenceBuilder]:
    def deco(fn: EvidenceBuilder) -> EvidenceBuilder:
        EVIDENCE[name] = fn
        return fn

    return deco


def build_evidence(
    ctx: AuditContext, flagged: Iterable[tuple[str, str]]
) -> tuple[dict[tuple[str, str], Evidence], dict[tuple[str, str], str]]:
    """Evidence for each (detector, unit_id) with a builder, and a short note for each that
    failed: a failure never loses the finding, it only loses its picture."""
    out: dict[tuple[str, str], Evidence] = {}
    notes: dict[tuple[str, str], str] = {}
    for key in flagged:
        builder = EVIDENCE.get(key[0])
        if builder is None:
            continue
        try:
            out[key] = builder(ctx, str(key[1]))
        except Exception as exc:  # noqa: BLE001 - any failure becomes a note, never a lost finding
            notes[key] = f"The evidence chart could not be built ({type(exc).__name__}: {exc})."
    return out, notes


# ----------------------------------------------------------------------------------------------
# shared pieces


def _group(t: ibis.Table, unit: str) -> ibis.Value:
    return ibis.ifelse(t.unit_id == unit, "unit", "others")


def _fetch(ctx: AuditContext, expr: ibis.Table) -> pd.DataFrame:
    return pd.DataFrame(ctx.engine.execute(expr))


def _count_words(k: int) -> str:
    """Small counts in words, as plain English prose writes them ("two or more")."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    return words[k] if 0 <= k < len(words) else str(k)


def _month(y: pd.Series, m: pd.Series) -> pd.Series:
    return y.astype(int).astype(str) + "-" + m.astype(int).map("{:02d}".format)


def p_table(month: pd.Series, n: pd.Series, o: pd.Series, centre: float) -> pd.DataFrame:
    """Monthly share with 3-sigma binomial limits around a fixed centre (limits clipped to
    [0, 1]); columns month, n, o, share, centre, lcl, ucl."""
    n = n.astype("int64").to_numpy()
    o = o.astype("int64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(centre * (1 - centre) / n)
        share = o / n
    return pd.DataFrame(
        {
            "month": month.to_numpy(),
            "n": n,
            "o": o,
            "share": share,
            "centre": centre,
            "lcl": np.clip(centre - SIGMA * se, 0.0, 1.0),
            "ucl": np.clip(centre + SIGMA * se, 0.0, 1.0),
        }
    )


def _unit_words(ctx: AuditContext) -> str:
    return f"this {ctx.level}'s"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if np.isfinite(x) else "n/a"


def _ratio(x: float) -> str:
    return f"{x:.2f}" if np.isfinite(x) else "n/a"


# ----------------------------------------------------------------------------------------------
# holding lists: SPC on the monthly ending mix


@_register("holding_list")
def holding_list_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """p-chart by month of discharge of the unit's share of discharged referrals that ended
    before treatment; centre = that share over all units and the whole period."""
    p = ctx.pw.filter(ctx.pw.discharge_date.notnull())
    t = p.mutate(
        grp=_group(p, unit),
        y=p.discharge_date.year(),
        m=p.discharge_date.month(),
        ebt=p.ended_before_treatment.fill_null(False).cast("int64"),
    )
    df = _fetch(ctx, t.group_by(["grp", "y", "m"]).aggregate(n=t.ebt.count(), o=t.ebt.sum()))
    if df.empty or not (df["grp"] == "unit").any():
        raise ValueError(f"no discharged referrals for unit {unit}")
    centre = float(df["o"].sum() / df["n"].sum())
    u = df[df["grp"] == "unit"].sort_values(["y", "m"])
    tab = p_table(_month(u["y"], u["m"]), u["n"], u["o"], centre)
    tab["quarter_end"] = u["m"].astype(int).isin(QUARTER_END_MONTHS).to_numpy()
    tab["special_cause"] = tab["share"] > tab["ucl"]
    tab = tab.rename(columns={"n": "discharged", "o": "ended_before_treatment"})
    k = int(tab["special_cause"].sum())
    kq = int((tab["special_cause"] & tab["quarter_end"]).sum())
    share = tab["ended_before_treatment"].sum() / tab["discharged"].sum()
    words = (
        f"{k} of {len(tab)} months had a share of discharges ended before treatment above the "
        f"upper control limit ({kq} of them quarter-end months); over the whole period "
        f"{_pct(share)} of {_unit_words(ctx)} {int(tab['discharged'].sum())} discharges ended "
        f"before treatment, against {_pct(centre)} across all units."
    )
    return Evidence(
        title="Monthly share of discharges that ended before treatment (p-chart)",
        table=tab.reset_index(drop=True),
        chart=p_chart(
            tab,
            y_title="ended before treatment",
            special="above",
            mark_quarter_ends=True,
        ),
        how_to_read=(
            "Each point is one month of this unit's discharges; the solid line is the share "
            "across all units and the dashed steps are 3-sigma limits for that month's number "
            "of discharges. Red points above the upper limit are special causes: more "
            "untreated endings than chance allows. Squares mark quarter-end months; months "
            "without discharges are left out."
        ),
        words=words,
    )


# ----------------------------------------------------------------------------------------------
# suppressed anxiety-specific measures: completion and descriptor mix by month


def anxiety_family(ctx: AuditContext) -> tuple[str, ...]:
    """Descriptors with an ADSM plus the anxiety descriptors measured by GAD-7 alone."""
    return tuple(sorted(set(ctx.instruments.adsm_descriptors()) | set(GAD7_ANXIETY)))


@_register("adsm_suppression")
def adsm_suppression_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Two p-charts by month of discharge over finished anxiety-family courses: the share
    of ADSM-descriptor courses with any score on their ADSM, and the share of anxiety-family
    courses that carry an ADSM descriptor.  Centres: all units' shares."""
    family = ctx.pw.problem_descriptor.isin(anxiety_family(ctx)) | ctx.pw.adsm.notnull()
    p = with_adsm_score(ctx, ctx.pw.filter(family))
    has_adsm = p.adsm.notnull()
    t = p.mutate(
        grp=_group(p, unit),
        y=p.discharge_date.year(),
        m=p.discharge_date.month(),
        a=has_adsm.cast("int64"),
        scored=(has_adsm & p.has.notnull()).cast("int64"),
    )
    df = _fetch(
        ctx,
        t.group_by(["grp", "y", "m"]).aggregate(
            fam=t.a.count(), adsm=t.a.sum(), scored=t.scored.sum()
        ),
    )
    if df.empty or not (df["grp"] == "unit").any():
        raise ValueError(f"no finished anxiety courses for unit {unit}")
    for c in ("fam", "adsm", "scored"):
        df[c] = df[c].fillna(0).astype("int64")
    if df["adsm"].sum() == 0:
        raise ValueError("no course in the data has an ADSM descriptor")
    c_scored = float(df["scored"].sum() / df["adsm"].sum())
    c_mix = float(df["adsm"].sum() / df["fam"].sum())
    u = df[df["grp"] == "unit"].sort_values(["y", "m"])
    oth = df[df["grp"] == "others"]
    month = _month(u["y"], u["m"])
    comp = p_table(month, u["adsm"], u["scored"], c_scored)
    has_n = u["adsm"].to_numpy() > 0
    mix = p_table(month, u["fam"], u["adsm"], c_mix)
    tab = pd.DataFrame(
        {
            "month": month.to_numpy(),
            "adsm_courses": comp["n"],
            "with_adsm_score": comp["o"],
            "adsm_share": np.where(has_n, comp["share"], np.nan),
            "adsm_lcl": np.where(has_n, comp["lcl"], np.nan),
            "adsm_ucl": np.where(has_n, comp["ucl"], np.nan),
            "anxiety_courses": mix["n"],
            "adsm_descriptor": mix["o"],
            "descriptor_share": mix["share"],
            "descriptor_lcl": mix["lcl"],
            "descriptor_ucl": mix["ucl"],
        }
    )
    low_comp = int((tab["adsm_share"] < tab["adsm_lcl"]).sum())
    low_mix = int((tab["descriptor_share"] < tab["descriptor_lcl"]).sum())
    n_a, n_s = int(u["adsm"].sum()), int(u["scored"].sum())
    n_f = int(u["fam"].sum())
    oth_mix = oth["adsm"].sum() / oth["fam"].sum() if oth["fam"].sum() else float("nan")
    words = (
        f"An anxiety-specific measure was recorded on {n_s} of {_unit_words(ctx)} {n_a} "
        f"finished courses with an ADSM descriptor ({_pct(n_s / n_a if n_a else np.nan)}), "
        f"against {_pct(c_scored)} across all units ({low_comp} month(s) below the lower "
        f"control limit); {_pct(n_a / n_f)} of its {n_f} finished anxiety courses carried "
        f"a descriptor that has an ADSM, against {_pct(oth_mix)} at other units ({low_mix} "
        "month(s) below the lower limit)."
    )
    chart = alt.vconcat(
        p_chart(comp[has_n], y_title="with an ADSM score", special="below"),
        p_chart(mix, y_title="with an ADSM descriptor", special="below"),
    )
    return Evidence(
        title="Anxiety-specific measures and the descriptor mix by month (p-charts)",
        table=tab,
        chart=chart,
        how_to_read=(
            "Top: each point is one month's share of this unit's finished courses with an "
            "anxiety-specific descriptor that have any score on its measure. Bottom: the share "
            "of its finished anxiety courses whose descriptor has such a measure (a drift "
            "down means descriptors moving to ones measured by GAD-7 alone). Solid lines are "
            "all units' shares, dashed steps 3-sigma limits; red points below the lower limit "
            "are special causes."
        ),
        words=words,
    )


# ----------------------------------------------------------------------------------------------
# coaching: final PHQ-9 distribution against peers'


@_register("coaching")
def coaching_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Final PHQ-9 (last scored day, courses with >= 2 scored PHQ-9 days, finished courses)
    per score 0..27 for the unit, and other units' distribution rescaled to its count."""
    seq = ctx.sequences(("PHQ9",))
    last = seq.filter((seq.k_rev == 1) & (seq.n_days >= 2))
    fin = ctx.finished.select(f_pathway_id="pathway_id")
    last = last.inner_join(fin, last.pathway_id == fin.f_pathway_id)
    sc = last.score.round().cast("int64")
    t = last.mutate(grp=_group(last, unit), s=ibis.ifelse(sc < 0, 0, ibis.ifelse(sc > 27, 27, sc)))
    df = _fetch(ctx, t.group_by(["grp", "s"]).aggregate(c=t.count()))
    cut = int(ctx.caseness("PHQ9"))
    lo, hi = cut - 2, cut - 1
    u = df[df["grp"] == "unit"].groupby("s")["c"].sum()
    o = df[df["grp"] == "others"].groupby("s")["c"].sum()
    if u.sum() == 0:
        raise ValueError(f"no finished course with two scored PHQ-9 days for unit {unit}")
    if o.sum() == 0:
        raise ValueError("no other unit's finished courses to compare with")
    scores = np.arange(28)
    obs = u.reindex(scores, fill_value=0).astype("int64").to_numpy()
    exp = o.reindex(scores, fill_value=0).to_numpy() * (u.sum() / o.sum())
    tab = pd.DataFrame(
        {
            "score": scores,
            "observed": obs,
            "expected": exp,
            "just_below_caseness": (scores >= lo) & (scores <= hi),
        }
    )
    notch = tab[tab["just_below_caseness"]]
    words = (
        f"{int(notch['observed'].sum())} of {_unit_words(ctx)} {int(u.sum())} final PHQ-9 "
        f"scores were at {lo}-{hi}, against {notch['expected'].sum():.1f} expected from other "
        "units' final scores scaled to the same number of finished courses."
    )
    return Evidence(
        title="Final PHQ-9 scores against other units' distribution",
        table=tab,
        chart=observed_vs_expected_bars(
            tab,
            x="score",
            x_title="final PHQ-9 score",
            highlight="just_below_caseness",
            highlight_words=f"{lo}-{hi} (just below caseness)",
            rules=(cut - 0.5,),
            y_title="finished courses",
        ),
        how_to_read=(
            f"Bars are this unit's finished courses by final PHQ-9 score; black ticks are other "
            f"units' distribution scaled to the same number of courses. The dashed line is the "
            f"caseness cut ({cut}); red bars are the two scores just below it. Peers' "
            "distribution is not adjusted for case mix (the test itself is)."
        ),
        words=words,
    )


# ----------------------------------------------------------------------------------------------
# early discharge: last score is the minimum, against random stopping


@_register("early_discharge")
def early_discharge_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Share of finished courses (>= 3 scored PHQ-9 days) whose final PHQ-9 is the lowest so
    far (ties count), against the share expected if each course had stopped at a random
    scored day j = 2..n: per course, the mean of 1[score_j <= min(score_1..j)]."""
    seq = ctx.sequences(("PHQ9",))
    seq = seq.filter(seq.n_days >= 3)
    fin = ctx.finished.select(f_pathway_id="pathway_id")
    seq = seq.inner_join(fin, seq.pathway_id == fin.f_pathway_id)
    w = ibis.window(group_by=[seq.pathway_id], order_by=[seq.k], rows=(None, 0))
    seq = seq.mutate(rec=(seq.score <= seq.score.min().over(w)).cast("int64"))
    per = seq.group_by(["pathway_id", "unit_id"]).aggregate(
        n=seq.k.max(),
        obs=ibis.ifelse(seq.k_rev == 1, seq.rec, 0).sum(),
        later=ibis.ifelse(seq.k >= 2, seq.rec, 0).sum(),
    )
    per = per.mutate(grp=_group(per, unit), exp=per.later.cast("float64") / (per.n - 1))
    df = _fetch(
        ctx,
        per.group_by("grp").aggregate(courses=per.count(), o=per.obs.sum(), e=per.exp.sum()),
    )
    if not (df["grp"] == "unit").any():
        raise ValueError(f"no finished course with three scored PHQ-9 days for unit {unit}")
    df = df.set_index("grp").reindex(["unit", "others"])
    tab = pd.DataFrame(
        {
            "group": ["this unit", "other units"],
            "courses": df["courses"].fillna(0).astype("int64").to_numpy(),
            "last_is_minimum": df["o"].fillna(0).astype("int64").to_numpy(),
            "expected_random_stopping": df["e"].astype(float).to_numpy(),
        }
    )
    tab["observed_share"] = tab["last_is_minimum"] / tab["courses"].where(tab["courses"] > 0)
    tab["expected_share"] = tab["expected_random_stopping"] / tab["courses"].where(
        tab["courses"] > 0
    )
    tab["observed_to_expected"] = tab["last_is_minimum"] / tab["expected_random_stopping"].where(
        tab["expected_random_stopping"] > 0
    )
    long = pd.concat(
        [
            tab[["group"]].assign(kind="observed", share=tab["observed_share"]),
            tab[["group"]].assign(
                kind="expected under random stopping", share=tab["expected_share"]
            ),
        ]
    ).dropna(subset=["share"])
    me, ot = tab.iloc[0], tab.iloc[1]
    words = (
        f"The final PHQ-9 was the lowest of the course in {int(me['last_is_minimum'])} of "
        f"{_unit_words(ctx)} {int(me['courses'])} finished courses with three or more scored "
        f"PHQ-9 days ({_pct(me['observed_share'])}), against {_pct(me['expected_share'])} "
        f"expected had the same courses stopped at a random scored day (ratio "
        f"{_ratio(me['observed_to_expected'])}); at other units {_pct(ot['observed_share'])} "
        f"against {_pct(ot['expected_share'])} (ratio {_ratio(ot['observed_to_expected'])})."
    )
    return Evidence(
        title="Last PHQ-9 score is the course minimum, against random stopping",
        table=tab,
        chart=grouped_share_bars(long, y_title="final score is the lowest so far"),
        how_to_read=(
            "For each group, the red bar is the share of finished courses whose final PHQ-9 "
            "was the lowest of the course; the grey bar is the share expected if each course "
            "had stopped at a random scored day (from its own scores). Courses that improve "
            "early and then level off end at their lowest point less often than a random stop "
            "would, so compare this unit's red-to-grey ratio with other units': stopping at "
            "the first good score raises it."
        ),
        words=words,
    )


# ----------------------------------------------------------------------------------------------
# assessment as treatment: wait to first treatment around the standards


@_register("assessment_as_treatment")
def assessment_as_treatment_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Referral to first treatment in weeks (bin w = days 7(w-1)+1..7w, day 0 in week 1,
    week 27 = more than 26 weeks) for the unit against other units rescaled."""
    p = ctx.pw.filter(ctx.pw.wait_to_first_treatment_days.notnull())
    days = p.wait_to_first_treatment_days.cast("int64")
    wk = ((days.cast("float64")) / 7).ceil().cast("int64")
    wk = ibis.ifelse(wk < 1, 1, ibis.ifelse(wk > MAX_WEEKS + 1, MAX_WEEKS + 1, wk))
    t = p.mutate(grp=_group(p, unit), week=wk)
    df = _fetch(ctx, t.group_by(["grp", "week"]).aggregate(c=t.count()))
    u = df[df["grp"] == "unit"].groupby("week")["c"].sum()
    o = df[df["grp"] == "others"].groupby("week")["c"].sum()
    if u.sum() == 0:
        raise ValueError(f"no treated referral for unit {unit}")
    if o.sum() == 0:
        raise ValueError("no other unit's treated referrals to compare with")
    weeks = np.arange(1, MAX_WEEKS + 2)
    inside = np.zeros(len(weeks), bool)
    for std in STANDARDS_DAYS:
        inside |= (weeks * 7 > std - JUST_INSIDE_DAYS) & (weeks * 7 <= std)
    tab = pd.DataFrame(
        {
            "week": weeks,
            "observed": u.reindex(weeks, fill_value=0).astype("int64").to_numpy(),
            "expected": o.reindex(weeks, fill_value=0).to_numpy() * (u.sum() / o.sum()),
            "just_inside_standard": inside,
        }
    )
    ins = tab[tab["just_inside_standard"]]
    words = (
        f"{int(ins['observed'].sum())} of {_unit_words(ctx)} {int(u.sum())} treated referrals "
        "started treatment in the two weeks before the 6- or 18-week standard, against "
        f"{ins['expected'].sum():.1f} expected from other units' waits scaled to the same "
        "number of referrals."
    )
    words = words + " " + _aat_form_words(ctx, unit)
    return Evidence(
        title="Wait from referral to first treatment against other units'",
        table=tab,
        chart=observed_vs_expected_bars(
            tab,
            x="week",
            x_title=f"weeks from referral to first treatment ({MAX_WEEKS + 1} = longer)",
            highlight="just_inside_standard",
            highlight_words="two weeks before a standard",
            rules=tuple(s / 7 for s in STANDARDS_DAYS),
            y_title="treated referrals",
            edges=(-1.0, 0.0),
        ),
        how_to_read=(
            "Bars are this unit's treated referrals by week of waiting (week 6 = days 36-42); "
            "black ticks are other units' waits scaled to the same number. Dashed lines mark "
            "the 6- and 18-week standards; red bars are the two weeks just inside each. A "
            "pile-up in the red bars beyond the ticks is the clock-stopping signature."
        ),
        words=words,
    )


def _aat_form_words(ctx: AuditContext, unit: str) -> str:
    """Which form of assessment as treatment the unit's events take, and what was ruled out."""
    from clearwater.integrity.detectors.assessment_as_treatment import trials

    needed = ("first_treatment_date", "second_treatment_date", "first_to_second_treatment_days")
    if not all(c in ctx.pw.columns for c in needed):
        return ""
    t = trials(ctx)
    t = t.filter(t.event == 1)
    t = t.mutate(grp=ibis.ifelse(t.unit_id == unit, "unit", "others"))
    df = _fetch(ctx, t.group_by(["grp", "form"]).aggregate(c=t.count()))
    u = df[df["grp"] == "unit"].set_index("form")["c"]
    clock, hidden = int(u.get("clock_stop", 0)), int(u.get("hidden_wait", 0))
    if clock + hidden == 0:
        return ""
    form = "the hidden wait" if hidden > clock else "clock-stopping just inside a standard"
    return (
        f"Form: {form} ({clock} assessment-like first treatments just inside a standard, "
        f"{hidden} followed by more than 90 days to the second treatment). Ruled out: courses "
        "were compared with same-team peers whose later sessions are as long, and a long gap "
        "after an ordinary first session (a birth, a hospital stay, an internal waiting list) "
        "was not counted."
    )


# ----------------------------------------------------------------------------------------------
# shares by category, this unit against other units (repeats, dropout fill, cherry-picking,
# fabrication)

GROUPS = ("this unit", "other units")


def _compare(
    df: pd.DataFrame, rows: list[tuple[str, str]], *, cat: str, n_name: str, o_name: str
) -> pd.DataFrame:
    """Long table from per-group counts (``grp`` = 'unit'/'others', ``key``, ``n``, ``o``):
    one row per (category, group) in the order of ``rows`` ((key, label) pairs), with the
    label in column ``cat``, the counts as ``n_name`` / ``o_name`` and ``share`` = o / n."""
    got = {
        (g, k): (int(n), int(o)) for g, k, n, o in df[["grp", "key", "n", "o"]].itertuples(False)
    }
    out = []
    for key, label in rows:
        for grp, words in zip(("unit", "others"), GROUPS, strict=True):
            n, o = got.get((grp, key), (0, 0))
            out.append({cat: label, "group": words, n_name: n, o_name: o})
    tab = pd.DataFrame(out)
    tab["share"] = tab[o_name] / tab[n_name].where(tab[n_name] > 0)
    return tab


def _counts(df: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """Per-group wide counts (``grp``, ``n_<key>``, ``o_<key>``) to long (grp, key, n, o)."""
    parts = [
        pd.DataFrame(
            {
                "grp": df["grp"],
                "key": k,
                "n": df[f"n_{k}"].fillna(0).astype("int64"),
                "o": df[f"o_{k}"].fillna(0).astype("int64"),
            }
        )
        for k in keys
    ]
    return pd.concat(parts, ignore_index=True)


def _bars(tab: pd.DataFrame, cat: str, short: dict[str, str], y_title: str) -> alt.Chart:
    """Grouped bars of ``share``: each category of ``cat`` (shown by its short label), this
    unit red and other units grey."""
    d = tab.dropna(subset=["share"])
    d = pd.DataFrame({"group": d[cat].map(short), "kind": d["group"], "share": d["share"]})
    return grouped_share_bars(
        d, y_title=y_title, groups=[short[c] for c in tab[cat].unique()], kinds=GROUPS
    )


def _row(tab: pd.DataFrame, cat: str, label: str, group: str) -> pd.Series:
    return tab[(tab[cat] == label) & (tab["group"] == group)].iloc[0]


# ----------------------------------------------------------------------------------------------
# repeat until good: same-day repeats, which score was kept, which items moved


REPEAT_KINDS = (
    ("lower", "kept score lower than the first"),
    ("same", "kept score the same as the first"),
    ("higher", "kept score higher than the first"),
)
REPEAT_SHORT = {"lower": "kept lower", "same": "kept the same", "higher": "kept higher"}


@_register("repeat_until_good")
def repeat_until_good_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Same-day repeats (a measure administered two or more times on one scored day of a
    course, :func:`~clearwater.integrity.detectors.repeat_until_good.same_day_administrations`):
    for the unit and for other units, how many kept (entered last) a lower, the same or a
    higher total than the first entered.  Where both answer sets carry item vectors, the same
    comparison item by item (rows ``part`` = 'item k')."""
    day = same_day_administrations(ctx, items=True)
    rep = day.filter(day.n >= 2)
    rep = rep.mutate(
        grp=_group(rep, unit),
        lower=(rep.kept < rep.first).cast("int64"),
        same=(rep.kept == rep.first).cast("int64"),
        higher=(rep.kept > rep.first).cast("int64"),
    )
    tot = _fetch(
        ctx,
        rep.group_by("grp").aggregate(
            repeats=rep.count(), lower=rep.lower.sum(), same=rep.same.sum(), higher=rep.higher.sum()
        ),
    )
    if not (tot["grp"] == "unit").any():
        raise ValueError(f"no questionnaire repeated on the same day for unit {unit}")
    tot = tot.set_index("grp").reindex(["unit", "others"]).fillna(0).astype("int64")
    tab = pd.DataFrame(
        {
            "measure": "all measures",
            "part": "total score",
            "group": list(GROUPS),
            "repeats": tot["repeats"].to_numpy(),
            "kept_lower": tot["lower"].to_numpy(),
            "kept_same": tot["same"].to_numpy(),
            "kept_higher": tot["higher"].to_numpy(),
        }
    )
    items = _repeat_items(ctx, rep)
    if not items.empty:
        tab = pd.concat([tab, items], ignore_index=True)
    tab["share_kept_lower"] = tab["kept_lower"] / tab["repeats"].where(tab["repeats"] > 0)
    me, ot = tab.iloc[0], tab.iloc[1]
    words = (
        f"{int(me['kept_lower'])} of {_unit_words(ctx)} {int(me['repeats'])} questionnaires "
        f"repeated on the same day kept a lower score than the first one entered "
        f"({_pct(me['share_kept_lower'])}), "
        + (
            f"against {_pct(ot['share_kept_lower'])} of other units' {int(ot['repeats'])} repeats"
            if ot["repeats"] > 0
            else "while other units repeated no questionnaire on the same day"
        )
    )
    mine = tab[(tab["part"] != "total score") & (tab["group"] == "this unit")]
    if len(mine) and mine["kept_lower"].max() > 0:
        top = mine.sort_values(["kept_lower", "measure", "part"], ascending=[False, True, True])
        top = top.iloc[0]
        words += (
            f"; where both answer sets were recorded, the item most often lower on the kept one "
            f"was {top['measure']} {top['part']} ({int(top['kept_lower'])} of "
            f"{int(top['repeats'])})"
        )
    words += "."
    long = pd.DataFrame(
        [
            {
                "kept": k,
                "group": g,
                "share": tot.loc[grp, k] / tot.loc[grp, "repeats"]
                if tot.loc[grp, "repeats"]
                else np.nan,
            }
            for k, _ in REPEAT_KINDS
            for grp, g in zip(("unit", "others"), GROUPS, strict=True)
        ]
    )
    return Evidence(
        title="Questionnaires repeated on the same day: which score was kept",
        table=tab,
        chart=_bars(long, "kept", REPEAT_SHORT, "of same-day repeats"),
        how_to_read=(
            "A repeat is one questionnaire recorded two or more times for the same course on "
            "the same day; the kept one is the last entered (by entry time when recorded, "
            "else file order). Red bars are this unit's repeats, grey bars other units': the "
            "share where the kept score was lower than, the same as, or higher than the first. "
            "Honest corrections go both ways; repeats that mostly end lower are the signature. "
            "The figures below add, where answer sets were recorded, how often each item was "
            "lower on the kept answer set."
        ),
        words=words,
    )


def _repeat_items(ctx: AuditContext, rep: ibis.Table) -> pd.DataFrame:
    """Per group x measure x item: repeats with both item vectors of the same length, and how
    often the item was lower / the same / higher on the kept answer set."""
    r = rep.filter(rep.first_items.notnull() & rep.kept_items.notnull())
    r = r.mutate(fa=r.first_items.split(","), ka=r.kept_items.split(","))
    r = r.filter(r.fa.length() == r.ka.length())
    u = r.unnest("fa", offset="pos")
    u = u.mutate(
        f_item=u.fa.strip().try_cast("float64"), k_item=u.ka[u.pos].strip().try_cast("float64")
    )
    u = u.filter(u.f_item.notnull() & u.k_item.notnull())
    agg = u.group_by(["grp", "tool", "pos"]).aggregate(
        repeats=u.count(),
        kept_lower=(u.k_item < u.f_item).cast("int64").sum(),
        kept_same=(u.k_item == u.f_item).cast("int64").sum(),
        kept_higher=(u.k_item > u.f_item).cast("int64").sum(),
    )
    df = _fetch(ctx, agg)
    if df.empty:
        return df
    df["group"] = df["grp"].map(dict(zip(("unit", "others"), GROUPS, strict=True)))
    df["item"] = df["pos"].astype("int64") + 1
    df["rank"] = df["grp"].map({"unit": 0, "others": 1})
    df = df.sort_values(["tool", "item", "rank"])
    for c in ("repeats", "kept_lower", "kept_same", "kept_higher"):
        df[c] = df[c].fillna(0).astype("int64")
    return pd.DataFrame(
        {
            "measure": df["tool"].astype(str).to_numpy(),
            "part": ("item " + df["item"].astype(str)).to_numpy(),
            "group": df["group"].to_numpy(),
            "repeats": df["repeats"].to_numpy(),
            "kept_lower": df["kept_lower"].to_numpy(),
            "kept_same": df["kept_same"].to_numpy(),
            "kept_higher": df["kept_higher"].to_numpy(),
        }
    )


# ----------------------------------------------------------------------------------------------
# dropout fill: scores recorded when the patient was not seen

DROPOUT_ROWS = (
    ("non_attended", "a score at a contact that was not attended", "missed contact"),
    (
        "after_last_attended",
        "a score dated after the last attended contact",
        "after last attended",
    ),
    ("after_discharge", "a score dated after discharge", "after discharge"),
    (
        "late_entry",
        f"a score entered more than {LATE_ENTRY_DAYS} days after its date",
        "entered late",
    ),
    (
        "event",
        f"a score with {_count_words(MIN_SIGNATURES)} or more of these (the check's event)",
        f"{_count_words(MIN_SIGNATURES)} or more",
    ),
)


@_register("dropout_fill")
def dropout_fill_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Courses with scores (the detector's trials), unit against other units: the share with
    at least one score showing each signature of
    :func:`~clearwater.integrity.detectors.dropout_fill.score_signatures`, and with one score
    showing two or more (the detector's event).  Late entry counts over courses with at least
    one entry time and is left out when no score in the data has one."""
    s = score_signatures(ctx)
    s = s.mutate(event=s.sign, timed=s.recorded_at.notnull())
    per = s.group_by(["pathway_id", "unit_id"]).aggregate(
        timed=s.timed.cast("int64").max(), **{k: s[k].max() for k in (*SIGNATURES, "event")}
    )
    per = per.mutate(grp=_group(per, unit))
    aggs: dict[str, ibis.Value] = {}
    for k in (*SIGNATURES, "event"):
        aggs[f"n_{k}"] = per.timed.sum() if k == "late_entry" else per.count()
        aggs[f"o_{k}"] = per[k].sum()
    df = _fetch(ctx, per.group_by("grp").aggregate(**aggs))
    if not (df["grp"] == "unit").any():
        raise ValueError(f"no course with scores for unit {unit}")
    keys = [k for k, _, _ in DROPOUT_ROWS]
    if df["n_late_entry"].fillna(0).sum() == 0:
        keys.remove("late_entry")
    rows = [(k, label) for k, label, _ in DROPOUT_ROWS if k in keys]
    short = {label: sh for _, label, sh in DROPOUT_ROWS}
    tab = _compare(
        _counts(df, keys), rows, cat="signature", n_name="courses", o_name="with_signature"
    )
    ev_label = DROPOUT_ROWS[-1][1]
    me = _row(tab, "signature", ev_label, "this unit")
    ot = _row(tab, "signature", ev_label, "other units")
    parts = [
        f"{int(_row(tab, 'signature', label, 'this unit')['with_signature'])} {short[label]}"
        for k, label in rows
        if k != "event"
    ]
    words = (
        f"{int(me['with_signature'])} of {_unit_words(ctx)} {int(me['courses'])} courses with "
        f"scores had a score showing {_count_words(MIN_SIGNATURES)} or more signs that the "
        "patient was not "
        f"seen ({_pct(me['share'])}), against {_pct(ot['share'])} of other units' "
        f"{int(ot['courses'])} courses; courses with each sign: {', '.join(parts)}."
    )
    late_note = (
        " Late entry counts only courses with entry times (CW_RecordedAt)."
        if "late_entry" in keys
        else " No entry times (CW_RecordedAt) were supplied, so late entry is not shown."
    )
    return Evidence(
        title="Scores recorded when the patient was not seen, against other units",
        table=tab,
        chart=_bars(tab, "signature", short, "of courses with scores"),
        how_to_read=(
            "Each pair of bars is one sign that a score was recorded without the patient at a "
            "session: red is the share of this unit's courses with scores that have at least "
            "one such score, grey other units'. One sign alone has everyday causes (postal or "
            "online forms, catch-up entry); the last pair, a single score showing two or more "
            "signs, is what the check counts. Shares are not adjusted for how courses ended "
            "(the test itself is)." + late_note
        ),
        words=words,
    )


# ----------------------------------------------------------------------------------------------
# cherry-picking: who is ended before treatment

CHERRY_ROWS = (
    ("all", "all referrals seen", "all"),
    ("any", "with any vulnerability flag", "any flag"),
    ("severe", "severe baseline (PHQ-9 20 or more)", "severe"),
    ("deprived", "most deprived areas (IMD decile 1-2)", "IMD 1-2"),
    ("not_english", "preferred language not English", "not English"),
    ("minority_ethnic", "minority ethnic group", "minority ethnic"),
    ("none", "with no vulnerability flag", "no flag"),
)


@_register("cherry_picking")
def cherry_picking_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Share of referrals seen (at least one attended contact) that ended before treatment or
    as 'not suitable', for all of them, for each of the detector's vulnerability flags, for
    any flag and for none: unit against other units (the detector's definitions:
    :func:`~clearwater.integrity.detectors.cherry_picking.vulnerability_flags`)."""
    p = seen_referrals(ctx)
    flags = vulnerability_flags(p)
    anyf = ibis.literal(False)
    for f in flags.values():
        anyf = anyf | f
    groups = {"all": p.unit_id.notnull(), "any": anyf, **flags, "none": ~anyf}
    ended = ended_early(p)
    p = p.mutate(
        grp=_group(p, unit),
        ended=ended,
        **{f"f_{k}": g for k, g in groups.items()},
    )
    aggs: dict[str, ibis.Value] = {}
    for k in groups:
        g = p[f"f_{k}"]
        aggs[f"n_{k}"] = g.cast("int64").sum()
        aggs[f"o_{k}"] = (g & p.ended).cast("int64").sum()
    df = _fetch(ctx, p.group_by("grp").aggregate(**aggs))
    if not (df["grp"] == "unit").any():
        raise ValueError(f"no referral seen by unit {unit}")
    rows = [(k, label) for k, label, _ in CHERRY_ROWS]
    short = {label: sh for _, label, sh in CHERRY_ROWS}
    tab = _compare(
        _counts(df, groups), rows, cat="referrals", n_name="seen", o_name="ended_before_treatment"
    )

    def r(k: int, g: str) -> pd.Series:
        return _row(tab, "referrals", CHERRY_ROWS[k][1], g)

    words = (
        f"{int(r(0, GROUPS[0])['ended_before_treatment'])} of {_unit_words(ctx)} "
        f"{int(r(0, GROUPS[0])['seen'])} referrals seen ended before treatment "
        f"({_pct(r(0, GROUPS[0])['share'])}, other units {_pct(r(0, GROUPS[1])['share'])}); "
        f"of its {int(r(1, GROUPS[0])['seen'])} referrals with a vulnerability flag, "
        f"{_pct(r(1, GROUPS[0])['share'])} (other units {_pct(r(1, GROUPS[1])['share'])}), and "
        f"of its {int(r(6, GROUPS[0])['seen'])} without one, {_pct(r(6, GROUPS[0])['share'])} "
        f"(other units {_pct(r(6, GROUPS[1])['share'])})."
    )
    return Evidence(
        title="Referrals ended before treatment, by vulnerability, against other units",
        table=tab,
        chart=_bars(tab, "referrals", short, "ended before treatment"),
        how_to_read=(
            "Each pair of bars is one group of referrals seen at least once: red is the share "
            "of this unit's that ended before treatment (or as not suitable), grey other "
            "units'. Flags: baseline PHQ-9 20 or more, IMD decile 1-2, preferred language not "
            "English, minority ethnic group (unknown counts as not flagged). The signature is "
            "the gap between flagged and unflagged referrals being wider here than at other "
            "units, not the overall level; the test also allows for each unit's referral mix."
        ),
        words=words,
    )


# ----------------------------------------------------------------------------------------------
# fabrication: copied answers, bulk entry, flat trajectories

FABRICATION_ROWS = (
    ("copied", "every answer set shared with another patient of the unit", "copied answers"),
    ("bulk", f"a score entered in a burst ({BULK_PATHWAYS}+ courses in 15 minutes)", "bulk entry"),
    ("flat", f"the same total (of {FLAT_MIN_SCORE}+) on every scored day", "flat trajectory"),
    ("event", "any of these (the check's event)", "any of these"),
)


@_register("fabrication")
def fabrication_evidence(ctx: AuditContext, unit: str) -> Evidence:
    """Courses with PHQ-9/GAD-7 scores, unit against other units: the share showing each of the
    detector's signatures (:mod:`~clearwater.integrity.detectors.fabrication`) and any of them.
    Each signature counts over the courses where it can be seen: copied answers over courses
    with an answer set (item vector), bulk entry over courses with a score whose entry time and
    person are recorded and not self-entered, flat over courses with a measure scored on
    FLAT_MIN_DAYS or more days; a signature no course can show is left out."""
    s = core_scores(ctx)
    per_tool = per_tool_days(ctx)
    sig = course_signatures(s, per_tool)
    # where each signature can be seen: an answer set recorded, a staff entry recorded, a
    # measure scored on enough days
    can = s.group_by(c_pathway_id="pathway_id").aggregate(
        n_copied=s.item_scores.notnull().cast("int64").max(),
        n_bulk=staff_entered(s).cast("int64").max(),
    )
    can_flat = (
        scored_long(per_tool)
        .select(l_pathway_id="pathway_id")
        .distinct()
        .mutate(n_flat=ibis.literal(1))
    )
    t = sig.inner_join(can, sig.pathway_id == can.c_pathway_id)
    t = t.left_join(can_flat, t.pathway_id == can_flat.l_pathway_id)
    t = t.mutate(
        grp=_group(t, unit),
        o_copied=t.copied,
        o_bulk=t.bulk,
        o_flat=t.flat,
        o_event=t.event,
        n_flat=t.n_flat.fill_null(0),
    )
    aggs = {
        c: t[c].sum()
        for k in ("copied", "bulk", "flat", "event")
        for c in (f"n_{k}", f"o_{k}")
        if c != "n_event"
    }
    df = _fetch(ctx, t.group_by("grp").aggregate(n_event=t.count(), **aggs))
    if not (df["grp"] == "unit").any():
        raise ValueError(f"no course with PHQ-9/GAD-7 scores for unit {unit}")
    keys = [k for k, _, _ in FABRICATION_ROWS if k == "event" or df[f"n_{k}"].fillna(0).sum() > 0]
    rows = [(k, label) for k, label, _ in FABRICATION_ROWS if k in keys]
    short = {label: sh for _, label, sh in FABRICATION_ROWS}
    tab = _compare(
        _counts(df, keys), rows, cat="signature", n_name="courses", o_name="with_signature"
    )
    ev_label = FABRICATION_ROWS[-1][1]
    me = _row(tab, "signature", ev_label, "this unit")
    ot = _row(tab, "signature", ev_label, "other units")
    mine = tab[(tab["group"] == GROUPS[0]) & (tab["signature"] != ev_label) & (tab["courses"] > 0)]
    parts = [
        f"{short[r.signature]} in {int(r.with_signature)} of {int(r.courses)}"
        for r in mine.itertuples(index=False)
    ]
    words = (
        f"{int(me['with_signature'])} of {_unit_words(ctx)} {int(me['courses'])} courses with "
        f"PHQ-9/GAD-7 scores show at least one of these patterns ({_pct(me['share'])}), against "
        f"{_pct(ot['share'])} of other units' {int(ot['courses'])} courses"
        + (f": {'; '.join(parts)} where it can be seen." if parts else ".")
    )
    missing = [short[label] for k, label, _ in FABRICATION_ROWS if k not in keys]
    gone = f" Not shown, because the data cannot show it: {', '.join(missing)}." if missing else ""
    return Evidence(
        title="Copied answers, bulk entry and flat trajectories, against other units",
        table=tab,
        chart=_bars(tab, "signature", short, "of courses"),
        how_to_read=(
            "Each pair of bars is one pattern: red is the share of this unit's courses that "
            "show it, grey other units'. Copied answers: every answer set (total 8 or more, at "
            "least three) is also another patient's of the same unit; bulk entry: a score "
            f"entered by one person within 15 minutes of scores for {BULK_PATHWAYS} or more "
            f"courses, not by the patient; flat: the same total, {FLAT_MIN_SCORE} or more, on "
            "every scored day of every measure scored three or more times. Each share counts "
            "only courses where the pattern can be seen (answer sets recorded, entry recorded, "
            "three scored days); the last pair is any of them over all courses. Batch entry of "
            "paper forms and stable symptoms explain some; the test compares like with like." + gone
        ),
        words=words,
    )
