"""Benchmarking charts (Altair specs; rendered offline to inline SVG by report.core.chart_svg).

Every chart uses the Okabe-Ito palette, plain-word axis titles, and distinguishes positions by
shape as well as colour so it reads without colour vision.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from clearwater.report.core import PALETTE, month_label
from clearwater.stats.xmr import POINT_COLOURS, XmrResult

POSITION_COLOURS = {
    "above": PALETTE["blue"],
    "within": PALETTE["grey"],
    "below": PALETTE["vermillion"],
}
POSITION_SHAPES = {"above": "triangle-up", "within": "circle", "below": "triangle-down"}
POSITION_WORDS = {
    "above": "Higher than expected",
    "within": "Within expected range",
    "below": "Lower than expected",
}
POINT_WORDS = {
    "common_cause": "Common cause (normal variation)",
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neutral": "Special cause: change",
}


def _position_encodings():
    order = list(POSITION_WORDS.values())
    colour = alt.Color(
        "position_words:N",
        title="Position",
        scale=alt.Scale(domain=order, range=[POSITION_COLOURS[k] for k in POSITION_WORDS]),
        legend=alt.Legend(orient="bottom"),
    )
    shape = alt.Shape(
        "position_words:N",
        title="Position",
        scale=alt.Scale(domain=order, range=[POSITION_SHAPES[k] for k in POSITION_WORDS]),
        legend=alt.Legend(orient="bottom"),
    )
    return colour, shape


def funnel_chart(
    points: pd.DataFrame,
    curve: pd.DataFrame,
    *,
    target: float,
    x_title: str,
    y_title: str,
    percent: bool = True,
    width: int = 620,
    height: int = 380,
) -> alt.LayerChart:
    """Funnel plot.  ``points``: n, value, position; ``curve``: n, lower95, upper95, lower998,
    upper998 (same scale as value)."""
    pts = points[points["position"].isin(POSITION_WORDS)].copy()
    pts["position_words"] = pts["position"].map(POSITION_WORDS)
    fmt = ".0%" if percent else ".2f"
    long = curve.melt("n", var_name="limit", value_name="value")
    long["band"] = (
        long["limit"].str.contains("998").map({True: "99.8% limits", False: "95% limits"})
    )
    long["side"] = long["limit"].str.startswith("upper").map({True: "upper", False: "lower"})
    # The axis stays inside what is possible: a rate between 0 and 100%, a ratio above 0.
    # Limits beyond that are cut at the edge (clamped), never drawn into impossible values.
    low_bound, high_bound = (0.0, 1.0) if percent else (0.0, float("inf"))
    y_all = pd.concat([pts["value"], pd.Series([target])])
    y_lim = long["value"].clip(low_bound, high_bound)
    span = float(max(y_all.max(), y_lim.quantile(0.95)) - min(y_all.min(), y_lim.quantile(0.05)))
    pad = 0.05 * (span or 1)
    lo = max(low_bound, float(min(y_all.min(), y_lim.quantile(0.05)) - pad))
    hi = min(high_bound, float(max(y_all.max(), y_lim.quantile(0.95)) + pad))
    long["value"] = long["value"].clip(lo, hi)
    yscale = alt.Scale(domain=[lo, hi], zero=False, clamp=True)
    base = alt.Chart(long).encode(
        x=alt.X("n:Q", title=x_title, scale=alt.Scale(type="sqrt")),
        y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=fmt), scale=yscale),
        detail="limit:N",
    )
    lines = base.mark_line(color=PALETTE["black"], strokeWidth=1).encode(
        strokeDash=alt.StrokeDash(
            "band:N",
            title="Limits",
            scale=alt.Scale(domain=["95% limits", "99.8% limits"], range=[[5, 4], [1, 0]]),
            legend=alt.Legend(orient="bottom"),
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"target": [target]}))
        .mark_rule(color=PALETTE["green"], strokeWidth=1.5)
        .encode(y="target:Q")
    )
    colour, shape = _position_encodings()
    tip = [alt.Tooltip("n:Q", title="People")]
    if "label" in pts.columns:
        tip.insert(0, alt.Tooltip("label:N", title="Who"))
    tip.append(alt.Tooltip("value:Q", title="Value", format=fmt))
    dots = (
        alt.Chart(pts)
        .mark_point(filled=True, size=55, opacity=0.85)
        .encode(x="n:Q", y="value:Q", color=colour, shape=shape, tooltip=tip)
    )
    layers = [lines, rule, dots]
    if "label" in pts.columns:
        # name every mark outside the limits, so an outlier can be found in the tables
        out = pts[pts["position"] != "within"]
        if not out.empty:
            layers.append(
                alt.Chart(out)
                .mark_text(align="left", dx=7, dy=-6, fontSize=11, color=PALETTE["black"])
                .encode(x="n:Q", y="value:Q", text="label:N")
            )
    return alt.layer(*layers).properties(width=width, height=height)


def oe_dot_chart(
    frame: pd.DataFrame,
    *,
    label: str = "unit",
    value: str = "shrunken",
    lower: str = "shrunken_lower",
    upper: str = "shrunken_upper",
    x_title: str = "Observed / expected (1 = as expected)",
    max_units: int = 60,
) -> alt.LayerChart:
    """Observed-vs-expected dot plot with intervals, one row per unit, sorted."""
    f = frame.dropna(subset=[value]).sort_values(value).tail(max_units).copy()
    f["position_words"] = f.get("position", pd.Series("within", index=f.index)).map(POSITION_WORDS)
    f["unit_label"] = f[label].astype(str)
    order = f["unit_label"].tolist()
    height = max(120, 16 * len(f))
    y = alt.Y("unit_label:N", sort=order, title=None)
    bars = (
        alt.Chart(f)
        .mark_rule(color=PALETTE["grey"], strokeWidth=2)
        .encode(y=y, x=alt.X(f"{lower}:Q", title=x_title, scale=alt.Scale(zero=False)), x2=upper)
    )
    colour, shape = _position_encodings()
    dots = (
        alt.Chart(f)
        .mark_point(filled=True, size=60)
        .encode(y=y, x=f"{value}:Q", color=colour, shape=shape)
    )
    one = (
        alt.Chart(pd.DataFrame({"x": [1.0]}))
        .mark_rule(color=PALETTE["black"], strokeDash=[4, 3])
        .encode(x="x:Q")
    )
    return alt.layer(bars, one, dots).properties(width=520, height=height)


def spc_chart(
    result: XmrResult, *, y_title: str, percent: bool = False, width: int = 620
) -> alt.LayerChart:
    """XmR chart: values, centre, process limits; points coloured by special-cause type."""
    p = result.points.copy()
    p["x"] = p["label"].map(month_label)
    p["point_words"] = p["point_type"].map(POINT_WORDS)
    order = p["x"].tolist()
    fmt = ".0%" if percent else ".3~g"
    x = alt.X("x:N", sort=order, title="Period", axis=alt.Axis(labelAngle=-45))
    lines = p.melt(
        id_vars=["x", "group"],
        value_vars=["centre", "upl", "lpl"],
        var_name="line",
        value_name="level",
    )
    lines["line"] = lines["line"].map(
        {"centre": "Mean", "upl": "Upper process limit", "lpl": "Lower process limit"}
    )
    limit_layer = (
        alt.Chart(lines)
        .mark_line(color=PALETTE["black"], strokeWidth=1)
        .encode(
            x=x,
            y=alt.Y(
                "level:Q", title=y_title, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)
            ),
            detail="group:N",
            strokeDash=alt.StrokeDash(
                "line:N",
                title=None,
                scale=alt.Scale(
                    domain=["Mean", "Upper process limit", "Lower process limit"],
                    range=[[1, 0], [5, 4], [5, 4]],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    path = alt.Chart(p).mark_line(color=PALETTE["grey"]).encode(x=x, y="value:Q", detail="group:N")
    domain = list(POINT_WORDS.values())
    dots = (
        alt.Chart(p)
        .mark_point(filled=True, size=70)
        .encode(
            x=x,
            y="value:Q",
            color=alt.Color(
                "point_words:N",
                title="Variation",
                scale=alt.Scale(domain=domain, range=[POINT_COLOURS[k] for k in POINT_WORDS]),
                legend=alt.Legend(orient="bottom", columns=2),
            ),
            shape=alt.Shape(
                "point_words:N",
                title="Variation",
                scale=alt.Scale(
                    domain=domain, range=["circle", "triangle-up", "diamond", "square"]
                ),
                legend=alt.Legend(orient="bottom", columns=2),
            ),
        )
    )
    return alt.layer(limit_layer, path, dots).properties(width=width, height=300)


def gradient_chart(
    frame: pd.DataFrame,
    *,
    group: str,
    group_title: str,
    y_title: str,
    kind: str = "kind",
    order: list[str] | None = None,
) -> alt.LayerChart:
    """Equity gradient: rate (with 95% interval) per group, raw and adjusted side by side."""
    f = frame.copy()
    f["group_label"] = f[group].astype(str)
    sort = order or f["group_label"].drop_duplicates().tolist()
    kinds = f[kind].drop_duplicates().tolist()
    colours = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"]][: len(kinds)]
    x = alt.X("group_label:N", sort=sort, title=group_title, axis=alt.Axis(labelAngle=0))
    xo = alt.XOffset(f"{kind}:N", sort=kinds)
    colour = alt.Color(
        f"{kind}:N",
        title=None,
        scale=alt.Scale(domain=kinds, range=colours),
        legend=alt.Legend(orient="bottom"),
    )
    bars = (
        alt.Chart(f)
        .mark_rule(strokeWidth=2)
        .encode(
            x=x,
            xOffset=xo,
            y=alt.Y(
                "lower95:Q", title=y_title, axis=alt.Axis(format=".0%"), scale=alt.Scale(zero=False)
            ),
            y2="upper95:Q",
            color=colour,
        )
    )
    dots = (
        alt.Chart(f)
        .mark_point(filled=True, size=60)
        .encode(
            x=x,
            xOffset=xo,
            y="rate:Q",
            color=colour,
            shape=alt.Shape(f"{kind}:N", scale=alt.Scale(domain=kinds), legend=None),
        )
    )
    return alt.layer(bars, dots).properties(width=max(300, 60 * len(sort)), height=300)
