"""The small-number rule, in one place.

A rate, mean or day count worked out from fewer than :data:`MIN_DENOMINATOR` people (10) swings
by chance and invites comparisons that mean nothing (ADR 0071).  So:

- **human-facing outputs** (terminal, HTML, Excel) show :data:`TOO_FEW` ("too few to say")
  instead of such a figure (:func:`shown`);
- **machine-readable outputs** (CSV, Parquet, JSON) keep the exact value and carry a
  ``small_number`` column (:func:`flag_small_numbers`) that is True where the rule applies, so
  nothing is republished by accident.

Counts themselves are not figures about a rate and stay visible; publication-grade disclosure
control (suppression and rounding) is a separate, stricter rule
(:mod:`clearwater.workforce.disclosure`).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

MIN_DENOMINATOR = 10
TOO_FEW = "too few to say"
FLAG = "small_number"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def is_small(n: Any, minimum: int = MIN_DENOMINATOR) -> bool:
    """True when ``n`` people (a denominator or group size) is too few to give a figure.

    Missing or zero counts are small too: there is no figure to give.
    """
    v = _number(n)
    return v is None or v < minimum


def small_mask(n: pd.Series, minimum: int = MIN_DENOMINATOR) -> pd.Series:
    """Element-wise :func:`is_small` for a column of counts (a boolean Series)."""
    values = pd.to_numeric(n, errors="coerce")
    return (values.isna() | (values < minimum)).astype(bool)


def flag_small_numbers(
    frame: pd.DataFrame,
    n_column: str = "denominator",
    *,
    applies: pd.Series | None = None,
    minimum: int = MIN_DENOMINATOR,
) -> pd.DataFrame:
    """``frame`` with a ``small_number`` column: True where ``n_column`` is under ``minimum``.

    ``applies`` (boolean, aligned with ``frame``) limits the flag to rows where the rule is
    relevant (e.g. rates and means, not plain counts); elsewhere the flag is False.
    """
    out = frame.copy()
    flag = small_mask(out[n_column], minimum) if n_column in out.columns else True
    flag = pd.Series(flag, index=out.index, dtype=bool)
    if applies is not None:
        flag = flag & applies.reindex(out.index).fillna(False).astype(bool)
    out[FLAG] = flag
    return out


def shown(value: Any, n: Any, fmt: str = "{:.1f}", minimum: int = MIN_DENOMINATOR) -> str:
    """A figure as a person should see it: :data:`TOO_FEW` when ``n`` is small, else formatted."""
    if is_small(n, minimum):
        return TOO_FEW
    v = _number(value)
    return "none" if v is None else fmt.format(v)
