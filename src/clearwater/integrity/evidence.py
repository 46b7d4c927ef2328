"""Evidence for a flagged finding: the chart of the pattern itself, its figures and one sentence.

The funnel plot says *that* a unit is out of line with its peers; the evidence says *what it
looks like*: an SPC p-chart of the monthly ending mix for holding lists, ADSM completion and
the descriptor mix month by month for suppressed anxiety measures, the final-score
distribution against peers' for coaching, "last score is the minimum" against random
stopping for a stopping rule, and the wait to first treatment against peers' around the 6-
and 18-week standards.

Every builder takes the audit's :class:`~clearwater.integrity.base.AuditContext` and a unit
id, does the row-level work in Ibis (DuckDB or Spark) and brings back only small
aggregates (per month, per score, per group).  Builders are registered in :data:`EVIDENCE`
by detector name; detectors without one show their funnel only.  The audit builds evidence
for flagged findings only (:func:`build_evidence`), so an honest run costs nothing.
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
    """Two p-charts by month of discharge over ended treated anxiety-family courses: the share
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
        raise ValueError(f"no ended treated anxiety courses for unit {unit}")
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
        f"An anxiety-specific measure was recorded on {n_s} of {_unit_words(ctx)} {n_a} ended "
        f"treated courses with an ADSM descriptor ({_pct(n_s / n_a if n_a else np.nan)}), "
        f"against {_pct(c_scored)} across all units ({low_comp} month(s) below the lower "
        f"control limit); {_pct(n_a / n_f)} of its {n_f} ended treated anxiety courses carried "
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
            "Top: each point is one month's share of this unit's ended treated courses with an "
            "anxiety-specific descriptor that have any score on its measure. Bottom: the share "
            "of its ended treated anxiety courses whose descriptor has such a measure (a drift "
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
    fin = ctx.pw.filter(ctx.pw.finished_course.fill_null(False)).select(f_pathway_id="pathway_id")
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
    fin = ctx.pw.filter(ctx.pw.finished_course.fill_null(False)).select(f_pathway_id="pathway_id")
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
