"""`clearwater public FILE --out DIR` end to end on the real-row fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clearwater.cli import build_app

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "public"
    / "nhs-talking-therapies-annual-2023-24-sample.csv"
)


def test_public_command_writes_outputs(tmp_path):
    result = CliRunner().invoke(build_app(), ["public", str(FIXTURE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    providers = pd.read_csv(tmp_path / "providers.csv")
    assert {"provider_code", "position", "lower998"} <= set(providers.columns)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["national"]["2023-24"]["recovery"]["published_percentage"] == 50.1
    page = (tmp_path / "report.html").read_text()
    assert "How to read this" in page and "<svg" in page
    assert "below the 50% recovery target" in result.output


def test_public_command_rejects_bad_option(tmp_path):
    result = CliRunner().invoke(
        build_app(), ["public", str(FIXTURE), "--out", str(tmp_path), "--overdispersion", "x"]
    )
    assert result.exit_code != 0


def test_benchmark_command_rejects_bad_unit(tmp_path):
    result = CliRunner().invoke(
        build_app(), ["benchmark", str(tmp_path), "--out", str(tmp_path / "o"), "--by", "ward"]
    )
    assert result.exit_code != 0
    assert "--by must be one or more of therapist" in str(result.exception)


def test_benchmark_command_end_to_end(tmp_path):
    synth = pytest.importorskip("clearwater.synth.generator", reason="synthetic data not built")
    res = synth.synthesise(synth.SynthConfig(referrals=3000, seed=1, months=6))
    synth.write_tables(res.tables, tmp_path / "data", fmt="parquet")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        build_app(),
        [
            "benchmark",
            str(tmp_path / "data"),
            "--by",
            "therapist,team",
            "--out",
            str(out),
            "--save-model",
            str(out / "model.json"),
        ],
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    table = pd.read_csv(out / "benchmark.csv")
    assert set(table["unit_type"]) == {"therapist", "team"}
    assert table["measure"].iloc[0] == "reliable_improvement"
    assert (out / "model.json").is_file() and (out / "report.html").is_file()
