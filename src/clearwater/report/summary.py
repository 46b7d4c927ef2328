"""The one-page summary that opens the report: each headline measure against its national
standard, with Making Data Count variation and assurance icons, in words a board reads.

The icons follow NHS England's Making Data Count: an XmR chart of the measure month by month
(:func:`clearwater.stats.xmr.xmr`, the one implementation of the statistic) says whether the
latest month shows special-cause variation (improving or getting worse) or only common-cause
variation, and, for a measure with a standard, whether the process limits say the standard
will be met every month, missed every month, or sometimes met ("hit and miss").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from clearwater.report import sections as _sections
from clearwater.report.core import Section, escape
from clearwater.report.sections import (
    TOO_FEW,
    _attr,
    _count,
    _num,
    chart_value,
    definition_id,
    format_figure,
    html_table,
    measure_title,
)

# Fewest months with a figure before the variation and assurance icons are drawn.
MIN_MONTHS = 6


@dataclass(frozen=True)
class Standard:
    """A national standard: the measure must be at least (or at most) ``target`` per cent."""

    measure: str
    target: float
    text: str  # the standard in words


NATIONAL_STANDARDS: tuple[Standard, ...] = (
    Standard("recovery_rate", 50.0, "at least 50% of people at caseness recover"),
    Standard("wait_6_weeks", 75.0, "at least 75% start treatment within 6 weeks"),
    Standard("wait_18_weeks", 95.0, "at least 95% start treatment within 18 weeks"),
)
# Further headline measures shown without a standard (variation icon only).
OTHER_MEASURES: tuple[str, ...] = (
    "reliable_improvement_rate",
    "reliable_recovery_rate",
    "reliable_deterioration_rate",
    "referrals",
    "entered_treatment",
    "finished_course",
)

# icon key -> (letter, fill colour, words)  Okabe-Ito colours as the SPC charts.
VARIATION = {
    "common_cause": (
        "~",
        "#6B6B6B",
        "No sign of change: the month-to-month ups and downs are "
        "the usual noise (common-cause variation)",
    ),
    "improvement": (
        "↑",
        "#0072B2",
        "Improving: the latest months are unusual in the good direction (special-cause variation)",
    ),
    "concern": (
        "!",
        "#E69F00",
        "Getting worse: the latest months are unusual in the bad "
        "direction (special-cause variation)",
    ),
    "neutral": (
        "*",
        "#CC79A7",
        "Changed: the latest months are unusual (special-cause "
        "variation; neither direction is better)",
    ),
    "unknown": (
        "–",
        "#FFFFFF",
        f"Not enough months with a figure to judge (fewer than {MIN_MONTHS})",
    ),
}
ASSURANCE = {
    "consistently passing": (
        "P",
        "#0072B2",
        "Will meet the standard every month if nothing changes",
    ),
    "consistently failing": (
        "F",
        "#E69F00",
        "Will miss the standard every month unless something changes",
    ),
    "hit and miss": ("?", "#6B6B6B", "Will sometimes meet and sometimes miss the standard"),
    "unknown": ("–", "#FFFFFF", "Not enough months to say"),
}


# The words beside each icon in the summary table (the full words are in its tooltip).
SHORT = {
    "common_cause": "No sign of change",
    "improvement": "Improving",
    "concern": "Getting worse",
    "neutral": "Changed",
    "unknown": "Too few months to say",
    "consistently passing": "Met every month",
    "consistently failing": "Missed every month",
    "hit and miss": "Sometimes met, sometimes missed",
}


def icon_svg(key: str, table: Mapping[str, tuple[str, str, str]]) -> str:
    """A small circular icon with a letter and a tooltip (<title>), no script needed."""
    letter, fill, words = table[key]
    ink = "#1a1a1a" if fill == "#FFFFFF" else "#FFFFFF"
    return (
        f'<svg class="icon" width="26" height="26" viewBox="0 0 26 26" role="img" '
        f'aria-label="{escape(words)}"><title>{escape(words)}</title>'
        f'<circle cx="13" cy="13" r="12" fill="{fill}" stroke="#1a1a1a" stroke-width="1"/>'
        f'<text x="13" y="18" text-anchor="middle" font-size="14" font-weight="700" '
        f'font-family="sans-serif" fill="{ink}">{escape(letter)}</text></svg>'
    )


def _series(monthly: pd.DataFrame, measure: str, unit: str) -> list[float]:
    if monthly.empty or "period_start" not in monthly.columns:
        return []
    sub = monthly[monthly["measure"] == measure].sort_values("period_start")
    vals = [chart_value(unit, r.numerator, r.denominator, r.value) for r in sub.itertuples()]
    return [v for v in vals if v is not None]


def judge(
    values: Sequence[float], higher_is_better: bool | None, target: float | None
) -> tuple[str, str]:
    """(variation key, assurance key) of a monthly series by Making Data Count's rules."""
    if len(values) < MIN_MONTHS:
        return "unknown", "unknown"
    from clearwater.stats.xmr import xmr

    direction = {True: "increase", False: "decrease"}.get(higher_is_better)  # type: ignore[arg-type]
    res = xmr(list(values), direction=direction, target=target)
    return res.variation, (res.assurance or "unknown") if target is not None else "unknown"


def summary_section(
    head: pd.DataFrame,
    monthly: pd.DataFrame,
    measures: Mapping[str, Any],
    *,
    period_label: str,
    period_text: str,
    standards: Sequence[Standard] = NATIONAL_STANDARDS,
    others: Sequence[str] = OTHER_MEASURES,
    points: Sequence[str] = (),
) -> Section:
    """The summary page.  ``points`` are trusted HTML sentences from the rest of the report."""
    rows = []
    by_id = {s.measure: s for s in standards}
    ids = [s.measure for s in standards] + [m for m in others if m not in by_id]
    n_months = monthly["period"].nunique() if not monthly.empty else 0
    for mid in ids:
        sub = head[head["measure"] == mid]
        if sub.empty or mid not in measures:
            continue
        r = sub.iloc[0]
        m = measures[mid]
        unit = str(_attr(m, "unit", "count") or "count")
        shown, real = format_figure(unit, r["numerator"], r["denominator"], r["value"])
        counts = (
            f'<br><span class="note nowrap">{_count(r["numerator"])} of {_count(r["denominator"])}</span>'
            if unit == "%" and _num(r["denominator"])
            else ""
        )
        std = by_id.get(mid)
        hib = _attr(m, "higher_is_better", None)
        variation, assurance = judge(_series(monthly, mid, unit), hib, std.target if std else None)
        if std is None:
            std_cell, met = '<span class="note">none</span>', ""
        else:
            std_cell = f"{std.target:g}%"
            value = chart_value(unit, r["numerator"], r["denominator"], r["value"])
            if value is None:
                met = f'<span class="too-few">{escape(TOO_FEW)}</span>'
            elif value >= std.target:
                met = "<strong>Met</strong>"
            else:
                met = "<strong>Not met</strong>"
        var_cell = f"{icon_svg(variation, VARIATION)} {escape(SHORT[variation])}"
        ass_cell = f"{icon_svg(assurance, ASSURANCE)} {escape(SHORT[assurance])}" if std else ""
        name = f'<a href="#{definition_id(mid)}">{escape(measure_title(mid, measures))}</a>'
        value_cell = escape(shown) if real else f'<span class="too-few">{escape(shown)}</span>'
        rows.append([name, value_cell + counts, std_cell, met, var_cell, ass_cell])
    table = html_table(
        [
            "Measure",
            period_label,
            "National standard",
            "Met?",
            "Month by month",
            "If nothing changes",
        ],
        rows,
        caption=f"Headline measures for {period_label} ({period_text})",
    )
    legend = (
        '<details class="legend"><summary>How to read the icons</summary>'
        "<p>The icons follow NHS England's <em>Making Data Count</em>. Each measure's monthly "
        "figures are put on a statistical process control chart (an XmR chart): the average "
        "month, and process limits showing how far a month can usually stray by chance.</p><ul>"
        + "".join(
            f"<li>{icon_svg(k, VARIATION)} {escape(v[2])}.</li>" for k, v in VARIATION.items()
        )
        + "".join(
            f"<li>{icon_svg(k, ASSURANCE)} {escape(v[2])}.</li>" for k, v in ASSURANCE.items()
        )
        + f"</ul><p>Months based on fewer than {_sections.MIN_DENOMINATOR} people are left out. With fewer "
        "than 13 months the limits are provisional.</p></details>"
    )
    intro = (
        f"<p>The main figures for <strong>{escape(period_label)}</strong> "
        f"({escape(period_text)}, {n_months} months) against the national standards; each "
        "name links to its exact definition. A rate based on fewer than "
        f"{_sections.MIN_DENOMINATOR} people is shown as “{TOO_FEW}” here and everywhere in the report, "
        "because one person more or less would change it a lot; its counts are still shown.</p>"
    )
    bullets = "<ul class='key-points'>" + "".join(f"<li>{p}</li>" for p in points) + "</ul>"
    body = intro + table + (bullets if points else "") + legend
    return Section(
        "summary", "Summary", body, "the headline measures against the national standards"
    )
