"""Run folders: complete or absent, never deleting what Clearwater did not make."""

from __future__ import annotations

import json

import pytest

from clearwater.errors import ClearwaterError
from clearwater.outputs import OutputFile, RunFolder, read_manifest


def _run(target, files, force=False, fail=False):
    with RunFolder(target, force=force) as run:
        for name, text in files.items():
            p = run.path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        if fail:
            raise KeyboardInterrupt
        run.commit({"what": "test"})
    return target


def test_new_folder_gets_files_and_complete_manifest(tmp_path):
    out = _run(tmp_path / "out", {"a.csv": "1", "charts/c.svg": "<svg/>"})
    doc = read_manifest(out)
    assert doc["status"] == "complete" and doc["what"] == "test"
    assert [f["path"] for f in doc["files"]] == ["a.csv", "charts/c.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_interrupted_run_leaves_the_old_run_untouched(tmp_path):
    out = _run(tmp_path / "out", {"kpis.csv": "old", "report.html": "old"})
    before = {p.name: p.read_text() for p in out.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        _run(out, {"kpis.csv": "new"}, fail=True)
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_rerun_removes_stale_files_of_the_older_run(tmp_path):
    out = _run(tmp_path / "out", {"old.csv": "1", "charts/x.svg": "s", "keep.csv": "1"})
    _run(out, {"keep.csv": "2"})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "keep.csv",
        "manifest.json",
    ]
    assert (out / "keep.csv").read_text() == "2"


def test_files_someone_added_to_a_run_folder_are_kept(tmp_path):
    out = _run(tmp_path / "out", {"a.csv": "1", "b.csv": "1"})
    (out / "my-notes.txt").write_text("mine")
    _run(out, {"a.csv": "2"})
    assert (out / "my-notes.txt").read_text() == "mine"
    assert not (out / "b.csv").exists()
    assert read_manifest(out)["status"] == "complete"


def test_a_changed_file_is_not_replaced_without_force(tmp_path):
    out = _run(tmp_path / "out", {"a.csv": "1"})
    (out / "a.csv").write_text("edited by hand")
    with pytest.raises(ClearwaterError, match="did not write or that were changed"):
        _run(out, {"a.csv": "2"})
    assert (out / "a.csv").read_text() == "edited by hand"
    _run(out, {"a.csv": "2"}, force=True)
    assert (out / "a.csv").read_text() == "2"


def test_a_folder_not_made_by_clearwater_is_refused(tmp_path):
    out = tmp_path / "mine"
    (out / "data").mkdir(parents=True)
    (out / "data" / "precious.parquet").write_text("x")
    with pytest.raises(ClearwaterError, match="not made by Clearwater"):
        _run(out, {"a.csv": "1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
    _run(out, {"a.csv": "1"}, force=True)
    assert (out / "data" / "precious.parquet").read_text() == "x"
    assert (out / "a.csv").read_text() == "1"


def test_incomplete_manifest_does_not_count(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"status": "running", "files": []}))
    with pytest.raises(ClearwaterError):
        _run(out, {"a.csv": "1"})


def test_manifest_listing_outside_paths_deletes_nothing_outside(tmp_path):
    out = _run(tmp_path / "out", {"a.csv": "1"})
    victim = tmp_path / "victim.txt"
    victim.write_text("v")
    doc = json.loads((out / "manifest.json").read_text())
    doc["files"].append({"path": "../victim.txt", "sha256": "x"})
    doc["files"].append({"path": str(victim), "sha256": "x"})
    (out / "manifest.json").write_text(json.dumps(doc))
    _run(out, {"b.csv": "1"})
    assert victim.read_text() == "v"


def test_unwritable_output_folder_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ClearwaterError, match="cannot write"):
        _run(blocker / "out", {"a.csv": "1"})
    with pytest.raises(ClearwaterError, match="is a file"):
        _run(blocker, {"a.csv": "1"})


def test_output_file_guards(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "IDS101.csv").write_text("x")
    with pytest.raises(ClearwaterError, match="input"):
        OutputFile(data / "IDS101.csv", inputs=[data], force=True)
    with pytest.raises(ClearwaterError, match="data folder"):
        OutputFile(data / "new.csv", inputs=[data])
    existing = tmp_path / "x.csv"
    existing.write_text("mine")
    with pytest.raises(ClearwaterError, match="already exists"):
        OutputFile(existing)
    OutputFile(existing, force=True).write_text("new")
    assert existing.read_text() == "new"
