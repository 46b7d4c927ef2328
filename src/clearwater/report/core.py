"""The report's building blocks: sections and offline charts.

Every area builds its own :class:`Section` (plain words, tables, charts); :mod:`clearwater.report`
assembles sections into one self-contained HTML file.  Charts are Altair (Vega-Lite) specs
rendered to inline SVG by vl-convert, so the report needs no network and no JavaScript.
"""

from __future__ import annotations

import html
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


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def chart_svg(chart: Any, *, title: str, how_to_read: str, alt_text: str | None = None) -> str:
    """Render an Altair chart (or a Vega-Lite dict) to an accessible inline-SVG figure.

    ``how_to_read`` is the one-line "how to read this" shown under every chart.
    """
    import vl_convert as vlc

    spec = chart.to_dict() if hasattr(chart, "to_dict") else chart
    svg = vlc.vegalite_to_svg(spec)
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
    """A plain accessible HTML table; ``formats`` maps column -> format spec (e.g. '.1f')."""
    formats = formats or {}
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in frame.columns)
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
            cells.append(f"<td>{escape(s)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="note">Showing {max_rows} of {len(frame)} rows.</p>'
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )
