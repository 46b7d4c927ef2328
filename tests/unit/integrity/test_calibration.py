"""Calibration on honest data (p-values roughly uniform, no flags) and a small sensitivity check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearwater.dataset.model import CleanData
from clearwater.integrity import combine, run_audit

from .simdata import coach, honest_service


@pytest.fixture(scope="module")
def honest_audits(duckdb_engine):
    out = []
    for seed in (10, 11, 12):
        frames, pw = honest_service(units=14, per_unit=45, seed=seed)
        data = CleanData.from_frames(duckdb_engine, **frames)
        out.append(run_audit(data, duckdb_engine.table(pw)))
    return out


def test_pvalues_roughly_uniform_on_honest_data(honest_audits):
    p = np.concatenate([a.findings["p_value"].dropna().to_numpy() for a in honest_audits])
    # detectors with no events at all give p = 1; calibration is judged on the rest
    p = p[p < 1]
    assert len(p) > 150
    assert np.mean(p < 0.05) <= 0.08
    assert np.mean(p < 0.01) <= 0.025
    assert 0.3 < np.mean(p < 0.5) < 0.7


def test_no_flags_on_honest_data(honest_audits):
    assert sum(int(a.findings["flagged"].sum()) for a in honest_audits) == 0


def test_coaching_is_found_and_named(duckdb_engine):
    frames, pw = honest_service(units=14, per_unit=70, seed=21)
    frames = coach(frames, "T05", 0.5)
    res = run_audit(CleanData.from_frames(duckdb_engine, **frames), duckdb_engine.table(pw))
    hit = res.findings[
        (res.findings["pattern"] == "coaching") & (res.findings["unit_id"] == "T05")
    ].iloc[0]
    assert hit["flagged"]
    assert hit["q_value"] <= 0.05
    assert "more final PHQ-9/GAD-7 scores just below caseness" in hit["effect_description"]
    others = res.findings[(res.findings["unit_id"] != "T05") & res.findings["flagged"]]
    assert others.empty
    summary = res.units.set_index("unit_id")
    assert "coaching" in summary.loc["T05", "patterns_flagged"]


def test_power_is_shown_and_untestable_checks_are_said_not_silenced(honest_audits):
    f = pd.concat([a.findings for a in honest_audits])
    tested = f[f["p_value"].notna()]
    assert tested["power"].between(0, 1).all()
    weak = tested[~tested["testable"]]
    assert len(weak) and (tested["testable"]).any()  # both kinds occur on this service
    quiet = weak[~weak["flagged"]]
    assert quiet["effect_description"].str.startswith("Not testable at this caseload").all()
    assert weak["p_value"].notna().all()  # the p-value stays: never a silent p = 1
    summary = pd.concat([a.units for a in honest_audits])
    assert summary["not_testable"].str.len().gt(0).any()


def test_power_at_grows_with_the_caseload_and_the_effect():
    low = combine.power_at(20, 2.0, 0.0, 0.10, 0.001, 3.0, 0.02)
    high = combine.power_at(400, 40.0, 0.0, 0.10, 0.001, 3.0, 0.02)
    assert low < 0.5 < high
    assert combine.power_at(400, 40.0, 0.0, 0.20, 0.001, 3.0, 0.02) > high
    # heterogeneity widens the null, so the same effect is harder to show
    assert combine.power_at(400, 40.0, 0.02, 0.10, 0.001, 3.0, 0.02) < high
