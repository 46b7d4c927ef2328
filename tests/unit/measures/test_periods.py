"""Reporting periods: financial years run April to March; specs parse or fail clearly."""

from __future__ import annotations

import datetime as dt

import pytest

from clearwater.errors import ClearwaterError
from clearwater.measures.periods import Period, financial_quarter, periods_for

D = dt.date


def labels(ps):
    return [p.label for p in ps]


def test_months_cover_first_to_last():
    ps = periods_for("month", D(2023, 11, 15), D(2024, 2, 3))
    assert labels(ps) == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert ps[1].end == D(2023, 12, 31)
    assert ps[3].end == D(2024, 2, 29)  # leap year


def test_financial_years_april_to_march():
    ps = periods_for("fy", D(2023, 3, 31), D(2023, 4, 1))
    assert labels(ps) == ["2022-23", "2023-24"]
    assert ps[1] == Period("2023-24", D(2023, 4, 1), D(2024, 3, 31))


def test_financial_quarters():
    assert financial_quarter(2023, 1) == Period("2023-24 Q1", D(2023, 4, 1), D(2023, 6, 30))
    assert financial_quarter(2023, 4) == Period("2023-24 Q4", D(2024, 1, 1), D(2024, 3, 31))
    ps = periods_for("quarter", D(2023, 6, 30), D(2023, 10, 1))
    assert labels(ps) == ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3"]


def test_single_month_fy_custom_and_all():
    assert periods_for("2023-12", D(2020, 1, 1), D(2030, 1, 1)) == [
        Period("2023-12", D(2023, 12, 1), D(2023, 12, 31))
    ]
    assert periods_for("2023-24", D(2020, 1, 1), D(2030, 1, 1))[0].start == D(2023, 4, 1)
    (c,) = periods_for("2023-05-02..2023-05-09", D(2020, 1, 1), D(2030, 1, 1))
    assert (c.start, c.end) == (D(2023, 5, 2), D(2023, 5, 9))
    (a,) = periods_for("all", D(2023, 1, 5), D(2023, 2, 5))
    assert (a.start, a.end) == (D(2023, 1, 5), D(2023, 2, 5))


@pytest.mark.parametrize(
    "spec", ["2023-13", "weekly", "2023-05-09..2023-05-02", "2023-xx-01..2023-05-01"]
)
def test_bad_specs_raise_clear_errors(spec):
    with pytest.raises(ClearwaterError, match="period"):
        periods_for(spec, D(2023, 1, 1), D(2024, 1, 1))
