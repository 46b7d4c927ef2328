"""The integrity section of the HTML report."""

from __future__ import annotations

from clearwater.integrity.audit import AuditResult
from clearwater.integrity.charts import funnel_chart
from clearwater.report.core import Section, chart_svg, escape, table_html


def _strength(q: float, z: float) -> str:
    if q <= 0.001:
        return f"very strong (q = {q:.2g}, z = {z:.1f})"
    if q <= 0.01:
        return f"strong (q = {q:.2g}, z = {z:.1f})"
    return f"moderate (q = {q:.2g}, z = {z:.1f})"


def report_sections(result: AuditResult) -> list[Section]:
    """One section: method, then each flagged unit with words, chart, strength, explanations."""
    f = result.findings
    flagged = f[f["flagged"]].sort_values("q_value")
    by_name = {d.info.name: d for d in result.detectors}
    parts = [
        "<p>Each check compares a unit with its peers after allowing for case mix and for the "
        "honest differences seen between units. A finding means the data are "
        "<em>inconsistent with the expected pattern</em> and are worth a conversation; it is "
        "not evidence of wrongdoing. "
        f"False alarms are controlled at a false-discovery rate of {result.fdr:g} across all "
        f"{int(f['p_value'].notna().sum())} unit x check tests "
        f"({'Benjamini-Hochberg' if result.fdr_method == 'bh' else 'Benjamini-Yekutieli'}), and "
        "small effects are never flagged however significant.</p>"
    ]
    if flagged.empty:
        parts.append("<p>No unit was flagged by any check.</p>")
    for _, r in flagged.iterrows():
        det = by_name[r["detector"]]
        res = result.details[r["detector"]]
        chart = chart_svg(
            funnel_chart(res, r["unit_id"]),
            title=f"{det.info.title}: {r['unit_type']} {r['unit_id']} against peers",
            how_to_read=(
                "Each dot is a unit; the highlighted dot is this one. Dots above the dashed "
                "lines have more events than expected, by more than chance and honest "
                "variation between units usually allow."
            ),
        )
        explain = "".join(f"<li>{escape(x)}</li>" for x in det.info.innocent_explanations)
        parts.append(
            f"<h3>{escape(r['unit_type'].title())} {escape(r['unit_id'])}: {escape(det.info.title)}</h3>"
            f"<p>{escape(r['effect_description'])} This is {escape(_strength(r['q_value'], r['z']))}.</p>"
            f"{chart}<p>Innocent explanations to rule out first:</p><ul>{explain}</ul>"
        )
    parts.append(
        table_html(
            result.units,
            caption="Per-unit summary: tests run, checks flagged, smallest q-value",
            formats={"min_q_value": ".3g"},
        )
    )
    summary = (
        f"{len(flagged)} finding(s) across {flagged['unit_id'].nunique()} unit(s) inconsistent "
        "with the expected pattern."
        if len(flagged)
        else "No unit flagged by the integrity checks."
    )
    return [
        Section(id="integrity", title="Integrity audit", body_html="".join(parts), summary=summary)
    ]
