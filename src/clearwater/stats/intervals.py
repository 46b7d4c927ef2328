"""Confidence intervals for proportions, written once (equity tables, the published-statistics
deprivation gradient).

Wilson's score interval (Wilson 1927; recommended by Newcombe 1998 and by the Public Health
England technical guide for proportions): unlike the normal ("Wald") interval it stays inside
[0, 1] and keeps near its nominal coverage for small counts and rates near 0 or 1.  Checked
against statsmodels' ``proportion_confint(method='wilson')`` and Newcombe's worked example.
"""

from __future__ import annotations

import numpy as np

from clearwater.stats.funnel import Z95


def wilson(
    events: np.ndarray | float, n: np.ndarray | float, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper Wilson limits of ``events / n`` (two-sided, ``z`` = 1.96 for 95%).

    Where ``n`` is 0 or missing the limits are NaN.  ``events`` may be fractional (a rate
    times a denominator, as published); it is not rounded.
    """
    k = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half
