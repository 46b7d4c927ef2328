"""XmR statistical process control charts in the NHS England "Making Data Count" style.

The one XmR implementation in Clearwater (docs/adr/0041; ADR 0002): benchmarking, published
statistics and workforce workload all chart through :func:`xmr`.  Defaults follow Making Data Count / NHSRplotthedots:

* centre = mean of the baseline points (all points, or the first ``fix_after`` of each group);
* moving ranges ``|x_t - x_(t-1)|`` of the baseline; their mean (AMR) is recomputed after
  dropping moving ranges above ``3.267 * AMR`` when ``screen_outliers``;
* process limits ``centre +/- 2.66 * AMR``; the "near limits" band ``centre +/- 1.7733 * AMR``;
* special-cause rules in order of precedence: a point outside the process limits; a trend of
  ``trend`` points each higher (or lower) than the one before; two of three consecutive points
  between the near band and the limits on the same side (all three on that side); a shift of
  ``shift`` consecutive points on one side of the centre.  Run lengths are parameters (7 and 7
  by default; some tools use 6 or 8).  A point exactly on the centre line breaks a shift.  In a
  trend, a repeated value breaks the run by default (``ties='break'``, as NHSRplotthedots); with
  ``ties='ignore'`` it neither adds to nor breaks the run (the NHS run-chart guide).
* Points are coloured by the measure's direction: improvement, concern, or neutral when the
  direction is not known; otherwise common cause.
* Missing values (suppressed, not published, no denominator) are an error unless the caller
  asks for ``missing='gap'``: then the chart is computed from the known points in time order
  (a moving range spans the gap) and each missing point comes back as a row with no value,
  no rule and ``point_type`` :data:`GAP`, carrying its group's centre and limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from clearwater.errors import ClearwaterError

D4 = 3.267  # moving-range upper limit factor for n = 2
E2 = 2.66  # 3 / d2 with d2 = 1.128
NEAR = E2 * 2 / 3  # 1.7733: the 2-sigma band
TRIAL_POINTS = 13

Direction = Literal["increase", "decrease"] | None
GAP = "gap"

# Okabe-Ito choices for Making Data Count's grey / blue / orange / purple.
POINT_COLOURS = {
    "common_cause": "#6B6B6B",
    "improvement": "#0072B2",
    "concern": "#E69F00",
    "neutral": "#CC79A7",
}


@dataclass(frozen=True)
class SpcRules:
    shift: int = 7
    trend: int = 7
    two_in_three: bool = True
    ties: Literal["break", "ignore"] = "break"

    def __post_init__(self) -> None:
        if self.shift < 2 or self.trend < 3:
            raise ClearwaterError("SPC run lengths must be at least 2 (shift) and 3 (trend)")
        if self.ties not in ("break", "ignore"):
            raise ClearwaterError("SPC ties must be 'break' or 'ignore'")


@dataclass(frozen=True)
class XmrResult:
    """Per-point table and the chart's summary icons.

    ``points`` columns: label, value, group, baseline, centre, mr, upl, lpl, upper_near,
    lower_near, astronomical, trend, two_in_three, shift (bools), rule (highest-precedence rule
    or ''), side ('high'/'low'/''), point_type (common_cause / improvement / concern / neutral).
    """

    points: pd.DataFrame
    variation: str  # point_type of the last point
    assurance: str | None  # consistently passing / consistently failing / hit and miss
    warnings: tuple[str, ...]
    direction: Direction
    rules: SpcRules


def _runs_same_sign(signs: np.ndarray, length: int) -> np.ndarray:
    """Flag every member of a run of >= ``length`` equal non-zero signs."""
    flags = np.zeros(len(signs), dtype=bool)
    start = 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start] or signs[i] == 0:
            if signs[start] != 0 and i - start >= length:
                flags[start:i] = True
            start = i
    return flags


def _trend(values: np.ndarray, length: int, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """Flags and direction (+1 rising / -1 falling) of points in a trend of ``length`` points."""
    n = len(values)
    flags = np.zeros(n, dtype=bool)
    direction = np.zeros(n, dtype=int)
    if n < length:
        return flags, direction
    diffs = np.sign(np.diff(values))
    for sign in (1, -1):
        i = 0
        while i < n - 1:
            if diffs[i] != sign:
                i += 1
                continue
            j = i
            count = 1  # points counted (first point of the run)
            while j < n - 1 and (diffs[j] == sign or (ties == "ignore" and diffs[j] == 0)):
                if diffs[j] == sign:
                    count += 1
                j += 1
            # trailing ties do not belong to the run
            end = j
            while ties == "ignore" and end > i and diffs[end - 1] == 0:
                end -= 1
            if count >= length:
                flags[i : end + 1] = True
                direction[i : end + 1] = sign
            i = max(j, i + 1)
    return flags, direction


def _limits(values: np.ndarray, screen: bool) -> tuple[float, float]:
    centre = float(np.mean(values))
    if len(values) < 2:
        return centre, float("nan")
    mr = np.abs(np.diff(values))
    amr = float(np.mean(mr))
    if screen and amr > 0:
        kept = mr[mr <= D4 * amr]
        amr = float(np.mean(kept)) if len(kept) else amr
    return centre, amr


def xmr(
    values: Sequence[float] | np.ndarray,
    *,
    labels: Sequence[object] | None = None,
    direction: Direction = None,
    fix_after: int | None = None,
    rebase_at: Sequence[int] = (),
    screen_outliers: bool = True,
    rules: SpcRules | None = None,
    target: float | None = None,
    missing: Literal["error", "gap"] = "error",
) -> XmrResult:
    """An XmR chart of ``values`` (in time order).

    ``fix_after``: the baseline is the first n points of each group (limits fixed, later points
    judged against them); None recalculates from all points.  ``rebase_at``: indices where a new
    group (with its own limits) starts, e.g. after a change to the service.  ``missing='gap'``:
    missing values are gaps (see the module docstring); ``fix_after`` then counts known points.
    """
    rules = rules or SpcRules()
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0:
        raise ClearwaterError("an SPC chart needs a non-empty series of numbers")
    if np.isnan(x).any():
        if missing == "gap":
            return _with_gaps(
                x,
                labels=labels,
                direction=direction,
                fix_after=fix_after,
                rebase_at=rebase_at,
                screen_outliers=screen_outliers,
                rules=rules,
                target=target,
            )
        raise ClearwaterError(
            "an SPC series has missing values: remove or explain the gaps before charting"
        )
    if direction not in ("increase", "decrease", None):
        raise ClearwaterError("direction must be 'increase', 'decrease' or None")
    labels = list(labels) if labels is not None else list(range(1, len(x) + 1))
    if len(labels) != len(x):
        raise ClearwaterError("SPC labels and values differ in length")
    cuts = sorted({0, *[int(i) for i in rebase_at if 0 < int(i) < len(x)], len(x)})
    if fix_after is not None and fix_after < 2:
        raise ClearwaterError("an SPC baseline needs at least 2 points")
    frames = []
    warnings: list[str] = []
    for g, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
        seg = x[a:b]
        nb = min(fix_after, len(seg)) if fix_after else len(seg)
        centre, amr = _limits(seg[:nb], screen_outliers)
        if nb < TRIAL_POINTS:
            warnings.append(
                f"group {g + 1} has a baseline of {nb} points (fewer than {TRIAL_POINTS}): "
                "treat its limits as trial limits"
            )
        upl, lpl = centre + E2 * amr, centre - E2 * amr
        unear, lnear = centre + NEAR * amr, centre - NEAR * amr
        side_sign = np.sign(seg - centre)
        astro = (seg > upl) | (seg < lpl)
        trend, trend_dir = _trend(seg, rules.trend, rules.ties)
        close = ((seg > unear) & (seg <= upl)) | ((seg < lnear) & (seg >= lpl))
        two3 = np.zeros(len(seg), dtype=bool)
        if rules.two_in_three:
            for i in range(len(seg) - 2):
                w = slice(i, i + 3)
                if abs(side_sign[w].sum()) == 3 and close[w].sum() >= 2:
                    two3[w] |= close[w]
        shift = _runs_same_sign(side_sign, rules.shift)
        mr = np.concatenate([[np.nan], np.abs(np.diff(seg))])
        frames.append(
            pd.DataFrame(
                {
                    "label": labels[a:b],
                    "value": seg,
                    "group": g + 1,
                    "baseline": np.arange(len(seg)) < nb,
                    "centre": centre,
                    "mr": mr,
                    "upl": upl,
                    "lpl": lpl,
                    "upper_near": unear,
                    "lower_near": lnear,
                    "astronomical": astro,
                    "trend": trend,
                    "two_in_three": two3,
                    "shift": shift,
                    "_trend_dir": trend_dir,
                    "_side": side_sign,
                }
            )
        )
    points = pd.concat(frames, ignore_index=True)
    rule, side = [], []
    cols = zip(
        points["astronomical"],
        points["trend"],
        points["two_in_three"],
        points["shift"],
        points["_trend_dir"],
        points["_side"],
        strict=True,
    )
    for astro_, trend_, two3_, shift_, tdir, sgn in cols:
        if astro_:
            rule.append("outside limits")
        elif trend_:
            rule.append("trend")
        elif two3_:
            rule.append("two of three near a limit")
        elif shift_:
            rule.append("shift")
        else:
            rule.append("")
            side.append("")
            continue
        sign = tdir if (trend_ and not astro_) else sgn
        side.append("high" if sign > 0 else "low")
    points["rule"] = rule
    points["side"] = side
    points["point_type"] = [_point_type(s, direction) for s in side]
    points = points.drop(columns=["_trend_dir", "_side"])
    variation = str(points["point_type"].iloc[-1])
    assurance = None
    if target is not None and direction is not None:
        last = points.iloc[-1]
        good_low, good_high = (last.lpl, last.upl)
        if direction == "increase":
            assurance = (
                "consistently passing"
                if target < good_low
                else "consistently failing"
                if target > good_high
                else "hit and miss"
            )
        else:
            assurance = (
                "consistently passing"
                if target > good_high
                else "consistently failing"
                if target < good_low
                else "hit and miss"
            )
    return XmrResult(points, variation, assurance, tuple(warnings), direction, rules)


def _with_gaps(x: np.ndarray, *, labels: Sequence[object] | None, **options) -> XmrResult:
    """The chart of the known points, with a :data:`GAP` row where each missing point was."""
    known = ~np.isnan(x)
    if not known.any():
        raise ClearwaterError("an SPC series needs at least one known value")
    labels = list(labels) if labels is not None else list(range(1, len(x) + 1))
    if len(labels) != len(x):
        raise ClearwaterError("SPC labels and values differ in length")
    position = np.cumsum(known) - known  # index among the known points
    rebase = [int(position[int(i)]) for i in options.pop("rebase_at") if 0 < int(i) < len(x)]
    res = xmr(
        x[known],
        labels=[lb for lb, k in zip(labels, known, strict=True) if k],
        rebase_at=rebase,
        **options,
    )
    known_rows = res.points
    rows = pd.DataFrame({"label": labels, "value": x})
    carried = ["group", "centre", "upl", "lpl", "upper_near", "lower_near"]
    for col in carried:
        full = pd.Series(np.nan, index=rows.index, dtype=float)
        full[known] = known_rows[col].to_numpy(dtype=float)
        rows[col] = full.ffill().bfill()
    rows["group"] = rows["group"].astype(int)
    for col in ("baseline", "astronomical", "trend", "two_in_three", "shift"):
        rows[col] = False
        rows.loc[known, col] = known_rows[col].to_numpy()
    rows["mr"] = np.nan
    rows.loc[known, "mr"] = known_rows["mr"].to_numpy()
    for col, fill in (("rule", ""), ("side", ""), ("point_type", GAP)):
        rows[col] = fill
        rows.loc[known, col] = known_rows[col].to_numpy()
    points = rows[list(known_rows.columns)]
    return XmrResult(points, res.variation, res.assurance, res.warnings, res.direction, res.rules)


def _point_type(side: str, direction: Direction) -> str:
    if not side:
        return "common_cause"
    if direction is None:
        return "neutral"
    good = (side == "high") == (direction == "increase")
    return "improvement" if good else "concern"


def describe_variation(result: XmrResult) -> str:
    """One plain sentence about the latest charted point."""
    last = result.points[result.points["point_type"] != GAP].iloc[-1]
    if last.point_type == "common_cause":
        return "The latest value is within the normal range of variation (common cause)."
    what = {"improvement": "an improvement", "concern": "a concern", "neutral": "a change"}[
        last.point_type
    ]
    return f"The latest value shows special-cause variation ({last.rule}, {last.side}): {what}."
