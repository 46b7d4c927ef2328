"""Charts for the integrity section: a funnel of every unit, the flagged unit highlighted."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from clearwater.integrity.base import DetectorResult
from clearwater.report.core import PALETTE


def funnel_chart(res: DetectorResult, unit_id: str) -> alt.Chart:
    """Observed minus expected events per case against cases, with 95% / 99.8% limits."""
    u = res.units.dropna(subset=["e"]).copy()
    u = u[u["n"] > 0]
    u["excess_rate"] = (u["o"] - u["e"]) / u["n"]
    u["unit"] = np.where(u["unit_id"].astype(str) == str(unit_id), str(unit_id), "other units")
    p = float(np.clip(u["e"].sum() / max(u["n"].sum(), 1), 1e-6, 1 - 1e-6))
    grid = np.linspace(max(1, u["n"].min()), u["n"].max() + 1, 60)
    lim = pd.DataFrame(
        [
            {"n": n, "limit": z * np.sqrt(p * (1 - p) / n + res.tau2), "band": band}
            for n in grid
            for z, band in ((1.96, "95%"), (3.09, "99.8%"))
        ]
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
