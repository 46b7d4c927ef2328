"""The ``pathways`` and ``kpis`` commands end to end on a small synthetic service (DuckDB)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from clearwater.cli import build_app
from clearwater.engine.pathways import PATHWAY_COLUMNS
from clearwater.synth import generator


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    result = generator.synthesise(generator.SynthConfig(referrals=150, seed=11))
    generator.write_tables(result.tables, out)
    return out, result.tables


def run(*args: str):
    result = CliRunner().invoke(build_app(), list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def pathways_frame(data_dir, tmp_path_factory):
    folder, _ = data_dir
    out = tmp_path_factory.mktemp("pw") / "pw.parquet"
    run("pathways", str(folder), "--out", str(out))
    return pd.read_parquet(out)


def test_pathways_writes_one_row_per_referral(data_dir, pathways_frame):
    _, tables = data_dir
    assert tuple(pathways_frame.columns) == PATHWAY_COLUMNS
    assert pathways_frame.pathway_id.is_unique
    assert len(pathways_frame) <= len(tables["IDS101Referral"])


def test_kpis_csv_and_json(data_dir, pathways_frame, tmp_path):
    folder, _ = data_dir
    csv = tmp_path / "k.csv"
    run(
        "kpis",
        str(folder),
        "--period",
        "all",
        "--by",
        "gender",
        "--format",
        "csv",
        "--out",
        str(csv),
    )
    frame = pd.read_csv(csv)
    assert {"period", "gender", "measure", "numerator", "denominator", "value"} <= set(
        frame.columns
    )
    # every referral is counted once, in its gender group
    assert frame[frame.measure == "referrals"].numerator.sum() == len(pathways_frame)
    js = tmp_path / "k.json"
    run("kpis", str(folder), "--period", "fy", "--measure", "finished_course", "--format", "json",
        "--out", str(js))  # fmt: skip
    records = json.loads(js.read_text())
    assert {r["measure"] for r in records} == {"finished_course"}
    assert sum(r["numerator"] for r in records) == int(
        (pathways_frame.finished_course & pathways_frame.discharge_date.notna()).sum()
    )


def test_bad_options_give_clear_errors(data_dir, tmp_path):
    folder, _ = data_dir
    runner = CliRunner()
    bad = runner.invoke(build_app(), ["kpis", str(folder), "--by", "shoe_size"])
    assert bad.exit_code != 0 and "shoe_size" in str(bad.exception or bad.output)
    bad = runner.invoke(build_app(), ["kpis", str(folder), "--period", "weekly"])
    assert bad.exit_code != 0 and "weekly" in str(bad.exception or bad.output)
    bad = runner.invoke(build_app(), ["pathways", str(folder), "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code != 0 and ".csv or .parquet" in str(bad.exception or bad.output)
