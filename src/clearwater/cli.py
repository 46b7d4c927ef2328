"""The ``clearwater`` command line.

Each area owns its commands in ``<area>/commands.py`` with a ``register(app)`` function;
this module only assembles them and turns :class:`ClearwaterError` into a clear message
and a non-zero exit code (no traceback).

Imports are lazy: ``clearwater --help`` and ``clearwater version`` import no command module,
and ``clearwater <command>`` imports only the module that owns the command (and what that
command uses).  :data:`COMMANDS` lists each command's module and one-line help so that the
top-level help needs none of them; a test checks it against the modules themselves.
"""

from __future__ import annotations

import importlib
import sys

import typer

from clearwater.errors import ClearwaterError

COMMAND_MODULES: tuple[str, ...] = (
    "clearwater.dataset.commands",
    "clearwater.report.commands",
    "clearwater.benchmark.commands",
    "clearwater.synth.commands",
    "clearwater.measures.commands",
    "clearwater.integrity.commands",
    "clearwater.feedback.commands",
    "clearwater.workforce.commands",
    "clearwater.web.commands",
)

app = typer.Typer(
    name="clearwater",
    help="Honest measurement, integrity audit and fair benchmarking for talking-therapy services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# command -> (module that registers it, one-line help as the module's docstring gives it)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "clearwater.dataset.commands",
        "Validate a data folder: row accounting, quarantined rows and data-quality findings.",
    ),
    "demo": (
        "clearwater.report.commands",
        "Synthesise a demo provider, compute everything and write one offline HTML report.",
    ),
    "report": (
        "clearwater.report.commands",
        "Compute everything for a real data folder and write one offline HTML report.",
    ),
    "list": (
        "clearwater.report.commands",
        "List the clinicians or teams in a data folder, or every measure id (one a line).",
    ),
    "public": (
        "clearwater.benchmark.commands",
        "Benchmark every provider in the published statistics, adjusted for deprivation mix.",
    ),
    "benchmark": (
        "clearwater.benchmark.commands",
        "Case-mix adjusted benchmarking, SPC and equity for a service's own data.",
    ),
    "synth": (
        "clearwater.synth.commands",
        "Write a calibrated synthetic NHS Talking Therapies provider (data set tables).",
    ),
    "pathways": (
        "clearwater.measures.commands",
        "Write one row per referral with the NHS-derived fields (dates, counts, flags).",
    ),
    "kpis": (
        "clearwater.measures.commands",
        "The official KPI set for each period, optionally broken down.",
    ),
    "audit": (
        "clearwater.integrity.commands",
        "Check performance data for known gaming patterns, with controlled false alarms.",
    ),
    "feedback": (
        "clearwater.feedback.commands",
        "Not-on-track alerts for open referrals (risk first), validation and client charts.",
    ),
    "caseload": (
        "clearwater.feedback.commands",
        "The supervisor's caseload review for one clinician (risk first).",
    ),
    "wellbeing": (
        "clearwater.workforce.commands",
        "Score the anonymous staff survey and write only what may safely be shown.",
    ),
    "workload": (
        "clearwater.workforce.commands",
        "Weekly workload and supervision by clinician and team, with SPC.",
    ),
    "serve": ("clearwater.web.commands", "Migrate the database and serve the app (gunicorn)."),
    "export": (
        "clearwater.web.commands",
        "Write the service's records as a data-contract folder (CSV, with CW_ columns and "
        "CWStaff), ready for every other clearwater command.",
    ),
    "trail": ("clearwater.web.commands", "The tamper-evident audit trail of the service app."),
}

_registered: set[str] = set()


@app.callback()
def _root() -> None:
    """Clearwater: honest measurement for talking-therapy services."""


@app.command("version")
def version() -> None:
    """Print the Clearwater version and the instrument-threshold version."""
    from clearwater import __version__
    from clearwater.instruments import load_instruments

    typer.echo(f"clearwater {__version__} (thresholds {load_instruments().version})")


def build_app(modules: tuple[str, ...] = COMMAND_MODULES) -> typer.Typer:
    """The app with the commands of ``modules`` registered (all of them by default)."""
    for name in modules:
        if name not in _registered:
            importlib.import_module(name).register(app)
            _registered.add(name)
    return app


def _help_app() -> typer.Typer:
    """The top-level help without importing any command module (one stub per command)."""
    lazy = typer.Typer(
        name=app.info.name, help=app.info.help, no_args_is_help=True,
        pretty_exceptions_enable=False, add_completion=False,
    )  # fmt: skip
    lazy.callback()(_root)
    lazy.command("version")(version)
    for name, (_module, text) in COMMANDS.items():
        lazy.command(name, help=text)(lambda: None)
    return lazy


def _app_for(argv: list[str]) -> typer.Typer:
    """Only what ``argv`` needs: one command's module, the stubs for help, or everything."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in COMMANDS:
        return build_app((COMMANDS[command][0],))
    if command is None or command == "version":
        return _help_app()
    return build_app()  # an unknown command: typer lists the real ones


def main() -> None:
    try:
        _app_for(sys.argv[1:])(standalone_mode=True)
    except ClearwaterError as exc:
        from rich.console import Console
        from rich.markup import escape

        err = Console(stderr=True)
        # the message may quote data (ids, headers): print it literally, never as markup
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
