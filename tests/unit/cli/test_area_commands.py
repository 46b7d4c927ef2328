"""The feedback, caseload, workload and wellbeing commands, run on a small synthetic service.

Happy paths go through typer's CliRunner (in process, fast); bad inputs go through the real
entry point ``clearwater.cli.main`` (in process; ``python -m clearwater.cli`` calls the same
function), because only it turns a ClearwaterError into exit code 2 and a one-line message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clearwater.cli import build_app
from clearwater.workforce.wellbeing import CBI_ITEMS, PRESSURE_ITEMS

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(build_app(), [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Path:
    """A small synthetic service written by `clearwater synth --referrals 2000`."""
    folder = tmp_path_factory.mktemp("service")
    result = invoke("synth", "--referrals", "2000", "--seed", "11", "--out", folder)
    assert result.exit_code == 0, result.output
    assert (folder / "IDS101Referral.parquet").is_file()
    # what the generator made up goes beside the data, not in it
    assert not (folder / "clinicians.csv").exists()
    assert (folder.parent / f"{folder.name}-truth" / "clinicians.csv").is_file()
    return folder


@pytest.fixture(scope="module")
def feedback_out(service, tmp_path_factory) -> tuple[object, Path]:
    out = tmp_path_factory.mktemp("feedback")
    return invoke("feedback", service, "--out", out, "--xlsx"), out


def test_feedback_writes_alerts_validation_and_charts(feedback_out):
    result, out = feedback_out
    assert result.exit_code == 0, result.output
    assert "open referrals" in result.output and "wrote" in result.output
    alerts = pd.read_csv(out / "alerts.csv")
    assert len(alerts) > 0
    assert {"pathway_id", "therapist_id", "measure", "status", "risk_flag"} <= set(alerts.columns)
    assert set(alerts["status"]) <= {"on track", "not on track", "baseline only"}
    validation = pd.read_csv(out / "validation.csv")
    assert validation["auc"].between(0, 1).all()
    for name in ("etr_bands.csv", "caseload.csv", "client_series.csv"):
        assert (out / name).is_file()
    flagged = alerts[(alerts["status"] == "not on track") | (alerts["risk_flag"])]
    charts = sorted((out / "charts").glob("*.svg"))
    assert len(charts) == min(200, len(flagged))
    assert charts and charts[0].read_text().lstrip().startswith("<svg")


def test_feedback_rejects_an_unknown_percentile(service, tmp_path):
    with pytest.raises(Exception, match="--percentile must be 75 or 90"):
        invoke("feedback", service, "--out", tmp_path, "--percentile", "80")


def test_caseload_lists_one_clinicians_open_referrals(service, feedback_out, tmp_path):
    _, fb = feedback_out
    therapist = str(pd.read_csv(fb / "alerts.csv")["therapist_id"].dropna().iloc[0])
    csv = tmp_path / "review.csv"
    result = invoke("caseload", service, "--therapist", therapist, "--out", csv)
    assert result.exit_code == 0, result.output
    assert f"Caseload review: {therapist}" in result.output
    review = pd.read_csv(csv)
    assert len(review) > 0
    assert set(review["therapist_id"].astype(str)) == {therapist}


def test_caseload_for_an_unknown_clinician_lists_the_valid_ids_before_loading(service):
    from clearwater import catalogue

    valid = catalogue.clinicians(service)
    assert valid
    with pytest.raises(Exception, match="--therapist 'NOBODY' is not known. Valid values: ") as e:
        invoke("caseload", service, "--therapist", "NOBODY")
    assert valid[0] in str(e.value)


def test_list_therapists_teams_and_measures(service):
    from clearwater.measures.definitions import MEASURES

    therapists = invoke("list", "therapists", service)
    assert therapists.exit_code == 0, therapists.output
    pw_ids = set(therapists.output.split())
    assert len(pw_ids) > 5
    teams = invoke("list", "teams", service)
    assert teams.exit_code == 0 and len(teams.output.split()) >= 1
    measures = invoke("list", "measures")
    assert [line.split("\t")[0] for line in measures.output.splitlines()] == list(MEASURES)


def test_kpis_rejects_an_unknown_measure_before_loading(tmp_path):
    # the folder does not even exist: the option is checked first
    with pytest.raises(Exception, match="--measure 'recovery' is not known.*recovery_rate"):
        invoke("kpis", tmp_path / "nowhere", "--measure", "recovery")


def test_feedback_xlsx_has_a_sheet_per_table_with_frozen_headers_in_words(feedback_out):
    import openpyxl

    _, fb = feedback_out
    wb = openpyxl.load_workbook(fb / "feedback.xlsx")
    assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Definitions"
    assert {"alerts", "caseload", "validation"} <= set(wb.sheetnames)
    ws = wb["caseload"]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    assert "Days since last contact" in headers and "days_since_last_contact" not in headers
    assert ws.max_row == len(pd.read_csv(fb / "caseload.csv")) + 1


def test_caseload_fits_80_columns(service, feedback_out):
    _, fb = feedback_out
    therapist = str(pd.read_csv(fb / "alerts.csv")["therapist_id"].dropna().iloc[0])
    result = runner.invoke(
        build_app(), ["caseload", str(service), "--therapist", therapist], terminal_width=80
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(x) for x in lines) <= 80
    assert "Depression" in result.output and "sessions" in result.output
    assert "…" not in result.output  # nothing cut off


def test_feedback_and_workload_write_styled_html(feedback_out, service, tmp_path):
    _, fb = feedback_out
    page = (fb / "feedback.html").read_text("utf-8")
    assert "<style>" in page and "Clients not on track" in page
    assert list((fb / "pages").glob("caseload-*.html"))


def test_workload_writes_team_and_clinician_weeks(service, tmp_path):
    result = invoke("workload", service, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "<style>" in (tmp_path / "workload.html").read_text("utf-8")
    team = pd.read_csv(tmp_path / "workload_team_weeks.csv")
    assert len(team) > 0 and team["team_id"].notna().all()
    assert (team["clinical_hours_per_fte"] >= 0).all()
    assert len(pd.read_csv(tmp_path / "workload_spc.csv")) > 0
    assert len(pd.read_csv(tmp_path / "workload_clinician_weeks.csv")) > 0


def survey_frame(n: int = 60, seed: int = 5) -> pd.DataFrame:
    """Anonymous responses from two teams over two months (no staff identifier)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row = {
            "ResponseId": f"R{i:04d}",
            "CW_TeamId": "T01" if i % 2 else "T02",
            "Date": "2024-01-15" if i < n // 2 else "2024-02-15",
        }
        row.update({c: int(rng.choice([0, 25, 50, 75, 100])) for c in CBI_ITEMS})
        row.update({c: str(rng.choice(["Y", "N", "X"])) for c in PRESSURE_ITEMS})
        rows.append(row)
    return pd.DataFrame(rows)


def test_wellbeing_releases_safe_blocks_and_accounts_for_every_row(tmp_path):
    frame = survey_frame()
    frame.loc[3, "CBI01"] = 33  # not an allowed answer: quarantined, not dropped
    path = tmp_path / "CWWellbeingResponses.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    result = invoke("wellbeing", path, "--out", out)
    assert result.exit_code == 0, result.output
    assert "read 60 responses: 59 accepted, 1 quarantined" in result.output
    acc = pd.read_csv(out / "accounting.csv")
    assert (acc["read"] == acc["accepted"] + acc["quarantined"]).all()
    q = pd.read_csv(out / "quarantine.csv")
    assert q[["row", "column"]].values.tolist() == [[5, "CBI01"]]
    blocks = pd.read_csv(out / "wellbeing_blocks.csv")
    assert len(blocks) >= 1
    assert (blocks["n_shown"] >= 10).all()
    assert not any("ResponseId" in c for c in blocks.columns)


# ---------------------------------------------------------------------- bad inputs: exit 2


def run_main(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """Run the real entry point ``clearwater.cli.main`` (which maps ClearwaterError to exit 2);
    return its exit code and what it printed to stderr.  Any other exception propagates, so
    a traceback fails the test."""
    from clearwater.cli import main

    monkeypatch.setattr(sys, "argv", ["clearwater", *map(str, args)])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ("feedback", "{missing}", "--out", "{tmp}"),
        ("caseload", "{missing}", "--therapist", "T1"),
        ("workload", "{missing}", "--out", "{tmp}"),
        ("wellbeing", "{missing}/CWWellbeingResponses.csv", "--out", "{tmp}"),
    ],
    ids=lambda c: c[0],
)
def test_missing_input_gives_exit_2_and_a_clear_message(command, tmp_path, capsys, monkeypatch):
    missing = tmp_path / "no-such-folder"
    args = [a.format(missing=missing, tmp=tmp_path / "out") for a in command]
    code, err = run_main(capsys, monkeypatch, *args)
    assert code == 2, err
    assert "Traceback" not in err
    assert "error:" in err and "not found" in err
    assert "no-such-folder" in err


def test_survey_with_a_staff_identifier_is_refused_with_file_and_column(
    tmp_path, capsys, monkeypatch
):
    frame = survey_frame(12)
    frame["StaffId"] = "C001"
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    code, err = run_main(capsys, monkeypatch, "wellbeing", path, "--out", tmp_path / "out")
    assert code == 2, err
    assert "Traceback" not in err
    assert "survey.csv" in err and "StaffId" in err
    assert not (tmp_path / "out").exists()
