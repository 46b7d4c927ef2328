"""Outcome flags per referral: anxiety measure, caseness, recovery, reliable change.

Implements the algorithm of the reference (section 2.4) as Ibis expressions, with every
threshold and caseness operator read from :class:`~clearwater.instruments.Instruments`
(anxiety measures differ by problem descriptor, so thresholds become case expressions).

Definitions (higher score = worse; ``anx`` = the ADSM when the descriptor has one and it is
paired, else GAD-7):

- at caseness: first PHQ-9 at caseness or first anx at caseness;
- not at caseness: a first PHQ-9 or first anx exists and neither is at caseness;
- both paired: PHQ-9 and anx each have a last score (so >= 2 scores);
- reliable improvement: both paired, an improvement of at least the reliable-change value on
  either measure and no reliable deterioration on either;
- reliable deterioration: both paired, a deterioration on either, and not improved;
- no reliable change: both paired and neither of the two above;
- recovery: both paired, at caseness, and both last scores below caseness;
- reliable recovery: recovery and reliable improvement.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from clearwater.instruments import CORE_ANXIETY, CORE_DEPRESSION, Instrument, Instruments

WSAS = "WSAS"
# Float scores (the Mobility Inventory is a mean item score) are compared to reliable-change
# values with this tolerance, so 3.03 - 2.30 counts as a change of 0.73.
EPSILON = 1e-9


def adsm_tools(instruments: Instruments) -> tuple[str, ...]:
    """The ADSM instruments named by any descriptor, in a stable order."""
    return tuple(sorted(set(instruments.adsm_descriptors().values())))


def score_tools(instruments: Instruments) -> tuple[str, ...]:
    """Every instrument whose first/last score a pathway carries."""
    tools = [CORE_DEPRESSION, CORE_ANXIETY]
    if WSAS in instruments.instruments:
        tools.append(WSAS)
    tools.extend(t for t in adsm_tools(instruments) if t not in tools)
    return tuple(tools)


def _is_case(score: ir.NumericValue, inst: Instrument) -> ir.BooleanValue:
    assert inst.caseness is not None
    if inst.caseness_operator == ">":
        return score > inst.caseness
    return score >= inst.caseness


def _by_measure(measure: ir.StringValue, branches: dict[str, ir.Value], default: ir.Value):
    return ibis.cases(
        *((measure == code, value) for code, value in branches.items()), else_=default
    )


def add_outcome_flags(t: ir.Table, instruments: Instruments) -> ir.Table:
    """Add descriptor-driven score columns and the outcome flags to a pathway table.

    ``t`` must carry ``problem_descriptor`` and ``<tool>_first``/``<tool>_last`` for every tool
    of :func:`score_tools` (lower case).
    """
    adsm_map = instruments.adsm_descriptors()
    tools = adsm_tools(instruments)
    for col in [f"{x.lower()}_{w}" for x in score_tools(instruments) for w in ("first", "last")]:
        if col not in t.columns:
            t = t.mutate(**{col: ibis.null("float64")})
    if WSAS not in instruments.instruments:
        t = t.mutate(wsas_first=ibis.null("float64"), wsas_last=ibis.null("float64"))

    null_s = ibis.null("string")
    null_f = ibis.null("float64")
    adsm = _by_measure(t.problem_descriptor, dict(adsm_map.items()), null_s) if adsm_map else null_s
    t = t.mutate(adsm=adsm)
    adsm_first = _by_measure(t.adsm, {x: t[f"{x.lower()}_first"] for x in tools}, null_f)
    adsm_last = _by_measure(t.adsm, {x: t[f"{x.lower()}_last"] for x in tools}, null_f)
    t = t.mutate(adsm_first=adsm_first, adsm_last=adsm_last)
    paired_adsm = t.adsm.notnull() & t.adsm_first.notnull() & t.adsm_last.notnull()
    t = t.mutate(
        paired_adsm=paired_adsm,
        anxiety_measure=ibis.cases((paired_adsm, t.adsm), else_=ibis.literal(CORE_ANXIETY)),
    )
    use_adsm = t.anxiety_measure != CORE_ANXIETY
    t = t.mutate(
        anx_first=ibis.cases((use_adsm, t.adsm_first), else_=t.gad7_first),
        anx_last=ibis.cases((use_adsm, t.adsm_last), else_=t.gad7_last),
    )

    phq = instruments[CORE_DEPRESSION]
    anx_codes = (CORE_ANXIETY, *tools)
    measure = t.anxiety_measure

    def anx_case(score: ir.NumericValue) -> ir.BooleanValue:
        return _by_measure(
            measure, {c: _is_case(score, instruments[c]) for c in anx_codes}, ibis.null("boolean")
        )

    def change(inst: Instrument) -> ir.FloatingValue:
        if inst.reliable_change is None:
            return null_f
        return ibis.literal(float(inst.reliable_change) - EPSILON)

    r_anx = _by_measure(measure, {c: change(instruments[c]) for c in anx_codes}, null_f)
    r_phq = change(phq)

    f = t.mutate(
        _case_phq_first=_is_case(t.phq9_first, phq).fill_null(False),
        _case_anx_first=anx_case(t.anx_first).fill_null(False),
        _case_phq_last=_is_case(t.phq9_last, phq).fill_null(False),
        _case_anx_last=anx_case(t.anx_last).fill_null(False),
        _both_paired=t.phq9_last.notnull() & t.anx_last.notnull(),
        _imp_phq=(t.phq9_first - t.phq9_last >= r_phq).fill_null(False),
        _det_phq=(t.phq9_last - t.phq9_first >= r_phq).fill_null(False),
        _imp_anx=(t.anx_first - t.anx_last >= r_anx).fill_null(False),
        _det_anx=(t.anx_last - t.anx_first >= r_anx).fill_null(False),
    )
    at_case = f._case_phq_first | f._case_anx_first
    f = f.mutate(
        at_caseness=at_case,
        not_at_caseness=(f.phq9_first.notnull() | f.anx_first.notnull()) & ~at_case,
        reliable_improvement=f._both_paired
        & (f._imp_phq | f._imp_anx)
        & ~(f._det_phq | f._det_anx),
    )
    f = f.mutate(
        reliable_deterioration=f._both_paired & (f._det_phq | f._det_anx) & ~f.reliable_improvement,
        recovery=f._both_paired & f.at_caseness & ~f._case_phq_last & ~f._case_anx_last,
    )
    f = f.mutate(
        no_reliable_change=f._both_paired & ~f.reliable_improvement & ~f.reliable_deterioration,
        reliable_recovery=f.recovery & f.reliable_improvement,
    )
    return f.drop(*[c for c in f.columns if c.startswith("_")])
