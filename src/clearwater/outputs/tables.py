"""The one CSV writer: every CSV file Clearwater writes goes through :func:`write_csv`.

It neutralises formula cells (:mod:`clearwater.outputs.cells`), can sort rows by their key so
identical runs give identical files, and writes through a temporary file renamed into place, so
a reader never sees half a file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from clearwater.outputs.cells import neutralise_frame
from clearwater.outputs.runs import atomic_write_text


def sort_rows(frame: pd.DataFrame, key: Sequence[str]) -> pd.DataFrame:
    """``frame`` stably sorted by the ``key`` columns (missing values last), index reset."""
    cols = [c for c in key if c in frame.columns]
    if not cols or len(frame) < 2:
        return frame
    ordered = frame.sort_values(cols, kind="mergesort", na_position="last", key=_sortable)
    return ordered.reset_index(drop=True)


def _sortable(s: pd.Series) -> pd.Series:
    # Mixed or object columns sort by their text so the order never depends on types.
    if s.dtype == object:
        return s.map(lambda v: "" if v is None else str(v))
    return s


def csv_text(
    frame: pd.DataFrame, *, key: Sequence[str] | None = None, float_format: str | None = None
) -> str:
    """The CSV text of ``frame`` with formula cells neutralised (and rows sorted by ``key``)."""
    if key:
        frame = sort_rows(frame, key)
    buf = io.StringIO()
    neutralise_frame(frame).to_csv(buf, index=False, float_format=float_format, lineterminator="\n")
    return buf.getvalue()


def write_csv(
    frame: pd.DataFrame,
    target: str | Path | IO[str],
    *,
    key: Sequence[str] | None = None,
    float_format: str | None = None,
) -> Any:
    """Write ``frame`` as CSV to a path (atomically) or an open text stream; returns the target.

    Text cells a spreadsheet would run as formulas get a leading apostrophe; numbers are
    written exactly.  ``key``: columns to sort the rows by, so reruns are byte-identical.
    """
    text = csv_text(frame, key=key, float_format=float_format)
    if isinstance(target, (str, Path)):
        path = Path(target)
        atomic_write_text(path, text)
        return path
    target.write(text)
    return target
