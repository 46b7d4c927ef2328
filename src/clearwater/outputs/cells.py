"""Neutralising spreadsheet formulas in text cells (OWASP CSV-injection guidance).

A spreadsheet opening a CSV file treats a cell that starts with ``=``, ``+``, ``-`` or ``@``
as a formula, and a leading tab or carriage return can hide such a start; a NUL can truncate
the cell (ASVS 5.0 1.2.10).  Ids, team names and free text come from untrusted files, so every
text cell that starts with one of these characters gets a leading apostrophe: spreadsheets then
show the text as it was (the apostrophe marks text) and never run it.

Only text is touched: numbers (including negative ones) and dates stay as they are, so
machine-readable figures are unchanged.  Parquet and JSON outputs are exact and are never
neutralised.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS: frozenset[str] = frozenset({"=", "+", "-", "@", "\t", "\r", "\0"})
PREFIX = "'"


def dangerous(value: Any) -> bool:
    """True for text a spreadsheet could read as a formula."""
    return isinstance(value, str) and value[:1] in FORMULA_STARTS


def neutralise(value: Any) -> Any:
    """``value`` made safe for a CSV cell: a leading apostrophe on dangerous text, else as is."""
    return PREFIX + value if dangerous(value) else value


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV file: neutralised, and any carriage return inside text made a line feed.

    Python's CSV writer (with ``\\n`` line endings) leaves a field holding a bare ``\\r``
    unquoted, which breaks the row for every reader; a line feed makes the field quoted
    (RFC 4180) and reads back as the same line break in a spreadsheet.
    """
    value = neutralise(value)
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def _needs_fixing(value: Any) -> bool:
    return isinstance(value, str) and (value[:1] in FORMULA_STARTS or "\r" in value)


def excel_cell(value: Any) -> Any:
    """``value`` made safe for an Excel cell written by openpyxl or xlsxwriter.

    Both libraries store a string that starts with ``=`` as a formula.  Dangerous text gets the
    same leading apostrophe as in CSV, so the cell is plain text showing where it was changed;
    write it as a string (openpyxl: the default for ``str``; xlsxwriter: ``write_string``).
    Non-text values are returned unchanged.
    """
    return neutralise(value)


def _text_like(series: pd.Series) -> bool:
    return (
        series.dtype == object
        or isinstance(series.dtype, (pd.StringDtype, pd.CategoricalDtype))
        or str(series.dtype) == "str"
    )


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ready for CSV: text cells and column names through :func:`csv_cell`.

    Other columns (numbers, dates) are left exactly as they are; the input is not modified.
    """
    out = frame.copy(deep=False)
    changed = False
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        if not _text_like(s):
            continue
        values = s.astype(object)
        mask = values.map(_needs_fixing).astype(bool)
        if mask.any():
            fixed = values.where(~mask, values[mask].map(csv_cell))
            out.isetitem(i, fixed)
            changed = True
    names = [csv_cell(c) if isinstance(c, str) else c for c in frame.columns]
    if names != list(frame.columns):
        out.columns = names
        changed = True
    return out if changed else frame
