"""XmR limits and each special-cause rule on hand-made series."""

from __future__ import annotations

import numpy as np
import pytest

from clearwater.errors import ClearwaterError
from clearwater.stats.xmr import GAP, SpcRules, describe_variation, xmr

FLAT = [10, 12, 11, 13, 12, 11, 10, 12, 11, 13, 12, 11, 12, 11, 12]


def test_limits_by_hand():
    res = xmr([10, 12, 11, 13, 12])
    p = res.points
    # mean 11.6; moving ranges 2,1,2,1 -> AMR 1.5
    assert p["centre"].iloc[0] == pytest.approx(11.6)
    assert p["upl"].iloc[0] == pytest.approx(11.6 + 2.66 * 1.5)
    assert p["lpl"].iloc[0] == pytest.approx(11.6 - 2.66 * 1.5)
    assert p["upper_near"].iloc[0] == pytest.approx(11.6 + 2.66 * 2 / 3 * 1.5)
    assert (p["point_type"] == "common_cause").all()
    assert res.warnings  # fewer than 13 points: trial limits


def test_moving_range_screening():
    values = [10, 11, 10, 11, 10, 11, 10, 40, 10, 11, 10, 11, 10, 11]
    mr = np.abs(np.diff(values))
    amr = mr.mean()
    kept = mr[mr <= 3.267 * amr]
    screened = xmr(values)
    unscreened = xmr(values, screen_outliers=False)
    mean = np.mean(values)
    assert unscreened.points["upl"].iloc[0] == pytest.approx(mean + 2.66 * amr)
    assert screened.points["upl"].iloc[0] == pytest.approx(mean + 2.66 * kept.mean())
    assert screened.points["astronomical"].iloc[7]


def test_astronomical_and_direction_colouring():
    values = FLAT + [30]
    up = xmr(values, direction="increase")
    assert up.points["rule"].iloc[-1] == "outside limits"
    assert up.variation == "improvement"
    down = xmr(values, direction="decrease")
    assert down.variation == "concern"
    neutral = xmr(values)
    assert neutral.variation == "neutral"


def test_shift_rule_and_run_length():
    values = [12, 10, 12, 10, 12, 10, 12, 10] + [12.5, 12.6, 12.7, 12.5, 12.6, 12.7]
    base = np.mean(values)
    above = [v > base for v in values]
    assert sum(above[-6:]) == 6
    six = xmr(values, rules=SpcRules(shift=6, trend=7))
    seven = xmr(values)
    assert six.points["shift"].iloc[-6:].all()
    assert not seven.points["shift"].iloc[-6:].any()


def test_point_on_centre_breaks_a_shift():
    baseline = [9.0, 11.0] * 7  # centre exactly 10, fixed on these 14 points
    broken = xmr(baseline + [11, 11, 11, 10, 11, 11, 11], fix_after=14)
    assert broken.points["centre"].iloc[-1] == 10.0
    assert not broken.points["shift"].any()
    run = xmr(baseline + [11, 11, 11, 11, 11, 11, 11], fix_after=14, direction="decrease")
    assert run.points["shift"].iloc[-7:].all()
    assert run.points["point_type"].iloc[-1] == "concern"


def test_trend_rule_strict_and_ties():
    rising = [10, 10.2, 10.4, 10.6, 10.8, 11.0, 11.2]
    values = [11, 10, 11, 10, 11, 10] + rising
    res = xmr(values, direction="increase")
    assert res.points["trend"].iloc[-7:].all()
    assert not res.points["trend"].iloc[:6].any()
    assert set(res.points["rule"].iloc[-7:]) <= {"trend", "outside limits"}
    # a repeated value breaks the trend by default...
    tied = [11, 10, 11, 10, 11, 10] + [10, 10.2, 10.4, 10.4, 10.6, 10.8, 11.0, 11.2]
    assert not xmr(tied).points["trend"].any()
    # ...and neither adds to nor breaks it with ties='ignore'
    ign = xmr(tied, rules=SpcRules(ties="ignore")).points["trend"]
    assert ign.iloc[-8:].all()
    falling = [11, 10, 11, 10, 11, 10] + rising[::-1]
    fall = xmr(falling, direction="increase")
    assert fall.points["trend"].iloc[-7:].all()
    assert (fall.points["side"].iloc[-7:][fall.points["rule"].iloc[-7:] == "trend"] == "low").all()


def test_two_in_three_rule():
    base = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11]
    # AMR = 1, centre = 10.5 (fixed on the first 12), near band 10.5 +/- 1.773, limits +/- 2.66
    values = base + [12.5, 10.8, 12.6]
    res = xmr(values, fix_after=12, direction="increase")
    p = res.points
    assert p["centre"].iloc[-1] == pytest.approx(10.5)
    assert list(p["two_in_three"].iloc[-3:]) == [True, False, True]
    assert p["point_type"].iloc[-1] == "improvement"
    # one side only: a close point on the other side does not count
    other = base + [12.5, 8.4, 12.6]
    assert not xmr(other, fix_after=12).points["two_in_three"].iloc[-3:].any()


def test_fixed_baseline_and_rebase():
    values = FLAT + [20, 21, 20, 21, 20, 21, 20, 21, 20, 21, 20, 21, 20, 21]
    fixed = xmr(values, fix_after=15, direction="increase")
    assert fixed.points["centre"].iloc[-1] == pytest.approx(np.mean(FLAT))
    assert fixed.points["point_type"].iloc[-1] == "improvement"
    rebased = xmr(values, rebase_at=[15], direction="increase")
    assert rebased.points["group"].iloc[-1] == 2
    assert rebased.points["centre"].iloc[-1] == pytest.approx(20.5)
    assert rebased.points["point_type"].iloc[-1] == "common_cause"
    recalculated = xmr(values)
    assert recalculated.points["centre"].iloc[0] == pytest.approx(np.mean(values))


def test_assurance():
    res = xmr(FLAT, direction="increase", target=5)
    assert res.assurance == "consistently passing"
    assert xmr(FLAT, direction="increase", target=20).assurance == "consistently failing"
    assert xmr(FLAT, direction="increase", target=11.5).assurance == "hit and miss"
    assert xmr(FLAT, direction="decrease", target=20).assurance == "consistently passing"


def test_bad_series():
    with pytest.raises(ClearwaterError):
        xmr([])
    with pytest.raises(ClearwaterError):
        xmr([1.0, float("nan"), 2.0])
    with pytest.raises(ClearwaterError):
        SpcRules(shift=1)


def test_missing_values_are_gaps_when_asked():
    values = [10, 12, np.nan, 11, 13, np.nan]
    with pytest.raises(ClearwaterError, match="missing"):
        xmr(values)
    res = xmr(values, labels=list("abcdef"), missing="gap", direction="increase")
    p = res.points
    assert list(p["label"]) == list("abcdef")
    gaps = p[p["point_type"] == GAP]
    assert list(gaps["label"]) == ["c", "f"] and gaps["value"].isna().all()
    assert (gaps["rule"] == "").all() and not gaps[["trend", "shift", "baseline"]].any().any()
    # the chart of the known points 10, 12, 11, 13: mean 11.5, moving ranges 2, 1, 2 (the
    # range from 12 to 11 spans the gap) -> AMR 5/3
    assert p["centre"].tolist() == pytest.approx([11.5] * 6)
    assert p["upl"].iloc[0] == pytest.approx(11.5 + 2.66 * 5 / 3)
    assert p.loc[p["label"] == "d", "mr"].item() == pytest.approx(1.0)
    # the latest charted point, not the gap, describes the chart
    assert res.variation == "common_cause"
    assert "within the normal range" in describe_variation(res)


def test_gaps_keep_rules_on_the_known_points():
    """A rising run of seven known points with a gap inside is still a trend."""
    res = xmr([1, 2, 3, np.nan, 4, 5, 6, 7], missing="gap", direction="increase")
    p = res.points
    known = p[p["point_type"] != GAP]
    assert known["trend"].all() and res.variation == "improvement"
    assert xmr([np.nan, 5.0, np.nan], missing="gap").points["centre"].tolist() == [5.0] * 3
    with pytest.raises(ClearwaterError, match="known value"):
        xmr([np.nan, np.nan], missing="gap")
