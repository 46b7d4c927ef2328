"""Assessment recorded as treatment (stopping the waiting clock)."""

from __future__ import annotations

import ibis

from clearwater.dataset import contract
from clearwater.integrity.base import ATTENDED, AuditContext, Detector, DetectorInfo

JUST_INSIDE_DAYS = 14  # "just inside" a standard: the last two weeks before it
HIDDEN_WAIT_DAYS = 90  # the NHS measure of a hidden wait: over 90 days first to second
SHORT_RATIO = 0.75  # first treatment at most 3/4 of the course's median later session
SHORT_MAX_MIN = 25  # ... and at most 25 minutes: a brief contact, not a short step-2 session


class AssessmentAsTreatmentDetector(Detector):
    """An assessment-like first 'treatment' that stops the waiting clock, in either form.

    Trial: a course with a first and a second treatment contact.  Event: the first
    treatment lasted at most three quarters of the course's median later treatment session
    with the same clinician and at most 25 minutes (an assessment-like contact: an ordinary
    25-40 minute step-2 session is not one) *and* either (a, clock-stopping)
    it fell in the last two weeks before the 6-week (42-day) or 18-week (126-day) standard,
    or (b, the hidden wait) more than 90 days passed before the second treatment.  The long
    first-to-second gap alone is not an event: it is common in honest data (a birth, a
    hospital stay, an internal waiting list), and the assessment-like first contact is what
    marks the clock being stopped.  Stratum, coarse to fine: the length of the course's
    later sessions (under 40 minutes or not), because short step-2 sessions vary more around
    their median, so an ordinary first session of a step-2 course is 'short' more often than
    one of a step-3 course; then the team (therapist level), because waits are set by a
    team's waiting list, not by one clinician.
    """

    info = DetectorInfo(
        name="assessment_as_treatment",
        pattern="assessment_as_treatment",
        title="Assessment-like first treatment stopping the waiting clock",
        target=(
            "Recording an assessment or a holding contact as the first treatment so the "
            "waiting-time clock stops: (a) just inside 6 or 18 weeks, or (b) early, with the "
            "real treatment months later (the hidden wait)."
        ),
        statistic=(
            "Count of courses whose first treatment lasted at most 25 minutes and three "
            "quarters of the course's median later treatment session and either fell in the 14 days before "
            "the 42- or 126-day standard or was followed by more than 90 days to the second "
            "treatment; expected from peers in the same team whose later sessions are as long "
            "(or all peers at team/provider level)."
        ),
        null=(
            "Courses show this timing as often as peers working from the same waiting list, "
            "up to honest between-unit variation."
        ),
        blind_spots=(
            "If a whole service records assessments as treatment, same-team peers share the "
            "pattern; run the audit at team or provider level too.",
            "A relabelled contact that is followed promptly by real treatment leaves little trace.",
            "Contact durations are needed for the duration signature.",
        ),
        innocent_explanations=(
            "Services that start treatment at a brief first session (e.g. psychoeducation) "
            "and then wait for a course.",
            "Capacity gaps (sickness, vacancies) create first-to-second waits without any "
            "recording choice.",
            "A birth or a hospital stay pauses treatment after the first session (checked: a "
            "long gap alone is not counted; the first contact must also be assessment-like).",
            "A patient who postponed the second appointment.",
        ),
        event_words=(
            "courses with an assessment-like first treatment just inside a waiting standard "
            "or followed by a wait of over 90 days"
        ),
        trial_words="courses with two or more treatment contacts",
        expected_words="than expected from peers on the same waiting list",
        min_effect=0.02,  # a rare signature: 2 courses in 100 is already many
        power_effect=0.05,  # clock-stopping touches only the courses that waited long
        min_excess=3.0,
        conditions=(
            "Courses were compared with same-team peers (the same waiting list) whose later sessions are as long.",
            "A long gap before the second treatment was counted only after an assessment-like first treatment: a birth, a hospital stay or an internal waiting list after an ordinary first session is not an event.",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        return trials(ctx).select("unit_id", "stratum", "event")


def trials(ctx: AuditContext) -> ibis.Table:
    """The detector's trials with the ``form`` of each event (``clock_stop``,
    ``hidden_wait``, or ``none``): the detector and its evidence share one definition."""
    p = ctx.pw.filter(
        ctx.pw.second_treatment_date.notnull() & ctx.pw.first_treatment_date.notnull()
    )
    c = ctx.data["contact"]
    treat = c.filter(
        c.app_type.isin(tuple(sorted(contract.TREATMENT_APP_TYPES))) & c.attend_code.isin(ATTENDED)
    )
    w = ibis.window(group_by=[treat.pathway_id], order_by=[treat.contact_date, treat.contact_id])
    treat = treat.mutate(k=ibis.row_number().over(w))
    # the first treatment against the *same clinician's* later sessions of the course: a
    # stepped-up course's short step-2 sessions are not compared with step-3 ones
    first = treat.filter(treat.k == 0).select(
        t_pathway_id="pathway_id", f_clin="clinician_id", first_dur="duration_min"
    )
    later = treat.filter(treat.k > 0)
    later = later.inner_join(first, later.pathway_id == first.t_pathway_id)
    later = later.filter(
        (later.clinician_id == later.f_clin) | later.clinician_id.isnull() | later.f_clin.isnull()
    )
    later = later.group_by(l_pathway_id="pathway_id").aggregate(
        later_dur=later.duration_min.median()
    )
    dur = first.left_join(later, first.t_pathway_id == later.l_pathway_id)
    p = p.left_join(dur, p.pathway_id == dur.t_pathway_id)
    wait = p.wait_to_first_treatment_days
    inside = ((wait > 42 - JUST_INSIDE_DAYS) & (wait <= 42)) | (
        (wait > 126 - JUST_INSIDE_DAYS) & (wait <= 126)
    )
    short = (
        p.first_dur.notnull()
        & p.later_dur.notnull()
        & (p.first_dur <= SHORT_RATIO * p.later_dur)
        & (p.first_dur <= SHORT_MAX_MIN)
    )
    hidden = p.first_to_second_treatment_days > HIDDEN_WAIT_DAYS
    event = ((inside | hidden) & short).fill_null(False).cast("int64")
    form = ibis.cases(
        (event == 0, "none"), (inside.fill_null(False), "clock_stop"), else_="hidden_wait"
    )
    # the length of the course's later sessions decides how often an ordinary first
    # session is 'short' (25-40 minute step-2 sessions vary more against their median
    # than 45-60 minute step-3 ones), so courses are compared with peers' courses of
    # the same session length, within the team
    length = ibis.cases(
        (p.later_dur.isnull(), "l?"),
        (p.later_dur < 40, "l<40"),
        else_="l40+",
    )
    team = (
        p.team_id.cast("string").fill_null("none")
        if ctx.level == "therapist"
        else ibis.literal("all")
    )
    # session length first: a team with one step-2 worker must not compare them with its
    # step-3 courses (the parent of "l<40:T03" is every team's short-session courses)
    return p.select(unit_id=p.unit_id, stratum=length + ":" + team, event=event, form=form)
