"""`clearwater public FILE --out DIR` end to end on the real-row fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
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
