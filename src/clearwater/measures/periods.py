"""Reporting periods: months, financial quarters and years (April to March), custom ranges."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from clearwater.errors import ClearwaterError


@dataclass(frozen=True)
class Period:
    """A labelled date range; both ends inclusive."""

    label: str
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ClearwaterError(
                f"period {self.label}: end {self.end} is before start {self.start}"
            )

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def month(year: int, month_no: int) -> Period:
    return Period(
        f"{year:04d}-{month_no:02d}", dt.date(year, month_no, 1), _month_end(year, month_no)
    )


def fy_start_year(day: dt.date) -> int:
    """The calendar year in which ``day``'s financial year (April-March) starts."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year(start_year: int) -> Period:
    """FY ``start_year``-``start_year+1``, labelled like '2023-24'."""
    return Period(
        f"{start_year}-{(start_year + 1) % 100:02d}",
        dt.date(start_year, 4, 1),
        dt.date(start_year + 1, 3, 31),
    )


def financial_quarter(start_year: int, quarter: int) -> Period:
    """Quarter 1-4 of FY ``start_year`` (Q1 = April-June), labelled like '2023-24 Q1'."""
    first_month = 4 + 3 * (quarter - 1)
    year = start_year + (first_month > 12)
    m = (first_month - 1) % 12 + 1
    end_m = m + 2
    return Period(
        f"{financial_year(start_year).label} Q{quarter}",
        dt.date(year, m, 1),
        _month_end(year, end_m),
    )


def _months(first: dt.date, last: dt.date) -> list[Period]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(month(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _quarters(first: dt.date, last: dt.date) -> list[Period]:
    out = []
    for fy in range(fy_start_year(first), fy_start_year(last) + 1):
        for q in range(1, 5):
            p = financial_quarter(fy, q)
            if p.end >= first and p.start <= last:
                out.append(p)
    return out


def _parse_date(text: str, spec: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClearwaterError(f"period {spec!r}: {text!r} is not a date (YYYY-MM-DD)") from exc


SPEC_HELP = (
    "month | quarter | fy | all | YYYY-MM (one month) | YYYY-YY (one financial year, e.g. 2023-24)"
    " | YYYY-MM-DD..YYYY-MM-DD (custom, inclusive)"
)


def periods_for(spec: str, first: dt.date, last: dt.date) -> list[Period]:
    """The periods a spec names, for data running from ``first`` to ``last``.

    ``month``/``quarter``/``fy`` give every calendar month / financial quarter / financial year
    overlapping ``first..last``; ``all`` one period ``first..last``; ``YYYY-MM`` one month;
    ``YYYY-YY`` one financial year (when YY is the next year's last two digits); and
    ``YYYY-MM-DD..YYYY-MM-DD`` a custom inclusive range.
    """
    s = spec.strip().lower()
    if last < first:
        raise ClearwaterError(f"no dates to report on ({first} is after {last})")
    if s == "month":
        return _months(first, last)
    if s == "quarter":
        return _quarters(first, last)
    if s in ("fy", "year"):
        return [financial_year(y) for y in range(fy_start_year(first), fy_start_year(last) + 1)]
    if s == "all":
        return [Period(f"{first.isoformat()}..{last.isoformat()}", first, last)]
    if ".." in s:
        a, b = s.split("..", 1)
        start, end = _parse_date(a, spec), _parse_date(b, spec)
        if end < start:
            raise ClearwaterError(f"period {spec!r}: the end is before the start")
        return [Period(f"{start.isoformat()}..{end.isoformat()}", start, end)]
    m = re.fullmatch(r"(\d{4})-(\d{2})", s)
    if m:
        year, two = int(m.group(1)), int(m.group(2))
        if two == (year + 1) % 100:
            return [financial_year(year)]
        if 1 <= two <= 12:
            return [month(year, two)]
    raise ClearwaterError(f"period {spec!r} not understood; use {SPEC_HELP}")
