"""``clearwater validate``: check a data folder and account for every row."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearwater.cli_common import ForceOpt, ThresholdsOpt


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
        force: ForceOpt = False,
    ) -> None:
        """Validate a data folder: row accounting, quarantined rows and data-quality findings."""
        from clearwater.dataset.load import load_dataset, print_accounting, write_accounts
        from clearwater.instruments import load_instruments
        from clearwater.outputs import RunFolder
        from clearwater.outputs.console import literal

        console = Console()
        folder = RunFolder(out, force=force, inputs=[data]) if out is not None else None
        instruments = load_instruments(thresholds)
        clean = load_dataset(data, instruments=instruments, progress=True)
        print_accounting(clean, console)
        if folder is not None and out is not None:
            with folder:
                written = write_accounts(clean, folder.path)
                folder.commit({"command": "validate"})
            for path in written:
                console.print(f"wrote {literal(out / path.name)}", highlight=False)
