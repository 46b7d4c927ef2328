"""``clearwater synth``: write a calibrated synthetic service to a folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from clearwater.cli_common import ForceOpt
from clearwater.errors import ConfigError

_STEPS = (
    "staff",
    "people",
    "pathways",
    "re-referrals (1)",
    "re-referrals (2)",
    "window",
    "staff tables",
)


def truth_folder(data_dir: Path) -> Path:
    """Where the synthetic truth goes: a folder beside the data folder (``<name>-truth``), so
    the data folder holds only data set tables and reads without notes."""
    data_dir = Path(data_dir)
    return data_dir.parent / f"{data_dir.name or 'data'}-truth"


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the tables to.")],
        referrals: Annotated[
            int, typer.Option("--referrals", help="Referrals received in the window.")
        ] = 20000,
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed (same seed, same data).")
        ] = 0,
        fmt: Annotated[str, typer.Option("--format", help="parquet (default) or csv.")] = "parquet",
        hard_units: Annotated[
            bool,
            typer.Option(
                "--hard-units",
                help="Add honest but hard clinicians (see clinicians.csv beside the data).",
            ),
        ] = False,
        inject: Annotated[
            Path | None,
            typer.Option(
                "--inject", help="Gaming-injection spec (writes ground_truth.csv beside the data)."
            ),
        ] = None,
        start: Annotated[
            str, typer.Option("--start", help="First day of the window (YYYY-MM-DD).")
        ] = "2023-04-01",
        months: Annotated[int, typer.Option("--months", help="Length of the window.")] = 12,
        provider: Annotated[str, typer.Option("--provider", help="OrgIDProv.")] = "RCW",
        force: ForceOpt = False,
    ) -> None:
        """Write a calibrated synthetic NHS Talking Therapies provider (data set tables)."""
        from clearwater.outputs import RunFolder, write_csv
        from clearwater.synth.generator import SynthConfig, synthesise, write_tables

        if fmt not in ("parquet", "csv"):
            raise ConfigError(f"synth: --format must be parquet or csv, not {fmt!r}")
        try:
            start_date = date.fromisoformat(start)
        except ValueError as exc:
            raise ConfigError(f"synth: --start {start!r} is not a date (YYYY-MM-DD)") from exc
        if inject is not None and not inject.exists():
            raise ConfigError(f"synth: injection spec not found: {inject}")
        folder = RunFolder(
            out,
            force=force,
            inputs=[inject] if inject else [],
            manifest=".clearwater-manifest.json",  # the folder is read as data: tables only
        )
        cfg = SynthConfig(
            referrals=referrals,
            seed=seed,
            start=start_date,
            months=months,
            provider_id=provider,
            hard_units=hard_units,
        )
        console = Console(stderr=True)
        with Progress(
            TextColumn("[bold]synth[/] {task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=referrals < 50_000,
        ) as progress:
            task = progress.add_task("starting", total=len(_STEPS) + 2)

            def on_step(msg: str) -> None:
                progress.update(task, description=msg, advance=1)

            result = synthesise(cfg, on_step=on_step)
            tables, clinicians = result.tables, result.clinicians
            truth = None
            if inject is not None:
                progress.update(task, description="injecting")
                from clearwater.synth.gaming import apply_injections

                tables, truth = apply_injections(tables, clinicians, inject, seed)
            progress.update(task, description="writing")
            truth_dir = truth_folder(out)
            with folder, RunFolder(truth_dir, force=force) as truth_run:
                paths = write_tables(tables, folder.path, fmt)
                write_csv(clinicians, truth_run.path / "clinicians.csv")
                if truth is not None:
                    write_csv(truth, truth_run.path / "ground_truth.csv")
                truth_run.commit({"command": "synth", "truth_of": out.name})
                folder.commit({"command": "synth"})
            progress.update(task, advance=1)
        n_ref = len(tables["IDS101Referral"])
        typer.echo(
            f"wrote {len(paths)} tables to {out} ({n_ref:,} referrals in the extract, "
            f"{referrals:,} received in the window {result.window[0]}..{result.window[1]}); "
            f"what the generator made up (clinicians.csv"
            + (", ground_truth.csv" if truth is not None else "")
            + f") is in {truth_dir}, beside the data"
        )
