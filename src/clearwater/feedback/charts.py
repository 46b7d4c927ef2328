"""Charts for feedback: one client's scores over sessions against the expected band."""

from __future__ import annotations

import altair as alt
import pandas as pd

from clearwater.feedback.etr import BANDS, ETRModel
from clearwater.report.core import PALETTE

MEASURE_NAMES = {"PHQ9": "PHQ-9 (depression)", "GAD7": "GAD-7 (anxiety)"}


def expected_band(
    model: ETRModel, measure: str, baseline: float, sessions: int, upper: str = "q75"
) -> pd.DataFrame:
    """session, median, lower (25th percentile), upper (the chosen band) for one client."""
    rows = []
    for t in range(1, max(sessions, 2) + 1):
        exp = model.expected(measure, baseline, t)
        if exp is not None:
            rows.append(
                {"session": t, "median": exp["q50"], "lower": exp["q25"], "upper": exp[upper]}
            )
    return pd.DataFrame(rows, columns=["session", "median", "lower", "upper"])


def client_chart(
    scores: pd.DataFrame,
    model: ETRModel,
    measure: str,
    *,
    upper: str = "q75",
    title: str = "",
) -> alt.LayerChart:
    """``scores``: session_number, score for one pathway and measure (session 1 = baseline)."""
    scores = scores.sort_values("session_number")
    baseline = float(scores["score"].iloc[0])
    band = expected_band(model, measure, baseline, int(scores["session_number"].max()) + 2, upper)
    top = BANDS[measure].max_score if measure in BANDS else float(scores["score"].max())
    x = alt.X("session:Q", title="Session", axis=alt.Axis(tickMinStep=1))
    y_scale = alt.Scale(domain=[0, top])
    layers = []
    if not band.empty:
        layers.append(
            alt.Chart(band)
            .mark_area(opacity=0.25, color=PALETTE["sky"])
            .encode(x=x, y=alt.Y("lower:Q", scale=y_scale, title="Score"), y2="upper:Q")
        )
        layers.append(
            alt.Chart(band)
            .mark_line(strokeDash=[4, 3], color=PALETTE["blue"])
            .encode(x=x, y=alt.Y("median:Q", scale=y_scale))
        )
    obs = scores.rename(columns={"session_number": "session"})
    layers.append(
        alt.Chart(obs)
        .mark_line(
            point=alt.OverlayMarkDef(size=50, color=PALETTE["black"]), color=PALETTE["black"]
        )
        .encode(x=x, y=alt.Y("score:Q", scale=y_scale), tooltip=["session", "score"])
    )
    return alt.layer(*layers).properties(
        width=320, height=180, title=title or MEASURE_NAMES.get(measure, measure)
    )
