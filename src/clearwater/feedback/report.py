"""Feedback for the people in the room: running the area, its outputs and report sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ibis
import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.errors import ClearwaterError
from clearwater.feedback.alerts import (
    NOT_ON_TRACK,
    Alerts,
    Validation,
    compute_alerts,
    upper_column,
    validate_not,
)
from clearwater.feedback.caseload import caseload_review
from clearwater.feedback.charts import client_chart
from clearwater.feedback.etr import ETRModel, fit_etr
from clearwater.report.core import Section, chart_svg, escape, table_html

CHARTS_IN_REPORT = 12
# Short headers so the alert table fits the page (alerts.csv keeps the column names).
ALERT_HEADERS = {
    "risk_flag": "Risk",
    "pathway_id": "Referral",
    "team_id": "Team",
    "therapist_id": "Clinician",
    "measure": "Measure",
    "session_number": "Session",
    "baseline": "First score",
    "score": "Latest",
    "expected_median": "Usual",
    "expected_upper": "Band top",
    "status": "Status",
    "reason": "Why flagged",
    "last_date": "Last score",
}
ALERT_SCORES = ("baseline", "score", "expected_median", "expected_upper")


@dataclass(frozen=True)
class FeedbackResult:
    model: ETRModel
    alerts: Alerts
    validation: Validation
    caseload: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.alerts.frame


def run_feedback(
    data: CleanData,
    pathways: ibis.Table,
    *,
    upper_percentile: float = 0.75,
    reference: ETRModel | None = None,
    max_session: int = 12,
    min_n: int = 30,
) -> FeedbackResult:
    """Fit (or take) the expected bands, classify open referrals, validate, build the review."""
    if not data.has("score"):
        raise ClearwaterError("no questionnaire scores: expected treatment response needs them")
    model = reference or fit_etr(data, pathways, max_session=max_session, min_n=min_n)
    if model.bands["q50"].notna().sum() == 0:
        raise ClearwaterError(
            "too few finished courses to estimate expected treatment response "
            f"(at least {min_n} per baseline band and session); use a saved reference"
        )
    alerts = compute_alerts(data, pathways, model, upper_percentile=upper_percentile)
    validation = validate_not(
        data,
        pathways,
        upper_percentile=upper_percentile,
        max_session=max_session,
        min_n=min_n,
        reference=reference,
    )
    caseload = caseload_review(data, pathways, alerts)
    return FeedbackResult(model=model, alerts=alerts, validation=validation, caseload=caseload)


def _chart_for(result: FeedbackResult, pathway_id: str, measure: str) -> str:
    s = result.alerts.series
    one = s[(s["pathway_id"] == pathway_id) & (s["measure"] == measure)]
    upper = upper_column(result.alerts.upper_percentile)
    chart = client_chart(one, result.model, measure, upper=upper, title=f"{pathway_id}: {measure}")
    pct = int(result.alerts.upper_percentile * 100)
    return chart_svg(
        chart,
        title=f"Client {pathway_id}, {measure}",
        how_to_read=(
            "Black points are this client's scores by session. The shaded band runs from the "
            f"25th to the {pct}th percentile of clients who started at a similar score; the dashed "
            "line is the usual (median) course. Points above the band are not on track."
        ),
    )


def chart_rows(
    result: FeedbackResult, *, charts: int = 200, per_therapist: int | None = None
) -> pd.DataFrame:
    """The flagged rows that get a client chart file, in risk-first order.

    With ``per_therapist``, each clinician's first clients are charted (one chart per client:
    the first flagged measure, so risk flags come first), at most ``charts`` in all; every
    client's scores stay in client_series.csv whatever is charted."""
    flagged = result.alerts.not_on_track
    if per_therapist is None:
        return flagged.head(charts)
    one = flagged.drop_duplicates("pathway_id")
    key = one["therapist_id"].astype("string").fillna("")
    return one[one.groupby(key, sort=False).cumcount() < per_therapist].head(charts)


def write_outputs(
    result: FeedbackResult,
    out_dir: Path,
    *,
    charts: int = 200,
    per_therapist: int | None = None,
) -> tuple[Path, ...]:
    """alerts.csv, validation.csv, etr_bands.csv, caseload.csv, client_series.csv, charts/*.svg
    (the charted clients: :func:`chart_rows`)."""
    import vl_convert as vlc

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (
        ("alerts.csv", result.alerts.frame),
        ("validation.csv", result.validation.frame),
        ("etr_bands.csv", result.model.bands),
        ("caseload.csv", result.caseload),
        ("client_series.csv", result.alerts.series),
    ):
        frame.to_csv(out_dir / name, index=False)
        paths.append(out_dir / name)
    chart_dir = out_dir / "charts"
    chart_dir.mkdir(exist_ok=True)
    flagged = chart_rows(result, charts=charts, per_therapist=per_therapist)
    upper = upper_column(result.alerts.upper_percentile)
    s = result.alerts.series
    for r in flagged.itertuples(index=False):
        one = s[(s["pathway_id"] == r.pathway_id) & (s["measure"] == r.measure)]
        spec = client_chart(one, result.model, r.measure, upper=upper).to_dict()
        path = chart_dir / f"{r.pathway_id}_{r.measure}.svg"
        path.write_text(vlc.vegalite_to_svg(spec))
        paths.append(path)
    return tuple(paths)


def _not_on_track_section(result: FeedbackResult) -> Section:
    f = result.alerts.frame
    flagged = result.alerts.not_on_track
    n_open = f["pathway_id"].nunique()
    n_flag = flagged["pathway_id"].nunique()
    n_risk = f.loc[f["risk_flag"] == True, "pathway_id"].nunique()  # noqa: E712
    pct = int(result.alerts.upper_percentile * 100)
    body = [
        "<p>These are open referrals whose latest score is higher than most people who started at "
        f"a similar score had at the same session (above the {pct}th percentile), or who are "
        "reliably worse than when they started. It is a prompt to talk with the client and in "
        "supervision, not a judgement of anyone's work. Clients whose latest PHQ-9 answer to "
        "question 9 (thoughts of self-harm) was above 0 are listed first, always.</p>",
        f"<p>{n_flag} of {n_open} open referrals are flagged; {n_risk} have a risk flag. "
        f"Expected bands come from {escape(result.model.source)} finished courses.</p>",
        "<p>In the table, <em>Usual</em> is the median score at that session of clients who "
        f"started at a similar score and <em>Band top</em> its {pct}th percentile; "
        "<em>First score</em> is the score at the start of treatment.</p>",
    ]
    show = flagged[
        [
            "risk_flag",
            "pathway_id",
            "team_id",
            "therapist_id",
            "measure",
            "session_number",
            "baseline",
            "score",
            "expected_median",
            "expected_upper",
            "status",
            "reason",
            "last_date",
        ]
    ].copy()
    show["risk_flag"] = show["risk_flag"].map({True: "RISK", False: "", None: ""})
    show["last_date"] = pd.to_datetime(show["last_date"]).dt.strftime("%Y-%m-%d")
    show = show.rename(columns=ALERT_HEADERS)
    body.append(
        table_html(
            show,
            caption="Clients to discuss (risk first)",
            max_rows=300,
            formats={ALERT_HEADERS[c]: "g" for c in ALERT_SCORES},
        )
    )
    if len(show) > 300:
        body.append("<p class='note'>The full list is in alerts.csv beside this report.</p>")
    shown = min(CHARTS_IN_REPORT, n_flag)
    if shown:
        body.append(
            f"<p>Charts for the first {shown} of these clients follow; every client's scores by "
            "session are in client_series.csv.</p>"
        )
    for r in flagged.drop_duplicates("pathway_id").head(CHARTS_IN_REPORT).itertuples(index=False):
        body.append(_chart_for(result, r.pathway_id, r.measure))
    return Section(
        id="feedback-not-on-track",
        title="Clients not on track",
        body_html="".join(body),
        summary=f"{n_flag} open referrals not on track or with a risk flag ({n_risk} risk).",
    )


def _validation_section(result: FeedbackResult) -> Section:
    v = result.validation.frame
    body = (
        "<p>How well does 'not on track' early in treatment pick out people who end without "
        "reliable improvement? Finished courses were judged at sessions 2, 3 and 4 against bands "
        "fitted on the other half of the courses. Sensitivity: the share of those who did not "
        "improve who were flagged. Specificity: the share of those who improved who were not "
        "flagged. AUC: 0.5 is no better than chance, 1 is perfect.</p>"
        + table_html(
            v,
            caption="Validation of not-on-track alerts",
            formats={
                "no_improvement_share": ".0%",
                "flagged_share": ".0%",
                "sensitivity": ".2f",
                "specificity": ".2f",
                "ppv": ".2f",
                "auc": ".2f",
            },
        )
    )
    best = v["auc"].max() if len(v) else float("nan")
    return Section(
        id="feedback-validation",
        title="How well the alerts predict",
        body_html=body,
        summary=f"Best AUC {best:.2f}." if pd.notna(best) else "Too few finished courses.",
    )


def _caseload_sections(result: FeedbackResult) -> list[Section]:
    c = result.caseload
    out = []
    for i, (team, g) in enumerate(c.groupby(c["team_id"].fillna("Unknown team"))):
        show = g.copy()
        show["risk_flag"] = show["risk_flag"].map({True: "RISK", False: "", None: ""})
        show["not_on_track"] = show["not_on_track"].map({True: NOT_ON_TRACK, False: ""})
        show["waiting_for_second_session"] = show["waiting_for_second_session"].map(
            {True: "waiting", False: ""}
        )
        body = (
            "<p>One list per clinician for a 15-minute monthly review: who is at risk, who is not "
            "on track, who has not been seen for a while, and who is waiting for a second "
            "session. Complexity markers explain why a caseload may be harder; they are not "
            "a score.</p>" + table_html(show.drop(columns=["team_id"]), max_rows=300)
        )
        out.append(
            Section(
                id=_section_id("caseload", team, i),
                title=f"Caseload review: team {team}",
                body_html=body,
                summary=f"{len(g)} open referrals, {g['therapist_id'].nunique()} clinicians.",
                level=3,
            )
        )
    return out


def _section_id(prefix: str, name: object, i: int) -> str:
    """An HTML-safe, unique anchor for a section named after a team."""
    safe = re.sub(r"[^A-Za-z0-9_.:-]+", "-", str(name)).strip("-")
    return f"{prefix}-{safe}" if safe else f"{prefix}-{i + 1}"


def report_sections(result: FeedbackResult) -> list[Section]:
    caseload = Section(
        id="feedback-caseload",
        title="Caseload review",
        body_html="<p>Open caseloads by team, for supervision. Full lists are in caseload.csv.</p>",
        summary="Open caseloads by team for supervision.",
        children=_caseload_sections(result),
    )
    return [_not_on_track_section(result), _validation_section(result), caseload]
