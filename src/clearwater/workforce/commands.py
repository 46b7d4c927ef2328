"""``clearwater wellbeing`` (anonymous survey) and ``clearwater workload`` (team workload)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearwater.cli_common import EngineOpt, ForceOpt, ThresholdsOpt, XlsxOpt
from clearwater.outputs import RunFolder, write_csv
from clearwater.outputs.console import literal


def register(app: typer.Typer) -> None:
    @app.command("wellbeing")
    def wellbeing(
        file: Annotated[Path, typer.Argument(help="A CWWellbeingResponses CSV or Parquet file.")],
        out: Annotated[Path, typer.Option("--out", help="Output folder.")],
        min_group: Annotated[
            int,
            typer.Option(
                "--min-group",
                help="Fewest responses behind any figure (at least 10; the blocks of a survey "
                "round are always formed with 10, a larger value only withholds smaller blocks).",
            ),
        ] = 10,
        free_text_min: Annotated[
            int, typer.Option("--free-text-min", help="Fewest responses before free text shows.")
        ] = 30,
        force: ForceOpt = False,
    ) -> None:
        """Score the anonymous staff survey and write only what may safely be shown."""
        from clearwater.workforce.disclosure import DisclosurePolicy
        from clearwater.workforce.report import wellbeing_frames
        from clearwater.workforce.wellbeing import read_wellbeing, release_wellbeing

        console = Console()
        policy = DisclosurePolicy(min_group=min_group, free_text_min=max(free_text_min, min_group))
        data = read_wellbeing(file)
        release = release_wellbeing(data, policy)
        frames = wellbeing_frames(release)
        frames["accounting.csv"] = data.accounting
        frames["quarantine.csv"] = data.quarantine
        with RunFolder(out, force=force, inputs=[file]) as folder:
            for name, frame in frames.items():
                write_csv(frame, folder.path / name)
            folder.commit({"command": "wellbeing"})
        acc = data.accounting.iloc[0]
        console.print(
            f"read {acc['read']} responses: {acc['accepted']} accepted, "
            f"{acc['quarantined']} quarantined; {len(release.blocks)} groups of at least "
            f"{policy.min_group} can be shown. Wrote {len(frames)} files to {literal(out)}",
            highlight=False,
        )

    @app.command("workload")
    def workload(
        data: Annotated[
            Path, typer.Argument(help="Folder with one CSV or Parquet file per table.")
        ],
        out: Annotated[Path, typer.Option("--out", help="Output folder.")],
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        xlsx: XlsxOpt = False,
        force: ForceOpt = False,
    ) -> None:
        """Weekly workload and supervision by clinician and team, with SPC."""
        from clearwater.dataset.load import load_dataset
        from clearwater.engine import connect
        from clearwater.engine.pathways import derive_pathways
        from clearwater.instruments import load_instruments
        from clearwater.workforce.report import run_workforce, write_outputs

        console = Console()
        instruments = load_instruments(thresholds)
        clean = load_dataset(data, connect(engine), instruments, progress=True)
        with console.status("weekly workload..."):
            result = run_workforce(clean, derive_pathways(clean, instruments))
        from clearwater.report.render import write_report_pages
        from clearwater.workforce.report import report_sections

        with RunFolder(out, force=force, inputs=[data]) as folder:
            paths = list(write_outputs(result, folder.path))
            page, pages = write_report_pages(
                folder.path,
                report_sections(result),
                title="Workforce: workload and supervision",
                name="workload.html",
                meta=[("Data", str(data))],
            )
            paths += [page, *pages]
            if xlsx:
                from clearwater.report.workbook import csv_workbook

                paths.append(csv_workbook(folder.path / "workload.xlsx", paths, title="Workload"))
            folder.commit({"command": "workload"})
        console.print(f"wrote {len(paths)} files to {literal(out)}", highlight=False)
