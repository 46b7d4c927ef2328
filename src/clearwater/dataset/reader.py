"""Find and read the input files: one file per table, CSV or Parquet.

Every column is read as a string (validation decides the types later) and every table gains
``source_row``: the line number of the row in its file, header = line 1.  For Parquet files
``source_row`` is the row index + 2, so the numbering reads the same as for a CSV export.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from clearwater.dataset import contract
from clearwater.errors import DataContractError

SUFFIXES = (".csv", ".parquet")
_CHUNK = 1 << 24


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record that could not be split into the header's columns."""

    row: int
    reason: str
    value: str


@dataclass
class RawTable:
    """One input table as read: every contract column as a string, plus ``source_row``.

    ``columns`` maps clean column names to the header name actually used in the file (so
    messages can quote the user's own spelling).  ``data`` holds one string column per
    contract column found in the file, named by its clean name, and ``source_row`` (int64).
    """

    spec: contract.TableSpec
    path: Path
    data: pa.Table
    columns: dict[str, str]
    malformed: list[MalformedRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def read(self) -> int:
        """Data rows in the file (well-formed and malformed)."""
        return self.data.num_rows + len(self.malformed)

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
        if not path.is_file() or path.name.startswith("."):
            continue
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if suffix not in SUFFIXES or stem not in contract.TABLES_BY_SOURCE:
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


def _decode_error(path: Path, exc: Exception) -> DataContractError:
    return DataContractError(
        "file is not UTF-8 encoded text (save it as UTF-8, with or without BOM)"
        if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError)
        else f"cannot read the file: {str(exc).splitlines()[0]}",
        file=path.name,
    )


def _read_header(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise _decode_error(path, exc) from exc
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


def _read_csv_fast(path: Path, header: list[str]) -> tuple[pa.Table, int]:
    bad = 0

    def on_invalid(_row: object) -> str:
        nonlocal bad
        bad += 1
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise _decode_error(path, exc) from exc
    return table, bad


def _read_csv_careful(
    path: Path, header: list[str]
) -> tuple[pa.Table, list[int], list[MalformedRow]]:
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
        raise _decode_error(path, exc) from exc
    except csv.Error as exc:
        raise DataContractError(f"cannot parse the file as CSV: {exc}", file=path.name) from exc
    table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(header, cols, strict=True)})
    return table, rows, malformed


def read_table(spec: contract.TableSpec, path: Path) -> RawTable:
    """Read one file into a :class:`RawTable` (contract columns only, as strings)."""
    malformed: list[MalformedRow] = []
    if path.suffix.lower() == ".csv":
        header = _read_header(path)
        mapping, notes = _match_columns(spec, header, path.name)
        table, bad = _read_csv_fast(path, header)
        if bad == 0 and _physical_lines(path) == table.num_rows + 1:
            rows = pa.array(range(2, table.num_rows + 2), pa.int64())
        else:  # blank lines, values spanning lines or malformed records: count exactly
            table, row_list, malformed = _read_csv_careful(path, header)
            rows = pa.array(row_list, pa.int64())
    else:
        try:
            pfile = pq.ParquetFile(path)
            header = list(pfile.schema_arrow.names)
            mapping, notes = _match_columns(spec, header, path.name)
            table = pfile.read(columns=list(mapping.values()))
        except DataContractError:
            raise
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataContractError(
                f"cannot read the file as Parquet: {str(exc).splitlines()[0]}", file=path.name
            ) from exc
        rows = pa.array(range(2, table.num_rows + 2), pa.int64())
    arrays, names = [], []
    for clean, src in mapping.items():
        col = table.column(src)
        if not pa.types.is_string(col.type):
            try:
                if pa.types.is_dictionary(col.type):
                    col = col.cast(col.type.value_type)
                col = col.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataContractError(
                    f"column type {col.type} cannot be read as text", file=path.name, column=src
                ) from exc
        arrays.append(col)
        names.append(clean)
    arrays.append(rows)
    names.append("source_row")
    data = pa.Table.from_arrays(arrays, names=names)
    return RawTable(spec, path, data, mapping, malformed, notes)
