"""Coaching / end-of-session scoring: final scores heaped just below caseness."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import AuditContext, Detector, DetectorInfo, clip_label

# Trials need a penultimate score at least this many points above the caseness cut.  A final
# one to three points below a penultimate score at the cut or one above it is an ordinary
# session-to-session change (well inside the PHQ-9's reliable change of 6), so honest care
# lands in the notch from there about as often as coaching would put it there: those pairs
# carry almost no evidence and only dilute the count (ADR 0066).
MIN_PEN_ABOVE_CUT = 2


class CoachingDetector(Detector):
    """Final PHQ-9 at 8-9 / GAD-7 at 6-7 more often than the penultimate score predicts.

    Trial: one tool (PHQ-9 or GAD-7) of one finished course with at least two scored days
    whose *penultimate* score was at least two points above the caseness cut
    (:data:`MIN_PEN_ABOVE_CUT`) and whose final score is at least the cut minus two (finals
    far below the notch are neither events nor what coaching produces, so leaving them out
    sharpens the comparison of the notch with the caseness band it is taken from).  Event:
    the final score lies in the two points just below caseness.  Stratum: tool x
    penultimate score.  The penultimate score is the within-data counterfactual: coaching
    at the last session moves only the last score, so the same patients' previous score
    says where honest endings would fall, and other units with the same penultimate scores
    say how often honest care lands there.  Penultimate scores at the cut or one above it
    are left out: from there an ordinary small improvement reaches the notch, so those
    pairs carry almost no evidence either way.
    """

    info = DetectorInfo(
        name="coaching",
        pattern="coaching",
        title="Final scores heaped just below caseness",
        target=(
            "Coaching or end-of-session completion of the final questionnaire: final PHQ-9 at "
            "8-9 and GAD-7 at 6-7 (just below caseness) more often than the same patients' "
            "previous scores predict."
        ),
        statistic=(
            "Count of finished-course final scores in the two points below caseness, among "
            "tool x course pairs whose penultimate score was at least two points above the "
            "caseness cut (PHQ-9 12+, GAD-7 10+) and whose final score was not far below the "
            "cut (not more than two points under it); expected count "
            "from other units' rates for the same tool and penultimate score "
            "(leave-one-unit-out)."
        ),
        null=(
            "Given the penultimate score, the chance that the final score lands just below "
            "caseness is the same as among peers, up to honest between-unit variation "
            "(beta-binomial with robustly estimated heterogeneity)."
        ),
        blind_spots=(
            "Coaching that moves scores further down (to 5-7 on PHQ-9) rather than just below "
            "the cut is not concentrated at the notch and is weakly detected.",
            "Coaching from the first session onwards changes the penultimate score too.",
            "Nudging a patient who was just at caseness (PHQ-9 10-11, GAD-7 8-9) over the "
            "line is not tested: honest small improvements do the same too often to tell "
            "them apart.",
            "Courses with a single scored day are not used.",
        ),
        innocent_explanations=(
            "A therapist whose patients improve steadily late in treatment (e.g. a final "
            "session on relapse prevention) will have more final scores just below the cut.",
            "Planned endings timed when a patient has just recovered are good practice; this "
            "pattern also rises when endings are agreed at recovery.",
            "Few courses: a handful of cases can move the count.",
        ),
        event_words="final PHQ-9/GAD-7 scores just below caseness (PHQ-9 8-9, GAD-7 6-7)",
        trial_words=(
            "finished courses' final PHQ-9/GAD-7 scores after a penultimate score at least "
            "two points above caseness"
        ),
        expected_words="than expected from the same patients' previous scores and from peers",
        min_effect=0.08,
        min_excess=3.0,
        conditions=(
            "Each final score was compared with peers' final scores after the same penultimate score, on the same questionnaire.",
            "Only courses whose penultimate score was at least two points above caseness were counted, so ordinary small improvements near the cut are not taken as coaching.",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        seq = ctx.sequences()
        last = seq.filter(seq.k_rev == 1).select(
            l_pathway_id="pathway_id", l_tool="tool", unit_id="unit_id", last="score"
        )
        pen = seq.filter(seq.k_rev == 2).select(
            p_pathway_id="pathway_id", p_tool="tool", pen="score"
        )
        j = last.inner_join(
            pen, (last.l_pathway_id == pen.p_pathway_id) & (last.l_tool == pen.p_tool)
        )
        fin = ctx.finished.select(f_pathway_id="pathway_id")
        j = j.inner_join(fin, j.l_pathway_id == fin.f_pathway_id)
        phq, gad = ctx.caseness("PHQ9"), ctx.caseness("GAD7")
        cut = ibis.ifelse(j.l_tool == "PHQ9", phq, gad)
        # finals far below the notch are neither notch events nor what coaching produces
        # (it moves finals from at or above caseness into the notch): leaving them out
        # compares the notch with the caseness band it is taken from
        j = j.mutate(cut=cut).filter(
            (ibis._.pen >= ibis._.cut + MIN_PEN_ABOVE_CUT) & (ibis._.last >= ibis._.cut - 2)
        )
        event = ((j.last >= j.cut - 2) & (j.last < j.cut)).cast("int64")
        stratum = j.l_tool + ":" + clip_label(j.pen - j.cut, MIN_PEN_ABOVE_CUT, 10, "+")
        return j.select(unit_id=j.unit_id, stratum=stratum, event=event)
