"""Discharge at the first good score (stopping rule)."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import AuditContext, Detector, DetectorInfo, clip_label

HAZARD_PRIOR = 5.0  # pseudo-courses of the pooled ending hazard added to each unit's own


class EarlyDischargeDetector(Detector):
    """Courses that end exactly at their first score below caseness, beyond peers.

    Trial: a finished course at caseness at its first scored day that later had a day below
    caseness (PHQ-9 < 10 and GAD-7 < 8 where measured).  Event: that first day below
    caseness is the course's last scored day.  Stratum, coarse to fine: the unit's own
    ending hazard at that day, estimated from its courses that never went below caseness
    (where a stopping rule cannot act; banded < 0.05, < 0.15, < 0.3, >= 0.3) x position of
    the first day below caseness (2..6+) x the treating clinician's role (staff table) x
    baseline PHQ-9 band.  Short planned (step-2) courses honestly end at the days where good
    scores first appear far more often than long ones; the hazard stratum compares them with
    peers whose courses end as often, and hierarchical shrinkage
    (:func:`clearwater.integrity.stats.loo_expected`) handles strata few peers share.
    """

    info = DetectorInfo(
        name="early_discharge",
        pattern="early_discharge",
        title="Courses ending at the first score below caseness",
        target=(
            "A stopping rule: discharge at the first session with a score below caseness, "
            "before the improvement could be confirmed or reversed."
        ),
        statistic=(
            "Among finished courses that started at caseness and reached a score below "
            "caseness, the count that ended at that first sub-caseness session; expected from "
            "other units with the same ending hazard (from the unit's courses that never went "
            "below caseness), position of first recovery, treating clinician's role and "
            "baseline severity."
        ),
        null=(
            "Given when a course first went below caseness, how severe it started and the "
            "treating clinician's role, the chance it ended right there equals peers', up to "
            "honest between-unit variation."
        ),
        blind_spots=(
            "A rule applied at a later good score (the second below caseness) is missed.",
            "Courses with one scored day, or that never went below caseness, are not used.",
            "If every unit follows the rule, peers cannot reveal it (national comparison is "
            "needed).",
        ),
        innocent_explanations=(
            "Short, planned step-2 courses often end when the goal is met; compare with "
            "peers of the same step.",
            "Patients who feel better may choose to stop (their own decision, coded as a "
            "planned ending).",
            "Session limits set by commissioning rather than by the clinician.",
        ),
        event_words="courses ended at their first score below caseness",
        trial_words="finished courses that started at caseness and later scored below it",
        expected_words="than expected from peers with the same timing of improvement",
        min_effect=0.10,
        min_excess=3.0,
        conditions=(
            "Courses were compared with peers' courses that first went below caseness at the same session, started equally severe and were treated by a clinician of the same role.",
            "The unit's own ending rate in courses that never went below caseness was allowed for, so short planned (step-2) courses are compared with courses that end as often.",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        seq = ctx.sequences()
        phq, gad = ctx.caseness("PHQ9"), ctx.caseness("GAD7")
        case_one = ibis.ifelse(seq.tool == "PHQ9", seq.score >= phq, seq.score >= gad).cast("int64")
        day = (
            seq.mutate(case_one=case_one)
            .group_by(["pathway_id", "unit_id", "score_date"])
            .aggregate(
                case=ibis._.case_one.max(),
                phq=ibis.ifelse(ibis._.tool == "PHQ9", ibis._.score, ibis.null()).max(),
            )
        )
        w = ibis.window(group_by=[day.pathway_id], order_by=[day.score_date])
        day = day.mutate(k=ibis.row_number().over(w) + 1)
        per = day.group_by(["pathway_id", "unit_id"]).aggregate(
            n_days=day.k.max(),
            first_case=ibis.ifelse(day.k == 1, day.case, ibis.null()).max(),
            first_phq=ibis.ifelse(day.k == 1, day.phq, ibis.null()).max(),
            first_ok=ibis.ifelse(day.case == 0, day.k, ibis.null()).min(),
        )
        fin = ctx.finished.select(f_pathway_id="pathway_id", f_therapist_id="therapist_id")
        per = per.inner_join(fin, per.pathway_id == fin.f_pathway_id)
        if ctx.data.has("staff"):
            staff = ctx.data["staff"].select(s_clinician_id="clinician_id", s_role="role")
            staff = staff.distinct(on="s_clinician_id", keep="first")
            per = per.left_join(staff, per.f_therapist_id == staff.s_clinician_id)
            role = per.s_role.cast("string").fill_null("unknown")
        else:
            role = ibis.literal("unknown")
        per = per.filter(per.first_case == 1)
        # The unit's own ending hazard where a stopping rule cannot act: among its finished
        # courses that never went below caseness, the share of those still going at scored
        # day k that ended at k (shrunk towards all units' pooled hazard).  Short planned
        # courses (step 2) have a high hazard at the days where good scores first appear, so
        # ending there is compared with peers whose courses honestly end as often.
        never = per.filter(per.first_ok.isnull())
        better = per.filter(per.first_ok.notnull())  # the trials
        lens = never.group_by([never.unit_id, never.n_days]).aggregate(d=never.count())
        lens = lens.rename(l_unit_id="unit_id", l_days="n_days")
        grid = better.select(g_unit_id="unit_id", g_k="first_ok").distinct()
        haz = grid.inner_join(lens, (grid.g_unit_id == lens.l_unit_id) & (lens.l_days >= grid.g_k))
        haz = haz.group_by([haz.g_unit_id, haz.g_k]).aggregate(
            d_k=ibis.ifelse(haz.l_days == haz.g_k, haz.d, 0).sum(), r_k=haz.d.sum()
        )
        pool = haz.group_by(haz.g_k).aggregate(pool_h=haz.d_k.sum().cast("float64") / haz.r_k.sum())
        pool = pool.rename(q_k="g_k")
        haz = haz.inner_join(pool, haz.g_k == pool.q_k)
        haz = haz.mutate(h=(haz.d_k + HAZARD_PRIOR * haz.pool_h) / (haz.r_k + HAZARD_PRIOR)).select(
            h_unit_id="g_unit_id", h_k="g_k", h="h"
        )
        per = better.left_join(haz, (per.unit_id == haz.h_unit_id) & (per.first_ok == haz.h_k))
        hz = per.h
        hazard = ibis.cases(
            (hz.isnull(), "h?"),
            (hz < 0.05, "h0"),
            (hz < 0.15, "h1"),
            (hz < 0.3, "h2"),
            else_="h3",
        )
        fp = per.first_phq
        band = ibis.cases((fp.isnull(), "na"), (fp >= 20, "sev"), (fp >= 15, "mod"), else_="mild")
        # coarse to fine: peers' rates in the finer strata are shrunk towards the coarser ones
        stratum = hazard + ":" + clip_label(per.first_ok, 2, 6, "k") + ":" + role + ":" + band
        event = (per.first_ok == per.n_days).cast("int64")
        return per.select(unit_id=per.unit_id, stratum=stratum, event=event)
