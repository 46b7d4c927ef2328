"""The command line imports lazily: help and version import no command module."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from clearwater.cli import COMMAND_MODULES, COMMANDS, build_app


def test_command_table_matches_the_modules():
    group = typer.main.get_command(build_app())
    real = {n: c.get_short_help_str(limit=500) for n, c in group.commands.items()}
    real.pop("version")
    assert {n: h for n, (_m, h) in COMMANDS.items()} == real
    assert {m for m, _h in COMMANDS.values()} == set(COMMAND_MODULES)


def _imported(*args: str) -> set[str]:
    code = (
        "import sys; sys.argv = ['clearwater', *sys.argv[1:]]\n"
        "from clearwater.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_help_and_version_import_no_heavy_library():
    heavy = {"ibis", "pandas", "scipy", "altair", "duckdb", "pyarrow", "numpy"}
    for args in (("--help",), ("version",), ()):
        mods = _imported(*args)
        assert not heavy & mods, (args, heavy & mods)
        assert not any(m.endswith(".commands") for m in mods), args


def test_a_command_imports_only_its_own_module():
    mods = _imported("synth", "--help")
    assert "clearwater.synth.commands" in mods
    assert "clearwater.integrity.commands" not in mods
    assert "clearwater.measures.commands" not in mods
