"""Load a data folder: read, validate, quarantine, account for every row.

``load_dataset`` is the one entry point the rest of Clearwater uses.  DuckDB reads the files
and validation runs on it (see docs/adr/0011-the-engine-reads-and-validates-the-files.md);
when the requested engine is PySpark the clean tables are moved to Spark at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from clearwater.backend import Engine, connect
from clearwater.dataset import contract, findings
from clearwater.dataset.model import CleanData
from clearwater.dataset.reader import RawTable, empty_table, find_files, read_table
from clearwater.dataset.validate import Validator
from clearwater.errors import DataContractError
from clearwater.instruments import Instruments, load_instruments
from clearwater.outputs import write_csv
from clearwater.outputs.console import text


class _Steps:
    """A rich progress bar over the load steps (or nothing when progress is off)."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task("loading", total=total) if progress else None

    def step(self, what: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=what)

    def set_total(self, total: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=total)

    def done(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[_Steps]:
    if not enabled:
        yield _Steps(None, total)
        return
    with Progress(
        TextColumn("{task.description}", markup=False),  # file names come from the data
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as p:
        yield _Steps(p, total)


def read_folder(folder: Path, con: Any) -> tuple[dict[str, RawTable], list[str]]:
    """Let DuckDB (Ibis backend ``con``) read every contract table in the folder (no
    validation); raise on contract errors."""
    files, notes = find_files(folder)
    for spec in contract.TABLES:
        if spec.required and spec.source.lower() not in files:
            raise DataContractError(
                f"required table {spec.source} not found in {folder} "
                f"(expected {spec.source}.csv or {spec.source}.parquet)",
                file=f"{spec.source}.csv",
            )
    score_tables = (contract.SCORE_REFERRAL.source.lower(), contract.SCORE_ACTIVITY.source.lower())
    if not any(s in files for s in score_tables):
        raise DataContractError(
            f"no score table in {folder}: provide {contract.SCORE_ACTIVITY.source} and/or "
            f"{contract.SCORE_REFERRAL.source} (.csv or .parquet)",
            file=f"{contract.SCORE_ACTIVITY.source}.csv",
        )
    raws: dict[str, RawTable] = {}
    for spec in contract.TABLES:
        path = files.get(spec.source.lower())
        if path is None:
            continue
        if not spec.required and path.stat().st_size == 0:
            # a 0-byte optional file is noted like a header-only one, not refused
            raw = empty_table(spec, path, con)
            notes.append(f"{path.name}: the file is empty (0 bytes)")
        else:
            raw = read_table(spec, path, con)
        if raw.read == 0:
            if spec.required:
                raise DataContractError(
                    f"table {spec.source} is empty (no data rows)", file=path.name
                )
            notes.append(f"{path.name}: table {spec.source} is empty")
        notes.extend(raw.notes)
        raws[spec.clean] = raw
    return raws, notes


def load_dataset(
    folder: str | Path,
    engine: Engine | None = None,
    instruments: Instruments | None = None,
    *,
    progress: bool = False,
) -> CleanData:
    """Read and validate a data folder; return clean tables on ``engine`` plus the accounts.

    Raises :class:`DataContractError` (naming file and column) when the folder breaks the
    contract as a whole: missing required table or column, unreadable or non-UTF-8 file,
    empty required table.  Single bad rows are quarantined instead.
    """
    return _load(Path(folder), engine, instruments, progress=progress, today=date.today())


def _load(
    folder: Path,
    engine: Engine | None,
    instruments: Instruments | None,
    *,
    progress: bool,
    today: date,
) -> CleanData:
    engine = engine or connect("duckdb")
    instruments = instruments or load_instruments()
    con = engine.con if engine.name == "duckdb" else connect("duckdb").con
    with _progress(progress, total=len(contract.TABLES) + 4) as steps:
        steps.step(f"reading {folder}")
        raws, notes = read_folder(folder, con)
        steps.set_total(len(raws) + 4)
        steps.done()
        validator = Validator(con, instruments, today)
        for raw in raws.values():
            steps.step(f"checking {raw.file}")
            validator.add_raw(raw)
            steps.done()
        notes.extend(validator.notes)
        steps.step("checking keys and references")
        validator.run_references()
        steps.done()
        steps.step("building clean tables")
        clean = validator.clean_tables()
        steps.done()
        steps.step("accounting for every row")
        quarantine = validator.quarantine()
        accounting = validator.accounting(clean, quarantine)
        found = findings.find(con, clean, raws)
        steps.done()
        if engine.name == "duckdb":
            validator.drop_intermediate(keep_clean=True)
        else:
            steps.step(f"moving clean tables to {engine.name}")
            clean = {name: engine.table(con.to_pyarrow(t)) for name, t in clean.items()}
            validator.drop_intermediate(keep_clean=False)
        steps.done()
    return CleanData(
        engine=engine,
        tables=clean,
        accounting=accounting,
        quarantine=quarantine,
        findings=found,
        notes=notes,
        source=str(folder),
    )


def print_accounting(data: CleanData, console: Console) -> None:
    """Print the per-table row accounting and counts of quarantine reasons and findings."""
    acc = RichTable(title="Row accounting (read = accepted + quarantined)")
    for name in ("table", "file"):
        acc.add_column(name)
    for name in ("read", "accepted", "quarantined"):
        acc.add_column(name, justify="right")
    for r in data.accounting.itertuples(index=False):
        acc.add_row(
            text(r.table), text(r.file), f"{r.read:,}", f"{r.accepted:,}", f"{r.quarantined:,}"
        )
    console.print(acc)
    if len(data.quarantine):
        q = RichTable(title="Quarantined rows by reason")
        for name in ("table", "column", "reason"):
            q.add_column(name)
        q.add_column("rows", justify="right")
        counts = (
            data.quarantine.fillna({"column": ""})
            .groupby(["table", "column", "reason"], sort=False)
            .size()
            .sort_values(ascending=False)
        )
        for (table, column, reason), n in counts.items():
            q.add_row(text(table), text(column), text(reason), f"{n:,}")
        console.print(q)
    else:
        console.print("No rows quarantined.")
    if len(data.findings):
        f = RichTable(title="Data-quality findings (rows kept)")
        for name in ("table", "check"):
            f.add_column(name)
        f.add_column("rows", justify="right")
        counts = data.findings.groupby(["table", "check"], sort=False).size()
        for (table, check), n in counts.sort_values(ascending=False).items():
            f.add_row(text(table), text(check), f"{n:,}")
        console.print(f)
    else:
        console.print("No data-quality findings.")
    for note in data.notes:
        console.print(text(f"note: {note}"), highlight=False)


def write_accounts(data: CleanData, out_dir: Path) -> list[Path]:
    """Write accounting.csv, quarantine.csv and findings.csv into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    frames: dict[str, pd.DataFrame] = {
        "accounting.csv": data.accounting,
        "quarantine.csv": data.quarantine,
        "findings.csv": data.findings,
    }
    for name, frame in frames.items():
        written.append(write_csv(frame, out_dir / name))
    return written
