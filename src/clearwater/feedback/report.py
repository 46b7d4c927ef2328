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
from clearwater.outputs import SafeNames, write_csv
from clearwater.report.core import Section, chart_svg, escape, table_html
from clearwater.report.words import clinician_name, team_name, value_label

CHARTS_IN_REPORT = 12
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


SERIES_KEY = ("pathway_id", "measure", "session_number", "score_date")


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
        # the engine returns the series in no fixed order: sort by its key (identical reruns)
        key = SERIES_KEY if name == "client_series.csv" else None
        paths.append(write_csv(frame, out_dir / name, key=key))
    chart_dir = out_dir / "charts"
    chart_dir.mkdir(exist_ok=True)
    names = SafeNames(chart_dir)  # ids come from the data: never a path of their own
    flagged = chart_rows(result, charts=charts, per_therapist=per_therapist)
    upper = upper_column(result.alerts.upper_percentile)
    s = result.alerts.series
    for r in flagged.itertuples(index=False):
        one = s[(s["pathway_id"] == r.pathway_id) & (s["measure"] == r.measure)]
        spec = client_chart(one, result.model, r.measure, upper=upper).to_dict()
        path = names.path(r.pathway_id, r.measure, suffix=".svg")
        path.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
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
        "question 9 (thoughts of self-harm) was above 0 have a risk flag and are listed first, "
        "always.</p>",
        f"<p><strong>{n_flag:,} of {n_open:,}</strong> open referrals with questionnaire scores "
        f"are not on track; <strong>{n_risk:,}</strong> have a risk flag. Expected bands come "
        f"from {escape(result.model.source)} finished courses.</p>",
        _consistency_note(result),
        _team_table(result),
    ]
    detail = _alerts_detail(result)
    return Section(
        id="feedback-not-on-track",
        title="Clients not on track",
        body_html="".join(body),
        summary=f"{n_flag:,} open referrals not on track; {n_risk:,} with a risk flag.",
        children=[detail],
    )


def _consistency_note(result: FeedbackResult) -> str:
    """Why the caseload lists hold fewer referrals than the alerts (one sentence)."""
    f = result.alerts.frame
    c = result.caseload
    in_lists = set(c["pathway_id"])
    missing = f[~f["pathway_id"].isin(in_lists)]
    if missing.empty:
        return ""
    n_missing = missing["pathway_id"].nunique()
    n_missing_risk = missing.loc[missing["risk_flag"] == True, "pathway_id"].nunique()  # noqa: E712
    return (
        f"<p class='note'>The caseload lists below hold {len(c):,} open referrals "
        f"({int((c['risk_flag'] == True).sum()):,} with a risk flag): the "  # noqa: E712
        f"{n_missing:,} others ({n_missing_risk:,} with a risk flag) have no clinician recorded "
        "on the referral, so they belong to no caseload. They are in the full list of clients "
        "to discuss, under “no clinician recorded”.</p>"
    )


def _team_table(result: FeedbackResult) -> str:
    from clearwater.report.sections import html_table

    f = result.alerts.frame.copy()
    f["team"] = f["team_id"].astype("string").fillna(NO_TEAM)
    rows = []
    for team, g in f.groupby("team", sort=True):
        flagged = g[g["status"] == NOT_ON_TRACK]["pathway_id"].nunique()
        risk = g[g["risk_flag"] == True]["pathway_id"].nunique()  # noqa: E712
        rows.append(
            [
                escape(team_name(team)),
                f"{g['pathway_id'].nunique():,}",
                f"{flagged:,}",
                f"{risk:,}",
            ]
        )
    return html_table(
        ["Team", "Open referrals with scores", "Not on track", "Risk flag"],
        rows,
        caption="Open referrals not on track, by team",
        numeric=(1, 2, 3),
    )


NO_TEAM = "no team recorded"
NO_CLINICIAN = "no clinician recorded"


def _alerts_detail(result: FeedbackResult) -> Section:
    flagged = result.alerts.not_on_track
    pct = int(result.alerts.upper_percentile * 100)
    body = [
        "<p><em>Usual score</em> is the median score at that session of clients who started at "
        f"a similar score and <em>Top of the usual band</em> its {pct}th percentile; "
        "<em>First score</em> is the score at the start of treatment.</p>"
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
            "reason",
            "last_date",
        ]
    ].copy()
    show["risk_flag"] = show["risk_flag"].map({True: "RISK", False: "", None: ""})
    show["team_id"] = show["team_id"].astype("string").fillna(NO_TEAM)
    show["therapist_id"] = show["therapist_id"].astype("string").fillna(NO_CLINICIAN)
    show["measure"] = show["measure"].map(value_label)
    show["last_date"] = pd.to_datetime(show["last_date"]).dt.strftime("%d/%m/%Y")
    body.append(
        table_html(
            show,
            caption="Clients to discuss (risk first)",
            max_rows=len(show),
            formats={c: "g" for c in ALERT_SCORES},
        )
    )
    shown = min(CHARTS_IN_REPORT, flagged["pathway_id"].nunique())
    if shown:
        body.append(
            f"<p>Charts for the first {shown} of these clients follow; every client's scores by "
            "session are in client_series.csv.</p>"
        )
    for r in flagged.drop_duplicates("pathway_id").head(CHARTS_IN_REPORT).itertuples(index=False):
        body.append(_chart_for(result, r.pathway_id, r.measure))
    return Section(
        id="feedback-alert-list",
        title="Clients to discuss: the full list",
        body_html="".join(body),
        summary=f"Every open referral not on track ({len(show):,} scores), risk first, "
        "with charts of the first clients.",
        level=3,
        detail=True,
    )


def _validation_section(result: FeedbackResult) -> Section:
    v = result.validation.frame.copy()
    if "measure" in v.columns:
        v["measure"] = v["measure"].map(value_label)
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


CASELOAD_SHOW = {
    "pathway_id": "Referral",
    "problem_descriptor": "Main problem",
    "depression": "Depression (PHQ-9): start → now",
    "anxiety": "Anxiety (GAD-7): start → now",
    "sessions_so_far": "Sessions",
    "weeks_in_treatment": "Weeks",
    "flags": "Flags",
    "days_since_last_contact": "Days since last contact",
    "complexity": "What may make it harder",
}


def caseload_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A clinician's caseload in people's words, narrow enough for a printed page: start and
    latest scores in one column each, the three flags in one column."""
    show = pd.DataFrame(index=frame.index)
    show["pathway_id"] = frame["pathway_id"]
    show["problem_descriptor"] = frame["problem_descriptor"].map(value_label)
    show["depression"] = [
        _arrow(a, b) for a, b in zip(frame["phq9_start"], frame["phq9_latest"], strict=True)
    ]
    show["anxiety"] = [
        _arrow(a, b) for a, b in zip(frame["anxiety_start"], frame["anxiety_latest"], strict=True)
    ]
    show["sessions_so_far"] = frame["sessions_so_far"]
    show["weeks_in_treatment"] = frame["weeks_in_treatment"]
    flags = []
    for risk, not_on_track, waiting in zip(
        frame["risk_flag"], frame["not_on_track"], frame["waiting_for_second_session"], strict=True
    ):
        words = []
        if risk is True:
            words.append("RISK")
        if not_on_track is True:
            words.append("not on track")
        if waiting is True:
            words.append("waiting for a second session")
        flags.append("; ".join(words))
    show["flags"] = flags
    show["days_since_last_contact"] = frame["days_since_last_contact"]
    show["complexity"] = frame["complexity"]
    return show.rename(columns=CASELOAD_SHOW)


def _arrow(start: object, now: object) -> str:
    a = "" if start is None or (isinstance(start, float) and pd.isna(start)) else str(start)
    b = "" if now is None or (isinstance(now, float) and pd.isna(now)) else str(now)
    if not a and not b:
        return ""
    return f"{a or '?'} → {b or '?'}"


def _caseload_sections(result: FeedbackResult) -> list[Section]:
    from clearwater.report.sections import html_table

    c = result.caseload
    out = []
    key = c["team_id"].astype("string").fillna(NO_TEAM)
    for i, (team, g) in enumerate(c.groupby(key, sort=True)):
        clinicians = []
        rows = []
        for j, (who, cg) in enumerate(g.groupby(g["therapist_id"].astype("string"), sort=True)):
            n_risk = int((cg["risk_flag"] == True).sum())  # noqa: E712
            n_not = int((cg["not_on_track"] == True).sum())  # noqa: E712
            n_wait = int((cg["waiting_for_second_session"] == True).sum())  # noqa: E712
            sid = _section_id(f"caseload-{_section_id('t', team, i)}", who, j)
            clinicians.append(
                Section(
                    id=sid,
                    title=f"Clinician {clinician_name(who)}",
                    body_html=table_html(
                        caseload_display(cg),
                        caption=f"Open caseload of {clinician_name(who)} (risk first)",
                        max_rows=len(cg),
                    ),
                    summary=f"{len(cg)} open referrals; {n_risk} risk; {n_not} not on track.",
                    level=3,
                )
            )
            rows.append(
                [
                    f'<a href="#{escape(sid)}">{escape(clinician_name(who))}</a>',
                    f"{len(cg):,}",
                    f"{n_risk:,}",
                    f"{n_not:,}",
                    f"{n_wait:,}",
                ]
            )
        body = (
            "<p>One list per clinician for a 15-minute monthly review: who is at risk, who is not "
            "on track, who has not been seen for a while, and who is waiting for a second "
            "session. <em>What may make it harder</em> explains why a caseload may be harder; it "
            "is not a score.</p>"
            + html_table(
                [
                    "Clinician",
                    "Open referrals",
                    "Risk flag",
                    "Not on track",
                    "Waiting for a second session",
                ],
                rows,
                caption=f"Team {team}: caseloads",
                numeric=(1, 2, 3, 4),
            )
        )
        out.append(
            Section(
                id=_section_id("caseload", team, i),
                title=f"Caseload review: team {team_name(team)}",
                body_html=body,
                summary=f"{len(g):,} open referrals, {g['therapist_id'].nunique()} clinicians, "
                f"{int((g['risk_flag'] == True).sum()):,} with a risk flag.",  # noqa: E712
                level=3,
                children=clinicians,
                detail=True,
                stub=False,
            )
        )
    return out


def _caseload_index(result: FeedbackResult, teams: list[Section]) -> str:
    """One table row per team, linking to the team's page of caseload lists."""
    from clearwater.report.render import PAGES_DIR, detail_file
    from clearwater.report.sections import html_table

    c = result.caseload
    key = c["team_id"].astype("string").fillna(NO_TEAM)
    rows = []
    for sec, (team, g) in zip(teams, c.groupby(key, sort=True), strict=True):
        link = f"{PAGES_DIR}/{detail_file(sec)}"
        rows.append(
            [
                f'<a href="{escape(link)}">Team {escape(team_name(team))}</a>',
                f"{len(g):,}",
                f"{g['therapist_id'].nunique():,}",
                f"{int((g['risk_flag'] == True).sum()):,}",  # noqa: E712
                f"{int((g['not_on_track'] == True).sum()):,}",  # noqa: E712
                f"{int((g['waiting_for_second_session'] == True).sum()):,}",  # noqa: E712
            ]
        )
    return html_table(
        [
            "Team (opens its caseload lists)",
            "Open referrals",
            "Clinicians",
            "Risk flag",
            "Not on track",
            "Waiting for a second session",
        ],
        rows,
        caption="Caseloads by team",
        numeric=(1, 2, 3, 4, 5),
    )


def _section_id(prefix: str, name: object, i: int) -> str:
    """An HTML-safe, unique anchor for a section named after a team."""
    safe = re.sub(r"[^A-Za-z0-9_.:-]+", "-", str(name)).strip("-")
    return f"{prefix}-{safe}" if safe else f"{prefix}-{i + 1}"


def report_sections(result: FeedbackResult) -> list[Section]:
    teams = _caseload_sections(result)
    caseload = Section(
        id="feedback-caseload",
        title="Caseload review",
        body_html="<p>Open caseloads by team, with one list per clinician for supervision. "
        "Each team's lists are on their own page (follow the team's name); every list is also "
        "in caseload.csv.</p>" + _caseload_index(result, teams),
        summary="Open caseloads by team for supervision.",
        children=teams,
    )
    return [_not_on_track_section(result), _validation_section(result), caseload]
