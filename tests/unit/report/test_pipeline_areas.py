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


def test_programming_errors_are_not_swallowed(tmp_path, fake_area_module):
    def run(c):
        raise KeyError("column_that_does_not_exist")

    with pytest.raises(KeyError):
        run_area(AreaSpec("fake", "Fake", run, fake_area_module), ctx(tmp_path))


def test_missing_area_module_is_reported_but_other_import_errors_raise(tmp_path, fake_area_module):
    spec = AreaSpec("ghost", "Ghost area", lambda c: Result(), "cw_no_such_module_ghost")
    secs, outcome = run_area(spec, ctx(tmp_path))
    assert outcome.status == "not built" and "not part of this" in secs[0].body_html

    def run(c):
        import cw_some_missing_dependency  # noqa: F401

    with pytest.raises(ImportError):
        run_area(AreaSpec("ghost", "Ghost", run, fake_area_module), ctx(tmp_path))
