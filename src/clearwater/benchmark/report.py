"""Report sections for benchmarking: published statistics and a service's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from clearwater.benchmark import charts
from clearwater.benchmark.public import MEASURE_BY_ID, PublicResult
from clearwater.report.core import Section, analyst_details, chart_svg, escape, table_html
from clearwater.stats.funnel import funnel_curve
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
    from clearwater.benchmark.record import BenchmarkResult, record_sections

    if isinstance(result, BenchmarkResult):
        return record_sections(result)
    raise TypeError(f"no benchmark sections for {type(result).__name__}")


def write_outputs(result: Any, out_dir: Path) -> list[Path]:
    """Machine-readable outputs (used by the pipeline)."""
    if isinstance(result, PublicResult):
        from clearwater.benchmark.public import write_outputs as w

        return w(result, Path(out_dir))
    from clearwater.benchmark.record import write_tables

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
