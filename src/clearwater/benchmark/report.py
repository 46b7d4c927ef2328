"""Report sections for benchmarking: published statistics and a service's own data.

The report layer of the benchmark area: it reads results from :mod:`.public` and :mod:`.record`
(which compute and write tables, and import nothing from here) and writes the HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearwater.benchmark import charts
from clearwater.benchmark.casemix import OUTCOMES
from clearwater.benchmark.public import MEASURE_BY_ID, PublicResult
from clearwater.benchmark.record import BenchmarkResult, write_tables
from clearwater.report.core import Section, analyst_details, chart_svg, escape, table_html
from clearwater.stats.funnel import Overdispersion, funnel_curve
from clearwater.stats.xmr import describe_variation

FUNNEL_HOW = (
    "Each mark is one {unit}; the further right, the more finished courses. Marks between the "
    "solid lines are within the range chance alone would give (99.8%); marks outside them are "
    "higher or lower than expected for their case mix."
)
OE_HOW = (
    "Each row is one {unit}: the dot is the shrunken observed/expected ratio and the line its "
    "95% interval; 1 means outcomes as expected for the people seen. Overlapping lines mean the "
    "order between those units is not reliable."
)
SPC_HOW = (
    "Points joined in time order; the dashed lines are the process limits. Coloured points show "
    "special-cause variation (blue improvement, orange concern); grey points are normal variation."
)
GRADIENT_HOW = (
    "Each dot is a group's rate with its 95% interval; compare the raw and adjusted dots to see "
    "how much of a gap is explained by how unwell people were at the start."
)


def overdispersion_html(od: Any) -> str:
    """How the funnel limits allow for real differences between units: words, then numbers."""
    if od.units < 3:
        words = "Too few units to tell whether they differ more than chance; plain limits."
    elif not od.applied:
        words = (
            "The units differ from one another no more than chance alone would explain, so the "
            "limits are the plain ones."
        )
    else:
        words = (
            "The units differ from one another more than chance alone would explain (normal "
            "for services), so the limits have been widened to allow for it: a mark outside "
            "them is unusual even so."
        )
    return analyst_details(words, od.describe())


def _name_column(part: pd.DataFrame) -> str:
    for c in ("provider_name", "provider", "org_name", "org_code", "provider_code"):
        if c in part.columns:
            return c
    return part.columns[0]


def _pct(x: Any) -> str:
    return "" if x is None or pd.isna(x) else f"{100 * float(x):.1f}%"


def report_sections(result: Any) -> list[Section]:
    """Sections for a :class:`PublicResult` or a record-level ``BenchmarkResult``."""
    if isinstance(result, PublicResult):
        return public_sections(result)
    if isinstance(result, BenchmarkResult):
        return record_sections(result)
    raise TypeError(f"no benchmark sections for {type(result).__name__}")


def write_outputs(result: Any, out_dir: Path) -> list[Path]:
    """Machine-readable outputs (used by the pipeline)."""
    if isinstance(result, PublicResult):
        from clearwater.benchmark.public import write_outputs as w

        return w(result, Path(out_dir))
    return write_tables(result, Path(out_dir))


# ---------------------------------------------------------------------------------------------
# Published statistics
# ---------------------------------------------------------------------------------------------
def public_sections(result: PublicResult) -> list[Section]:
    s = result.summary
    period = s["periods"][-1]
    prov = result.providers[result.providers["period"] == period]
    d = s["delgadillo"].get(period, {})
    adj = ", ".join(result.adjusters) or "nothing (national rate)"
    lead = (
        f"<p>Published NHS Talking Therapies statistics for {escape(period)} "
        f"({escape(', '.join(s['sources']))}). Each provider's expected rate is the national rate "
        f"for people like those it treated, by {escape(adj)} mix (indirect standardisation). "
        "Suppressed figures ('*') stay suppressed.</p>"
    )
    if d:
        lead += (
            f"<p class='callout'><strong>{d['below_target_raw']} of "
            f"{d['providers_with_published_recovery']}</strong> providers are below the "
            f"{s['recovery_target']:.0%} recovery target. Judged against the range expected for "
            "the people each treats (deprivation taken into account, with an allowance for "
            f"chance), <strong>{d['below_target_raw_but_within_or_above_expectation']}</strong> "
            "of them are within or above that range and "
            f"<strong>{d['below_target_raw_and_below_expectation']}</strong> are below it. "
            "A stricter comparison, against the target scaled to each provider's deprivation "
            f"mix with no allowance for chance, puts {d['below_deprivation_adjusted_target']} "
            "providers below their own target; the difference between the two counts is the "
            "allowance for chance.</p>"
        )
    children = []
    for mid in ("reliable_improvement", "recovery", "reliable_recovery"):
        part = prov[(prov["measure"] == mid) & prov["observed"].notna()]
        if part.empty:
            continue
        m = MEASURE_BY_ID[mid]
        nat = float(part["national"].iloc[0])
        od = result.overdispersion.get((period, mid))
        pts = pd.DataFrame(
            {
                "n": part["denominator"],
                "value": part["ratio"] * nat,
                "position": part["position"],
                "label": part[_name_column(part)].astype(str),
            }
        )
        curve = funnel_curve(nat, float(pts["n"].max()), od)
        chart = charts.funnel_chart(
            pts,
            curve,
            target=nat,
            x_title="Finished courses (denominator)",
            y_title=f"{m.title} rate, adjusted for case mix",
        )
        body = chart_svg(
            chart,
            title=f"{m.title}: providers against their expected rate ({period})",
            how_to_read=FUNNEL_HOW.format(unit="provider")
            + " Rates are indirectly standardised (observed/expected x national rate).",
        )
        if od is not None:
            body += overdispersion_html(od)
        out = part[part["position"] != "within"].sort_values("ratio")
        if not out.empty:
            body += table_html(
                out[
                    [
                        "provider_code",
                        "provider_name",
                        "denominator",
                        "observed",
                        "expected",
                        "ratio",
                        "position",
                    ]
                ],
                caption=f"Providers outside the 99.8% limits: {m.title.lower()}",
                formats={
                    "observed": ".1%",
                    "expected": ".1%",
                    "ratio": ".2f",
                    "denominator": ".0f",
                },
            )
        children.append(
            Section(
                id=f"public-{mid.replace('_', '-')}",
                title=f"{m.title}: funnel plot",
                body_html=body,
                summary=f"{int((part['position'] == 'below').sum())} below, "
                f"{int((part['position'] == 'above').sum())} above expected",
                level=3,
            )
        )
    grad = result.gradient[(result.gradient["period"] == period)]
    if not grad.empty:
        g = grad.copy()
        g["kind"] = g["measure"].map(lambda x: MEASURE_BY_ID[x].title)
        g["decile"] = g["imd_decile"].astype(str)
        chart = charts.gradient_chart(
            g,
            group="decile",
            group_title="IMD decile (1 = most deprived)",
            y_title="Rate (England)",
            order=[str(i) for i in range(1, 11)],
        )
        children.append(
            Section(
                id="public-deprivation-gradient",
                title="The deprivation gradient in England",
                body_html=chart_svg(
                    chart,
                    title=f"Outcomes by deprivation decile, England {period}",
                    how_to_read="Each dot is the national rate for people living in one decile of "
                    "deprivation (1 = most deprived) with its 95% interval; a rising line means "
                    "worse outcomes in poorer areas.",
                ),
                summary="National outcome rates by IMD decile",
                level=3,
            )
        )
    if result.spc is not None and not result.spc.empty:
        children.append(_public_spc(result))
    return [
        Section(
            id="public-benchmark",
            title="Providers in England: fair comparison from published statistics",
            body_html=lead,
            summary="Deprivation-adjusted funnel plots for every provider",
            children=children,
        )
    ]


def _public_spc(result: PublicResult) -> Section:
    from clearwater.stats.xmr import xmr

    body = ""
    nat = result.national[result.national["variable_type"] == "Total"]
    for mid in ("reliable_improvement", "recovery"):
        part = nat[nat["measure"] == mid].sort_values("period")
        if len(part) < 2:
            continue
        res = xmr(part["rate"].to_numpy(), labels=part["period"].tolist(), direction="increase")
        body += chart_svg(
            charts.spc_chart(res, y_title=f"{MEASURE_BY_ID[mid].title} rate", percent=True),
            title=f"{MEASURE_BY_ID[mid].title}, England, by period",
            how_to_read=SPC_HOW,
        )
        body += f"<p>{escape(describe_variation(res))}</p>"
        if res.warnings:
            body += f"<p class='note'>{escape('; '.join(res.warnings))}</p>"
    charted = result.spc[result.spc["value"].notna()]  # suppressed periods are gaps
    last = charted.sort_values("label").groupby(["org_code", "measure"]).tail(1)
    flagged = last[(last["org_code"] != "England") & (last["point_type"] != "common_cause")]
    if not flagged.empty:
        body += table_html(
            flagged[["org_code", "measure", "label", "value", "rule", "point_type"]],
            caption="Providers whose latest period shows special-cause variation",
            formats={"value": ".1%"},
        )
    return Section(
        id="public-trends",
        title="Change over time (SPC)",
        body_html=body or "<p>Fewer than two periods: no trend to chart.</p>",
        summary="XmR charts across the periods given",
        level=3,
    )


def write_public_html(result: PublicResult, path: Path) -> Path:
    from clearwater.report.render import render_report, write_report

    page = render_report(
        public_sections(result),
        title="Fair benchmarking of NHS Talking Therapies providers",
        meta=[
            ("Source", ", ".join(result.summary["sources"])),
            ("Periods", ", ".join(result.summary["periods"])),
        ],
    )
    return write_report(path, page)


# ---------------------------------------------------------------------------------------------
# A service's own data (record level)
# ---------------------------------------------------------------------------------------------
def write_benchmark(
    result: BenchmarkResult, out: Path, *, save_model: Path | None = None, html: bool = True
) -> list[Path]:
    paths = write_tables(result, out)
    if save_model is not None:
        paths.append(result.model.save(save_model))
    if html:
        from clearwater.report.render import write_report_pages

        page, pages = write_report_pages(out, record_sections(result), title="Fair benchmarking")
        paths += [page, *pages]
    return paths


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------
def record_sections(result: BenchmarkResult) -> list[Section]:
    from clearwater.report.sections import _group_sort_key
    from clearwater.report.words import clinician_name, decode, team_name, value_label

    children = []
    cal_rows = pd.DataFrame(
        [
            {
                "outcome": OUTCOMES[o].title,
                "courses": c.n,
                "observed": c.observed_rate,
                "expected": c.expected_rate,
                "calibration in the large (0 ideal)": c.calibration_in_the_large,
                "slope (1 ideal)": c.slope,
                "C-statistic": c.c_statistic,
            }
            for o, c in result.validation.items()
        ]
    )
    body = (
        "<p>Expected outcomes come from what was known before treatment only (baseline scores, "
        "deprivation, age, gender, ethnic group, problem, referral source, previous referrals), "
        "never from sessions, waits or missed appointments. "
        f"Model: {escape(result.model_source)}.</p>"
    )
    if not cal_rows.empty:
        body += table_html(
            cal_rows,
            caption="How well the case-mix model fits these data",
            formats={
                "observed": ".1%",
                "expected": ".1%",
                "calibration in the large (0 ideal)": "+.2f",
                "slope (1 ideal)": ".2f",
                "C-statistic": ".2f",
            },
        )
    for note in result.notes:
        body += f"<p class='note'>{escape(note)}</p>"
    children.append(
        Section(
            "benchmark-casemix",
            "The case-mix model",
            body,
            "Calibration and discrimination",
            level=3,
        )
    )
    t = result.table
    for unit in t["unit_type"].drop_duplicates() if not t.empty else []:
        body = ""
        for oid in [o for o in OUTCOMES if o in set(t["measure"])]:
            part = t[(t["unit_type"] == unit) & (t["measure"] == oid)]
            if part.empty:
                continue
            title = OUTCOMES[oid].title
            pts = pd.DataFrame(
                {
                    "n": part["n"],
                    "value": part["ratio"],
                    "position": part["position"],
                    "label": [
                        team_name(u) if unit == "team" else clinician_name(u)
                        for u in part["unit_id"].astype(str)
                    ],
                }
            )
            od = result.overdispersion.get((unit, oid))
            curve = _ratio_curve(part, od)
            body += chart_svg(
                charts.funnel_chart(
                    pts,
                    curve,
                    target=1.0,
                    x_title="Finished courses",
                    y_title=f"{title}: observed / expected",
                    percent=False,
                ),
                title=f"{title} by {unit}: funnel plot",
                how_to_read=FUNNEL_HOW.format(unit=unit)
                + " 1 on the vertical axis means exactly as expected.",
            )
            if od is not None:
                body += overdispersion_html(od)
            body += chart_svg(
                charts.oe_dot_chart(part, label="unit_id"),
                title=f"{title} by {unit}: shrunken observed / expected with 95% intervals",
                how_to_read=OE_HOW.format(unit=unit),
            )
        outside = t[(t["unit_type"] == unit) & t["position"].isin(["above", "below"])]
        children.append(
            Section(
                f"benchmark-{unit}",
                f"By {unit}",
                body,
                f"Observed vs expected by {unit}",
                level=3,
                # one chart row per clinician is long: clinicians get their own page
                detail=unit == "therapist",
                detail_intro=_outside_html(outside, unit),
            )
        )
    if result.spc:
        body = ""
        for _mid, title, res in result.spc:
            body += chart_svg(
                charts.spc_chart(res, y_title=title, percent=False),
                title=f"{title}: monthly SPC chart",
                how_to_read=SPC_HOW,
            )
            body += f"<p>{escape(describe_variation(res))}</p>"
            if res.warnings:
                body += f"<p class='note'>{escape('; '.join(res.warnings))}</p>"
        children.append(
            Section(
                "benchmark-spc",
                "Change over time (SPC)",
                body,
                "XmR charts of monthly outcomes",
                level=3,
            )
        )
    if not result.equity.empty:
        body = ""
        eq = result.equity
        for dim in eq["dimension"].drop_duplicates():
            for mid in ("reliable_improvement", "recovery"):
                part = eq[(eq["dimension"] == dim) & (eq["measure"] == mid)]
                if part.empty:
                    continue
                long = pd.concat(
                    [
                        part[["group", "rate", "lower95", "upper95"]].assign(kind="Raw"),
                        part[["group", "adjusted_rate", "adjusted_lower95", "adjusted_upper95"]]
                        .rename(
                            columns={
                                "adjusted_rate": "rate",
                                "adjusted_lower95": "lower95",
                                "adjusted_upper95": "upper95",
                            }
                        )
                        .assign(kind="Adjusted for clinical case mix"),
                    ]
                ).dropna(subset=["rate"])
                long["group"] = [decode(str(dim), g) for g in long["group"].astype(str)]
                order = sorted(
                    long["group"].drop_duplicates(), key=lambda g, d=str(dim): _group_sort_key(d, g)
                )
                body += chart_svg(
                    charts.gradient_chart(
                        long,
                        group="group",
                        group_title=part["dimension_title"].iloc[0],
                        y_title=OUTCOMES[mid].title,
                        order=order,
                    ),
                    title=f"{OUTCOMES[mid].title} by {part['dimension_title'].iloc[0].lower()}",
                    how_to_read=GRADIENT_HOW,
                )
        other = eq[eq["measure"].isin(["dropout", "ended_before_treatment"])].copy()
        if not other.empty:
            other["group"] = [
                decode(str(d), g)
                for d, g in zip(other["dimension"], other["group"].astype(str), strict=True)
            ]
            other["measure"] = other["measure"].map(value_label)
            body += table_html(
                other[
                    [
                        "dimension_title",
                        "group",
                        "measure",
                        "n",
                        "events",
                        "rate",
                        "lower95",
                        "upper95",
                    ]
                ],
                caption="Drop-out and endings before treatment (raw)",
                formats={
                    "rate": ".1%",
                    "lower95": ".1%",
                    "upper95": ".1%",
                    "n": ".0f",
                    "events": ".0f",
                },
            )
        children.append(
            Section(
                "benchmark-equity",
                "Equity",
                body,
                "Outcomes by deprivation, ethnicity, age and gender, raw and adjusted for case mix",
                level=3,
                detail=True,
            )
        )
    return [
        Section(
            "benchmark",
            "Fair benchmarking",
            "<p>Observed outcomes compared with what was expected for the people each unit "
            "saw. Reliable improvement is shown first. Use the funnel plots to find units whose "
            "results are inconsistent with the expected pattern; use the shrunken estimates if "
            "you must rank.</p>",
            "Case-mix adjusted outcomes, funnel plots, SPC and equity",
            children=children,
        )
    ]


def _outside_html(outside: pd.DataFrame, unit: str) -> str:
    """A sentence naming the units outside their funnel limits (for the report's stub)."""
    from clearwater.report.words import clinician_name, team_name

    if outside.empty:
        return (
            f"<p>Every {escape(unit)} is within the range chance alone would give for the people "
            "they saw, on every outcome.</p>"
        )
    items = []
    for r in outside.sort_values(["measure", "position", "unit_id"]).itertuples(index=False):
        title = OUTCOMES[r.measure].title if r.measure in OUTCOMES else r.measure
        words = "higher than expected" if r.position == "above" else "lower than expected"
        name = team_name(r.unit_id) if unit == "team" else clinician_name(r.unit_id)
        items.append(f"<li>{escape(name)}: {escape(title)} {words}</li>")
    return (
        f"<p>Outside the funnel limits (a prompt to look closer, not a verdict):</p>"
        f"<ul>{''.join(items)}</ul>"
    )


def _ratio_curve(part: pd.DataFrame, od: Overdispersion | None) -> pd.DataFrame:
    """Limit lines on the O/E scale at the pooled expected rate (points use their own limits)."""
    rate = float(np.clip((part["expected"] * part["n"]).sum() / part["n"].sum(), 1e-3, 1 - 1e-3))
    curve = funnel_curve(rate, float(part["n"].max()), od)
    for c in ("lower95", "upper95", "lower998", "upper998"):
        curve[c] = curve[c] / rate
    return curve
