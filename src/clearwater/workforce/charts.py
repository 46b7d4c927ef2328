"""Charts for workforce: team trends with process limits, team wellbeing over time."""

from __future__ import annotations

import altair as alt
import pandas as pd

from clearwater.report.core import MONTH_FORMAT, PALETTE


def spc_chart(spc: pd.DataFrame, team: str, measure: str, title: str) -> alt.LayerChart:
    """One team's weekly values with the centre line and process limits (XmR)."""
    d = spc[(spc["team_id"] == team) & (spc["measure"] == measure)].copy()
    d["week_start"] = pd.to_datetime(d["week_start"])
    d["special"] = d["signal"].map(lambda s: "special cause" if s else "common cause")
    x = alt.X("week_start:T", title="Week starting", axis=alt.Axis(format=MONTH_FORMAT))
    base = alt.Chart(d)
    return alt.layer(
        base.mark_line(color=PALETTE["grey"]).encode(x=x, y=alt.Y("value:Q", title=title)),
        base.mark_point(filled=True, size=30).encode(
            x=x,
            y="value:Q",
            color=alt.Color(
                "special:N",
                scale=alt.Scale(
                    domain=["common cause", "special cause"],
                    range=[PALETTE["grey"], PALETTE["orange"]],
                ),
                title="",
            ),
        ),
        base.mark_line(color=PALETTE["blue"]).encode(x=x, y="centre:Q"),
        base.mark_line(strokeDash=[4, 3], color=PALETTE["blue"]).encode(x=x, y="upper:Q"),
        base.mark_line(strokeDash=[4, 3], color=PALETTE["blue"]).encode(x=x, y="lower:Q"),
    ).properties(width=460, height=160, title=f"{team}: {title}")


def wellbeing_trend_chart(blocks: pd.DataFrame, scale: str, title: str) -> alt.Chart:
    """Released blocks only: the subscale mean at the last month of each block, per group."""
    d = blocks.dropna(subset=[f"{scale}_mean"]).copy()
    d["month"] = pd.to_datetime(d["last_month"] + "-01")
    return (
        alt.Chart(d)
        .mark_line(point=True)
        .encode(
            x=alt.X("month:T", title="End of pooled period", axis=alt.Axis(format=MONTH_FORMAT)),
            y=alt.Y(
                f"{scale}_mean:Q", title="Mean score (0-100)", scale=alt.Scale(domain=[0, 100])
            ),
            color=alt.Color("group:N", title="Team"),
            tooltip=["group", "periods", f"{scale}_mean", "n_shown"],
        )
        .properties(width=460, height=180, title=title)
    )
