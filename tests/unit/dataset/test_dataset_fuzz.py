"""Fuzz the reader and validator: hostile values in every column of every table.

Whatever the values, every row is accepted or quarantined (read = accepted + quarantined for
every file) and nothing raises except ClearwaterError (a whole-folder refusal).
"""

from __future__ import annotations

import pytest
from dataset_helpers import base_tables, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearwater.dataset.load import load_dataset
from clearwater.errors import ClearwaterError

HOSTILE = st.one_of(
    st.sampled_from([
        "", " ", "\x00", "P1", "R1", "C1", "A1", "=1+1", "-1", "1e309", "nan", "inf", "NULL",
        "2023-04-01", "31/12/2023", "2023-02-29", "9999-12-31", "0000-00-00", "25:61",
        "PHQ9", "1,2,3", ",,,", "\"", "a\"b", "line\nbreak", "\r", "[/red]", "../x", "😀",
        "1" * 400, "\ufeff", "\t5\t",
    ]),
    st.text(max_size=12),
)  # fmt: skip


@st.composite
def hostile_tables(draw):
    t = base_tables()
    for name in draw(st.lists(st.sampled_from(sorted(t)), min_size=1, max_size=3, unique=True)):
        frame = t[name]
        for col in frame.columns:
            for i in range(len(frame)):
                if draw(st.booleans()):
                    frame.loc[i, col] = draw(HOSTILE)
    return t


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=hostile_tables())
def test_hostile_values_are_accounted_for(tmp_path_factory, duckdb_engine, tables, fmt):
    try:
        folder = write_folder(tmp_path_factory.mktemp("fuzz") / "d", tables, fmt)
    except (UnicodeEncodeError, ValueError):  # a value pandas itself cannot write
        return
    try:
        data = load_dataset(folder, duckdb_engine)
    except ClearwaterError:
        return
    acc = data.accounting.set_index("table")
    assert (acc.read == acc.accepted + acc.quarantined).all()
    for name in tables:
        if fmt == "parquet":  # one row per frame row (CSV may split on line breaks)
            assert acc.loc[name, "read"] == len(tables[name])
