"""``clearwater audit``: the integrity audit from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from clearwater.cli_common import EngineOpt, ForceOpt, ThresholdsOpt, XlsxOpt
from clearwater.outputs import RunFolder


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit(
        data: Annotated[Path, typer.Argument(help="Folder of data set files (CSV or Parquet).")],
        out: Annotated[Path, typer.Option("--out", help="Folder for findings.json/.parquet.")],
        level: Annotated[
            str, typer.Option("--level", help="therapist, team or provider.")
        ] = "therapist",
        fdr: Annotated[float, typer.Option("--fdr", help="False-discovery rate.")] = 0.05,
        fdr_method: Annotated[
            str,
            typer.Option(
                "--fdr-method",
                help="dbh (discrete Benjamini-Hochberg, default), bh or by (any dependence).",
            ),
        ] = "dbh",
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        xlsx: XlsxOpt = False,
        force: ForceOpt = False,
    ) -> None:
        """Check performance data for known gaming patterns, with controlled false alarms."""
        from rich.progress import Progress

        from clearwater.dataset.load import load_dataset
        from clearwater.engine import connect
        from clearwater.instruments import load_instruments
        from clearwater.integrity import run_audit
        from clearwater.integrity.report import report_sections

        RunFolder(out, force=force, inputs=[data])  # refuse a bad --out before the work
        ins = load_instruments(thresholds)
        eng = connect(engine)
        clean = load_dataset(data, eng, ins, progress=True)
        with Progress(transient=True) as prog:
            task = prog.add_task("integrity checks", total=9)

            def step(name: str) -> None:
                prog.update(task, advance=1, description=f"check: {name}")

            res = run_audit(
                clean, level=level, fdr=fdr, fdr_method=fdr_method, instruments=ins, progress=step
            )
        with RunFolder(out, force=force, inputs=[data]) as folder:
            _write_audit(res, folder.path, report_sections, data)
            if xlsx:
                from clearwater.report.workbook import write_workbook

                write_workbook(
                    folder.path / "integrity.xlsx",
                    [("findings", res.findings), ("units", res.units)],
                    title="Integrity audit",
                )
            folder.commit({"command": "audit"})
        typer.echo(f"{int(res.findings['flagged'].sum())} finding(s) flagged; written to {out}")


def _write_audit(res, out: Path, report_sections, data: Path) -> None:  # noqa: ANN001
    """findings.parquet and findings.json (exact), integrity.html and its detail pages."""
    from clearwater.report.render import write_report_pages

    res.findings.to_parquet(out / "findings.parquet", index=False)
    payload = {
        "level": res.level,
        "fdr": res.fdr,
        "fdr_method": res.fdr_method,
        "findings": json.loads(res.findings.to_json(orient="records")),
        "units": json.loads(res.units.to_json(orient="records")),
    }
    (out / "findings.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")
    write_report_pages(
        out,
        report_sections(res),
        title="Integrity audit",
        name="integrity.html",
        meta=[("Data", str(data))],
    )
