"""Wilson interval against a published worked example and an independent implementation."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from clearwater.stats.intervals import wilson


def test_newcombe_worked_example():
    # Newcombe (1998), Statistics in Medicine 17:857-872, table I: 81/263 -> 0.2553 to 0.3662
    lower, upper = wilson(81, 263)
    assert float(lower) == pytest.approx(0.2553, abs=5e-5)
    assert float(upper) == pytest.approx(0.3662, abs=5e-5)
    # 0/20 (example h): 0 to 0.1611, never below 0
    lower, upper = wilson(0, 20)
    assert float(lower) == pytest.approx(0.0, abs=1e-12)
    assert float(upper) == pytest.approx(0.1611, abs=5e-5)


def test_equals_statsmodels_wilson():
    rng = np.random.default_rng(0)
    n = rng.integers(1, 500, 200)
    k = rng.binomial(n, rng.random(200))
    lower, upper = wilson(k, n)
    ref_lower, ref_upper = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert np.allclose(lower, ref_lower, atol=1e-12) and np.allclose(upper, ref_upper, atol=1e-12)
    lower99, upper99 = wilson(k, n, z=2.5758293035489)
    ref99 = proportion_confint(k, n, alpha=0.01, method="wilson")
    assert np.allclose(lower99, ref99[0], atol=1e-10) and np.allclose(upper99, ref99[1], atol=1e-10)


def test_no_people_no_interval():
    lower, upper = wilson(np.array([0.0, 3.0]), np.array([0.0, 10.0]))
    assert np.isnan(lower[0]) and np.isnan(upper[0]) and 0 < lower[1] < 0.3 < upper[1] < 0.61
