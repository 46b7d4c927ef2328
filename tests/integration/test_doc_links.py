"""The user-facing docs name only commands that exist (with their required options) and link
only to files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from clearwater.cli import build_app

ROOT = Path(__file__).resolve().parents[2]
DOCS = (
    ROOT / "README.md",
    ROOT / "docs" / "tutorial" / "first-report.md",
    ROOT / "docs" / "how-to" / "read-the-report.md",
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
COMMAND = re.compile(r"(?:^|[\s`(/])clearwater\s+([a-z][a-z-]*)")
FENCE = re.compile(r"```(?:bash|sh|console)?\n(.*?)```", re.S)


def commands() -> dict[str, list[str]]:
    """Command name -> its required options (e.g. '--out')."""
    group = typer.main.get_command(build_app())
    out = {}
    for name, cmd in group.commands.items():
        out[name] = [p.opts[0] for p in cmd.params if p.required and p.opts[0].startswith("--")]
    return out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_command_named_exists(doc):
    known = commands()
    text = doc.read_text("utf-8")
    named = set(COMMAND.findall(text)) - {"installed"}
    assert named, f"{doc.name} names no command"
    missing = sorted(n for n in named if n not in known)
    assert not missing, f"{doc.name} names commands that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_example_command_lines_carry_their_required_options(doc):
    known = commands()
    for block in FENCE.findall(doc.read_text("utf-8")):
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            m = re.match(r"(?:\S*/)?clearwater\s+([a-z][a-z-]*)(.*)", line)
            if not m or m.group(1) not in known:
                continue
            for opt in known[m.group(1)]:
                assert opt in m.group(2), f"{doc.name}: `{line}` lacks the required {opt}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc):
    text = doc.read_text("utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{doc.name} links to {target}, which does not exist"
