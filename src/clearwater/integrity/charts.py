"""Charts for the integrity section: a funnel of every unit (the flagged unit highlighted) and
the evidence charts that show each pattern itself (p-charts, observed vs expected bars)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from clearwater.integrity.base import DetectorResult
from clearwater.integrity.stats import rate_rho
from clearwater.report.core import PALETTE, month_label
from clearwater.stats.funnel import betabinomial_limit


def funnel_chart(res: DetectorResult, unit_id: str) -> alt.Chart:
    """Observed minus expected events per case against cases, with 95% / 99.8% limits from the
    null the units were tested against (beta-binomial with the detector's tau^2)."""
    u = res.units.dropna(subset=["e"]).copy()
    u = u[u["n"] > 0]
    u["excess_rate"] = (u["o"] - u["e"]) / u["n"]
    u["unit"] = np.where(u["unit_id"].astype(str) == str(unit_id), str(unit_id), "other units")
    p = float(np.clip(u["e"].sum() / max(u["n"].sum(), 1), 1e-6, 1 - 1e-6))
    grid = np.unique(np.round(np.linspace(max(1, u["n"].min()), u["n"].max() + 1, 60)))
    # the null that flagged units: beta-binomial at the pooled rate, the detector's tau^2
    rho = rate_rho(res.tau2, p)
    lim = pd.concat(
        pd.DataFrame({"n": grid, "limit": betabinomial_limit(grid, p, rho, q) - p, "band": band})
        for q, band in ((0.975, "95%"), (0.999, "99.8%"))
    )
    base = (
        alt.Chart(u)
        .mark_circle(size=60)
        .encode(
            x=alt.X("n:Q", title="eligible cases"),
            y=alt.Y("excess_rate:Q", title="observed minus expected, per case"),
            color=alt.Color(
                "unit:N",
                scale=alt.Scale(
                    domain=[str(unit_id), "other units"],
                    range=[PALETTE["vermillion"], PALETTE["grey"]],
                ),
                title=None,
            ),
            tooltip=["unit_id", "n", "o", "e"],
        )
    )
    lines = (
        alt.Chart(lim)
        .mark_line(strokeDash=[4, 3], color=PALETTE["blue"])
        .encode(x="n:Q", y="limit:Q", detail="band:N")
    )
    return (lines + base).properties(width=420, height=240)


# ----------------------------------------------------------------------------------------------
# Evidence charts: the pattern itself (see clearwater.integrity.evidence for the figures)


def p_chart(
    tab: pd.DataFrame,
    *,
    y_title: str,
    x_title: str = "month of discharge",
    special: str = "above",
    mark_quarter_ends: bool = False,
) -> alt.LayerChart:
    """An SPC p-chart: monthly share (``month``, ``share``) with centre ``centre`` and
    per-month 3-sigma limits ``lcl``/``ucl``; points beyond the ``special`` limit
    ('above' or 'below') are highlighted as special causes."""
    d = tab.copy()
    flag = d["share"] > d["ucl"] if special == "above" else d["share"] < d["lcl"]
    d["point"] = np.where(flag, "special cause", "within limits")
    if mark_quarter_ends:
        d["month_kind"] = np.where(d["quarter_end"], "quarter-end month", "other month")
    else:
        d["month_kind"] = "month"
    shape_legend: dict = {} if mark_quarter_ends else {"legend": None}
    order = [month_label(m) for m in sorted(d["month"].astype(str).unique())]
    d["month"] = d["month"].astype(str).map(month_label)
    x = alt.X("month:O", title=x_title, sort=order)
    base = alt.Chart(d).encode(x=x)
    share = base.mark_line(color=PALETTE["grey"]).encode(
        y=alt.Y("share:Q", title=y_title, axis=alt.Axis(format="%"))
    )
    points = base.mark_point(filled=True, size=70).encode(
        y="share:Q",
        color=alt.Color(
            "point:N",
            scale=alt.Scale(
                domain=["special cause", "within limits"],
                range=[PALETTE["vermillion"], PALETTE["blue"]],
            ),
            title=None,
        ),
        shape=alt.Shape("month_kind:N", title=None, **shape_legend),
        tooltip=["month", alt.Tooltip("share:Q", format=".1%")],
    )
    centre = (
        alt.Chart(pd.DataFrame({"centre": [float(d["centre"].iloc[0])]}))
        .mark_rule(color=PALETTE["black"])
        .encode(y="centre:Q")
    )
    ucl = base.mark_line(interpolate="step", strokeDash=[4, 3], color=PALETTE["orange"]).encode(
        y="ucl:Q"
    )
    lcl = base.mark_line(interpolate="step", strokeDash=[4, 3], color=PALETTE["orange"]).encode(
        y="lcl:Q"
    )
    return (ucl + lcl + centre + share + points).properties(width=420, height=200)


def observed_vs_expected_bars(
    tab: pd.DataFrame,
    *,
    x: str,
    x_title: str,
    highlight: str,
    highlight_words: str,
    rules: tuple[float, ...] = (),
    y_title: str = "count",
    edges: tuple[float, float] = (-0.5, 0.5),
) -> alt.LayerChart:
    """Bars of this unit's ``observed`` counts per ``x`` bin, ticks of peers' distribution
    rescaled to the unit (``expected``); bins where ``highlight`` is true are coloured and
    vertical ``rules`` mark standards (in ``x`` units).  Bin ``x`` spans
    ``[x + edges[0], x + edges[1]]``."""
    d = tab.copy()
    d["bin"] = np.where(d[highlight], highlight_words, "other bins")
    d["x0"] = d[x] + edges[0]
    d["x1"] = d[x] + edges[1]
    d["xc"] = d[x] + (edges[0] + edges[1]) / 2
    enc_x = alt.X("x0:Q", title=x_title, scale=alt.Scale(nice=False))
    bars = (
        alt.Chart(d)
        .mark_bar(opacity=0.85)
        .encode(
            x=enc_x,
            x2="x1:Q",
            y=alt.Y("observed:Q", title=y_title),
            y2=alt.datum(0),
            color=alt.Color(
                "bin:N",
                scale=alt.Scale(
                    domain=[highlight_words, "other bins"],
                    range=[PALETTE["vermillion"], PALETTE["sky"]],
                ),
                title="this unit",
            ),
            tooltip=[x, "observed", alt.Tooltip("expected:Q", format=".1f")],
        )
    )
    expected = (
        alt.Chart(d)
        .mark_tick(color=PALETTE["black"], thickness=2, size=10, orient="horizontal")
        .encode(x=alt.X("xc:Q"), y="expected:Q")
    )
    layers = [bars, expected]
    if rules:
        r = pd.DataFrame({"edge": list(rules)})
        layers.append(
            alt.Chart(r).mark_rule(color=PALETTE["black"], strokeDash=[6, 3]).encode(x="edge:Q")
        )
    return alt.layer(*layers).properties(width=420, height=220)


def grouped_share_bars(
    tab: pd.DataFrame,
    *,
    y_title: str,
    groups: Sequence[str] = ("this unit", "other units"),
    kinds: Sequence[str] = ("observed", "expected under random stopping"),
) -> alt.Chart:
    """Grouped bars of ``share`` (0-1): ``group`` on the x axis in the order ``groups``, one
    bar per ``kind`` within each group (the first kind red, the second grey)."""
    d = tab.copy()
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=alt.X(
                "group:N",
                title=None,
                sort=list(groups),
                axis=alt.Axis(labelAngle=0, labelLimit=160),
            ),
            xOffset=alt.XOffset("kind:N", sort=list(kinds)),
            y=alt.Y(
                "share:Q", title=y_title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=list(kinds),
                    range=[PALETTE["vermillion"], PALETTE["grey"]],
                ),
                title=None,
            ),
            tooltip=["group", "kind", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=max(300, 100 * len(groups)), height=200)
    )
