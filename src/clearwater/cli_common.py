"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EngineOpt = Annotated[
    str,
    typer.Option("--engine", help="Where row-level work runs: duckdb (default) or pyspark."),
]
ThresholdsOpt = Annotated[
    Path | None,
    typer.Option(
        "--thresholds",
        help="A TOML file overriding the shipped instrument thresholds.",
        exists=False,
    ),
]
XlsxOpt = Annotated[
    bool,
    typer.Option(
        "--xlsx",
        help="Also write an Excel workbook: one formatted sheet per table, frozen headers, "
        "definitions as a sheet.",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write even where Clearwater would refuse: into a non-empty folder it did not make "
        "(adding its files, touching nothing else) or over an existing output file.",
    ),
]
