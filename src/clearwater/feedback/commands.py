"""``clearwater feedback`` (not-on-track alerts) and ``clearwater caseload`` (supervision list)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearwater.cli_common import EngineOpt, ForceOpt, ThresholdsOpt, XlsxOpt
from clearwater.errors import ClearwaterError
from clearwater.outputs import OutputFile, RunFolder
from clearwater.outputs.console import literal, text
from clearwater.outputs.tables import csv_text


def _load(data: Path, engine: str, thresholds: Path | None):
    from clearwater.dataset.load import load_dataset
    from clearwater.engine import connect
    from clearwater.engine.pathways import derive_pathways
    from clearwater.instruments import load_instruments

    instruments = load_instruments(thresholds)
    clean = load_dataset(data, connect(engine), instruments, progress=True)
    return clean, derive_pathways(clean, instruments)


WIDE = 120  # terminal columns from which the caseload prints as one table


def print_caseload(review, therapist: str, console: Console) -> None:  # noqa: ANN001
    """The caseload in people's words: a table on a wide terminal, else one short block per
    referral that fits 80 columns (nothing is cut off)."""
    from clearwater.feedback.report import caseload_display
    from clearwater.outputs.console import literal, text

    show = caseload_display(review)
    title = f"Caseload review: {therapist} ({len(review)} open referrals, risk first)"
    if console.width >= WIDE:
        t = Table(title=title)
        for c in show.columns:
            t.add_column(c, overflow="fold")
        for r in show.itertuples(index=False):
            t.add_row(*[text("" if v is None or v != v else v) for v in r])
        console.print(t)
        return
    console.print(f"[bold]{literal(title)}[/]", highlight=False)
    for r in show.to_dict("records"):
        r = {k: literal("" if v is None else v) if isinstance(v, str) else v for k, v in r.items()}
        flags = r["Flags"]
        head = f"[bold]{r['Referral']}[/]  {r['Main problem']}"
        console.print(head + (f"  [bold red]{flags}[/]" if flags else ""), highlight=False)
        console.print(
            f"  Depression {r['Depression (PHQ-9): start → now'] or 'no scores'}; "
            f"anxiety {r['Anxiety (GAD-7): start → now'] or 'no scores'}",
            highlight=False,
        )
        days = r["Days since last contact"]
        seen = "" if days is None or days != days else f"; last contact {days} days ago"
        console.print(
            f"  {r['Sessions']} sessions, {r['Weeks']} weeks in treatment{seen}",
            highlight=False,
        )
        if r["What may make it harder"]:  # already literal
            console.print(f"  May make it harder: {r['What may make it harder']}", highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("feedback")
    def feedback(
        data: Annotated[
            Path, typer.Argument(help="Folder with one CSV or Parquet file per table.")
        ],
        out: Annotated[Path, typer.Option("--out", help="Output folder.")],
        percentile: Annotated[
            int, typer.Option("--percentile", help="Upper band: 75 (default) or 90.")
        ] = 75,
        reference: Annotated[
            Path | None,
            typer.Option("--reference", help="Use saved expected bands instead of fitting."),
        ] = None,
        save_reference: Annotated[
            Path | None, typer.Option("--save-reference", help="Save the fitted bands here.")
        ] = None,
        min_n: Annotated[
            int, typer.Option("--min-n", help="Fewest finished courses behind a band.")
        ] = 30,
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        xlsx: XlsxOpt = False,
        force: ForceOpt = False,
    ) -> None:
        """Not-on-track alerts for open referrals (risk first), validation and client charts."""
        from clearwater.feedback.etr import ETRModel
        from clearwater.feedback.report import run_feedback, write_outputs

        if percentile not in (75, 90):
            raise ClearwaterError("--percentile must be 75 or 90")
        console = Console()
        folder = RunFolder(out, force=force, inputs=[data])
        saved = OutputFile(save_reference, inputs=[data], force=force) if save_reference else None
        clean, pathways = _load(data, engine, thresholds)
        ref = ETRModel.load(reference) if reference else None
        with console.status("expected treatment response, alerts and validation..."):
            result = run_feedback(
                clean, pathways, upper_percentile=percentile / 100, reference=ref, min_n=min_n
            )
        if saved:
            result.model.save(saved.path)
            console.print(f"saved expected bands to {literal(saved.path)}", highlight=False)
        with console.status("writing alerts and charts..."), folder:
            paths = write_outputs(result, folder.path)
            from clearwater.feedback.report import report_sections
            from clearwater.report.render import write_report_pages

            page, pages = write_report_pages(
                folder.path,
                report_sections(result),
                title="Not-on-track feedback and caseload review",
                name="feedback.html",
                meta=[("Data", str(data))],
            )
            paths = [*paths, page, *pages]
            if xlsx:
                from clearwater.report.workbook import csv_workbook

                paths.append(
                    csv_workbook(
                        folder.path / "feedback.xlsx", paths, title="Not-on-track feedback"
                    )
                )
            folder.commit({"command": "feedback"})
        a = result.alerts.frame
        flagged = result.alerts.not_on_track
        console.print(
            f"{flagged['pathway_id'].nunique()} of {a['pathway_id'].nunique()} open referrals "
            f"not on track or with a risk flag "
            f"({a.loc[a['risk_flag'] == True, 'pathway_id'].nunique()} risk).",  # noqa: E712
            highlight=False,
        )
        t = Table(title="Validation: not on track at session s vs no reliable improvement")
        for c in ("measure", "session", "n", "sensitivity", "specificity", "auc"):
            t.add_column(c)
        for r in result.validation.frame.itertuples(index=False):
            t.add_row(
                text(r.measure),
                str(r.session),
                str(r.n),
                f"{r.sensitivity:.2f}",
                f"{r.specificity:.2f}",
                f"{r.auc:.2f}",
            )
        console.print(t)
        console.print(f"wrote {len(paths)} files to {literal(out)}", highlight=False)

    @app.command("caseload")
    def caseload(
        data: Annotated[
            Path, typer.Argument(help="Folder with one CSV or Parquet file per table.")
        ],
        therapist: Annotated[str, typer.Option("--therapist", help="Clinician identifier.")],
        out: Annotated[
            Path | None, typer.Option("--out", help="Also write the list to this CSV file.")
        ] = None,
        engine: EngineOpt = "duckdb",
        thresholds: ThresholdsOpt = None,
        force: ForceOpt = False,
    ) -> None:
        """The supervisor's caseload review for one clinician (risk first)."""
        from clearwater import catalogue
        from clearwater.feedback.alerts import compute_alerts
        from clearwater.feedback.caseload import caseload_review
        from clearwater.feedback.etr import fit_etr

        catalogue.check_choice(
            "--therapist",
            [therapist],
            catalogue.clinicians(data),
            listing=f"clearwater list therapists {data}",
        )
        console = Console()
        target = OutputFile(out, inputs=[data], force=force) if out else None
        clean, pathways = _load(data, engine, thresholds)
        with console.status("building the caseload review..."):
            model = fit_etr(clean, pathways)
            alerts = compute_alerts(clean, pathways, model)
            review = caseload_review(clean, pathways, alerts, therapist=therapist)
        if review.empty:
            raise ClearwaterError(f"no open referrals for clinician '{therapist}'")
        print_caseload(review, therapist, console)
        if target:
            target.write_text(csv_text(review))
            console.print(f"wrote {literal(out)}", highlight=False)
