"""The official KPI set, each measure declared once.

A measure names a *cohort* (which date must fall in the period), a numerator and a
denominator *condition* over pathway rows (see :data:`CONDITIONS`), and a kind of statistic:

- ``count``: value = number of cohort rows meeting the numerator condition;
- ``%``: value = 100 * numerator / denominator (null when the denominator is 0);
- ``mean``/``days`` with ``stat='mean'``: numerator = sum of ``value_column``, denominator =
  rows counted, value = the mean; ``stat='median'``: value = the median (numerator null).

:mod:`clearwater.measures.compute` compiles them into one Ibis aggregation per cohort.
Wait thresholds (42/126 days, the 90-day hidden wait, band edges) come from the run's
:class:`~clearwater.instruments.WaitStandards`, so the texts below name the default values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import ibis.expr.types as ir

from clearwater.instruments import WaitStandards

Unit = Literal["%", "count", "mean", "days"]
Stat = Literal["count", "rate", "mean", "median"]

# cohort id -> (pathway date column, description)
COHORTS: dict[str, tuple[str, str]] = {
    "referred": ("referral_date", "referrals received in the period (referral date in period)"),
    "entered": (
        "first_treatment_date",
        "referrals entering treatment in the period (first treatment date in period)",
    ),
    "ended": ("discharge_date", "referrals ended in the period (discharge date in period)"),
    "second": (
        "second_treatment_date",
        "referrals whose second treatment appointment was in the period",
    ),
}


@dataclass(frozen=True)
class Condition:
    """A boolean condition on a pathway row, with the words that describe it."""

    id: str
    text: str
    build: Callable[[ir.Table, WaitStandards], ir.BooleanValue]


def _band(
    lo: int | None, hi: int | None, col: str
) -> Callable[[ir.Table, WaitStandards], ir.Value]:
    """Days in band ``lo`` (exclusive, index into waits.bands) .. ``hi`` (inclusive)."""

    def build(t: ir.Table, w: WaitStandards) -> ir.BooleanValue:
        days = t[col]
        cond = days.notnull()
        if lo is not None:
            cond = cond & (days > w.bands[lo])
        if hi is not None:
            cond = cond & (days <= w.bands[hi])
        return cond

    return build


def _fin(t: ir.Table) -> ir.BooleanValue:
    return t.finished_course


_W = "wait_to_first_treatment_days"
_F2S = "first_to_second_treatment_days"

_CONDITION_LIST: tuple[Condition, ...] = (
    Condition("all", "every referral in the cohort", lambda t, w: t.pathway_id.notnull()),
    Condition(
        "self_referral", "self-referrals (source B1)", lambda t, w: t.referral_source == "B1"
    ),
    Condition(
        "finished",
        "finished a course of treatment (ended with 2 or more treatment appointments)",
        lambda t, w: _fin(t),
    ),
    Condition(
        "ended_before_treatment",
        "ended without any treatment appointment",
        lambda t, w: t.ended_before_treatment,
    ),
    Condition(
        "ended_after_one_treatment",
        "ended after exactly one treatment appointment",
        lambda t, w: t.ended_after_one_treatment,
    ),
    Condition(
        "finished_caseness",
        "finished a course and not 'not at caseness' (finished minus not at caseness)",
        lambda t, w: _fin(t) & ~t.not_at_caseness,
    ),
    Condition("recovery", "finished and recovered", lambda t, w: _fin(t) & t.recovery),
    Condition(
        "reliable_recovery",
        "finished, recovered and reliably improved",
        lambda t, w: _fin(t) & t.reliable_recovery,
    ),
    Condition(
        "reliable_improvement",
        "finished and reliably improved",
        lambda t, w: _fin(t) & t.reliable_improvement,
    ),
    Condition(
        "reliable_deterioration",
        "finished and reliably deteriorated",
        lambda t, w: _fin(t) & t.reliable_deterioration,
    ),
    Condition(
        "no_reliable_change",
        "finished with paired scores and no reliable change",
        lambda t, w: _fin(t) & t.no_reliable_change,
    ),
    Condition(
        "not_at_caseness",
        "finished and not at caseness at the first scores",
        lambda t, w: _fin(t) & t.not_at_caseness,
    ),
    Condition(
        "fin_wait_6",
        "finished, first treatment within 42 days of referral",
        lambda t, w: _fin(t) & (t[_W] <= w.six_weeks_days),
    ),
    Condition(
        "fin_wait_18",
        "finished, first treatment within 126 days of referral",
        lambda t, w: _fin(t) & (t[_W] <= w.eighteen_weeks_days),
    ),
    Condition(
        "entered_wait_6",
        "entered treatment within 42 days of referral",
        lambda t, w: t[_W] <= w.six_weeks_days,
    ),
    Condition(
        "entered_wait_18",
        "entered treatment within 126 days of referral",
        lambda t, w: t[_W] <= w.eighteen_weeks_days,
    ),
    Condition("wait_band_1", "waited 28 days or less", _band(None, 0, _W)),
    Condition("wait_band_2", "waited 29 to 56 days", _band(0, 1, _W)),
    Condition("wait_band_3", "waited 57 to 90 days", _band(1, 2, _W)),
    Condition("wait_band_4", "waited more than 90 days", _band(2, None, _W)),
    Condition(
        "fin_wait_band_1",
        "finished, waited 28 days or less",
        lambda t, w: _fin(t) & _band(None, 0, _W)(t, w),
    ),
    Condition(
        "fin_wait_band_2",
        "finished, waited 29 to 56 days",
        lambda t, w: _fin(t) & _band(0, 1, _W)(t, w),
    ),
    Condition(
        "fin_wait_band_3",
        "finished, waited 57 to 90 days",
        lambda t, w: _fin(t) & _band(1, 2, _W)(t, w),
    ),
    Condition(
        "fin_wait_band_4",
        "finished, waited more than 90 days",
        lambda t, w: _fin(t) & _band(2, None, _W)(t, w),
    ),
    Condition(
        "second_over_90",
        "more than 90 days between first and second treatment appointments",
        lambda t, w: t[_F2S] > w.first_to_second_long_days,
    ),
    Condition(
        "fin_second_over_90",
        "finished, more than 90 days between first and second treatment appointments",
        lambda t, w: _fin(t) & (t[_F2S] > w.first_to_second_long_days),
    ),
    Condition(
        "finished_adsm",
        "finished with a problem descriptor that has an anxiety-disorder-specific measure",
        lambda t, w: _fin(t) & t.adsm.notnull(),
    ),
    Condition(
        "finished_paired_adsm",
        "finished with an ADSM descriptor and paired scores on that ADSM",
        lambda t, w: _fin(t) & t.adsm.notnull() & t.paired_adsm,
    ),
    Condition(
        "entered_waited",
        "entered treatment (with a wait in days)",
        lambda t, w: t[_W].notnull(),
    ),
    Condition(
        "finished_waited",
        "finished a course (with a wait in days)",
        lambda t, w: _fin(t) & t[_W].notnull(),
    ),
)
CONDITIONS: dict[str, Condition] = {c.id: c for c in _CONDITION_LIST}


@dataclass(frozen=True)
class Measure:
    """One KPI.  ``numerator``/``denominator`` are the words; ``num``/``den`` the conditions."""

    id: str
    title: str
    definition: str
    numerator: str
    denominator: str
    cohort: str
    unit: Unit
    higher_is_better: bool | None
    source: str
    stat: Stat
    num: str
    den: str | None = None
    value_column: str | None = None

    def __post_init__(self) -> None:
        if self.cohort not in COHORTS:
            raise ValueError(f"measure {self.id}: unknown cohort {self.cohort}")
        for cond in (self.num, self.den):
            if cond is not None and cond not in CONDITIONS:
                raise ValueError(f"measure {self.id}: unknown condition {cond}")


def _count(id: str, title: str, definition: str, cohort: str, num: str, source: str,
           higher: bool | None = None) -> Measure:  # fmt: skip
    return Measure(
        id=id,
        title=title,
        definition=definition,
        numerator=CONDITIONS[num].text,
        denominator="",
        cohort=cohort,
        unit="count",
        higher_is_better=higher,
        source=source,
        stat="count",
        num=num,
    )


def _rate(id: str, title: str, definition: str, cohort: str, num: str, den: str, source: str,
          higher: bool | None) -> Measure:  # fmt: skip
    return Measure(
        id=id,
        title=title,
        definition=definition,
        numerator=CONDITIONS[num].text,
        denominator=CONDITIONS[den].text,
        cohort=cohort,
        unit="%",
        higher_is_better=higher,
        source=source,
        stat="rate",
        num=num,
        den=den,
    )


def _avg(id: str, title: str, definition: str, cohort: str, den: str, column: str, unit: Unit,
         stat: Stat, source: str, higher: bool | None) -> Measure:  # fmt: skip
    what = "sum of " + column.replace("_", " ") if stat == "mean" else ""
    return Measure(
        id=id,
        title=title,
        definition=definition,
        numerator=what,
        denominator=CONDITIONS[den].text,
        cohort=cohort,
        unit=unit,
        higher_is_better=higher,
        source=source,
        stat=stat,
        num=den,
        den=den,
        value_column=column,
    )


_BANDS = (
    ("1", "28 days or less", "up_to_28_days"),
    ("2", "29 to 56 days", "29_to_56_days"),
    ("3", "57 to 90 days", "57_to_90_days"),
    ("4", "more than 90 days", "over_90_days"),
)
_BAND_SOURCE = {"1": "M032", "2": "M033", "3": "M034", "4": "M035"}

_MEASURE_LIST: list[Measure] = [
    _count(
        "referrals",
        "Referrals received",
        "Referrals whose referral-received date falls in the period.",
        "referred",
        "all",
        "M001",
    ),
    _count(
        "self_referrals",
        "Self-referrals",
        "Referrals received in the period that the person made themselves (source of referral B1).",
        "referred",
        "self_referral",
        "M002",
    ),
    _count(
        "entered_treatment",
        "Entered treatment",
        "Referrals whose first treatment appointment (attended or unplanned; appointment type "
        "treatment, assessment and treatment, or review and treatment) falls in the period.",
        "entered",
        "all",
        "M031",
    ),
    _count(
        "ended_referrals",
        "Referrals ended",
        "Referrals discharged in the period.",
        "ended",
        "all",
        "M056",
    ),
    _count(
        "finished_course",
        "Finished a course of treatment",
        "Referrals discharged in the period having had at least two treatment appointments "
        "(follow-ups excluded), whatever the ending reason.",
        "ended",
        "finished",
        "M076",
    ),
    _count(
        "ended_before_treatment",
        "Ended before treatment",
        "Referrals discharged in the period without any treatment appointment.",
        "ended",
        "ended_before_treatment",
        "M153",
        False,
    ),
    _count(
        "ended_after_one_treatment",
        "Ended after one treatment appointment",
        "Referrals discharged in the period after exactly one treatment appointment.",
        "ended",
        "ended_after_one_treatment",
        "M075",
        False,
    ),
    _rate(
        "recovery_rate",
        "Recovery rate",
        "Finished courses that were at caseness on the first scores and below caseness on "
        "both last scores (PHQ-9 and the anxiety measure), as a share of finished courses "
        "less those not at caseness.",
        "ended",
        "recovery",
        "finished_caseness",
        "M192",
        True,
    ),
    _rate(
        "reliable_recovery_rate",
        "Reliable recovery rate",
        "Finished courses that both recovered and reliably improved, as a share of finished "
        "courses less those not at caseness.",
        "ended",
        "reliable_recovery",
        "finished_caseness",
        "M195",
        True,
    ),
    _rate(
        "reliable_improvement_rate",
        "Reliable improvement rate",
        "Finished courses whose PHQ-9 or anxiety score fell by at least the reliable-change "
        "value with no reliable deterioration on the other, as a share of all finished courses.",
        "ended",
        "reliable_improvement",
        "finished",
        "M186",
        True,
    ),
    _rate(
        "reliable_deterioration_rate",
        "Reliable deterioration rate",
        "Finished courses whose PHQ-9 or anxiety score rose by at least the reliable-change "
        "value (and did not reliably improve), as a share of all finished courses.",
        "ended",
        "reliable_deterioration",
        "finished",
        "M1010",
        False,
    ),
    _rate(
        "no_reliable_change_rate",
        "No reliable change",
        "Finished courses with paired scores that neither reliably improved nor deteriorated, "
        "as a share of all finished courses.",
        "ended",
        "no_reliable_change",
        "finished",
        "ANNUAL Count_NoChange",
        None,
    ),
    _rate(
        "not_at_caseness_rate",
        "Not at caseness at the start",
        "Finished courses whose first PHQ-9 and first anxiety score were both below caseness, "
        "as a share of all finished courses.",
        "ended",
        "not_at_caseness",
        "finished",
        "M180",
        None,
    ),
    _rate(
        "wait_6_weeks",
        "Entered treatment within 6 weeks (finished courses)",
        "Finished courses whose first treatment was within 42 days of referral, as a share of "
        "all finished courses in the period (the national 75% standard).",
        "ended",
        "fin_wait_6",
        "finished",
        "M052/M053",
        True,
    ),
    _rate(
        "wait_18_weeks",
        "Entered treatment within 18 weeks (finished courses)",
        "Finished courses whose first treatment was within 126 days of referral, as a share of "
        "all finished courses in the period (the national 95% standard).",
        "ended",
        "fin_wait_18",
        "finished",
        "M054/M055",
        True,
    ),
    _rate(
        "entered_wait_6_weeks",
        "Entered treatment within 6 weeks (entering cohort)",
        "Referrals entering treatment in the period that waited 42 days or less.",
        "entered",
        "entered_wait_6",
        "all",
        "M036",
        True,
    ),
    _rate(
        "entered_wait_18_weeks",
        "Entered treatment within 18 weeks (entering cohort)",
        "Referrals entering treatment in the period that waited 126 days or less.",
        "entered",
        "entered_wait_18",
        "all",
        "M037",
        True,
    ),
    *[
        _rate(
            f"entered_wait_{slug}",
            f"Wait to first treatment {words} (entering cohort)",
            f"Referrals entering treatment in the period whose wait from referral to first "
            f"treatment was {words}.",
            "entered",
            f"wait_band_{n}",
            "all",
            _BAND_SOURCE[n],
            None,
        )
        for n, words, slug in _BANDS
    ],
    *[
        _rate(
            f"finished_wait_{slug}",
            f"Wait to first treatment {words} (finished courses)",
            f"Finished courses in the period whose wait from referral to first treatment was "
            f"{words}.",
            "ended",
            f"fin_wait_band_{n}",
            "finished",
            "ANNUAL waiting-time bands",
            None,
        )
        for n, words, slug in _BANDS
    ],
    _rate(
        "first_to_second_over_90_days",
        "First to second treatment over 90 days (second appointment in period)",
        "Referrals whose second treatment appointment fell in the period and came more than "
        "90 days after the first (the 'hidden wait').",
        "second",
        "second_over_90",
        "all",
        "M126",
        False,
    ),
    _rate(
        "finished_first_to_second_over_90_days",
        "First to second treatment over 90 days (finished courses)",
        "Finished courses in the period with more than 90 days between the first and second "
        "treatment appointments (the annual reports' cohort).",
        "ended",
        "fin_second_over_90",
        "finished",
        "ANNUAL first-to-second bands",
        False,
    ),
    _avg(
        "mean_treatment_appointments",
        "Mean treatment appointments (finished courses)",
        "Mean number of treatment appointments per finished course.",
        "ended",
        "finished",
        "treatment_contacts",
        "mean",
        "mean",
        "M141",
        None,
    ),
    _rate(
        "paired_adsm_rate",
        "Appropriate paired ADSM",
        "Finished courses with a problem descriptor that has an anxiety-disorder-specific "
        "measure and paired scores on that measure, as a share of finished courses with such "
        "a descriptor.",
        "ended",
        "finished_paired_adsm",
        "finished_adsm",
        "M205",
        True,
    ),
    _avg(
        "mean_wait_entered",
        "Mean wait to first treatment (entering cohort)",
        "Mean days from referral to first treatment, referrals entering treatment in the period.",
        "entered",
        "entered_waited",
        _W,
        "days",
        "mean",
        "M048",
        False,
    ),
    _avg(
        "median_wait_entered",
        "Median wait to first treatment (entering cohort)",
        "Median days from referral to first treatment, referrals entering treatment in the period.",
        "entered",
        "entered_waited",
        _W,
        "days",
        "median",
        "M049",
        False,
    ),
    _avg(
        "mean_wait_finished",
        "Mean wait to first treatment (finished courses)",
        "Mean days from referral to first treatment, finished courses in the period.",
        "ended",
        "finished_waited",
        _W,
        "days",
        "mean",
        "M050",
        False,
    ),
    _avg(
        "median_wait_finished",
        "Median wait to first treatment (finished courses)",
        "Median days from referral to first treatment, finished courses in the period.",
        "ended",
        "finished_waited",
        _W,
        "days",
        "median",
        "M051",
        False,
    ),
]

MEASURES: dict[str, Measure] = {m.id: m for m in _MEASURE_LIST}
if len(MEASURES) != len(_MEASURE_LIST):  # pragma: no cover - a declaration error
    raise ValueError("duplicate measure id")
