"""``clearwater serve``, ``clearwater trail verify`` and ``clearwater export``: the service
app's commands.  Django is imported only when one of them runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (postgres://...) or SQLite file; default $DATABASE_URL, "
        "else clearwater-service.sqlite3 here.",
    ),
]


def register(app: typer.Typer) -> None:
    trail = typer.Typer(help="The tamper-evident audit trail of the service app.")
    app.add_typer(trail, name="trail")

    @trail.command("verify")
    def trail_verify(database: DatabaseOpt = None) -> None:
        """Check the hash chain, its anchors and every clinical row against the trail.

        Exit 0 when intact; exit 1 naming the first broken entry (row, what changed, when).
        """
        from clearwater.web.boot import boot

        boot(database)
        from clearwater.web.trail.verify import verify

        report = verify()
        if report.intact:
            typer.echo(
                f"trail intact: {report.entries} entries, {report.anchors} anchors, "
                f"{report.rows_checked} clinical rows match their last trail entry"
            )
            return
        typer.echo(f"trail BROKEN at {report.problem}", err=True)
        raise typer.Exit(1)

    @app.command("export")
    def export(
        out: Annotated[Path, typer.Option("--out", help="Folder to write the tables to.")],
        database: DatabaseOpt = None,
        deidentified: Annotated[
            bool,
            typer.Option(
                "--deidentified",
                help="Pseudonymise identifiers and coarsen dates of birth (for analysts).",
            ),
        ] = False,
    ) -> None:
        """Write the service's records as a data-contract folder (CSV, with CW_ columns
        and CWStaff), ready for every other clearwater command."""
        from clearwater.web.boot import boot

        boot(database)
        from clearwater.web.records.export import export_folder
        from clearwater.web.trail.chain import acting_as

        with acting_as("command:export"):
            paths = export_folder(out, deidentified=deidentified)
        for p in paths:
            typer.echo(f"wrote {p}")

    @app.command("serve")
    def serve(
        demo: Annotated[
            bool,
            typer.Option(
                "--demo",
                help="Build a synthetic service and demo users (password from "
                "CLEARWATER_DEMO_PASSWORD).",
            ),
        ] = False,
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
        database: DatabaseOpt = None,
        workers: Annotated[int, typer.Option("--workers", help="gunicorn workers.")] = 2,
    ) -> None:
        """Migrate the database and serve the app (gunicorn)."""
        from clearwater.web.serve import run

        run(demo=demo, host=host, port=port, database=database, workers=workers)
