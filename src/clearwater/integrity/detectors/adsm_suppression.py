"""Suppressed anxiety-disorder-specific measures (ADSM)."""

from __future__ import annotations

from clearwater.integrity.base import AuditContext, Detector, DetectorInfo


class AdsmSuppressionDetector(Detector):
    """Finished courses with an ADSM descriptor but no paired ADSM score, beyond peers.

    Trial: a finished course whose problem descriptor has an anxiety-disorder-specific
    measure.  Event: no paired (first and last) ADSM score.  Stratum: the descriptor, since
    completion differs honestly between, say, PTSD and social anxiety.
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
            "Count of finished courses with an ADSM descriptor but no paired ADSM; expected "
            "from peers' completion for the same descriptor."
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
        event_words="finished courses without a paired anxiety-specific measure",
        trial_words="finished courses with an anxiety-specific descriptor",
        expected_words="than expected from peers with the same problem descriptors",
        min_effect=0.10,
        min_excess=3.0,
    )

    def cases(self, ctx: AuditContext):  # noqa: ANN201 - ibis.Table
        p = ctx.pw.filter(ctx.pw.finished_course.fill_null(False) & ctx.pw.adsm.notnull())
        event = (~p.paired_adsm.fill_null(False)).cast("int64")
        return p.select(unit_id=p.unit_id, stratum=p.problem_descriptor.cast("string"), event=event)
