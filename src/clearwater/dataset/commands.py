"""``clearwater validate``: check a data folder and account for every row."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearwater.cli_common import ThresholdsOpt


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        data: Annotated[
            Path, typer.Argument(help="Folder with one CSV or Parquet file per table.")
        ],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Write accounting.csv, quarantine.csv, findings.csv here."),
        ] = None,
        thresholds: ThresholdsOpt = None,
    ) -> None:
        """Validate a data folder: row accounting, quarantined rows and data-quality findings."""
        from clearwater.dataset.load import load_dataset, print_accounting, write_accounts
        from clearwater.instruments import load_instruments

        console = Console()
        instruments = load_instruments(thresholds)
        clean = load_dataset(data, instruments=instruments, progress=True)
        print_accounting(clean, console)
        if out is not None:
            for path in write_accounts(clean, out):
                console.print(f"wrote {path}", highlight=False)
