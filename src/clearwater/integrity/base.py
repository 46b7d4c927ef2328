"""The detector contract and the shared row-level context.

A detector is one class in its own module under :mod:`clearwater.integrity.detectors`.  It
declares what it targets, its statistic, its null and its blind spots (:class:`DetectorInfo`)
and implements :meth:`Detector.cases`: an Ibis expression with one row per *trial*
(``unit_id``, ``stratum``, ``event``).  The base class aggregates the trials per unit x
stratum in Ibis (so the work runs on DuckDB or Spark), brings the small aggregate back and
applies the shared statistics of :mod:`clearwater.integrity.stats`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import ibis
import numpy as np
import pandas as pd

from clearwater.dataset import contract
from clearwater.dataset.model import CleanData
from clearwater.instruments import Instruments, load_instruments
from clearwater.integrity import stats

LEVELS = ("therapist", "team", "provider")
PATTERNS = (
    "coaching",
    "early_discharge",
    "repeat_until_good",
    "dropout_fill",
    "assessment_as_treatment",
    "holding_list",
    "cherry_picking",
    "adsm_suppression",
    "fabrication",
)
UNIT_COLUMNS = ("unit_id", "stratum", "event")
CORE_TOOLS = ("PHQ9", "GAD7")
ATTENDED = tuple(sorted(contract.ATTENDED_CODES))
ENGLISH = ("en", "eng", "english", "en-gb", "en-us")  # preferred-language codes for English


@dataclass(frozen=True)
class DetectorInfo:
    """What a detector is for, in words a reader can check."""

    name: str
    pattern: str
    title: str
    target: str
    statistic: str
    null: str
    blind_spots: tuple[str, ...]
    innocent_explanations: tuple[str, ...]
    event_words: str  # "final PHQ-9/GAD-7 scores just below caseness"
    trial_words: str  # "scored questionnaires at the end of a finished course"
    expected_words: str  # "than expected from the same patients' previous scores and peers"
    min_effect: float = 0.05  # minimum excess events per trial for a flag
    min_excess: float = 3.0  # minimum excess events for a flag
    # the smallest excess per trial worth finding: a unit whose power to show it is below
    # MIN_POWER is reported "not testable at this caseload" (never flagged, never silent)
    power_effect: float = 0.10
    # the case-mix conditions applied (what a unit is compared with), in plain words: the
    # report lists them with every finding as what was ruled out
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DetectorResult:
    """One detector's tests: ``units`` has one row per unit (n, o, e, p_value, ...)."""

    info: DetectorInfo
    units: pd.DataFrame
    strata: pd.DataFrame  # unit_id, stratum, n, o (the aggregate it was computed from)
    tau2: float
    note: str = ""


@dataclass
class AuditContext:
    """Row-level inputs shared by all detectors (lazy Ibis expressions, built once)."""

    data: CleanData
    pathways: ibis.Table
    level: str = "therapist"
    instruments: Instruments = field(default_factory=load_instruments)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            from clearwater.errors import ConfigError

            raise ConfigError(
                f"unknown audit level {self.level!r}: choose one of {', '.join(LEVELS)}"
            )

    @property
    def engine(self):  # noqa: ANN201 - Engine
        return self.data.engine

    @cached_property
    def pw(self) -> ibis.Table:
        """Pathways with ``unit_id`` for the chosen level (untreated referrals: their assessor)."""
        p = self.pathways
        if self.level == "therapist":
            unit = p.therapist_id.coalesce(p.assessor_id)
        elif self.level == "team":
            unit = p.team_id
        else:
            unit = p.provider_id
        return p.mutate(unit_id=unit.cast("string")).filter(ibis._.unit_id.notnull())

    @cached_property
    def finished(self) -> ibis.Table:
        """The finished courses among :attr:`pw` (ended after two or more treatment contacts)."""
        return self.pw.filter(self.pw.finished_course.fill_null(False))

    @cached_property
    def scores(self) -> ibis.Table:
        """Score rows of the pathways, with their contact's attendance and the unit."""
        s = self.data["score"]
        c = self.data["contact"].select(
            c_contact_id="contact_id", attend_code="attend_code", contact_date="contact_date"
        )
        s = s.left_join(c, s.contact_id == c.c_contact_id).drop("c_contact_id")
        u = self.pw.select(u_pathway_id="pathway_id", unit_id="unit_id")
        s = s.inner_join(u, s.pathway_id == u.u_pathway_id).drop("u_pathway_id")
        order_ts = s.recorded_at.coalesce(s.score_date.cast("timestamp"))
        return s.mutate(order_ts=order_ts)

    def sequences(self, tools: tuple[str, ...] = CORE_TOOLS) -> ibis.Table:
        """One kept score per pathway x tool x day (the last entered), numbered in time.

        Columns: pathway_id, unit_id, tool, score_date, score, k (1 = first day),
        k_rev (1 = last day), n_days.
        """
        s = self.scores.filter(self.scores.tool.isin(tools) & self.scores.score.notnull())
        w_day = ibis.window(
            group_by=[s.pathway_id, s.tool, s.score_date],
            order_by=[ibis.desc(s.order_ts), ibis.desc(s.source_row)],
        )
        s = s.mutate(rn_day=ibis.row_number().over(w_day)).filter(ibis._.rn_day == 0)
        w_f = ibis.window(group_by=[s.pathway_id, s.tool], order_by=[s.score_date])
        w_b = ibis.window(group_by=[s.pathway_id, s.tool], order_by=[ibis.desc(s.score_date)])
        s = s.mutate(
            k=ibis.row_number().over(w_f) + 1,
            k_rev=ibis.row_number().over(w_b) + 1,
        )
        nd = s.group_by(["pathway_id", "tool"]).aggregate(n_days=ibis._.k.max())
        nd = nd.rename(nd_pathway_id="pathway_id", nd_tool="tool")
        s = s.inner_join(nd, (s.pathway_id == nd.nd_pathway_id) & (s.tool == nd.nd_tool))
        return s.select(
            "pathway_id", "unit_id", "tool", "score_date", "score", "k", "k_rev", "n_days"
        )

    def caseness(self, tool: str) -> float:
        cut = self.instruments[tool].caseness
        if cut is None:
            raise ValueError(f"{tool} has no caseness threshold")
        return float(cut)


class Detector(ABC):
    """Base of every detector (see the module docstring for the contract)."""

    info: ClassVar[DetectorInfo]
    min_trials: ClassVar[int] = 5

    @abstractmethod
    def cases(self, ctx: AuditContext) -> ibis.Table:
        """One row per trial: unit_id (string), stratum (string), event (0/1 integer)."""

    def aggregate(self, ctx: AuditContext) -> pd.DataFrame:
        t = self.cases(ctx)
        agg = t.group_by(["unit_id", "stratum"]).aggregate(
            n=t.event.count(), o=t.event.cast("int64").sum()
        )
        df = ctx.engine.execute(agg)
        df = pd.DataFrame(df)
        if df.empty:
            return pd.DataFrame(
                {
                    "unit_id": pd.Series(dtype=str),
                    "stratum": pd.Series(dtype=str),
                    "n": pd.Series(dtype="int64"),
                    "o": pd.Series(dtype="int64"),
                }
            )
        df["o"] = df["o"].fillna(0).astype("int64")
        df["n"] = df["n"].astype("int64")
        df["unit_id"] = df["unit_id"].astype(str)
        df["stratum"] = df["stratum"].astype(str)
        return df.sort_values(["unit_id", "stratum"]).reset_index(drop=True)

    def expected(self, agg: pd.DataFrame, ctx: AuditContext) -> pd.DataFrame:
        """n, o, e per unit.  Default: leave-one-unit-out peer rates within strata, with
        grossly atypical units left out of the peers (:func:`stats.robust_loo_expected`)."""
        return stats.robust_loo_expected(agg, min_n=self.min_trials)

    def run(self, ctx: AuditContext) -> DetectorResult:
        agg = self.aggregate(ctx)
        units = self.expected(agg, ctx)
        n_units = int((units["n"] >= self.min_trials).sum()) if len(units) else 0
        tested = stats.overdispersed_test(units, min_n=self.min_trials)
        tau2 = float(tested["tau2"].iloc[0]) if len(tested) else 0.0
        note = ""
        if n_units < 2:
            tested["p_value"] = np.nan
            note = "fewer than two units with enough cases: no peers to compare with"
        elif n_units < stats.MIN_UNITS_FOR_TAU:
            note = (
                f"only {n_units} units with enough cases: between-unit heterogeneity not "
                "estimated, so p-values assume a typical amount (logit SD 0.5)"
            )
        return DetectorResult(info=self.info, units=tested, strata=agg, tau2=tau2, note=note)

    def describe(self, row: pd.Series) -> str:
        """Plain words for one unit's result."""
        excess = float(row["o"] - row["e"])
        i = self.info
        if excess >= 0:
            head = f"{excess:.0f} more {i.event_words} {i.expected_words}"
        else:
            head = f"{-excess:.0f} fewer {i.event_words} {i.expected_words}"
        return (
            f"{head} ({int(row['o'])} observed, {row['e']:.1f} expected, "
            f"among {int(row['n'])} {i.trial_words})."
        )


def clip_label(value: ibis.Value, lo: int, hi: int, prefix: str = "") -> ibis.Value:
    """A string stratum label for an integer value clipped to [lo, hi]."""
    v = value.cast("int64")
    v = ibis.ifelse(v < lo, lo, ibis.ifelse(v > hi, hi, v))
    lab = v.cast("string")
    return (ibis.literal(prefix) + lab) if prefix else lab
