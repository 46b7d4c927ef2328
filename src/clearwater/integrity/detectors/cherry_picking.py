"""Cherry-picking: pre-treatment endings concentrated on vulnerable referrals."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from clearwater.integrity.base import ENGLISH, AuditContext, Detector, DetectorInfo

NOT_SUITABLE = ("10", "11")


class CherryPickingDetector(Detector):
    """Among a unit's referrals ended before treatment, too many are vulnerable ones.

    Trial: a referral seen by the unit and ended before treatment (or ended as 'not
    suitable').  Event: the referral was vulnerable (severe baseline PHQ-9 >= 20, IMD decile
    1-2, preferred language not English, or a minority ethnic group).  The expected share is
    conditional on the unit's own number of pre-treatment endings and its own referral mix:
    each referral's chance of ending before treatment is taken from peers for its
    vulnerability profile (number of such flags), so a unit that simply sees more vulnerable
    people, or ends more referrals early for everyone, is not flagged.
    """

    info = DetectorInfo(
        name="cherry_picking",
        pattern="cherry_picking",
        title="Pre-treatment endings concentrated on vulnerable referrals",
        target=(
            "Declining or ending before treatment the referrals least likely to recover "
            "(severe, deprived, interpreter-needing, minority ethnic) so that recovery rates rise."
        ),
        statistic=(
            "Among the unit's referrals ended before treatment, the number that were "
            "vulnerable; expected = its number of such endings x the vulnerable share "
            "predicted by its own referral mix and peers' ending rates for each "
            "vulnerability profile."
        ),
        null=(
            "Given how many referrals the unit ends before treatment and whom it is referred, "
            "vulnerable referrals are ended as often, relative to others, as among peers, "
            "up to honest between-unit variation."
        ),
        blind_spots=(
            "Cherry-picking before referral (at triage outside the data) is invisible.",
            "Vulnerability is coarse: four flags, with unknown values counted as not vulnerable.",
            "Picking by features not recorded (e.g. motivation) is not seen.",
        ),
        innocent_explanations=(
            "Referrals that need a different service (e.g. secondary care for severe "
            "presentations) are rightly signposted.",
            "Interpreter availability, which the clinician does not control.",
            "Outreach caseloads where engagement is harder for reasons outside the service.",
        ),
        event_words="vulnerable referrals among those ended before treatment",
        trial_words="referrals ended before treatment",
        expected_words="than expected from this unit's referral mix and peers' ending rates",
        min_effect=0.10,
        min_excess=3.0,
        conditions=(
            "Expected endings were set from this unit's own referral mix (how many referrals carry each vulnerability flag) and peers' ending rates for each.",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        p = seen_referrals(ctx)
        flags = sum((f.cast("int64") for f in vulnerability_flags(p).values()), ibis.literal(0))
        flags = ibis.ifelse(flags > 2, 2, flags)
        ended = ended_early(p).cast("int64")
        return p.select(unit_id=p.unit_id, stratum=flags.cast("string"), event=ended)

    def expected(self, agg: pd.DataFrame, ctx: AuditContext) -> pd.DataFrame:
        if agg.empty:
            return pd.DataFrame(columns=["unit_id", "n", "o", "e", "peer_rate"])
        a = agg.copy()
        a["n"] = a["n"].astype(float)
        a["o"] = a["o"].astype(float)
        strat = a.groupby("stratum")[["n", "o"]].sum().rename(columns={"n": "N_s", "o": "O_s"})
        a = a.join(strat, on="stratum")
        tot_n, tot_o = a["n"].sum(), a["o"].sum()
        unit_n = a.groupby("unit_id")["n"].transform("sum")
        unit_o = a.groupby("unit_id")["o"].transform("sum")
        r0 = (tot_o - unit_o) / (tot_n - unit_n).where(tot_n - unit_n > 0)
        a["r"] = (a["O_s"] - a["o"] + 2.0 * r0) / (a["N_s"] - a["n"] + 2.0)
        a["w"] = a["n"] * a["r"]
        a["vuln"] = a["stratum"] != "0"
        rows = []
        for unit, g in a.groupby("unit_id"):
            k = g["o"].sum()
            wsum = g["w"].sum()
            share = g.loc[g["vuln"], "w"].sum() / wsum if wsum > 0 else np.nan
            rows.append(
                {
                    "unit_id": unit,
                    "n": k,
                    "o": g.loc[g["vuln"], "o"].sum(),
                    "e": k * share if np.isfinite(share) else np.nan,
                    "peer_rate": share,
                }
            )
        return pd.DataFrame(rows)


def seen_referrals(ctx: AuditContext) -> ibis.Table:
    """The detector's referrals: pathways with at least one attended contact."""
    return ctx.pw.filter(ctx.pw.contact_count.fill_null(0) >= 1)


def vulnerability_flags(p: ibis.Table) -> dict[str, ibis.BooleanValue]:
    """The four vulnerability flags of a referral (unknown counts as not vulnerable), keyed
    'severe' (baseline PHQ-9 >= 20), 'deprived' (IMD decile 1-2), 'not_english' (preferred
    language not English) and 'minority_ethnic' (ethnic group not White or Not stated)."""
    lang = p.language.cast("string").lower()
    return {
        "severe": (p.phq9_first >= 20).fill_null(False),
        "deprived": (p.imd_decile <= 2).fill_null(False),
        "not_english": (lang.notnull() & ~lang.isin(ENGLISH)).fill_null(False),
        "minority_ethnic": (
            p.ethnic_group.notnull() & ~p.ethnic_group.isin(("White", "Not stated"))
        ).fill_null(False),
    }


def ended_early(p: ibis.Table) -> ibis.BooleanValue:
    """Ended before treatment, or ended as 'not suitable' (end codes 10, 11)."""
    return p.ended_before_treatment.fill_null(False) | p.end_code.isin(NOT_SUITABLE).fill_null(
        False
    )
