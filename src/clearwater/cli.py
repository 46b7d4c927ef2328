"""The ``clearwater`` command line.

Each area owns its commands in ``<area>/commands.py`` with a ``register(app)`` function;
this module only assembles them and turns :class:`ClearwaterError` into a clear message
and a non-zero exit code (no traceback).
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

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
)

app = typer.Typer(
    name="clearwater",
    help="Honest measurement, integrity audit and fair benchmarking for talking-therapy services.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_registered = False


@app.callback()
def _root() -> None:
    """Clearwater: honest measurement for talking-therapy services."""


@app.command("version")
def version() -> None:
    """Print the Clearwater version and the instrument-threshold version."""
    from clearwater import __version__
    from clearwater.instruments import load_instruments

    typer.echo(f"clearwater {__version__} (thresholds {load_instruments().version})")


def build_app() -> typer.Typer:
    global _registered
    if not _registered:
        for name in COMMAND_MODULES:
            importlib.import_module(name).register(app)
        _registered = True
    return app


def main() -> None:
    err = Console(stderr=True)
    try:
        build_app()(standalone_mode=True)
    except ClearwaterError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
