"""The one CSV writer neutralises formula cells (OWASP) and keeps numbers exact."""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from clearwater.outputs import FORMULA_STARTS, excel_cell, neutralise, write_csv
from clearwater.outputs.tables import csv_text

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", "\0x", '=HYPERLINK("http://e")']


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def formula_cells(text: str) -> list[str]:
    """Every cell of a CSV text that a spreadsheet would read as a formula (used by other tests)."""
    return [c for row in _cells(text) for c in row if c[:1] in FORMULA_STARTS]


def test_every_formula_start_is_neutralised_in_values_and_headers():
    frame = pd.DataFrame({"id": HOSTILE, "=bad header": range(len(HOSTILE))})
    text = csv_text(frame)
    assert formula_cells(text) == []
    rows = _cells(text)
    assert rows[0] == ["id", "'=bad header"]
    assert [r[0] for r in rows[1:]] == ["'" + h.replace("\r", "\n") for h in HOSTILE]


def test_numbers_and_safe_text_are_exact():
    frame = pd.DataFrame(
        {
            "n": [-3, 4],
            "x": [-0.25, 1.5],
            "t": ["plain", "a=b"],
            "c": pd.Categorical(["-c", "d"]),
            "s": pd.array(["+s", None], dtype="string"),
        }
    )
    rows = _cells(csv_text(frame))
    assert rows[1] == ["-3", "-0.25", "plain", "'-c", "'+s"]
    assert rows[2] == ["4", "1.5", "a=b", "d", ""]


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_no_written_cell_can_start_a_formula(values):
    text = csv_text(pd.DataFrame({"v": values}))
    assert formula_cells(text) == []
    # and nothing else changed: one row per value, each read back as written (apostrophe
    # added only before a formula start, carriage returns as line feeds)
    back = [row[0] if row else "" for row in _cells(text)[1:]]
    expected = [
        ("'" + v if v[:1] in FORMULA_STARTS else v).replace("\r\n", "\n").replace("\r", "\n")
        for v in values
    ]
    assert back == expected


def test_write_csv_to_path_and_stream(tmp_path):
    frame = pd.DataFrame({"k": [2, 1], "v": ["=a", "b"]})
    path = write_csv(frame, tmp_path / "x.csv", key=["k"])
    assert path.read_text() == "k,v\n1,b\n2,'=a\n"
    buf = io.StringIO()
    write_csv(frame, buf)
    assert buf.getvalue() == "k,v\n2,'=a\n1,b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]  # no temporary file left


def test_excel_cell():
    assert excel_cell("=1+1") == "'=1+1"
    assert excel_cell(-1) == -1
    assert excel_cell("ok") == "ok"
    assert neutralise(None) is None
