"""CLI: ``clearwater public`` (published statistics) and ``clearwater benchmark`` (own data)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearwater.cli_common import EngineOpt, ForceOpt, ThresholdsOpt, XlsxOpt
from clearwater.errors import ClearwaterError
from clearwater.outputs import OutputFile, RunFolder
from clearwater.outputs.console import literal

console = Console()


def _adjusters(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip().lower() for p in text.split(",") if p.strip())
    return () if parts in ((), ("none",)) else parts


def public_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Published NHS Talking Therapies CSV file(s): annual or monthly."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for providers.csv and summary.json.")],
    adjust: Annotated[
        str,
        typer.Option(
            "--adjust",
            help="Mix to standardise on: imd (default), age, descriptor, comma-separated; or none.",
        ),
    ] = "imd",
    overdispersion: Annotated[
        str,
        typer.Option(
            "--overdispersion", help="additive (default, tau^2), multiplicative (phi) or none."
        ),
    ] = "additive",
    target: Annotated[
        float, typer.Option("--target", help="Recovery target as a proportion.")
    ] = 0.50,
    period: Annotated[
        str | None,
        typer.Option("--period", help="Label for an annual file (default: from its name)."),
    ] = None,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Also write report.html.")] = True,
    xlsx: XlsxOpt = False,
    force: ForceOpt = False,
) -> None:
    """Benchmark every provider in the published statistics, adjusted for deprivation mix."""
    from clearwater.benchmark.public import benchmark_public, read_public, write_outputs

    if overdispersion not in ("additive", "multiplicative", "none"):
        raise ClearwaterError("--overdispersion must be additive, multiplicative or none")
    if not 0 < target < 1:
        raise ClearwaterError("--target must be a proportion between 0 and 1, e.g. 0.5")
    if period is not None and len(files) > 1:
        raise ClearwaterError("--period applies to a single annual file")
    folder = RunFolder(out, force=force, inputs=files)
    with console.status("Reading published statistics..."):
        tables = [read_public(f, period=period) for f in files]
    with console.status("Standardising and computing funnel limits..."):
        result = benchmark_public(
            tables, adjust=_adjusters(adjust), od_method=overdispersion, target=target
        )
    with folder:
        paths = write_outputs(result, folder.path)
        if html:
            from clearwater.benchmark.report import write_public_html

            paths.append(write_public_html(result, folder.path / "report.html"))
        if xlsx:
            paths.append(
                _workbook(
                    folder.path / "public.xlsx", list(paths), "Published statistics benchmark"
                )
            )
        folder.commit({"command": "public"})
    paths = [out / p.relative_to(folder.path) for p in paths]
    for period_label, d in result.summary["delgadillo"].items():
        console.print(
            f"[bold]{period_label}[/]: {d['below_target_raw']} of "
            f"{d['providers_with_published_recovery']} providers are below the "
            f"{target:.0%} recovery target; {d['below_target_raw_but_within_or_above_expectation']}"
            " of them are within (or above) what their deprivation mix predicts; "
            f"{d['below_target_raw_and_below_expectation']} are below it.",
            highlight=False,
        )
    for p in paths:
        console.print(f"wrote {literal(p)}", highlight=False)


def benchmark_command(
    data: Annotated[Path, typer.Argument(help="Folder with the service's data set tables.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for benchmark.csv and charts.")],
    by: Annotated[
        str, typer.Option("--by", help="therapist, team or provider (comma-separated for several).")
    ] = "therapist",
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Apply a saved case-mix model (JSON) instead of fitting one."),
    ] = None,
    save_model: Annotated[
        Path | None, typer.Option("--save-model", help="Save the fitted case-mix model as JSON.")
    ] = None,
    overdispersion: Annotated[
        str, typer.Option("--overdispersion", help="additive (default), multiplicative or none.")
    ] = "additive",
    limits: Annotated[
        str,
        typer.Option(
            "--limits",
            help="binomial (default: proportions around each unit's expected rate) or poisson "
            "(standardised ratio O/E).",
        ),
    ] = "binomial",
    engine: EngineOpt = "duckdb",
    thresholds: ThresholdsOpt = None,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Also write report.html.")] = True,
    xlsx: XlsxOpt = False,
    force: ForceOpt = False,
) -> None:
    """Case-mix adjusted benchmarking, SPC and equity for a service's own data."""
    from clearwater.benchmark.record import UNIT_COLUMNS, run_benchmark
    from clearwater.benchmark.report import write_benchmark

    units = tuple(u.strip() for u in by.split(",") if u.strip())
    if not units or any(u not in UNIT_COLUMNS for u in units):
        raise ClearwaterError(f"--by must be one or more of {', '.join(UNIT_COLUMNS)}, got '{by}'")
    folder = RunFolder(out, force=force, inputs=[data])
    saved = OutputFile(save_model, inputs=[data], force=force) if save_model else None
    result = run_benchmark(
        data,
        by=units,
        model_path=model,
        engine_name=engine,
        thresholds=thresholds,
        od_method=overdispersion,
        limits=limits,
        progress=True,
    )
    with folder:
        paths = write_benchmark(result, folder.path, html=html)
        if xlsx:
            paths.append(_workbook(folder.path / "benchmark.xlsx", paths, "Fair benchmarking"))
        folder.commit({"command": "benchmark"})
    paths = [out / p.relative_to(folder.path) for p in paths]
    if saved is not None:
        paths.append(result.model.save(saved.path))
    console.print(literal(result.casemix_summary()), highlight=False)
    for p in paths:
        console.print(f"wrote {literal(p)}", highlight=False)


def _workbook(path: Path, paths: list[Path], title: str) -> Path:
    from clearwater.report.workbook import csv_workbook

    return csv_workbook(path, [Path(p) for p in paths], title=title)


def register(app: typer.Typer) -> None:
    app.command("public")(public_command)
    app.command("benchmark")(benchmark_command)
