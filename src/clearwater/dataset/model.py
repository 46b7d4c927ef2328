"""What the dataset stage hands to the engine: clean, typed Ibis tables plus the accounts.

``CleanData.tables`` maps clean table names to Ibis tables on one engine:

- ``person``, ``referral``, ``contact``, ``complaint``, ``score`` (always present; may be empty)
- ``activity``, ``staff``, ``supervision`` (present when the input had them)

Column names and types are those of :mod:`clearwater.dataset.contract` (``clean`` names);
``score`` is the unified score table described by ``contract.SCORE_COLUMNS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from clearwater.backend import Engine
from clearwater.dataset import contract

ACCOUNTING_COLUMNS = ("table", "file", "read", "accepted", "quarantined")
QUARANTINE_COLUMNS = ("table", "file", "row", "column", "reason", "value")
FINDING_COLUMNS = ("table", "file", "row", "column", "check", "message", "pathway_id")

_ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "date": pa.date32(),
    "time": pa.string(),
    "timestamp": pa.timestamp("us"),
    "int": pa.int64(),
    "float": pa.float64(),
}


def clean_schema(table: str) -> pa.Schema:
    """The Arrow schema of one clean table (``score`` included)."""
    if table == "score":
        cols = contract.SCORE_COLUMNS
    else:
        spec = contract.TABLES_BY_CLEAN[table]
        cols = tuple((c.clean, c.type) for c in spec.columns) + (("source_row", "int"),)
    return pa.schema([(name, _ARROW_TYPES[t]) for name, t in cols])


def _as_arrow(table: str, frame: pd.DataFrame | pa.Table) -> pa.Table:
    """Cast a frame with clean column names to the clean schema; missing columns become null."""
    schema = clean_schema(table)
    if isinstance(frame, pa.Table):
        frame = frame.to_pandas()
    frame = frame.copy()
    n = len(frame)
    if "source_row" not in frame.columns:
        frame["source_row"] = range(2, n + 2)
    if table == "score":
        if "source_table" not in frame.columns:
            frame["source_table"] = "test"
        if "score_id" not in frame.columns:
            frame["score_id"] = [
                f"{s}:{r}" for s, r in zip(frame["source_table"], frame["source_row"], strict=True)
            ]
    arrays = []
    for fld in schema:
        if fld.name in frame.columns:
            col = frame[fld.name]
            if pa.types.is_date32(fld.type):
                col = pd.to_datetime(col).dt.date
            elif pa.types.is_timestamp(fld.type):
                col = pd.to_datetime(col)
            elif pa.types.is_string(fld.type):
                col = col.map(
                    lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                )
            arrays.append(pa.array(col, type=fld.type, from_pandas=True))
        else:
            arrays.append(pa.nulls(n, type=fld.type))
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class CleanData:
    """Validated input on one engine, with the accounts of what happened to every row."""

    engine: Engine
    tables: dict[str, ibis.Table]
    accounting: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ACCOUNTING_COLUMNS))
    )
    quarantine: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    )
    findings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(FINDING_COLUMNS))
    )
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def __getitem__(self, name: str) -> ibis.Table:
        return self.tables[name]

    def has(self, name: str) -> bool:
        return name in self.tables

    @classmethod
    def from_frames(cls, engine: Engine, **frames: Any) -> CleanData:
        """Build clean data directly from frames that already use clean names and values.

        Used by tests and by code that generates data in memory.  Frames are cast to the
        clean schema; the five core tables default to empty.  No validation is done here.
        """
        tables: dict[str, ibis.Table] = {}
        for name in ("person", "referral", "contact", "complaint", "score"):
            frames.setdefault(name, pd.DataFrame())
        for name, frame in frames.items():
            if frame is None:
                continue
            if name != "score" and name not in contract.TABLES_BY_CLEAN:
                raise KeyError(f"unknown clean table {name!r}")
            tables[name] = engine.table(_as_arrow(name, frame))
        return cls(engine=engine, tables=tables, source="frames")
