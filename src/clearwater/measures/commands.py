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

from clearwater.cli_common import EngineOpt, ThresholdsOpt, XlsxOpt
from clearwater.errors import ClearwaterError

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


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write CSV or Parquet by the file's extension."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ClearwaterError(f"--out {path}: use a .csv or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


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
        table.add_row(*cells)
    console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("pathways")
    def pathways_cmd(
        data: DataArg,
        out: Annotated[Path, typer.Option("--out", help="Output file: .csv or .parquet.")],
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
    ) -> None:
        """Write one row per referral with the NHS-derived fields (dates, counts, flags)."""
        err = Console(stderr=True)
        if out.suffix.lower() not in (".csv", ".parquet"):
            raise ClearwaterError(f"--out {out}: use a .csv or .parquet file name")
        clean, instruments = _load(data, engine, thresholds, err)
        pw = _derive(clean, instruments, err)
        frame = clean.engine.to_pyarrow(pw).to_pandas()
        write_table(frame, out)
        err.print(f"wrote {len(frame):,} referrals to {out}", highlight=False)

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
    ) -> None:
        """The official KPI set for each period, optionally broken down."""
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
            console = Console(file=out.open("w", encoding="utf-8")) if out else Console()
            print_kpis(frame, console, by_cols)
        elif fmt == "csv":
            if out:
                frame.to_csv(out, index=False)
            else:
                frame.to_csv(sys.stdout, index=False)
        elif fmt == "json":
            text = json.dumps(kpi_records(frame), default=_json_default, indent=1)
            if out:
                out.write_text(text + "\n", encoding="utf-8")
            else:
                typer.echo(text)
        else:
            assert out is not None
            frame.to_parquet(out, index=False)
        if out:
            err.print(f"wrote {len(frame):,} rows to {out}", highlight=False)
        if xlsx:
            from clearwater.report.workbook import write_workbook

            book = out.with_suffix(".xlsx") if out else Path("kpis.xlsx")
            if out is not None and book == out:
                book = out.with_name(out.stem + "-kpis.xlsx")
            write_workbook(book, [("KPIs", frame)], title="Clearwater KPIs")
            err.print(f"wrote {book}", highlight=False)
