"""File names built from data never leave their folder and never collide."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearwater.errors import ClearwaterError
from clearwater.outputs import SafeNames, safe_name, within

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@settings(max_examples=300)
@given(st.text(), st.text(max_size=8))
def test_any_id_gives_a_plain_name_inside_the_folder(tmp_path_factory, raw, measure):
    folder = tmp_path_factory.mktemp("charts")
    path = SafeNames(folder).path(raw, measure, suffix=".svg")
    assert path.parent == folder
    assert NAME.fullmatch(path.name) and len(path.name) <= 80
    assert folder.resolve() in path.resolve().parents
    path.write_text("x")  # really writable, and really where we said
    assert [p.name for p in folder.iterdir()] == [path.name]


@given(st.text(), st.text())
def test_different_ids_get_different_names(a, b):
    names = SafeNames("out")
    if a != b:
        assert names.path(a, suffix=".svg") != names.path(b, suffix=".svg")
    assert names.path(a) == names.path(a)


@pytest.mark.parametrize(
    "raw", ["../../etc/passwd", "/tmp/abs", "a/b", "..", ".", "", "con", "x\0y", "a" * 5000]
)
def test_hostile_ids(tmp_path, raw):
    p = SafeNames(tmp_path).path(raw, "phq9", suffix=".svg")
    assert p.parent == tmp_path and NAME.fullmatch(p.name)


def test_collision_check_lengthens_the_hash(tmp_path, monkeypatch):
    import clearwater.outputs.names as names

    monkeypatch.setattr(names, "_digest", lambda text, n: "0" * n if n < 16 else str(hash(text)))
    sn = SafeNames(tmp_path)
    a, b = sn.path("a-b"), sn.path("a b")  # same slug, same (forced) short hash
    assert a != b and sn.path("a-b") == a


def test_within_refuses_escape(tmp_path):
    with pytest.raises(ClearwaterError):
        within(tmp_path, "../x")
    with pytest.raises(ClearwaterError):
        within(tmp_path, "/etc/passwd")
    assert within(tmp_path, "a.csv") == tmp_path / "a.csv"


def test_safe_name_readable_where_harmless():
    assert safe_name("T01", "phq9", suffix=".svg").startswith("T01_phq9-")
