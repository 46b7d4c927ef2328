"""Suppressed anxiety-disorder-specific measures (ADSM)."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import AuditContext, Detector, DetectorInfo


def with_adsm_score(ctx: AuditContext, pathways: ibis.Table) -> ibis.Table:
    """The finished courses among ``pathways`` (ended, two or more treatment contacts: the
    denominator of the national 'appropriate paired ADSM' measure), with ``has`` = 1 where the
    course has any score on its descriptor's ADSM (null otherwise).  Shared with the report
    evidence."""
    p = pathways.filter(pathways.finished_course.fill_null(False))
    s = ctx.scores.filter(ctx.scores.score.notnull())
    got = s.select(a_pathway_id="pathway_id", a_tool="tool").distinct().mutate(has=ibis.literal(1))
    return p.left_join(got, (p.pathway_id == got.a_pathway_id) & (p.adsm == got.a_tool))


class AdsmSuppressionDetector(Detector):
    """Finished courses with an ADSM descriptor but no ADSM score at all, beyond peers.

    Trial: a finished course (ended after two or more treatment contacts) whose problem
    descriptor has an anxiety-disorder-specific measure: the denominator of the national
    'appropriate paired ADSM' measure, and the courses whose recovery the ADSM decides.
    Event: not a single score on that measure.  Stratum: the descriptor, since completion
    differs honestly between, say, PTSD and social anxiety.
    """

    info = DetectorInfo(
        name="adsm_suppression",
        pattern="adsm_suppression",
        title="Anxiety-specific measures missing",
        target=(
            "Not recording the anxiety-disorder-specific measure (ADSM) so that recovery is "
            "judged on GAD-7 alone."
        ),
        statistic=(
            "Count of finished courses with an ADSM descriptor and no ADSM score at all; "
            "expected from peers' completion for the same descriptor."
        ),
        null="ADSM completion for each descriptor matches peers', up to honest between-unit variation.",
        blind_spots=(
            "Recoding the problem descriptor to one measured only by GAD-7 removes the "
            "course from this test; see the descriptor mix over time in the report.",
            "Services that never use ADSMs are alike, so peers cannot reveal them.",
        ),
        innocent_explanations=(
            "Some measures are not licensed or not available in the patient's language.",
            "The descriptor was revised late in the course.",
            "Very short courses with no second measurement opportunity.",
        ),
        event_words="finished courses without any anxiety-specific measure",
        trial_words="finished courses with an anxiety-specific descriptor",
        expected_words="than expected from peers with the same problem descriptors",
        min_effect=0.10,
        min_excess=3.0,
        conditions=(
            "Finished courses were compared with peers' finished courses of the same problem descriptor.",
        ),
    )

    def cases(self, ctx: AuditContext):  # noqa: ANN201 - ibis.Table
        p = with_adsm_score(ctx, ctx.pw.filter(ctx.pw.adsm.notnull()))
        event = (p.has.isnull()).cast("int64")
        return p.select(unit_id=p.unit_id, stratum=p.problem_descriptor.cast("string"), event=event)
