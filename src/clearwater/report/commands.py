"""``clearwater demo`` and ``clearwater report``: the main job from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearwater.cli_common import EngineOpt, ForceOpt, ThresholdsOpt, XlsxOpt


def _summary(run) -> None:  # noqa: ANN001 - pipeline.ReportRun
    from rich.console import Console

    from clearwater.outputs.console import literal

    err = Console(stderr=True, highlight=False)
    if run.referrals_in_period is not None and run.referrals_in_period != run.referrals:
        err.print(
            f"{run.referrals_in_period:,} referrals received in {run.headline_period} "
            f"({run.referrals:,} in the data, including earlier referrals still open in it)."
        )
    err.print(
        f"{run.referrals:,} referrals; rows read {run.rows_read:,} = accepted "
        f"{run.rows_accepted:,} + quarantined {run.rows_quarantined:,}; "
        f"took {run.seconds:.0f} s."
    )
    for a in run.areas:
        if a.status != "done":
            err.print(f"[yellow]•[/] {a.title}: {literal(a.message)}")
    err.print(f"Machine-readable outputs are beside the report in {literal(run.out_dir)}.")
    err.print("Open the report in any web browser:")
    typer.echo(str(run.report_path.resolve()))
    if run.failed:
        err.print(
            f"[bold red]error:[/] {len(run.failed)} analysis area(s) failed with an unexpected "
            f"error; details in {literal(run.out_dir / 'errors.log')}"
        )
        raise typer.Exit(1)


LIST_WHAT = ("therapists", "teams", "measures")


def register(app: typer.Typer) -> None:
    @app.command("list")
    def list_cmd(
        what: Annotated[str, typer.Argument(help="therapists, teams or measures.")],
        data: Annotated[
            Path | None,
            typer.Argument(help="Data folder (not needed for measures)."),
        ] = None,
    ) -> None:
        """List the clinicians or teams in a data folder, or every measure id (one a line)."""
        from clearwater import catalogue
        from clearwater.errors import ConfigError

        if what not in LIST_WHAT:
            raise ConfigError(f"list: {what!r} is not one of {', '.join(LIST_WHAT)}")
        if what == "measures":
            for mid, title in catalogue.measures():
                typer.echo(f"{mid}\t{title}")
            return
        if data is None:
            raise ConfigError(
                f"list {what}: give the data folder, e.g. clearwater list {what} DATA"
            )
        values = catalogue.clinicians(data) if what == "therapists" else catalogue.teams(data)
        if not values:
            raise ConfigError(f"list {what}: no {what} found in {data}")
        for v in values:
            typer.echo(v)

    @app.command("demo")
    def demo(
        out: Annotated[
            Path,
            typer.Option("--out", help="Folder for the demo data, report and outputs."),
        ] = Path("clearwater-output") / "demo",
        referrals: Annotated[
            int, typer.Option("--referrals", min=1, help="How many referrals to synthesise.")
        ] = 20000,
        seed: Annotated[
            int, typer.Option("--seed", help="Random seed (same seed, same data).")
        ] = 0,
        engine: EngineOpt = "duckdb",
        xlsx: XlsxOpt = False,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress output.")] = False,
        force: ForceOpt = False,
    ) -> None:
        """Synthesise a demo provider, compute everything and write one offline HTML report."""
        from clearwater.pipeline import run_demo

        run = run_demo(
            out,
            referrals=referrals,
            seed=seed,
            engine=engine,
            progress=not quiet,
            xlsx=xlsx,
            force=force,
        )
        _summary(run)

    @app.command("report")
    def report(
        data: Annotated[
            Path, typer.Argument(help="Folder holding the data set files (CSV or Parquet).")
        ],
        out: Annotated[
            Path, typer.Option("--out", help="Folder for the report and outputs.")
        ] = Path("clearwater-output") / "report",
        period: Annotated[
            str | None,
            typer.Option(
                "--period",
                help="Headline period: 'all' (default), 'fy' (latest financial year), '2023-24', "
                "'2024-03', or 'YYYY-MM-DD..YYYY-MM-DD'. Trends always cover the whole data.",
            ),
        ] = None,
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
        xlsx: XlsxOpt = False,
        config: Annotated[
            Path | None,
            typer.Option(
                "--config",
                help="Settings file (default: clearwater.toml in the data folder or beside it).",
            ),
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help="No progress output.")] = False,
        force: ForceOpt = False,
    ) -> None:
        """Compute everything for a real data folder and write one offline HTML report."""
        from clearwater.pipeline import run_report

        run = run_report(
            data,
            out,
            engine=engine,
            period=period,
            thresholds=thresholds,
            title=title,
            progress=not quiet,
            xlsx=xlsx,
            config=config,
            force=force,
        )
        _summary(run)
