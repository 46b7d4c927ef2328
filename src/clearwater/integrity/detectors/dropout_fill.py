"""Scores for people who had left."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import ATTENDED, AuditContext, Detector, DetectorInfo

LATE_ENTRY_DAYS = 28
MIN_SIGNATURES = 2  # one alone has common innocent causes (postal forms, catch-up entry)


class DropoutFillDetector(Detector):
    """Scores that the patient cannot have given at an attended session.

    Trial: a course with at least one score.  Event: a score carrying two or more of (a)
    linked to a contact that was not attended, (b) dated after the course's last attended
    contact, (c) dated after discharge, (d) entered more than 28 days after its date (when
    CW_RecordedAt is present).  One signature alone has common innocent causes (postal or
    online forms after the last session, catch-up entry); together they are rare.  Stratum: how the course ended (planned completion, other treated ending,
    not treated), since unplanned endings are where the pattern is reported.
    """

    info = DetectorInfo(
        name="dropout_fill",
        pattern="dropout_fill",
        title="Scores recorded for people who had left",
        target=(
            "Completing outcome questionnaires for patients who had dropped out or "
            "self-discharged, so the course counts with a (good) final score."
        ),
        statistic=(
            "Count of courses with a score showing at least two of: at a non-attended "
            "contact, after the last attended contact, after discharge, entered over 28 days "
            "late; expected from peers with the same kind of ending."
        ),
        null=(
            "Such scores occur as often as among peers with the same kind of ending (postal "
            "or online questionnaires, late data entry), up to honest between-unit variation."
        ),
        blind_spots=(
            "A fabricated attended contact carrying the score looks like a real session "
            "(the fabrication detector may still see it).",
            "Late entry is only visible when entry timestamps (CW_RecordedAt) are supplied.",
        ),
        innocent_explanations=(
            "Questionnaires completed online or by post after the last session.",
            "Administrative catch-up: entering paper forms weeks later.",
            "A patient who attended a session that was recorded as missed.",
        ),
        event_words="courses with scores recorded when the patient was not seen (after leaving, at missed appointments, or entered long after)",
        trial_words="courses with scores",
        expected_words="than expected from peers with the same kind of ending",
        min_effect=0.02,  # a signature honest data almost never show
        min_excess=3.0,
        conditions=(
            "Courses were compared with peers' courses that ended the same way (planned completion, other treated ending, unplanned ending).",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        s = score_signatures(ctx)
        per = s.group_by(["pathway_id", "unit_id", "ending"]).aggregate(event=s.sign.max())
        return per.select(unit_id=per.unit_id, stratum=per.ending, event=per.event)


SIGNATURES = ("non_attended", "after_last_attended", "after_discharge", "late_entry")


def score_signatures(ctx: AuditContext) -> ibis.Table:
    """Every score row of the audit with one 0/1 column per signature in :data:`SIGNATURES`
    (a: at a contact not attended, b: dated after the course's last attended contact, c:
    dated after discharge, d: entered more than LATE_ENTRY_DAYS after its date), ``sign`` = 1
    where MIN_SIGNATURES or more of them hold (the check's event) and the course's ``ending``
    ('planned', 'other' treated, 'untreated')."""
    c = ctx.data["contact"]
    att = (
        c.filter(c.attend_code.isin(ATTENDED))
        .group_by("pathway_id")
        .aggregate(last_att=ibis._.contact_date.max())
        .rename(a_pathway_id="pathway_id")
    )
    s = ctx.scores
    s = s.left_join(att, s.pathway_id == att.a_pathway_id)
    pw = ctx.pw.select(
        d_pathway_id="pathway_id",
        discharge_date="discharge_date",
        end_code="end_code",
        treated=ctx.pw.treatment_contacts >= 1,
    )
    s = s.inner_join(pw, s.pathway_id == pw.d_pathway_id)
    late = s.recorded_at.notnull() & (
        s.recorded_at.date().delta(s.score_date, unit="day") > LATE_ENTRY_DAYS
    )

    def one(x: ibis.BooleanValue) -> ibis.IntegerValue:
        return x.fill_null(False).cast("int64")

    ending = ibis.ifelse(
        ~s.treated.fill_null(False),
        "untreated",
        ibis.ifelse(s.end_code == "46", "planned", "other"),
    )
    s = s.mutate(
        non_attended=one(s.attend_code.notnull() & ~s.attend_code.isin(ATTENDED)),
        after_last_attended=one(s.last_att.notnull() & (s.score_date > s.last_att)),
        after_discharge=one(s.discharge_date.notnull() & (s.score_date > s.discharge_date)),
        late_entry=one(late),
        ending=ending,
    )
    n_sign = sum((s[c] for c in SIGNATURES), ibis.literal(0))
    return s.mutate(sign=(n_sign >= MIN_SIGNATURES).cast("int64"))
