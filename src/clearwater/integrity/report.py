"""The integrity section of the HTML report."""

from __future__ import annotations

import pandas as pd

from clearwater.integrity.audit import AuditResult
from clearwater.integrity.charts import funnel_chart
from clearwater.integrity.combine import FDR_METHODS
from clearwater.integrity.evidence import Evidence
from clearwater.report.core import Section, chart_svg, escape, table_html


def _strength(q: float, z: float) -> str:
    if q <= 0.001:
        return f"very strong (q = {q:.2g}, z = {z:.1f})"
    if q <= 0.01:
        return f"strong (q = {q:.2g}, z = {z:.1f})"
    return f"moderate (q = {q:.2g}, z = {z:.1f})"


def _power_words(r) -> str:  # noqa: ANN001 - a findings row
    p = r.get("power")
    if p is None or pd.isna(p):
        return ""
    return f"; the check's power at this caseload is {float(p):.2f}"


def _evidence_html(ev: Evidence) -> str:
    """The evidence chart, its words and (folded) the figures behind it."""
    chart = chart_svg(ev.chart, title=ev.title, how_to_read=ev.how_to_read)
    table = table_html(ev.table, caption=ev.title, formats=_formats(ev.table))
    return (
        f'<div class="evidence">{chart}<p>{escape(ev.words)}</p>'
        f"<details><summary>Figures behind the chart</summary>{table}</details></div>"
    )


def _formats(df) -> dict[str, str]:  # noqa: ANN001 - pandas DataFrame
    return {c: ".3g" for c in df.columns if df[c].dtype.kind == "f"}


def _evidence_block(result: AuditResult, key: tuple[str, str]) -> str:
    ev = result.evidence.get(key)
    if ev is not None:
        try:
            return _evidence_html(ev)
        except Exception as exc:  # noqa: BLE001 - a chart failure must not lose the finding
            note = f"The evidence chart could not be drawn ({type(exc).__name__}: {exc})."
            return f'<p class="note">{escape(note)} {escape(ev.words)}</p>'
    note = result.evidence_notes.get(key)
    return f'<p class="note">{escape(note)}</p>' if note else ""


def report_sections(result: AuditResult) -> list[Section]:
    """One section: method, then each flagged unit with words, funnel, the chart of the
    pattern itself (when the audit built its evidence), strength and explanations."""
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
        f"({FDR_METHODS.get(result.fdr_method, result.fdr_method)}), and "
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
        ruled = "".join(f"<li>{escape(x)}</li>" for x in det.info.conditions)
        ruled_html = (
            f"<p>Compared like with like (what was already ruled out):</p><ul>{ruled}</ul>"
            if ruled
            else ""
        )
        parts.append(
            f"<h3>{escape(r['unit_type'].title())} {escape(r['unit_id'])}: {escape(det.info.title)}</h3>"
            f"<p>{escape(r['effect_description'])} This is {escape(_strength(r['q_value'], r['z']))}"
            f"{escape(_power_words(r))}.</p>"
            f"{chart}{_evidence_block(result, (str(r['detector']), str(r['unit_id'])))}"
            f"{ruled_html}<p>Innocent explanations to rule out first:</p><ul>{explain}</ul>"
        )
    units = Section(
        id="integrity-units",
        title="Every unit checked",
        body_html=table_html(
            result.units,
            caption="Per unit: checks run, checks flagged, checks not testable at the unit's "
            "caseload (power below 0.5 at the minimum effect), and the smallest chance of a "
            "false alarm (q)",
            formats={"min_q_value": ".3g"},
            max_rows=len(result.units),
        ),
        summary=f"{len(result.units):,} units, each with the checks run on it.",
        level=3,
        detail=True,
    )
    summary = (
        f"{len(flagged)} finding(s) across {flagged['unit_id'].nunique()} unit(s) inconsistent "
        "with the expected pattern."
        if len(flagged)
        else "No unit flagged by the integrity checks."
    )
    return [
        Section(
            id="integrity",
            title="Integrity audit",
            body_html="".join(parts),
            summary=summary,
            children=[units],
        )
    ]
