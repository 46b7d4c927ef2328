"""The small-number rule: one place, human outputs say 'too few to say', machine outputs flag."""

from __future__ import annotations

import pandas as pd

from clearwater.stats.small_numbers import (
    FLAG,
    MIN_DENOMINATOR,
    TOO_FEW,
    flag_small_numbers,
    is_small,
    shown,
)


def test_threshold_is_ten():
    assert MIN_DENOMINATOR == 10
    assert is_small(9) and not is_small(10)
    assert is_small(None) and is_small(float("nan")) and is_small(0)


def test_shown():
    assert shown(100.0, 1) == TOO_FEW
    assert shown(45.456, 10) == "45.5"
    assert shown(None, 20) == "none"


def test_flag_keeps_the_value_and_adds_the_column():
    frame = pd.DataFrame(
        {"measure": ["rate", "rate", "count"], "denominator": [1, 12, 2], "value": [100.0, 50, 2]}
    )
    out = flag_small_numbers(frame, applies=frame["measure"] == "rate")
    assert out["value"].tolist() == [100.0, 50, 2]
    assert out[FLAG].tolist() == [True, False, False]
    assert FLAG not in frame.columns


def test_kpis_csv_of_the_main_job_carries_the_flag():
    from clearwater.pipeline import _flag_kpis

    frame = pd.DataFrame(
        {
            "measure": ["recovery_rate", "referrals"],
            "numerator": [1, 3],
            "denominator": [1, None],
            "value": [100.0, 3],
        }
    )
    out = _flag_kpis(frame)
    assert out[FLAG].tolist() == [True, False]
    assert out["value"].tolist() == [100.0, 3]
