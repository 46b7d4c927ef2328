"""Find the input files and let DuckDB read them: one file per table, CSV or Parquet.

DuckDB reads each file itself (``read_csv`` / ``read_parquet``); no table passes through
Python.  Every table gains ``source_row``: the line number of the row in its file, header =
line 1.  For Parquet files ``source_row`` is the row index + 2 (``file_row_number``), so the
numbering reads the same as for a CSV export.

- **CSV**: every column is read as text (``all_varchar``: validation types it on the engine).
  DuckDB loads the file into a table in file order, so a row's line is its ``rowid`` + 2 when
  the file is *regular*: every record on one line, no blank lines, and no record DuckDB
  rejected (its reject table counts them).  An irregular file (values spanning lines, blank
  lines, records with the wrong number of fields, anything DuckDB refused) is read again by
  the careful path, Python's ``csv`` module, which gives exact line numbers and keeps the
  malformed records aside for the quarantine.  That slow path runs only for such files.
- **Parquet**: a view over ``read_parquet``; columns keep their stored types.  A column that
  already has the contract's type is range- and code-checked as it is, never turned into text
  and parsed again (see :mod:`clearwater.dataset.validate`).
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearwater.dataset import contract
from clearwater.errors import DataContractError

SUFFIXES = (".csv", ".parquet")
_CHUNK = 1 << 24
_ids = itertools.count()

# DuckDB column types that hold one plain value (anything else cannot be read as a value).
_SCALAR_PREFIXES = (
    "VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
    "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "DATE",
    "TIMESTAMP", "TIME", "BLOB", "UUID",
)  # fmt: skip


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record that could not be split into the header's columns."""

    row: int
    reason: str
    value: str


@dataclass
class RawTable:
    """One input table as read, on the DuckDB connection that read it.

    ``data`` is an Ibis table with one column per contract column found in the file (named
    by its clean name; text for CSV, the stored type for Parquet) and ``source_row`` (int64).
    ``columns`` maps clean column names to the header name actually used in the file (so
    messages can quote the user's own spelling); ``types`` maps them to DuckDB type names.
    """

    spec: contract.TableSpec
    path: Path
    data: Any  # ibis Table
    columns: dict[str, str]
    rows: int  # well-formed data rows (in ``data``)
    types: dict[str, str] = field(default_factory=dict)
    malformed: list[MalformedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    relation: str = ""  # the DuckDB view behind ``data``
    kind: str = "VIEW"  # VIEW (over a file) or TABLE

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def read(self) -> int:
        """Data rows in the file (well-formed and malformed)."""
        return self.rows + len(self.malformed)

    def header(self, clean: str) -> str:
        """The column's name as written in the file (or the data set name if absent)."""
        return self.columns.get(clean, self.spec.column(clean).source)


def find_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Map data set table names (lower case) to files; also return notes on unknown files."""
    if not folder.exists():
        raise DataContractError("data folder not found", file=str(folder))
    if not folder.is_dir():
        raise DataContractError("expected a folder with one file per table", file=str(folder))
    found: dict[str, Path] = {}
    notes: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        stem, suffix = path.stem.lower(), path.suffix.lower()
        is_table = suffix in SUFFIXES and stem in contract.TABLES_BY_SOURCE
        if path.is_symlink() and not path.exists():
            if is_table:
                raise DataContractError(
                    "the file is a symbolic link to something that does not exist",
                    file=path.name,
                )
            notes.append(f"{path.name}: a symbolic link to something that does not exist; ignored")
            continue
        if not path.is_file():
            if is_table:
                notes.append(f"{path.name}: not a regular file; ignored")
            continue
        if not is_table:
            notes.append(f"{path.name}: not a table of the data contract; ignored")
            continue
        if stem in found:
            raise DataContractError(
                f"two files for table {contract.TABLES_BY_SOURCE[stem].source} "
                f"({found[stem].name} and {path.name}); keep one",
                file=path.name,
            )
        found[stem] = path
    return found, notes


def _match_columns(
    spec: contract.TableSpec, header: list[str], file: str
) -> tuple[dict[str, str], list[str]]:
    """Clean name -> header name, matched case-insensitively; notes on unknown columns."""
    by_lower: dict[str, str] = {}
    for name in header:
        key = name.strip().lower()
        if key in by_lower:
            raise DataContractError(
                f"column {name!r} appears twice (names are matched ignoring case)",
                file=file,
                column=name,
            )
        by_lower[key] = name
    mapping: dict[str, str] = {}
    for col in spec.columns:
        got = by_lower.pop(col.source.lower(), None)
        if got is not None:
            mapping[col.clean] = got
        elif col.required:
            raise DataContractError(
                f"required column {col.source} is missing from table {spec.source}",
                file=file,
                column=col.source,
            )
    notes = [
        f"{file}: column {name!r} is not in the data contract for {spec.source}; ignored"
        for name in by_lower.values()
        if name.strip()
    ]
    return mapping, notes


def _not_utf8(path: Path) -> DataContractError:
    return DataContractError(
        "file is not UTF-8 encoded text (save it as UTF-8, with or without BOM)", file=path.name
    )


def _read_header(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise _not_utf8(path) from exc
    except csv.Error as exc:
        raise DataContractError(f"cannot parse the file as CSV: {exc}", file=path.name) from exc
    except OSError as exc:
        raise DataContractError(f"cannot read the file: {exc.strerror}", file=path.name) from exc
    if not header or not any(h.strip() for h in header):
        raise DataContractError("file is empty (no header line)", file=path.name)
    return header


def _physical_lines(path: Path) -> int:
    """Lines in the file (a final line without a newline counts)."""
    n, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raw(con: Any) -> Any:
    """The duckdb connection under an Ibis DuckDB backend."""
    return con.con


def _read_csv_engine(
    con: Any, path: Path, header: list[str], mapping: dict[str, str], name: str
) -> tuple[int, int, bool]:
    """Load the file with DuckDB into table ``name``; (rows, rejects, unicode error)."""
    db = _raw(con)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    position = {h: i for i, h in enumerate(header)}
    select = ", ".join(f"c{position[src]} AS {_ident(clean)}" for clean, src in mapping.items())
    rejects = f"{name}_rejects"
    db.execute(
        f"CREATE OR REPLACE TABLE {name} AS SELECT {select or 'NULL AS _none'} FROM read_csv(?, "
        f"header = true, auto_detect = false, columns = {cols}, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, store_rejects = true, "
        f"rejects_table = '{rejects}', rejects_scan = '{rejects}_scan')",
        [str(path)],
    )
    rows = db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    bad, unicode = db.execute(
        f"SELECT count(*), count(*) FILTER (error_type = 'INVALID ENCODING') FROM {rejects}"
    ).fetchone()
    db.execute(f"DROP TABLE IF EXISTS {rejects}")
    db.execute(f"DROP TABLE IF EXISTS {rejects}_scan")
    return int(rows), int(bad), bool(unicode)


def _read_csv_careful(
    path: Path, header: list[str]
) -> tuple[list[list[str]], list[int], list[MalformedRow]]:
    """Slow path for irregular files: exact line numbers, malformed records kept aside."""
    width = len(header)
    cols: list[list[str]] = [[] for _ in header]
    rows: list[int] = []
    malformed: list[MalformedRow] = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            start = reader.line_num + 1
            for rec in reader:
                if rec and len(rec) == width:
                    rows.append(start)
                    for i, v in enumerate(rec):
                        cols[i].append(v)
                elif rec and not (len(rec) == 1 and rec[0] == ""):
                    malformed.append(
                        MalformedRow(
                            start,
                            f"row has {len(rec)} fields but the header has {width}",
                            ",".join(rec)[:200],
                        )
                    )
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise _not_utf8(path) from exc
    except csv.Error as exc:
        raise DataContractError(f"cannot parse the file as CSV: {exc}", file=path.name) from exc
    return cols, rows, malformed


def _csv(con: Any, spec: contract.TableSpec, path: Path, name: str) -> RawTable:
    header = _read_header(path)
    mapping, notes = _match_columns(spec, header, path.name)
    db = _raw(con)
    malformed: list[MalformedRow] = []
    try:
        rows, rejected, unicode = _read_csv_engine(con, path, header, mapping, name + "_t")
    except Exception:  # duckdb refused the file as a whole: let the careful path decide
        rows, rejected, unicode = -1, 1, False
    if unicode:
        raise _not_utf8(path)
    if rejected == 0 and _physical_lines(path) == rows + 1:
        # loaded in file order (insertion order is preserved): line = rowid + 2
        db.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT *, rowid + 2 AS source_row FROM {name}_t"
        )
    else:  # blank lines, values spanning lines or malformed records: count exactly
        import pyarrow as pa

        values, lines, malformed = _read_csv_careful(path, header)
        position = {h: i for i, h in enumerate(header)}
        arrays = {
            clean: pa.array(values[position[src]], pa.string()) for clean, src in mapping.items()
        }
        arrays["source_row"] = pa.array(lines, pa.int64())
        db.register(f"{name}_a", pa.table(arrays))
        db.execute(f"CREATE OR REPLACE TABLE {name}_t AS SELECT * FROM {name}_a")
        db.unregister(f"{name}_a")
        db.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name}_t")
        rows = len(lines)
    types = {clean: "VARCHAR" for clean in mapping}
    return RawTable(
        spec, path, con.table(name), mapping, rows, types, malformed, notes, relation=name
    )


_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT")  # fmt: skip
_NUMBERS = (*_INTEGERS, "HUGEINT", "UHUGEINT", "FLOAT", "DOUBLE")


def _kept_type(target: str, stored: str) -> str | None:
    """The stored type when validation can use it as it is, else None (read it as text)."""
    base = stored.split("(")[0]
    if target == "date" and base in ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS",
                                     "TIMESTAMP_S"):  # fmt: skip
        return stored
    if target == "timestamp" and base in ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS",
                                          "TIMESTAMP_S"):  # fmt: skip
        return stored
    if target in ("int", "float") and (base in _NUMBERS or base == "DECIMAL"):
        return stored
    return None


def _parquet(con: Any, spec: contract.TableSpec, path: Path, name: str) -> RawTable:
    db = _raw(con)
    try:
        described = db.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        rows = int(db.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0])
    except Exception as exc:  # duckdb raises several types for a damaged file
        raise DataContractError(
            f"cannot read the file as Parquet: {str(exc).splitlines()[0]}", file=path.name
        ) from exc
    stored = {r[0]: str(r[1]) for r in described}
    mapping, notes = _match_columns(spec, list(stored), path.name)
    types: dict[str, str] = {}
    select = []
    for clean, src in mapping.items():
        dtype = stored[src].upper()
        if not dtype.startswith(_SCALAR_PREFIXES) or "[" in dtype or dtype.startswith("STRUCT"):
            raise DataContractError(
                f"column type {stored[src]} cannot be read as a value", file=path.name, column=src
            )
        kept = _kept_type(spec.column(clean).type, dtype)
        if kept is None:
            select.append(f"CAST({_ident(src)} AS VARCHAR) AS {_ident(clean)}")
            types[clean] = "VARCHAR"
        else:
            select.append(f"{_ident(src)} AS {_ident(clean)}")
            types[clean] = kept
    select.append("file_row_number + 2 AS source_row")
    literal = "'" + str(path).replace("'", "''") + "'"
    db.execute(
        f"CREATE OR REPLACE VIEW {name} AS SELECT {', '.join(select)} "
        f"FROM read_parquet({literal}, file_row_number = true)"
    )
    return RawTable(
        spec, path, con.table(name), mapping, rows, types, [], notes, relation=name, kind="VIEW"
    )


def read_table(spec: contract.TableSpec, path: Path, con: Any, prefix: str = "") -> RawTable:
    """Let DuckDB (Ibis backend ``con``) read one file into a :class:`RawTable`."""
    name = f"{prefix or 'cw_r'}{next(_ids)}_raw_{spec.clean}"
    if path.suffix.lower() == ".csv":
        return _csv(con, spec, path, name)
    return _parquet(con, spec, path, name)


def empty_table(spec: contract.TableSpec, path: Path, con: Any, prefix: str = "") -> RawTable:
    """A table with no rows and every contract column (for a 0-byte optional file)."""
    name = f"{prefix or 'cw_r'}{next(_ids)}_raw_{spec.clean}"
    cols = ", ".join(f"{_ident(c.clean)} VARCHAR" for c in spec.columns)
    _raw(con).execute(f"CREATE OR REPLACE TABLE {name}_t ({cols}, source_row BIGINT)")
    _raw(con).execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name}_t")
    mapping = {c.clean: c.source for c in spec.columns}
    types = {c.clean: "VARCHAR" for c in spec.columns}
    return RawTable(spec, path, con.table(name), mapping, 0, types, relation=name)


def drop(con: Any, raw: RawTable) -> None:
    """Drop the view (and the loaded CSV table) behind ``raw``."""
    db = _raw(con)
    db.execute(f"DROP VIEW IF EXISTS {raw.relation}")
    db.execute(f"DROP TABLE IF EXISTS {raw.relation}_t")
