"""Calibration against the published England 2023-24 figures, through the real pipeline.

40,000 referrals give ~15,000 finished courses.  The binomial standard error of a rate near
50% is then ~0.4 points (~0.6 on the recovery denominator), so a tolerance of 3 points for the
headline rates (2 points of calibration + ~2 SE of sampling noise), 4 points for the IMD
extremes (~1,300 finished courses each, SE ~1.4) and 1.2 points for score means is wide
enough for sampling noise but still fails a mis-calibrated generator.  The national-size
check (benchmarks/synth_scale.py) holds the 2-point tolerance.
"""

from __future__ import annotations

import pytest

pytest.importorskip("clearwater.engine.pathways", reason="derive_pathways not installed")
pytest.importorskip("clearwater.measures.compute", reason="compute_kpis not installed")

from clearwater.synth.calibration import calibration_table  # noqa: E402
from clearwater.synth.generator import SynthConfig, synthesise, write_tables  # noqa: E402

TOLERANCE = {
    "recovery_rate_imd10": 4.0,
    "recovery_rate_imd1": 4.0,
    "phq9_first": 1.2,
    "phq9_last": 1.2,
    "gad7_first": 1.2,
    "gad7_last": 1.2,
}


@pytest.mark.slow
def test_kpis_reproduce_published_figures(tmp_path):
    res = synthesise(SynthConfig(referrals=40_000, seed=2024))
    write_tables(res.tables, tmp_path, "parquet")
    cal = calibration_table(tmp_path, *res.window)
    assert cal.referrals == 40_000
    bad = [
        (r.measure, r.published, r.synthetic)
        for r in cal.table.itertuples()
        if abs(r.difference) > TOLERANCE.get(r.measure, 3.0)
    ]
    assert not bad, f"outside tolerance: {bad}\n{cal.table.to_string()}"
