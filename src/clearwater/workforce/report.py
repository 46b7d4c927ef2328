"""Workload and wellbeing: running the area, its outputs and report sections.

Workload is shown per team (never a ranking of clinicians); wellbeing only through the safe
blocks of :mod:`clearwater.workforce.disclosure`; the two sit side by side at team level only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.outputs import write_csv
from clearwater.report.core import Section, chart_svg, escape, table_html
from clearwater.workforce.charts import spc_chart, wellbeing_trend_chart
from clearwater.workforce.wellbeing import CBI_SCALES, PRESSURE_ITEMS, WellbeingRelease
from clearwater.workforce.workload import SPC_MEASURES, WorkloadResult, compute_workload


@dataclass(frozen=True)
class WorkforceResult:
    workload: WorkloadResult | None
    wellbeing: WellbeingRelease | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.workload.team_weeks if self.workload is not None else pd.DataFrame()


def run_workforce(
    data: CleanData, pathways: ibis.Table, wellbeing: WellbeingRelease | None = None
) -> WorkforceResult:
    return WorkforceResult(workload=compute_workload(data, pathways), wellbeing=wellbeing)


def write_outputs(result: WorkforceResult, out_dir: Path) -> tuple[Path, ...]:
    """workload_team_weeks.csv, workload_spc.csv, workload_clinician_weeks.csv (for the
    service's own supervisors; not in the report), wellbeing_*.csv (released figures only)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames: dict[str, pd.DataFrame] = {}
    if result.workload is not None:
        frames["workload_team_weeks.csv"] = result.workload.team_weeks
        frames["workload_spc.csv"] = result.workload.spc
        frames["workload_clinician_weeks.csv"] = result.workload.clinician_weeks
    if result.wellbeing is not None:
        frames.update(wellbeing_frames(result.wellbeing))
    paths = []
    for name, frame in frames.items():
        paths.append(write_csv(frame, out_dir / name))
    return tuple(paths)


def wellbeing_frames(release: WellbeingRelease) -> dict[str, pd.DataFrame]:
    out = {"wellbeing_blocks.csv": release.blocks, "wellbeing_free_text.csv": release.free_text}
    for name, pt in release.options.items():
        shown = pt.shown.copy()
        shown.index.name = "group"
        out[f"wellbeing_options_{name}.csv"] = shown.reset_index()
    return out


def _team_summary(w: WorkloadResult, weeks: int = 8) -> pd.DataFrame:
    tw = w.team_weeks.sort_values("week_start")
    recent = sorted(tw["week_start"].unique())[-weeks:]
    r = tw[tw["week_start"].isin(recent)]
    g = r.groupby("team_id").agg(
        clinicians=("clinicians", "max"),
        fte=("fte", "mean"),
        clinical_hours_per_fte=("clinical_hours_per_fte", "mean"),
        caseload_per_fte=("caseload_per_fte", "mean"),
        longest_back_to_back=("longest_run", "max"),
        dna_rate=("dna_rate", "mean"),
        supervision_met=("supervision_met_share", "mean"),
    )
    return g.reset_index().sort_values("team_id")  # alphabetical, never ranked


def _workload_section(w: WorkloadResult) -> Section:
    s = w.settings
    summary = _team_summary(w)
    body = [
        "<p>Workload by team over the last 8 weeks: attended clinical hours and open caseload "
        "per full-time equivalent (FTE), the longest run of back-to-back contacts (next contact "
        f"starting within {s.max_gap_min} minutes of the last ending), did-not-attend rate and "
        "the share of working weeks in which supervision met the guidance (PWPs: an hour of "
        "case-management supervision a week pro rata and clinical-skills supervision every two "
        "weeks; others: supervision every week). "
        f"The {s.hours_per_fte_warning:g} clinical hours per FTE figure is a planning figure, not "
        "a national standard. Teams are listed alphabetically; this is not a league table.</p>"
    ]
    if not w.has_staff:
        body.append("<p>No staff file (CWStaff): FTE is taken as 1 for everyone.</p>")
    if not w.has_supervision:
        body.append("<p>No supervision file (CWSupervision): supervision is not assessed.</p>")
    body.append(
        table_html(
            summary,
            caption="Team workload, last 8 weeks",
            formats={
                "fte": ".1f",
                "clinical_hours_per_fte": ".1f",
                "caseload_per_fte": ".1f",
                "dna_rate": ".0%",
                "supervision_met": ".0%",
            },
        )
    )
    charts = []
    for team in summary["team_id"]:
        for m, title in SPC_MEASURES.items():
            charts.append(
                chart_svg(
                    spc_chart(w.spc, team, m, title),
                    title=f"Team {team}: {title} by week",
                    how_to_read=(
                        "Solid blue line: the average; dashed lines: the process limits. Orange "
                        "points are special-cause variation (outside the limits, or a run of 7 "
                        "above or below the average, or 7 rising or falling)."
                    ),
                )
            )
    weekly = Section(
        id="workforce-weekly",
        title="Weekly charts by team",
        body_html="".join(charts),
        summary=f"Each team's weekly {' and '.join(t.lower() for t in SPC_MEASURES.values())}, "
        "with process limits.",
        level=3,
        detail=True,
        detail_intro=_special_cause_note(w),
    )
    return Section(
        id="workforce-workload",
        title="Workload",
        body_html="".join(body),
        summary=f"Weekly workload by team ({len(summary)}), with process limits.",
        children=[weekly],
    )


def _special_cause_note(w: WorkloadResult) -> str:
    """Which teams' latest week is unusual (special cause), in one sentence."""
    spc = w.spc
    if spc is None or spc.empty or "signal" not in spc.columns:
        return ""
    last = spc.sort_values("week_start").groupby(["team_id", "measure"]).tail(1)
    odd = last[last["signal"].fillna("").astype(str) != ""]
    if odd.empty:
        return (
            "<p>In the latest week every team's figures are within their usual range "
            "(common-cause variation).</p>"
        )
    items = ", ".join(
        f"{escape(r.team_id)} ({escape(SPC_MEASURES.get(r.measure, r.measure).lower())})"
        for r in odd.itertuples(index=False)
    )
    return f"<p>Unusual in the latest week (special-cause variation): {items}.</p>"


def _wellbeing_section(r: WellbeingRelease, w: WorkloadResult | None) -> Section:
    p = r.policy
    b = r.blocks
    body = [
        "<p>Results of the anonymous staff survey: the Copenhagen Burnout Inventory (personal, "
        "work-related and client-related burnout, 0-100; 50 or more is often called high, a "
        "research convention, not a diagnosis) and four questions on pressures staff have "
        f"reported. To keep every answer anonymous, results are shown only for groups of at least "
        f"{p.min_group} responses: small teams are pooled, and months are pooled until a group is "
        "large enough. Counts are rounded to the nearest 5; answer counts under "
        f"{p.min_cell} and any count that would let a hidden one be worked out are hidden; free "
        f"text appears only for groups of at least {p.free_text_min}. Nobody, including managers, "
        "sees individual answers. These figures are kept apart from performance figures.</p>"
    ]
    if b.empty:
        body.append(
            f"<p>There are not yet {p.min_group} responses in any group, so nothing is shown.</p>"
        )
    else:
        cols = ["group", "periods", "n_shown"]
        cols += [f"{s}_mean" for s in CBI_SCALES if f"{s}_mean" in b.columns]
        cols += [f"{s}_pct_high" for s in CBI_SCALES if f"{s}_pct_high" in b.columns]
        cols += [f"{i}_pct" for i in PRESSURE_ITEMS if f"{i}_pct" in b.columns]
        body.append(table_html(b[cols], caption="Wellbeing by team and pooled period"))
        body.append(
            "<p>Questions: "
            + " ".join(
                f"<strong>{escape(k)}</strong>: {escape(v)}" for k, v in PRESSURE_ITEMS.items()
            )
            + " (percentages answering yes).</p>"
        )
        for scale in CBI_SCALES:
            body.append(
                chart_svg(
                    wellbeing_trend_chart(b, scale, f"{scale.capitalize()} burnout"),
                    title=f"{scale.capitalize()} burnout over time, by team",
                    how_to_read=(
                        "Each point is one pooled group of responses, placed at its last month. "
                        "Higher means more burnout."
                    ),
                )
            )
        if w is not None:
            single = b[~b["group"].str.contains("combined")]
            summary = _team_summary(w)
            side = summary.merge(
                single.groupby("group")[["work_mean"]].last().reset_index(),
                left_on="team_id",
                right_on="group",
                how="left",
            ).drop(columns=["group"])
            body.append(
                table_html(
                    side[
                        [
                            "team_id",
                            "clinical_hours_per_fte",
                            "caseload_per_fte",
                            "supervision_met",
                            "work_mean",
                        ]
                    ],
                    caption="Team workload beside team work-related burnout (latest released)",
                    formats={
                        "clinical_hours_per_fte": ".1f",
                        "caseload_per_fte": ".1f",
                        "supervision_met": ".0%",
                        "work_mean": ".1f",
                    },
                )
            )
    if not r.free_text.empty:
        body.append(table_html(r.free_text, caption="Comments (large groups only, in A-Z order)"))
    return Section(
        id="workforce-wellbeing",
        title="Staff wellbeing",
        body_html="".join(body),
        summary=f"{len(b)} anonymous groups of at least {p.min_group} responses.",
    )


def report_sections(result: WorkforceResult) -> list[Section]:
    out = []
    if result.workload is not None:
        out.append(_workload_section(result.workload))
    if result.wellbeing is not None:
        out.append(_wellbeing_section(result.wellbeing, result.workload))
    return out
