"""The report's own sections: headline KPIs, monthly trends, breakdowns, data quality, definitions.

Each builder takes small pandas frames (aggregates already computed by the engine) and returns a
:class:`~clearwater.report.core.Section`.  Builders never compute measures themselves: they show
the numerator, denominator and value handed to them and link every figure to its definition.

Small numbers: the service's own report shows exact counts, but a rate whose denominator is
under :data:`MIN_DENOMINATOR` is shown as "too few to say" and left out of charts.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from clearwater.report.core import MONTH_FORMAT, PALETTE, Section, chart_svg, escape, month_label

MIN_DENOMINATOR = 10
TOO_FEW = "too few to say"


@contextlib.contextmanager
def small_number_threshold(n: int | None) -> Iterator[None]:
    """Use ``n`` as the small-number threshold while the block runs (clearwater.toml)."""
    global MIN_DENOMINATOR
    old = MIN_DENOMINATOR
    if n is not None:
        MIN_DENOMINATOR = int(n)
    try:
        yield
    finally:
        MIN_DENOMINATOR = old


GROUP_LABELS: dict[str, str] = {
    "imd_decile": "Deprivation decile (IMD 2019; 1 = most deprived)",
    "ethnic_group": "Ethnic group",
    "age_band": "Age band at referral",
    "problem_descriptor": "Problem descriptor",
    "gender": "Gender",
}
GROUP_ORDERS: dict[str, list[str]] = {
    "imd_decile": [str(i) for i in range(1, 11)],
    "ethnic_group": ["White", "Mixed", "Asian", "Black", "Other", "Not stated"],
    "age_band": ["Under 18", "18 to 25", "26 to 64", "65 to 74", "75 to 89", "90 and over"],
}
MISSING_LABEL = "Not known"
LINE_COLOURS = [
    PALETTE["blue"],
    PALETTE["orange"],
    PALETTE["green"],
    PALETTE["vermillion"],
    PALETTE["purple"],
    PALETTE["sky"],
    PALETTE["black"],
]


# --------------------------------------------------------------------------- helpers


def styled(chart: Any) -> Any:
    """Readable type sizes for every chart in the report (applied to the top-level chart)."""
    return (
        chart.configure_axis(labelFontSize=12, titleFontSize=13, labelColor="#1a1a1a")
        .configure_legend(labelFontSize=13, symbolSize=120)
        .configure_view(stroke="#c8c8c8")
    )


def _attr(measure: Any, name: str, default: Any = "") -> Any:
    return getattr(measure, name, default) if measure is not None else default


def definition_id(measure_id: str) -> str:
    """The in-page anchor of a measure's entry in the Definitions section."""
    return f"def-{measure_id}"


def measure_title(measure_id: str, measures: Mapping[str, Any]) -> str:
    return str(_attr(measures.get(measure_id), "title", measure_id) or measure_id)


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _num(v: Any) -> float | None:
    if _is_missing(v):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _count(v: Any) -> str:
    f = _num(v)
    return "" if f is None else f"{int(round(f)):,}"


def rate_percent(numerator: Any, denominator: Any) -> float | None:
    """100 * numerator / denominator, or None when there is no denominator."""
    n, d = _num(numerator), _num(denominator)
    if n is None or d is None or d <= 0:
        return None
    return 100.0 * n / d


def format_figure(unit: str, numerator: Any, denominator: Any, value: Any) -> tuple[str, bool]:
    """The figure as shown to a reader and whether it is a real figure (False: 'too few' etc.).

    Rates (unit '%') are worked out from numerator and denominator so they always agree with
    the counts printed beside them; a denominator under :data:`MIN_DENOMINATOR` gives
    "too few to say".
    """
    d = _num(denominator)
    if unit == "%":
        if d is None or d <= 0:
            return ("none in period", False)
        if d < MIN_DENOMINATOR:
            return (TOO_FEW, False)
        return (f"{rate_percent(numerator, denominator):.1f}%", True)
    v = _num(value)
    if unit == "count":
        if v is None:
            v = _num(numerator)
        return (_count(v) if v is not None else "none", v is not None)
    if d is not None and d < MIN_DENOMINATOR and unit in ("mean", "days"):
        return (TOO_FEW if d > 0 else "none in period", False)
    if v is None:
        return ("none in period", False)
    suffix = " days" if unit == "days" else ""
    return (f"{v:,.1f}{suffix}", True)


def chart_value(unit: str, numerator: Any, denominator: Any, value: Any) -> float | None:
    """The number to plot, or None when it should be left out (too few, none)."""
    shown, real = format_figure(unit, numerator, denominator, value)
    if not real:
        return None
    if unit == "%":
        return rate_percent(numerator, denominator)
    v = _num(value)
    if v is None and unit == "count":
        v = _num(numerator)
    return v


def definition_details(measure_id: str, measures: Mapping[str, Any]) -> str:
    """A closed ``<details>`` block with the measure's definition (one click away, no script)."""
    m = measures.get(measure_id)
    if m is None:
        return ""
    parts = [f"<p>{escape(_attr(m, 'definition'))}</p>"]
    parts.extend(_who_parts(m))
    src = _attr(m, "source")
    if src:
        parts.append(f"<p><strong>Source:</strong> {escape(src)}</p>")
    parts.append(f'<p><a href="#{definition_id(measure_id)}">Full entry in Definitions</a></p>')
    return (
        "<details><summary>What this measures</summary>"
        f'<div class="definition">{"".join(parts)}</div></details>'
    )


UNIT_WORDS = {"%": "a percentage", "count": "a count", "days": "days", "mean": "an average"}


def cohort_words(cohort: str) -> str:
    """'ended' -> 'referrals ended in the period (discharge date in period)'."""
    from clearwater.measures.definitions import COHORTS

    return COHORTS[cohort][1] if cohort in COHORTS else cohort


def _who_parts(m: Any) -> list[str]:
    parts = []
    for label, attr in (("Counted", "numerator"), ("Out of", "denominator")):
        text = _attr(m, attr)
        if text:
            parts.append(f"<p><strong>{label}:</strong> {escape(text)}</p>")
    cohort = _attr(m, "cohort")
    if cohort:
        parts.append(f"<p><strong>Who:</strong> {escape(cohort_words(str(cohort)))}</p>")
    return parts


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    caption: str,
    numeric: Sequence[int] = (),
    total: Sequence[str] | None = None,
) -> str:
    """An accessible table from cells that are already HTML (escape text before passing it)."""
    num = set(numeric)

    def cls(i: int) -> str:
        return ' class="num"' if i in num else ""

    head = "".join(f'<th scope="col"{cls(i)}>{escape(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            if i == 0:
                cells.append(f'<th scope="row">{c}</th>')
            else:
                cells.append(f"<td{cls(i)}>{c}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if total is not None:
        cells = [f'<th scope="row">{total[0]}</th>'] + [
            f"<td{cls(i)}>{c}</td>" for i, c in enumerate(total) if i > 0
        ]
        body.append('<tr class="total">' + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure_cell(unit: str, numerator: Any, denominator: Any, value: Any) -> str:
    shown, real = format_figure(unit, numerator, denominator, value)
    if not real:
        return f'<span class="too-few">{escape(shown)}</span>'
    return escape(shown)


def callout(text_html: str, kind: str = "") -> str:
    return f'<div class="callout {escape(kind)}">{text_html}</div>'


def _ordered(measure_ids: Iterable[str], measures: Mapping[str, Any]) -> list[str]:
    """Measure ids in the order of the MEASURES registry, unknown ids last."""
    order = {k: i for i, k in enumerate(measures)}
    return sorted(dict.fromkeys(measure_ids), key=lambda m: (order.get(m, len(order)), m))


# --------------------------------------------------------------------------- headline


def headline_section(
    kpis: pd.DataFrame,
    measures: Mapping[str, Any],
    *,
    period_label: str,
    period_text: str = "",
) -> Section:
    """Headline KPIs for one period: a card per measure with its value, counts and definition."""
    if kpis.empty:
        body = callout("<p>No measure could be computed: the data have no referrals.</p>")
        return Section("headline", "Headline figures", body, "no referrals in the data")
    cards = []
    for mid in _ordered(kpis["measure"], measures):
        row = kpis[kpis["measure"] == mid].iloc[0]
        m = measures.get(mid)
        unit = str(_attr(m, "unit", "count") or "count")
        shown, real = format_figure(unit, row["numerator"], row["denominator"], row["value"])
        value_cls = "value" if real else "value too-few"
        if unit == "%":
            fraction = (
                f"{_count(row['numerator'])} of {_count(row['denominator'])}"
                if _num(row["denominator"])
                else "no one in the group this measure counts"
            )
        elif unit in ("mean", "days"):
            fraction = f"over {_count(row['denominator'])}" if _num(row["denominator"]) else ""
        else:
            fraction = ""
        hib = _attr(m, "higher_is_better", None)
        direction = ""
        if hib is True:
            direction = '<p class="target">Higher is better.</p>'
        elif hib is False:
            direction = '<p class="target">Lower is better.</p>'
        cards.append(
            f'<article class="kpi" aria-labelledby="kpi-{escape(mid)}">'
            f'<h3 id="kpi-{escape(mid)}"><a href="#{definition_id(mid)}">'
            f"{escape(measure_title(mid, measures))}</a></h3>"
            f'<p class="{value_cls}">{escape(shown)}</p>'
            + (f'<p class="fraction">{escape(fraction)}</p>' if fraction else "")
            + direction
            + definition_details(mid, measures)
            + "</article>"
        )
    intro = (
        f"<p>The figures below cover <strong>{escape(period_label)}</strong>"
        + (f" ({escape(period_text)})" if period_text else "")
        + ". Each title links to the measure's definition; “What this measures” opens it here. "
        f"A rate whose denominator is under {MIN_DENOMINATOR} is shown as “{TOO_FEW}”.</p>"
    )
    body = intro + '<div class="kpi-grid">' + "".join(cards) + "</div>"
    return Section("headline", "Headline figures", body, f"the key measures for {period_label}")


# --------------------------------------------------------------------------- trends


def _segments(frame: pd.DataFrame) -> pd.DataFrame:
    """Number the unbroken runs of each series so a missing month leaves a gap in the line."""
    out = []
    for _, sub in frame.sort_values("month").groupby("series", sort=False):
        gap = sub["y"].isna().cumsum()
        sub = sub.assign(segment=[f"{s}#{g}" for s, g in zip(sub["series"], gap, strict=True)])
        out.append(sub[sub["y"].notna()])
    return pd.concat(out, ignore_index=True)


def _line_chart(frame: pd.DataFrame, *, y_title: str, percent: bool) -> alt.Chart:
    series = list(dict.fromkeys(frame["series"]))
    frame = _segments(frame)
    colours = (LINE_COLOURS * (len(series) // len(LINE_COLOURS) + 1))[: len(series)]
    y = alt.Y(
        "y:Q",
        title=y_title,
        scale=alt.Scale(domain=[0, 100]) if percent else alt.Scale(zero=True),
    )
    return (
        alt.Chart(frame)
        .mark_line(point=True, strokeWidth=2.5)
        .encode(
            x=alt.X("month:T", title="Month", axis=alt.Axis(format=MONTH_FORMAT, labelAngle=-40)),
            y=y,
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(domain=series, range=colours),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=400),
            ),
            strokeDash=alt.StrokeDash("series:N", legend=None),
            detail="segment:N",
        )
        .properties(width=620, height=260)
    )


def trends_section(
    monthly: pd.DataFrame,
    measures: Mapping[str, Any],
    groups: Sequence[tuple[str, Sequence[str]]],
) -> Section:
    """Line charts of measures month by month; one chart per group of measures sharing a unit.

    ``monthly`` is a ``compute_kpis`` frame over monthly periods; ``groups`` is a list of
    (chart title, measure ids).  Ids absent from ``monthly`` are skipped.
    """
    if monthly.empty:
        body = callout("<p>There are no months with data to show.</p>")
        return Section("trends", "Monthly trends", body, "no months with data")
    parts = [
        "<p>Each point is one calendar month. Rates count the people whose course ended in that "
        "month; a month with fewer than "
        f"{MIN_DENOMINATOR} people in the denominator is left out of the line (a gap), because "
        "the rate would mean little. The table under each chart gives the exact figures.</p>"
    ]
    month_start = pd.to_datetime(monthly["period_start"])
    for title, ids in groups:
        ids = [i for i in ids if i in set(monthly["measure"])]
        if not ids:
            continue
        units = {str(_attr(measures.get(i), "unit", "count") or "count") for i in ids}
        unit = units.pop() if len(units) == 1 else "count"
        pts = []
        table_rows: dict[str, list[str]] = {}
        for i in ids:
            sub = monthly[monthly["measure"] == i]
            for idx, r in sub.iterrows():
                y = chart_value(unit, r["numerator"], r["denominator"], r["value"])
                label = str(r["period"])
                table_rows.setdefault(label, [escape(month_label(label))])
                table_rows[label].append(
                    _figure_cell(unit, r["numerator"], r["denominator"], r["value"])
                    + (
                        f' <span class="note">({_count(r["numerator"])}/'
                        f"{_count(r['denominator'])})</span>"
                        if unit == "%" and _num(r["denominator"])
                        else ""
                    )
                )
                pts.append(
                    {
                        "month": month_start.loc[idx],
                        "series": measure_title(i, measures),
                        "y": y,
                    }
                )
        frame = pd.DataFrame(pts)
        percent = unit == "%"
        y_title = {"%": "Per cent", "days": "Days", "mean": "Mean"}.get(unit, "Number")
        if frame["y"].notna().any():
            how = (
                "Each line is one measure; higher points mean a higher rate that month. "
                "Gaps are months with too few people to give a rate."
                if percent
                else "Each line is one count, month by month."
            )
            parts.append(
                chart_svg(
                    styled(_line_chart(frame, y_title=y_title, percent=percent)),
                    title=title,
                    how_to_read=how,
                    alt_text=f"{title}: line chart by month of "
                    + ", ".join(measure_title(i, measures) for i in ids),
                )
            )
        else:
            parts.append(callout(f"<p>{escape(title)}: no month has enough people to show.</p>"))
        links = ", ".join(
            f'<a href="#{definition_id(i)}">{escape(measure_title(i, measures))}</a>' for i in ids
        )
        parts.append(f'<p class="note">Definitions: {links}.</p>')
        rows = [table_rows[k] for k in sorted(table_rows)]
        parts.append(
            "<details><summary>Show the figures as a table</summary>"
            + html_table(
                ["Month"] + [measure_title(i, measures) for i in ids],
                rows,
                caption=f"{title}, by month",
                numeric=range(1, len(ids) + 1),
            )
            + "</details>"
        )
    return Section(
        "trends", "Monthly trends", "".join(parts), "referrals, outcomes and waits month by month"
    )


# --------------------------------------------------------------------------- breakdowns


def _short(group_title: str) -> str:
    """'Deprivation decile (IMD 2019; ...)' -> 'deprivation decile'."""
    return group_title.split(" (")[0].lower()


def _group_sort_key(group: str, value: str) -> tuple[int, Any]:
    order = GROUP_ORDERS.get(group)
    if value == MISSING_LABEL:
        return (2, value)
    if order and value in order:
        return (0, order.index(value))
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def _group_label(v: Any) -> str:
    if _is_missing(v) or str(v).strip() == "":
        return MISSING_LABEL
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def breakdown_section(
    by: str,
    kpis: pd.DataFrame,
    overall: pd.DataFrame,
    measures: Mapping[str, Any],
    *,
    measure_ids: Sequence[str],
    chart_measure: str,
    section_id: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Section:
    """One breakdown: a table of ``measure_ids`` by the groups of ``by`` plus a dot chart.

    ``kpis`` is a ``compute_kpis(..., by=[by])`` frame for one period; ``overall`` the same
    measures without grouping (the service-wide line on the chart and the table's total row).
    ``labels`` maps raw group values to reader-friendly names (e.g. descriptor codes).
    """
    labels = labels or {}
    group_title = GROUP_LABELS.get(by, by.replace("_", " ").capitalize())
    sid = section_id or f"by-{by.replace('_', '-')}"
    ids = [m for m in measure_ids if m in set(kpis["measure"])] if not kpis.empty else []
    if not ids:
        body = callout(f"<p>No figures could be broken down by {escape(group_title.lower())}.</p>")
        return Section(sid, f"By {_short(group_title)}", body, level=3)
    frame = kpis[kpis["measure"].isin(ids)].copy()
    frame["group"] = [labels.get(_group_label(v), _group_label(v)) for v in frame[by]]
    groups = sorted(set(frame["group"]), key=lambda g: _group_sort_key(by, g))
    units = {i: str(_attr(measures.get(i), "unit", "count") or "count") for i in ids}

    def cell(sub: pd.DataFrame, mid: str) -> str:
        if sub.empty:
            return ""
        r = sub.iloc[0]
        base = _figure_cell(units[mid], r["numerator"], r["denominator"], r["value"])
        if units[mid] == "%" and _num(r["denominator"]):
            base += (
                f' <span class="note">({_count(r["numerator"])}/{_count(r["denominator"])})</span>'
            )
        return base

    rows = []
    for g in groups:
        gsub = frame[frame["group"] == g]
        rows.append([escape(g)] + [cell(gsub[gsub["measure"] == i], i) for i in ids])
    total = None
    if not overall.empty:
        total = ["All"] + [cell(overall[overall["measure"] == i], i) for i in ids]
    table = html_table(
        [group_title] + [measure_title(i, measures) for i in ids],
        rows,
        caption=f"Measures by {_short(group_title)}",
        numeric=range(1, len(ids) + 1),
        total=total,
    )
    parts = []
    cm = chart_measure if chart_measure in ids else ids[0]
    cunit = units[cm]
    pts = []
    for g in groups:
        sub = frame[(frame["group"] == g) & (frame["measure"] == cm)]
        if sub.empty:
            continue
        r = sub.iloc[0]
        y = chart_value(cunit, r["numerator"], r["denominator"], r["value"])
        if y is not None:
            pts.append({"group": g, "y": y, "n": f"n = {_count(r['denominator'])}"})
    if pts:
        pf = pd.DataFrame(pts)
        ctitle = f"{measure_title(cm, measures)} by {_short(group_title)}"
        base = alt.Chart(pf).encode(
            y=alt.Y("group:N", title=group_title, sort=[p["group"] for p in pts]),
        )
        x_title = "Per cent" if cunit == "%" else "Value"
        layers = [
            base.mark_bar(color=PALETTE["sky"], height=14).encode(
                x=alt.X(
                    "y:Q",
                    title=x_title,
                    scale=alt.Scale(domain=[0, 100]) if cunit == "%" else alt.Scale(zero=True),
                )
            ),
            base.mark_text(align="left", dx=4, color=PALETTE["black"], fontSize=11).encode(
                x="y:Q", text="n:N"
            ),
        ]
        how = "Each bar is one group; the number beside it is how many people the rate is based on."
        if not overall.empty and cm in set(overall["measure"]):
            r = overall[overall["measure"] == cm].iloc[0]
            ov = chart_value(cunit, r["numerator"], r["denominator"], r["value"])
            if ov is not None:
                layers.append(
                    alt.Chart(pd.DataFrame({"y": [ov]}))
                    .mark_rule(color=PALETTE["vermillion"], strokeWidth=2, strokeDash=[6, 3])
                    .encode(x="y:Q")
                )
                how += " The dashed line is the whole service."
        chart = alt.layer(*layers).properties(width=520, height=max(80, 24 * len(pts)))
        parts.append(chart_svg(styled(chart), title=ctitle, how_to_read=how))
    parts.append(table)
    links = ", ".join(
        f'<a href="#{definition_id(i)}">{escape(measure_title(i, measures))}</a>' for i in ids
    )
    parts.append(
        f'<p class="note">Rates show (counted/out of) after the figure; groups with fewer than '
        f"{MIN_DENOMINATOR} people show “{TOO_FEW}”. Definitions: {links}.</p>"
    )
    title = f"By {_short(group_title)}"
    return Section(sid, title, "".join(parts), level=3)


def breakdowns_section(children: Sequence[Section], *, period_label: str) -> Section:
    body = (
        f"<p>How the measures differ between groups of people, for {escape(period_label)}. "
        "Differences between small groups are often chance: look at the counts before drawing "
        "conclusions. The benchmarking section, where present, tests differences properly.</p>"
    )
    return Section(
        "breakdowns",
        "Breakdowns",
        body,
        "by deprivation, ethnic group, age and problem descriptor",
        children=list(children),
    )


# --------------------------------------------------------------------------- data quality


def data_quality_section(
    accounting: pd.DataFrame,
    quarantine: pd.DataFrame,
    findings: pd.DataFrame,
    notes: Sequence[str] = (),
    *,
    top_reasons: int = 15,
) -> Section:
    """Row accounting (read = accepted + quarantined), quarantine reasons, suspicious rows, notes."""
    parts: list[str] = []
    acc = accounting.copy()
    for c in ("read", "accepted", "quarantined"):
        acc[c] = pd.to_numeric(acc[c], errors="coerce").fillna(0).astype("int64")
    mismatched = acc[acc["read"] != acc["accepted"] + acc["quarantined"]]
    tot = acc[["read", "accepted", "quarantined"]].sum()
    balanced = mismatched.empty
    if balanced:
        parts.append(
            callout(
                f"<p><strong>Every row is accounted for.</strong> {int(tot['read']):,} rows read = "
                f"{int(tot['accepted']):,} accepted + {int(tot['quarantined']):,} quarantined "
                "(set aside with a reason, listed below).</p>",
                "ok",
            )
        )
    else:
        names = ", ".join(escape(t) for t in mismatched["table"])
        parts.append(
            callout(
                f"<p><strong>Rows are missing from the accounts</strong> in: {names}. "
                "Rows read should equal rows accepted plus rows quarantined. Please report this "
                "as a Clearwater fault.</p>"
            )
        )
    rows = [
        [
            escape(r["table"]),
            escape(r.get("file", "")),
            f"{r['read']:,}",
            f"{r['accepted']:,}",
            f"{r['quarantined']:,}",
            "yes" if r["read"] == r["accepted"] + r["quarantined"] else "<strong>no</strong>",
        ]
        for _, r in acc.iterrows()
    ]
    parts.append(
        html_table(
            [
                "Table",
                "File",
                "Rows read",
                "Accepted",
                "Quarantined",
                "Read = accepted + quarantined",
            ],
            rows,
            caption="Row accounting: what happened to every input row",
            numeric=(2, 3, 4),
            total=[
                "All tables",
                "",
                f"{int(tot['read']):,}",
                f"{int(tot['accepted']):,}",
                f"{int(tot['quarantined']):,}",
                "yes" if balanced else "<strong>no</strong>",
            ],
        )
    )

    parts.append('<h3 id="quarantine-reasons">Why rows were quarantined</h3>')
    if quarantine.empty:
        parts.append("<p>No row was quarantined.</p>")
    else:
        q = quarantine.copy()
        q["column"] = q["column"].map(lambda v: "" if _is_missing(v) else str(v))
        counts = (
            q.groupby(["table", "column", "reason"], dropna=False)
            .size()
            .reset_index(name="rows")
            .sort_values(["rows", "table"], ascending=[False, True])
        )
        shown = counts.head(top_reasons)
        parts.append(
            html_table(
                ["Table", "Column", "Reason", "Rows"],
                [
                    [escape(r["table"]), escape(r["column"]), escape(r["reason"]), f"{r['rows']:,}"]
                    for _, r in shown.iterrows()
                ],
                caption=f"Most common quarantine reasons (top {len(shown)} of {len(counts)})",
                numeric=(3,),
            )
        )
        parts.append(
            '<p class="note">Every quarantined row, with its file, line number, column and value, '
            "is in <code>quarantine.csv</code> beside this report.</p>"
        )

    parts.append('<h3 id="suspicious-rows">Rows accepted but worth checking</h3>')
    if findings.empty:
        parts.append("<p>The checks found nothing suspicious in the accepted rows.</p>")
    else:
        f = findings.copy()
        counts = (
            f.groupby(["table", "check"], dropna=False)
            .agg(rows=("check", "size"), example=("message", "first"))
            .reset_index()
            .sort_values("rows", ascending=False)
        )
        parts.append(
            "<p>These rows were accepted (they break no rule of the data contract) but look "
            "inconsistent with the expected pattern, so they may need a second look. They are "
            "included in every figure.</p>"
        )
        parts.append(
            html_table(
                ["Table", "Check", "Rows", "Example"],
                [
                    [escape(r["table"]), escape(r["check"]), f"{r['rows']:,}", escape(r["example"])]
                    for _, r in counts.iterrows()
                ],
                caption="Suspicious rows by check",
                numeric=(2,),
            )
        )
        parts.append('<p class="note">Each row is listed in <code>findings.csv</code>.</p>')
    if notes:
        parts.append('<h3 id="data-notes">Notes on the data</h3><ul>')
        parts.extend(f"<li>{escape(n)}</li>" for n in notes)
        parts.append("</ul>")
    summary = (
        f"{int(tot['read']):,} rows read, {int(tot['quarantined']):,} quarantined"
        if balanced
        else "rows missing from the accounts"
    )
    return Section("data-quality", "Data quality", "".join(parts), summary)


# --------------------------------------------------------------------------- definitions


def definitions_section(measures: Mapping[str, Any], *, extra: Sequence[str] = ()) -> Section:
    """Every measure's definition, each with an anchor the figures link to."""
    items = []
    for mid, m in measures.items():
        parts = [f"<p>{escape(_attr(m, 'definition'))}</p>"]
        parts.extend(_who_parts(m))
        unit = _attr(m, "unit")
        hib = _attr(m, "higher_is_better", None)
        better = {True: "higher is better", False: "lower is better"}.get(hib, "")
        shown_as = UNIT_WORDS.get(str(unit), str(unit)) if unit else ""
        meta = "; ".join(x for x in (shown_as, better) if x)
        if meta:
            parts.append(f"<p><strong>Shown as:</strong> {escape(meta)}</p>")
        src = _attr(m, "source")
        if src:
            parts.append(f"<p><strong>Source:</strong> {escape(src)}</p>")
        parts.append(f'<p class="note">Measure id: <code>{escape(mid)}</code></p>')
        items.append(
            f'<dt id="{definition_id(mid)}">{escape(measure_title(mid, measures))}</dt>'
            f"<dd>{''.join(parts)}</dd>"
        )
    body = (
        "<p>What every figure in this report means. Rates are the number counted divided by the "
        f"number it is out of, as a percentage; rates based on fewer than {MIN_DENOMINATOR} "
        f"people are shown as “{TOO_FEW}”.</p>"
        + "".join(f"<p>{x}</p>" for x in extra)
        + f'<dl class="definitions">{"".join(items)}</dl>'
    )
    return Section("definitions", "Definitions", body, "what every measure means")


def unavailable_section(section_id: str, title: str, reason: str, *, hint: str = "") -> Section:
    """A section that says plainly why an analysis could not be run on these data."""
    body = callout(
        f"<p><strong>Not available for these data.</strong> {escape(reason)}</p>"
        + (f"<p>{escape(hint)}</p>" if hint else ""),
        "unavailable",
    )
    return Section(section_id, title, body, "not available for these data")
