"""Holding lists: discharge without treatment in bursts near period ends."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import AuditContext, Detector, DetectorInfo

QUARTER_END_DAYS = 14


class HoldingListDetector(Detector):
    """Referrals ended before treatment, concentrated in the last 14 days of a quarter.

    Trial: a referral that ended before treatment with a discharge date.  Event: the
    discharge fell in the last 14 days of a calendar quarter (the end of every NHS reporting
    quarter).  Stratum: the end code, so a unit is compared with peers' timing of the same
    kind of ending (not assessed, declined, dropped out of assessment, not suitable...).
    """

    info = DetectorInfo(
        name="holding_list",
        pattern="holding_list",
        title="Discharges without treatment bunched at quarter ends",
        target=(
            "Holding lists and letter-driven discharge: waiting referrals discharged "
            "without treatment in bursts before a reporting period closes."
        ),
        statistic=(
            "Count of untreated endings dated in the last 14 days of a calendar quarter; "
            "expected from peers' share for the same end code."
        ),
        null=(
            "Untreated endings of a given kind are spread over the quarter as peers' are, "
            "up to honest between-unit variation."
        ),
        blind_spots=(
            "Steady (not bunched) discharge from a holding list shrinks waits without "
            "timing signal; the monthly ending-mix chart helps there.",
            "A whole service clearing lists at once is shared by its peers at therapist level.",
        ),
        innocent_explanations=(
            "Planned waiting-list validation exercises, which are often done before quarter ends.",
            "Letters sent in a batch (an honest administrative rhythm).",
            "Seasonal referral patterns.",
        ),
        event_words="untreated discharges in the last two weeks of a quarter",
        trial_words="referrals ended before treatment",
        expected_words="than expected from peers with the same ending codes",
        min_effect=0.10,
        min_excess=4.0,
        conditions=(
            "Untreated discharges were compared with peers' untreated discharges of the same ending code.",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        p = ctx.pw.filter(
            ctx.pw.ended_before_treatment.fill_null(False) & ctx.pw.discharge_date.notnull()
        )
        d = p.discharge_date
        q_end_month = d.month().isin((3, 6, 9, 12))
        month_len = ibis.ifelse(d.month().isin((6, 9)), 30, 31)
        event = (q_end_month & (d.day() > month_len - QUARTER_END_DAYS)).cast("int64")
        stratum = p.end_code.cast("string").fill_null("none")
        return p.select(unit_id=p.unit_id, stratum=stratum, event=event)
