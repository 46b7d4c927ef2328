"""Readable spec inputs: parse small pipe-separated text tables into clean frames.

    referral = parse('''
        pathway_id | person_id | referral_date | discharge_date
        R1         | P1        | 2023-04-03    | 2023-07-01
        R2         | P1        | 2023-05-01    | -
    ''', "referral")

An empty cell or ``-`` is null.  Values are cast to the clean schema of the named table.
"""

from __future__ import annotations

import textwrap

import pandas as pd
import pyarrow as pa

from clearwater.dataset.model import CleanData, clean_schema

NULL_TOKENS = {"", "-"}


def parse(text: str, table: str) -> pd.DataFrame:
    lines = [ln for ln in textwrap.dedent(text).strip().splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split("|")]
    rows = []
    for ln in lines[1:]:
        cells = [c.strip() for c in ln.split("|")]
        if len(cells) != len(header):
            raise ValueError(f"row has {len(cells)} cells, header {len(header)}: {ln!r}")
        rows.append([None if c in NULL_TOKENS else c for c in cells])
    schema = clean_schema(table)
    columns: dict[str, object] = {}
    for i, name in enumerate(header):
        if name not in schema.names:
            raise ValueError(f"{table} has no clean column {name!r}")
        typ = schema.field(name).type
        values = [r[i] for r in rows]
        if pa.types.is_integer(typ):
            columns[name] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        elif pa.types.is_floating(typ):
            columns[name] = pd.array(
                [None if v is None else float(v) for v in values], dtype="Float64"
            )
        else:
            columns[name] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(columns)
    return frame


def build(engine, **tables: str) -> CleanData:
    """``CleanData`` on ``engine`` from text tables keyed by clean table name."""
    return CleanData.from_frames(engine, **{k: parse(v, k) for k, v in tables.items()})
