"""How the main job treats an analysis area: include it, explain its absence, or stop."""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace

import pandas as pd
import pytest

from clearwater.errors import ClearwaterError
from clearwater.pipeline import AreaSpec, run_area
from clearwater.report.core import Section


@pytest.fixture()
def fake_area_module():
    name = "cw_fake_area_report"
    mod = types.ModuleType(name)

    def report_sections(result):
        return [Section("fake", "Fake area", f"<p>{result.n} things</p>")]

    mod.report_sections = report_sections
    sys.modules[name] = mod
    yield name
    del sys.modules[name]


def ctx(tmp_path):
    return SimpleNamespace(out_dir=tmp_path)


class Result:
    n = 3

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"n": [self.n]})


def test_area_that_runs_gives_its_sections_and_outputs(tmp_path, fake_area_module):
    spec = AreaSpec("fake", "Fake area", lambda c: Result(), fake_area_module)
    secs, outcome = run_area(spec, ctx(tmp_path))
    assert [s.id for s in secs] == ["fake"] and "3 things" in secs[0].body_html
    assert outcome.status == "done"
    assert outcome.outputs == (tmp_path / "fake.csv",)
    assert pd.read_csv(tmp_path / "fake.csv")["n"].tolist() == [3]


def test_area_without_the_data_it_needs_says_so(tmp_path, fake_area_module):
    def run(c):
        raise ClearwaterError("no CWStaff table was supplied")

    spec = AreaSpec("workforce", "Workforce", run, fake_area_module, hint="Add CWStaff.")
    secs, outcome = run_area(spec, ctx(tmp_path))
    assert outcome.status == "unavailable"
    assert secs[0].id == "workforce"
    assert "no CWStaff table was supplied" in secs[0].body_html
    assert "Add CWStaff." in secs[0].body_html


def test_an_unexpected_error_costs_only_its_own_section(tmp_path, fake_area_module):
    """A fault in one area: its section says it failed and why, the traceback goes to the log,
    its partial files are removed, and the outcome marks the run as failed (exit non-zero)."""

    def run(c):
        (tmp_path / "half-written.csv").write_text("a\n")
        raise KeyError("column_that_does_not_exist")

    (tmp_path / "earlier.csv").write_text("kept\n")
    secs, outcome = run_area(AreaSpec("fake", "Fake", run, fake_area_module), ctx(tmp_path))
    assert outcome.status == "failed"
    assert "KeyError" in outcome.message and "column_that_does_not_exist" in secs[0].body_html
    assert "errors.log" in secs[0].body_html
    log = (tmp_path / "errors.log").read_text()
    assert "Traceback" in log and "column_that_does_not_exist" in log
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier.csv", "errors.log"]


def test_interrupts_are_not_swallowed(tmp_path, fake_area_module):
    def run(c):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_area(AreaSpec("fake", "Fake", run, fake_area_module), ctx(tmp_path))


def test_missing_area_module_is_reported_other_import_errors_fail_the_area(
    tmp_path, fake_area_module
):
    spec = AreaSpec("ghost", "Ghost area", lambda c: Result(), "cw_no_such_module_ghost")
    secs, outcome = run_area(spec, ctx(tmp_path))
    assert outcome.status == "not built" and "not part of this" in secs[0].body_html

    def run(c):
        import cw_some_missing_dependency  # noqa: F401

    secs, outcome = run_area(AreaSpec("ghost", "Ghost", run, fake_area_module), ctx(tmp_path))
    assert outcome.status == "failed" and "cw_some_missing_dependency" in outcome.message


# ---------------------------------------------------------------------- hooks and grouping


class Pair:
    n = 2


def test_several_sections_are_grouped_under_the_area(tmp_path, fake_area_module):
    def sections(module, result):
        return [Section("one", "One", "<p>1</p>"), Section("two", "Two", "<p>2</p>")]

    def write(module, result, out_dir):
        path = out_dir / "pair.csv"
        path.write_text("n\n2\n")
        return [path]

    spec = AreaSpec(
        "pair",
        "Pair area",
        lambda c: Pair(),
        fake_area_module,
        summary="two parts",
        sections=sections,
        write=write,
    )
    secs, outcome = run_area(spec, ctx(tmp_path))
    assert [s.id for s in secs] == ["pair"]
    assert secs[0].title == "Pair area" and secs[0].summary == "two parts"
    assert [c.id for c in secs[0].children] == ["one", "two"]
    assert outcome.outputs == (tmp_path / "pair.csv",)


def test_default_areas_are_in_report_order_and_importable():
    import importlib

    from clearwater.pipeline import default_areas

    specs = default_areas()
    assert [s.area for s in specs] == ["benchmark", "integrity", "feedback", "workforce"]
    for s in specs:
        importlib.import_module(s.report_module)
        for mod in s.requires:
            importlib.import_module(mod)


# ---------------------------------------------------------------------- the staff survey


def _survey_csv(path, rows=12, bad=False):
    from clearwater.workforce.wellbeing import CBI_ITEMS, PRESSURE_ITEMS

    recs = []
    for i in range(rows):
        rec = {"ResponseId": f"R{i}", "CW_TeamId": "T01", "Date": "2024-01-10"}
        rec.update({c: 50 for c in CBI_ITEMS})
        rec.update({c: "N" for c in PRESSURE_ITEMS})
        recs.append(rec)
    frame = pd.DataFrame(recs)
    if bad:
        frame.loc[0, "CBI02"] = 7
    frame.to_csv(path, index=False)
    return path


def test_no_survey_file_means_no_survey(tmp_path):
    from clearwater.pipeline import find_survey, read_survey

    assert find_survey(tmp_path) is None
    assert find_survey(None) is None
    s = read_survey(tmp_path)
    assert s.path is None and s.data is None and s.problem == ""


def test_survey_file_is_found_in_any_case_and_read(tmp_path):
    from clearwater.pipeline import find_survey, read_survey

    path = _survey_csv(tmp_path / "cwwellbeingresponses.CSV", bad=True)
    assert find_survey(tmp_path) == path
    s = read_survey(tmp_path)
    assert s.data is not None and s.problem == ""
    acc = s.data.accounting.iloc[0]
    assert (acc["read"], acc["accepted"], acc["quarantined"]) == (12, 11, 1)


def test_unreadable_survey_is_a_problem_not_a_crash(tmp_path):
    from clearwater.pipeline import read_survey

    (tmp_path / "CWWellbeingResponses.csv").write_text("ResponseId,Date\nR1,2024-01-01\n")
    s = read_survey(tmp_path)
    assert s.data is None and "CW_TeamId" in s.problem


def test_two_survey_files_are_a_problem(tmp_path):
    from clearwater.pipeline import read_survey

    _survey_csv(tmp_path / "CWWellbeingResponses.csv")
    _survey_csv(tmp_path / "CWWellbeingResponses.parquet")
    assert "keep one" in read_survey(tmp_path).problem


def test_survey_rows_join_the_row_accounting(tmp_path):
    from clearwater.pipeline import _accounts, read_survey

    _survey_csv(tmp_path / "CWWellbeingResponses.csv", bad=True)
    survey = read_survey(tmp_path)
    data = SimpleNamespace(
        accounting=pd.DataFrame(
            [{"table": "IDS101", "file": "r.csv", "read": 5, "accepted": 4, "quarantined": 1}]
        ),
        quarantine=pd.DataFrame(
            [
                {
                    "table": "IDS101",
                    "file": "r.csv",
                    "row": 3,
                    "column": "x",
                    "reason": "bad",
                    "value": "?",
                }
            ]
        ),
        notes=["CWWellbeingResponses.csv: not a table of the data contract; ignored", "other"],
    )
    acc, quar, notes = _accounts(data, survey)
    assert acc["read"].tolist() == [5, 12]
    assert (acc["read"] == acc["accepted"] + acc["quarantined"]).all()
    assert len(quar) == 2 and set(quar["table"]) == {"IDS101", "CWWellbeingResponses"}
    assert "other" in notes
    assert not any("ignored" in n for n in notes)
    assert any("anonymous staff survey" in n for n in notes)


def test_workforce_without_a_survey_says_the_file_is_absent():
    from clearwater.pipeline import Survey, WorkforceRun, _workforce_sections

    module = SimpleNamespace(report_sections=lambda r: [Section("workforce-workload", "W", "")])
    secs = _workforce_sections(module, WorkforceRun(result=None, survey=Survey()))
    assert [s.id for s in secs] == ["workforce-workload", "workforce-wellbeing"]
    assert "CWWellbeingResponses" in secs[1].body_html
    assert "No anonymous staff survey file" in secs[1].body_html
