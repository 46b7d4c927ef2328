"""Not-on-track (NOT) alerts for open referrals, the risk flag, and the validation of NOT.

For every open referral (no discharge date) and each of PHQ-9 and GAD-7, at its latest session:

- **risk**: PHQ-9 item 9 (thoughts of self-harm) above 0 at the latest PHQ-9 that has item
  scores.  Unknown (empty) when item scores are absent.  Risk rows are always listed first.
- **not on track**: the score is above the expected band (the chosen percentile, default the
  75th, of finished courses with the same baseline band at the same session), or it has
  reliably deteriorated from baseline (by at least the reliable-change threshold: 6 PHQ-9,
  4 GAD-7).
- **on track** otherwise; **baseline only** at session 1; **no reference** where the bands
  have too few finished courses.

Validation (:func:`validate_not`): at sessions 2, 3 and 4 of finished courses, how well NOT
predicts *no reliable improvement* at the end on the same measure.  Bands are cross-fitted
(two folds; each course is judged against bands fitted on the other half) so the figures are
not flattered by judging courses against themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.feedback.etr import (
    BANDS,
    RELIABLE_CHANGE,
    ETRModel,
    fit_from_counts,
    reference_counts,
    session_scores,
)

ALERT_COLUMNS = (
    "pathway_id",
    "therapist_id",
    "session_number",
    "last_date",
    "measure",
    "score",
    "expected_median",
    "expected_upper",
    "status",
    "risk_flag",
)
NOT_ON_TRACK = "not on track"
ON_TRACK = "on track"
BASELINE_ONLY = "baseline only"
NO_REFERENCE = "no reference"
UPPER_CHOICES = {0.75: "q75", 0.9: "q90"}


def parse_items(value: object) -> list[int] | None:
    """Item scores as a list of integers from text such as '1,0,2,...' or '[1, 0, 2]'.

    Separators: comma, semicolon, pipe or spaces.  Returns None when empty or unreadable.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().strip("[](){}")
    if not text:
        return None
    parts = [p for p in re.split(r"[,;|\s]+", text) if p]
    try:
        return [int(float(p)) for p in parts]
    except ValueError:
        return None


def item9_risk(value: object) -> bool | None:
    """True if PHQ-9 item 9 > 0; None when the nine item scores are not present."""
    items = parse_items(value)
    if items is None or len(items) != 9:
        return None
    return items[8] > 0


def upper_column(percentile: float) -> str:
    if percentile not in UPPER_CHOICES:
        raise ValueError("the upper band must be the 75th (0.75) or 90th (0.9) percentile")
    return UPPER_CHOICES[percentile]


def classify(
    measure: str,
    baseline: float,
    score: float,
    session: int,
    model: ETRModel,
    upper: str,
) -> tuple[str, str, float | None, float | None]:
    """(status, reason, expected_median, expected_upper) for one score."""
    exp = model.expected(measure, baseline, session)
    med = exp["q50"] if exp else None
    up = exp[upper] if exp else None
    if session <= 1:
        return BASELINE_ONLY, "only the first score so far", med, up
    rc = RELIABLE_CHANGE.get(measure)
    if rc is not None and score - baseline >= rc:
        return NOT_ON_TRACK, f"reliably worse than at the start (+{score - baseline:g})", med, up
    if exp is None:
        return NO_REFERENCE, "too few finished courses with this starting score", med, up
    if score > up:
        return NOT_ON_TRACK, "above the expected band for this session", med, up
    return ON_TRACK, "", med, up


@dataclass(frozen=True)
class Alerts:
    """Alerts for open referrals (``frame``, risk first) plus the per-session series."""

    frame: pd.DataFrame  # ALERT_COLUMNS + team_id, baseline, reason
    series: pd.DataFrame  # pathway_id, measure, session_number, score_date, score (open only)
    upper_percentile: float
    as_of: object

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    @property
    def not_on_track(self) -> pd.DataFrame:
        f = self.frame
        return f[(f["status"] == NOT_ON_TRACK) | (f["risk_flag"] == True)]  # noqa: E712


def open_sessions(data: CleanData, pathways: ibis.Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(latest session per open pathway x measure, every session of open pathways)."""
    s = session_scores(data)
    op = pathways.filter(pathways.discharge_date.isnull()).select(
        "pathway_id", "therapist_id", "team_id"
    )
    s = s.join(op, "pathway_id")
    series = s.select("pathway_id", "measure", "session_number", "score_date", "score")
    latest = s.filter(s.session_number == s.n_sessions)
    # latest PHQ-9 that carries item scores, per pathway (the risk flag)
    phq = s.filter((s.measure == "PHQ9") & s.item_scores.notnull())
    w = ibis.window(group_by=phq.pathway_id, order_by=ibis.desc(phq.session_number))
    phq = phq.mutate(_r=ibis.row_number().over(w))
    phq = phq.filter(phq._r == 0).select(pathway_id="pathway_id", risk_items="item_scores")
    latest = latest.left_join(phq, "pathway_id").select(
        "pathway_id",
        "therapist_id",
        "team_id",
        "measure",
        "session_number",
        "score_date",
        "score",
        "baseline",
        "risk_items",
    )
    return latest.execute(), series.execute()


def compute_alerts(
    data: CleanData,
    pathways: ibis.Table,
    model: ETRModel,
    *,
    upper_percentile: float = 0.75,
) -> Alerts:
    """Classify every open referral at its latest session (see the module docstring)."""
    upper = upper_column(upper_percentile)
    latest, series = open_sessions(data, pathways)
    rows = []
    for r in latest.itertuples(index=False):
        status, reason, med, up = classify(
            r.measure, float(r.baseline), float(r.score), int(r.session_number), model, upper
        )
        rows.append(
            {
                "pathway_id": r.pathway_id,
                "therapist_id": r.therapist_id,
                "team_id": r.team_id,
                "session_number": int(r.session_number),
                "last_date": r.score_date,
                "measure": r.measure,
                "baseline": float(r.baseline),
                "score": float(r.score),
                "expected_median": med,
                "expected_upper": up,
                "status": status,
                "reason": reason,
                "risk_flag": item9_risk(r.risk_items),
            }
        )
    cols = [*ALERT_COLUMNS, "team_id", "baseline", "reason"]
    frame = pd.DataFrame(rows, columns=cols)
    if not frame.empty:
        frame["risk_flag"] = frame["risk_flag"].astype(object)
        frame["_risk"] = frame["risk_flag"].map(lambda v: 0 if v is True else 1)
        frame["_not"] = (frame["status"] != NOT_ON_TRACK).astype(int)
        frame = frame.sort_values(["_risk", "_not", "therapist_id", "pathway_id", "measure"])
        frame = frame.drop(columns=["_risk", "_not"]).reset_index(drop=True)
    as_of = latest["score_date"].max() if len(latest) else None
    return Alerts(frame=frame, series=series, upper_percentile=upper_percentile, as_of=as_of)


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties half."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    ranks = pd.Series(np.concatenate([pos, neg])).rank(method="average").to_numpy()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


@dataclass(frozen=True)
class Validation:
    """Per measure x session: n, prevalence of no reliable improvement, sensitivity,
    specificity, positive predictive value and AUC of NOT."""

    frame: pd.DataFrame
    upper_percentile: float
    folds: int

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def validation_cases(
    data: CleanData, pathways: ibis.Table, sessions: Sequence[int] = (2, 3, 4), folds: int = 2
) -> pd.DataFrame:
    """Finished courses scored at session s with a later final score (one row each)."""
    s = session_scores(data)
    fin = pathways.filter(pathways.finished_course).select("pathway_id")
    fin = fin.mutate(
        fold=(ibis.row_number().over(ibis.window(order_by=fin.pathway_id)) % folds).cast("int64")
    )
    s = s.join(fin, "pathway_id")
    s = s.filter(s.session_number.isin(list(sessions)) & (s.n_sessions > s.session_number))
    return s.select(
        "pathway_id", "measure", "session_number", "score", "baseline", "last_score", "fold"
    ).execute()


def evaluate(
    cases: pd.DataFrame, models: dict[int, ETRModel], upper_percentile: float = 0.75
) -> pd.DataFrame:
    """Score each case against the model fitted without its fold; summarise per measure x
    session.  ``models`` maps fold -> model fitted on the other folds."""
    upper = upper_column(upper_percentile)
    rows = []
    judged = []
    for r in cases.itertuples(index=False):
        model = models[int(r.fold)]
        status, _, med, _ = classify(
            r.measure, float(r.baseline), float(r.score), int(r.session_number), model, upper
        )
        if status not in (NOT_ON_TRACK, ON_TRACK):
            continue
        improved = (float(r.last_score) - float(r.baseline)) <= -RELIABLE_CHANGE[r.measure]
        judged.append(
            {
                "measure": r.measure,
                "session": int(r.session_number),
                "flag": status == NOT_ON_TRACK,
                "excess": float(r.score) - (med if med is not None else float(r.baseline)),
                "no_improvement": not improved,
            }
        )
    j = pd.DataFrame(judged, columns=["measure", "session", "flag", "excess", "no_improvement"])
    for (m, t), g in j.groupby(["measure", "session"]):
        pos = g["no_improvement"]
        tp = int((g["flag"] & pos).sum())
        fn = int((~g["flag"] & pos).sum())
        tn = int((~g["flag"] & ~pos).sum())
        fp = int((g["flag"] & ~pos).sum())
        rows.append(
            {
                "measure": m,
                "session": int(t),
                "n": len(g),
                "no_improvement_share": float(pos.mean()),
                "flagged_share": float(g["flag"].mean()),
                "sensitivity": tp / (tp + fn) if tp + fn else np.nan,
                "specificity": tn / (tn + fp) if tn + fp else np.nan,
                "ppv": tp / (tp + fp) if tp + fp else np.nan,
                "auc": auc(g["excess"], pos),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "measure",
            "session",
            "n",
            "no_improvement_share",
            "flagged_share",
            "sensitivity",
            "specificity",
            "ppv",
            "auc",
        ],
    )


def validate_not(
    data: CleanData,
    pathways: ibis.Table,
    *,
    upper_percentile: float = 0.75,
    max_session: int = 12,
    min_n: int = 30,
    folds: int = 2,
    reference: ETRModel | None = None,
) -> Validation:
    """Cross-fitted validation of NOT at sessions 2-4 of finished courses.

    With a saved ``reference`` the bands do not come from these courses, so every course is
    judged against the reference directly.
    """
    cases = validation_cases(data, pathways, folds=folds)
    if reference is not None:
        models = dict.fromkeys(range(folds), reference)
    else:
        counts = reference_counts(
            session_scores(data), pathways, max_session=max_session, folds=folds
        )
        models = {
            f: fit_from_counts(counts, max_session=max_session, min_n=min_n, exclude_fold=f)
            for f in range(folds)
        }
    frame = evaluate(cases, models, upper_percentile)
    return Validation(frame=frame, upper_percentile=upper_percentile, folds=folds)


__all__ = [
    "ALERT_COLUMNS",
    "BANDS",
    "Alerts",
    "Validation",
    "auc",
    "classify",
    "compute_alerts",
    "item9_risk",
    "parse_items",
    "validate_not",
]
