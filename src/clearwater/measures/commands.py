"""``clearwater pathways`` and ``clearwater kpis``: the per-referral table and the KPI set."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table as RichTable

from clearwater.cli_common import EngineOpt, ForceOpt, ThresholdsOpt, XlsxOpt
from clearwater.errors import ClearwaterError
from clearwater.outputs import OutputFile, write_csv
from clearwater.outputs.console import literal, text
from clearwater.outputs.tables import csv_text, sort_rows
from clearwater.stats.small_numbers import TOO_FEW, flag_small_numbers, is_small

FORMATS = ("table", "csv", "json", "parquet")
DataArg = Annotated[Path, typer.Argument(help="Folder with one CSV or Parquet file per table.")]


def _load(data: Path, engine_name: str, thresholds: Path | None, err: Console):
    from clearwater.dataset.load import load_dataset, print_accounting
    from clearwater.engine import connect
    from clearwater.instruments import load_instruments

    instruments = load_instruments(thresholds)
    engine = connect(engine_name)
    clean = load_dataset(data, engine=engine, instruments=instruments, progress=True)
    print_accounting(clean, err)
    return clean, instruments


def _derive(clean, instruments, err: Console):
    from clearwater.engine.pathways import derive_pathways

    with err.status("Deriving pathways (one row per referral)"):
        return derive_pathways(clean, instruments)


def write_table(frame: pd.DataFrame, path: Path | OutputFile) -> None:
    """Write CSV (formula cells neutralised) or Parquet (exact) by the file's extension."""
    target = path if isinstance(path, OutputFile) else OutputFile(path, force=True)
    suffix = target.path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ClearwaterError(f"--out {target.path}: use a .csv or .parquet file name")
    if suffix == ".csv":
        target.write_text(csv_text(frame))
    else:
        import io

        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        target.write_bytes(buf.getvalue())


KPI_KEY = ("period", "period_start")


def machine_kpis(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """KPIs for files: sorted by period, group and measure, with the ``small_number`` flag
    (True for a rate or mean on fewer than 10 people; the value itself is kept)."""
    from clearwater.measures.definitions import MEASURES

    units = frame["measure"].map(lambda m: MEASURES[m].unit if m in MEASURES else "")
    out = flag_small_numbers(frame, "denominator", applies=units != "count")
    return sort_rows(out, [*KPI_KEY, *by, "measure"])


def data_window(pathways) -> tuple[dt.date, dt.date]:
    """First and last date any cohort can use (referral to latest discharge or treatment)."""
    agg = pathways.aggregate(
        first=pathways.referral_date.min(),
        last_ref=pathways.referral_date.max(),
        last_dis=pathways.discharge_date.max(),
        last_tr=pathways.last_treatment_date.max(),
    ).execute()
    row = agg.iloc[0]
    if pd.isna(row["first"]):
        raise ClearwaterError("the data hold no referrals")
    lasts = [
        pd.Timestamp(row[c]).date() for c in ("last_ref", "last_dis", "last_tr") if pd.notna(row[c])
    ]
    return pd.Timestamp(row["first"]).date(), max(lasts)


def _json_default(value):
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    return str(value)


def kpi_records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.astype(object).where(frame.notna(), None).to_dict(orient="records"):
        out.append(rec)
    return out


def print_kpis(frame: pd.DataFrame, console: Console, by: list[str]) -> None:
    from clearwater.measures.definitions import MEASURES

    table = RichTable(title="KPIs")
    for name in ("period", *by, "measure"):
        table.add_column(name)
    for name in ("numerator", "denominator", "value"):
        table.add_column(name, justify="right")
    for r in frame.to_dict(orient="records"):
        unit = MEASURES[r["measure"]].unit
        v = r["value"]
        if pd.isna(v):
            shown = "-"
        elif unit != "count" and is_small(r["denominator"]):
            shown = TOO_FEW
        elif unit == "%":
            shown = f"{v:.1f}%"
        elif unit == "count":
            shown = f"{int(v):,}"
        else:
            shown = f"{v:,.2f}"
        cells = [str(r["period"]), *("-" if pd.isna(r[b]) else str(r[b]) for b in by)]
        cells.append(MEASURES[r["measure"]].title)
        cells += ["-" if pd.isna(r[c]) else f"{int(r[c]):,}" for c in ("numerator", "denominator")]
        cells.append(shown)
        table.add_row(*(text(c) for c in cells))
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("pathways")
    def pathways_cmd(
        data: DataArg,
        out: Annotated[Path, typer.Option("--out", help="Output file: .csv or .parquet.")],
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        force: ForceOpt = False,
    ) -> None:
        """Write one row per referral with the NHS-derived fields (dates, counts, flags)."""
        err = Console(stderr=True)
        if out.suffix.lower() not in (".csv", ".parquet"):
            raise ClearwaterError(f"--out {out}: use a .csv or .parquet file name")
        target = OutputFile(out, inputs=[data], force=force)
        clean, instruments = _load(data, engine, thresholds, err)
        pw = _derive(clean, instruments, err)
        frame = sort_rows(clean.engine.to_pyarrow(pw).to_pandas(), ["pathway_id"])
        write_table(frame, target)
        err.print(f"wrote {len(frame):,} referrals to {literal(out)}", highlight=False)

    @app.command("kpis")
    def kpis_cmd(
        data: DataArg,
        period: Annotated[
            str,
            typer.Option(
                "--period",
                help="month | quarter | fy | all | YYYY-MM | YYYY-YY | YYYY-MM-DD..YYYY-MM-DD",
            ),
        ] = "fy",
        by: Annotated[
            list[str] | None,
            typer.Option(
                "--by",
                help="Break down by provider, team, therapist, imd_decile, ethnic_group, "
                "age_band, gender or problem_descriptor (repeatable).",
            ),
        ] = None,
        fmt: Annotated[
            str, typer.Option("--format", help="table | csv | json | parquet")
        ] = "table",
        out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
        measure: Annotated[
            list[str] | None, typer.Option("--measure", help="Only these measure ids (repeatable).")
        ] = None,
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        xlsx: XlsxOpt = False,
        force: ForceOpt = False,
    ) -> None:
        """The official KPI set for each period, optionally broken down.

        Rates and means on fewer than 10 people say "too few to say" in the table; files keep
        the value and mark it in a ``small_number`` column.
        """
        from clearwater.measures.compute import compute_kpis, resolve_by
        from clearwater.measures.periods import periods_for

        if fmt not in FORMATS:
            raise ClearwaterError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
        if fmt == "parquet" and out is None:
            raise ClearwaterError("--format parquet needs --out FILE")
        from clearwater.engine.pathways import PATHWAY_COLUMNS

        by_cols = resolve_by(by or [], PATHWAY_COLUMNS)  # fail before any loading
        periods_for(period, dt.date(2000, 4, 1), dt.date(2000, 4, 1))  # spec check only
        if measure:
            from clearwater import catalogue

            catalogue.check_choice(
                "--measure",
                measure,
                [mid for mid, _ in catalogue.measures()],
                listing="clearwater list measures",
            )
        target = OutputFile(out, inputs=[data], force=force) if out else None
        err = Console(stderr=True)
        clean, instruments = _load(data, engine, thresholds, err)
        pw = _derive(clean, instruments, err)
        first, last = data_window(pw)
        periods = periods_for(period, first, last)
        with err.status(f"Computing KPIs for {len(periods)} period(s)"):
            frame = compute_kpis(
                pw, periods=periods, by=by_cols, measures=measure or None, instruments=instruments
            )
        if fmt == "table":
            if target:
                import io

                buf = io.StringIO()
                print_kpis(frame, Console(file=buf, width=160), by_cols)
                target.write_text(buf.getvalue())
            else:
                print_kpis(frame, Console(), by_cols)
        else:
            frame = machine_kpis(frame, by_cols)
        if fmt == "csv":
            if target:
                target.write_text(csv_text(frame))
            else:
                write_csv(frame, sys.stdout)
        elif fmt == "json":
            doc = json.dumps(kpi_records(frame), default=_json_default, indent=1)
            if target:
                target.write_text(doc + "\n")
            else:
                typer.echo(doc)
        elif fmt == "parquet":
            import io

            assert target is not None
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            target.write_bytes(buf.getvalue())
        if out:
            err.print(f"wrote {len(frame):,} rows to {literal(out)}", highlight=False)
        if xlsx:
            from clearwater.report.workbook import write_workbook

            book = out.with_suffix(".xlsx") if out else Path("kpis.xlsx")
            if out is not None and book == out:
                book = out.with_name(out.stem + "-kpis.xlsx")
            OutputFile(book, inputs=[data], force=force)
            write_workbook(book, [("KPIs", frame)], title="Clearwater KPIs")
            err.print(f"wrote {literal(book)}", highlight=False)
