"""The report's building blocks: sections and offline charts.

Every area builds its own :class:`Section` (plain words, tables, charts); :mod:`clearwater.report`
assembles sections into one self-contained HTML file.  Charts are Altair (Vega-Lite) specs
rendered to inline SVG by vl-convert, so the report needs no network and no JavaScript.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Colour-blind-safe palette (Okabe-Ito) used by every chart.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#6B6B6B",
    "black": "#000000",
}


@dataclass
class Section:
    """One part of the report.  ``body_html`` is trusted HTML built with :func:`escape`."""

    id: str
    title: str
    body_html: str
    summary: str = ""  # one plain sentence shown in the contents
    level: int = 2
    children: list[Section] = field(default_factory=list)
    # A detail section (long lists for supervision, per-clinician charts) is written to its
    # own page beside the report; the report keeps a short paragraph linking to it.
    detail: bool = False
    detail_intro: str = ""  # trusted HTML shown in the report in place of the detail
    stub: bool = True  # False: the parent section links to the page itself (no stub)


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


_MARK = re.compile(
    r'<(path|rect|circle|text)(\s[^>]*?aria-label="([^"]*)"[^>]*?aria-roledescription="([^"]*)"[^>]*?)/>'
)
_NO_TOOLTIP = ("line mark", "axis", "legend", "title", "area mark", "rule mark")


def with_tooltips(svg: str) -> str:
    """Give every data mark of a rendered chart a ``<title>`` (its values in words), so a
    browser shows them on hover without any script.  Lines, areas and rules are left out:
    their label describes only their first point."""

    def add(m: re.Match[str]) -> str:
        tag, attrs, label, role = m.group(1), m.group(2), m.group(3), m.group(4)
        if role in _NO_TOOLTIP:
            return m.group(0)
        return f"<{tag}{attrs}><title>{label}</title></{tag}>"

    return _MARK.sub(add, svg)


def chart_svg(chart: Any, *, title: str, how_to_read: str, alt_text: str | None = None) -> str:
    """Render an Altair chart (or a Vega-Lite dict) to an accessible inline-SVG figure.

    ``how_to_read`` is the one-line "how to read this" shown under every chart.
    """
    import vl_convert as vlc

    spec = chart.to_dict() if hasattr(chart, "to_dict") else chart
    svg = with_tooltips(vlc.vegalite_to_svg(spec))
    label = escape(alt_text or title)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return (
        '<figure class="chart">'
        f"<figcaption><strong>{escape(title)}</strong></figcaption>"
        f"{svg}"
        f'<p class="how-to-read"><span>How to read this:</span> {escape(how_to_read)}</p>'
        "</figure>"
    )


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: dict[str, str] | None = None,
    max_rows: int = 500,
) -> str:
    """A plain accessible HTML table; ``formats`` maps column -> format spec (e.g. '.1f').

    Headers are the columns' names in words (:func:`clearwater.report.words.column_label`)."""
    from clearwater.report.words import column_label

    formats = formats or {}
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)}
    num = ' class="num"'
    head = "".join(
        f'<th scope="col"{num if c in numeric else ""}>{escape(column_label(c))}</th>'
        for c in frame.columns
    )
    rows = []
    for _, r in frame.head(max_rows).iterrows():
        cells = []
        for c in frame.columns:
            v = r[c]
            if v is None or (isinstance(v, float) and pd.isna(v)):
                s = ""
            elif c in formats:
                try:
                    s = format(v, formats[c])
                except (TypeError, ValueError):
                    s = str(v)
            else:
                s = str(v)
            cls = ' class="num"' if c in numeric else ""
            cells.append(f"<td{cls}>{escape(s)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="note">Showing {max_rows} of {len(frame)} rows.</p>'
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def analyst_details(words: str, numbers: str, *, summary: str = "The numbers, for analysts") -> str:
    """A statistic named in words, with its numbers one click away (closed ``<details>``)."""
    return (
        f"<p class='note'>{escape(words)}</p>"
        f"<details class='analyst'><summary>{escape(summary)}</summary>"
        f"<p class='note'>{escape(numbers)}</p></details>"
    )


MONTH_FORMAT = "%b %Y"  # every month on every axis and in every table: 'Apr 2023'
_YYYY_MM = re.compile(r"^(\d{4})-(\d{2})$")


def month_label(value: Any) -> str:
    """'2023-04' (a month period's label) -> 'Apr 2023'; anything else unchanged."""
    import datetime as dt

    text = str(value)
    m = _YYYY_MM.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return text
    return dt.date(int(m.group(1)), int(m.group(2)), 1).strftime(MONTH_FORMAT)
