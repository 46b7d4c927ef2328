"""``clearwater validate``: tables printed, files written, clear errors without traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from clearwater.cli import build_app


def test_validate_prints_accounting_and_writes_files(make_folder, tmp_path):
    def edit(t):
        t["IDS201CareContact"].loc[3, "AppType"] = "9"  # quarantined
        t["IDS101Referral"].loc[0, "EndCode"] = "42"  # a finding

    folder = make_folder(edit)
    out = tmp_path / "out"
    result = CliRunner().invoke(build_app(), ["validate", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Row accounting" in result.output
    assert "IDS201CareContact" in result.output
    assert "code not in the list" in result.output
    assert "legacy_end_code" in result.output
    acc = pd.read_csv(out / "accounting.csv")
    assert list(acc.columns) == ["table", "file", "read", "accepted", "quarantined"]
    contact = acc.set_index("table").loc["IDS201CareContact"]
    assert (contact.read, contact.accepted, contact.quarantined) == (4, 3, 1)
    q = pd.read_csv(out / "quarantine.csv")
    assert q.loc[0, "row"] == 5 and q.loc[0, "column"] == "AppType"
    assert len(pd.read_csv(out / "findings.csv")) == 1


def test_contract_error_exits_2_with_one_line_and_no_traceback(make_folder):
    folder = make_folder(lambda t: t["IDS101Referral"].pop("OrgIDProv"))
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-c", "from clearwater.cli import main; main()", "validate", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "file IDS101Referral.csv" in lines[0] and "column OrgIDProv" in lines[0]
