"""Repeating questionnaires until the answer is good."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import AuditContext, Detector, DetectorInfo, clip_label

_TOOLS = ("PHQ9", "GAD7", "MI", "SPIN", "PDSS", "OCI", "IESR", "HAI", "PHQ15")


class RepeatUntilGoodDetector(Detector):
    """Same-day repeats of one measure where the score kept (entered last) is lower.

    Trial: a course with at least one scored day.  Event: on some day one measure was
    administered more than once and the last one entered is lower than the first.  Stratum:
    number of scored days (more days, more chances of an honest duplicate).
    """

    info = DetectorInfo(
        name="repeat_until_good",
        pattern="repeat_until_good",
        title="Questionnaires repeated on the same day, the kept one lower",
        target=(
            "Re-administering a questionnaire in the same contact or on the same day until "
            "a better answer is obtained, and keeping that one."
        ),
        statistic=(
            "Count of courses with a measure recorded two or more times on one day where the "
            "last entry is lower than the first; expected from peers with the same number of "
            "scored days."
        ),
        null=(
            "Same-day repeats with a lower kept score occur as often as among peers (data "
            "entry corrections, re-scoring), up to honest between-unit variation."
        ),
        blind_spots=(
            "Repeats that are deleted and never reach the data set leave no trace.",
            "Repeats on different days (e.g. a re-sent online form a day later) are missed.",
            "When entry times are absent, the entry order falls back to row order in the file.",
        ),
        innocent_explanations=(
            "Correcting a mis-keyed score (the corrected entry is later).",
            "A form filled in before the session and again with the therapist after.",
            "Duplicate submission from two systems (IDS606 and IDS607 both carrying it).",
        ),
        event_words="courses with a questionnaire repeated on the same day and the kept score lower",
        trial_words="courses with scores",
        expected_words="than expected from peers",
        min_effect=0.02,  # a signature honest data almost never show
        min_excess=3.0,
        conditions=("Courses were compared with peers' courses scored on as many days.",),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        day = same_day_administrations(ctx)
        day = day.mutate(bad=((day.n >= 2) & (day.kept < day.first)).cast("int64"))
        per = day.group_by(["pathway_id", "unit_id"]).aggregate(
            event=day.bad.max(), days=day.score_date.nunique()
        )
        return per.select(
            unit_id=per.unit_id, stratum=clip_label((per.days + 2) // 3, 1, 5, "d"), event=per.event
        )


def same_day_administrations(ctx: AuditContext, *, items: bool = False) -> ibis.Table:
    """One row per course x measure x scored day: ``n`` administrations, the ``first``
    entered score and the ``kept`` one (entered last; entry time, then row order).  With
    ``items``, also ``first_items`` and ``kept_items`` (their item vectors, may be null)."""
    s = ctx.scores.filter(ctx.scores.tool.isin(_TOOLS) & ctx.scores.score.notnull())
    key = [s.pathway_id, s.tool, s.score_date]
    w_first = ibis.window(group_by=key, order_by=[s.order_ts, s.source_row])
    w_last = ibis.window(group_by=key, order_by=[ibis.desc(s.order_ts), ibis.desc(s.source_row)])
    s = s.mutate(rf=ibis.row_number().over(w_first), rl=ibis.row_number().over(w_last))
    aggs = {
        "n": s.score.count(),
        "first": ibis.ifelse(s.rf == 0, s.score, ibis.null()).max(),
        "kept": ibis.ifelse(s.rl == 0, s.score, ibis.null()).max(),
    }
    if items:
        aggs["first_items"] = ibis.ifelse(s.rf == 0, s.item_scores, ibis.null()).max()
        aggs["kept_items"] = ibis.ifelse(s.rl == 0, s.item_scores, ibis.null()).max()
    return s.group_by(["pathway_id", "unit_id", "tool", "score_date"]).aggregate(**aggs)
