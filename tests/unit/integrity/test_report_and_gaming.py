"""Report section words and the gaming injection's ground truth."""

from __future__ import annotations

import pytest

from clearwater.dataset.model import CleanData
from clearwater.errors import ConfigError
from clearwater.integrity import run_audit
from clearwater.integrity.report import report_sections
from clearwater.synth.gaming import Injection, apply_injections

from .simdata import coach, honest_service


def test_report_section_names_the_finding_in_plain_words(duckdb_engine):
    frames, pw = honest_service(units=12, per_unit=70, seed=21)
    frames = coach(frames, "T05", 0.5)
    res = run_audit(CleanData.from_frames(duckdb_engine, **frames), duckdb_engine.table(pw))
    sec = report_sections(res)[0]
    assert sec.id == "integrity"
    assert "T05" in sec.body_html and "<svg" in sec.body_html
    assert "inconsistent with the expected pattern" in sec.body_html
    assert "fraud" not in sec.body_html.lower()
    assert "Innocent explanations" in sec.body_html


def test_injection_validates_its_spec():
    with pytest.raises(ConfigError):
        Injection("bribery", "X", 0.3)
    with pytest.raises(ConfigError):
        Injection("coaching", "X", 1.5)


def test_coaching_injection_moves_final_scores_below_caseness():
    gen = pytest.importorskip("clearwater.synth.generator")
    r = gen.synthesise(gen.SynthConfig(referrals=1500, seed=4))
    target = r.clinicians["clinician_id"].iloc[0]
    tables, truth = apply_injections(
        r.tables, r.clinicians, [Injection("coaching", target, 1.0)], seed=0
    )
    row = truth.iloc[0]
    assert row["injected"] == row["eligible"] > 0
    with pytest.raises(ConfigError):
        apply_injections(r.tables, r.clinicians, [Injection("coaching", "nobody", 0.3)], seed=0)
