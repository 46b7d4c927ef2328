"""Excel workbooks (``--xlsx``): one formatted sheet per table, frozen headers, a contents
sheet first and the definitions as the last sheet.

Headers are in people's words (:func:`clearwater.report.words.column_label`, the source the
report and the terminal use); the raw column name is kept in a note on each header cell.  Every
text cell goes through :func:`clearwater.outputs.excel_cell`, so data that looks like a formula
is stored as plain text, never run; numbers stay numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

MAX_ROWS = 1_048_575  # Excel's limit less the header row
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, none of []:*?/\\)."""
    base = _BAD_SHEET.sub(" ", str(name)).strip().strip("'")[:31] or "Sheet"
    title, i = base, 2
    while title.lower() in used:
        suffix = f" ({i})"
        title = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(title.lower())
    return title


def _cell(value: Any) -> Any:
    from clearwater.outputs import excel_cell

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        try:
            value = value.item()
        except (ValueError, AttributeError):
            value = str(value)
    if isinstance(value, (int, float, bool)):
        return value
    if not isinstance(value, str) and not hasattr(value, "isoformat"):
        value = str(value)
    return excel_cell(value) if isinstance(value, str) else value


def definitions_frame() -> pd.DataFrame:
    """Every measure's definition, one row each (the workbook's Definitions sheet)."""
    from clearwater.measures.definitions import MEASURES
    from clearwater.report.sections import UNIT_WORDS, cohort_words

    rows = []
    for mid, m in MEASURES.items():
        better = {True: "higher is better", False: "lower is better"}.get(m.higher_is_better, "")
        rows.append(
            {
                "Measure": m.title,
                "Measure id": mid,
                "Definition": m.definition,
                "Counted": m.numerator,
                "Out of": m.denominator,
                "Who": cohort_words(m.cohort),
                "Shown as": "; ".join(x for x in (UNIT_WORDS.get(m.unit, m.unit), better) if x),
                "Source": m.source,
            }
        )
    return pd.DataFrame(rows)


def write_workbook(
    path: str | Path,
    tables: Mapping[str, pd.DataFrame] | Sequence[tuple[str, pd.DataFrame]],
    *,
    title: str = "Clearwater",
    definitions: bool = True,
) -> Path:
    """Write ``tables`` (sheet name -> frame) to one workbook and return its path."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from clearwater.report.words import column_label

    items = list(tables.items()) if isinstance(tables, Mapping) else list(tables)
    if definitions:
        items.append(("Definitions", definitions_frame()))
    wb = Workbook()
    contents = wb.active
    contents.title = "Contents"
    used = {"contents"}
    contents.append([title])
    contents["A1"].font = Font(bold=True, size=14)
    contents.append(["Sheet", "Rows", "What it holds"])
    for c in contents[2]:
        c.font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE6EE")
    for name, frame in items:
        ws = wb.create_sheet(sheet_title(name, used))
        cut = len(frame) > MAX_ROWS
        frame = frame.head(MAX_ROWS)
        cols = list(frame.columns)
        ws.append([_cell(column_label(c)) for c in cols])
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if column_label(c) != str(c):
                cell.comment = Comment(f"Column in the CSV file: {c}", "Clearwater")
        for row in frame.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        if cols:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(1, len(frame) + 1)}"
        for j, c in enumerate(cols, start=1):
            sample = [str(column_label(c))] + [str(v) for v in frame[c].head(200).tolist()]
            width = min(60, max(8, max(len(s) for s in sample) + 2))
            ws.column_dimensions[get_column_letter(j)].width = width
            if pd.api.types.is_float_dtype(frame[c].dtype):
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = "0.000"
        note = " (cut at Excel's row limit; the CSV file has them all)" if cut else ""
        contents.append([_cell(ws.title), len(frame), _cell(f"{name}{note}")])
    contents.column_dimensions["A"].width = 34
    contents.column_dimensions["C"].width = 70
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def csv_workbook(path: str | Path, csv_files: Sequence[Path], *, title: str = "Clearwater") -> Path:
    """A workbook with one sheet per CSV output file (sheet named after the file)."""
    tables = []
    for f in csv_files:
        f = Path(f)
        if f.suffix.lower() != ".csv" or not f.is_file():
            continue
        frame = pd.read_csv(f, low_memory=False, keep_default_na=True)
        tables.append((f.stem.replace("_", " "), frame))
    return write_workbook(path, tables, title=title)
