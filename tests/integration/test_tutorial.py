"""The tutorial is true: every command in docs/tutorial/ runs, against a fresh synthetic service,
and prints what the page says it prints.

How the pages are read (the convention the tutorial follows):

- each line of a ```bash block is a command (text after `` #`` is a comment);
- a ```text block straight after it lists lines the block's output must contain, in order;
  ``…`` stands for anything (numbers, times, paths).

What the test changes, and nothing else: ``./scripts/setup.sh`` and ``source .venv/bin/activate``
are skipped (the test already runs inside the environment); ``clearwater`` is this Python's
``-m clearwater.cli``; ``path/to/your-folder`` is a synthetic service written by
``clearwater synth`` and ``path/to/CWWellbeingResponses.csv`` a synthetic staff survey;
``clearwater demo`` gets ``--referrals`` (small, for speed) unless the page gives one.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearwater.workforce.wellbeing import CBI_ITEMS, PRESSURE_ITEMS

DOCS = Path(__file__).parents[2] / "docs" / "tutorial"
REFERRALS = "1500"
SKIP = ("./scripts/setup.sh", "source .venv/bin/activate")
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.S)


def blocks(page: Path) -> list[tuple[list[str], list[str]]]:
    """(commands, expected lines) for every ```bash block of a page."""
    found = BLOCK.findall(page.read_text("utf-8"))
    out = []
    for i, (lang, body) in enumerate(found):
        if lang != "bash":
            continue
        commands = [ln.split(" #")[0].strip() for ln in body.splitlines()]
        commands = [c for c in commands if c and c not in SKIP]
        expected: list[str] = []
        if i + 1 < len(found) and found[i + 1][0] == "text":
            text = page.read_text("utf-8")
            # only a text block that follows this bash block directly (blank lines allowed)
            end = text.index(f"```bash\n{body}```") + len(f"```bash\n{body}```")
            if text[end:].lstrip().startswith("```text"):
                expected = [ln for ln in found[i + 1][1].splitlines() if ln.strip()]
        if commands:
            out.append((commands, expected))
    return out


def pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in line.split("…")))


def survey(path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(60):
        row = {"ResponseId": f"R{i:04d}", "CW_TeamId": "T01", "Date": "2024-01-15"}
        row.update({c: int(rng.choice([0, 25, 50, 75, 100])) for c in CBI_ITEMS})
        row.update({c: str(rng.choice(["Y", "N", "X"])) for c in PRESSURE_ITEMS})
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("tutorial")
    run(["clearwater", "synth", "--referrals", REFERRALS, "--seed", "0", "--out", "service"], work)
    survey(work / "CWWellbeingResponses.csv")
    return work


def run(argv: list[str], cwd: Path) -> str:
    if argv[0] == "clearwater":
        argv = [sys.executable, "-m", "clearwater.cli", *argv[1:]]
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=1500, env=env)
    # progress and notes go to stderr as they happen; the result (a path) ends stdout
    output = proc.stderr + proc.stdout
    assert proc.returncode == 0, f"{shlex.join(argv)} failed:\n{output[-3000:]}"
    return output


def command_line(command: str) -> list[str]:
    command = command.replace("path/to/your-folder", "service").replace(
        "path/to/CWWellbeingResponses.csv", "CWWellbeingResponses.csv"
    )
    argv = shlex.split(command)
    assert argv[0] == "clearwater", f"the tutorial runs only clearwater commands: {command}"
    if argv[1:2] == ["demo"] and "--referrals" not in argv:
        argv += ["--referrals", REFERRALS]
    return argv


# Pages that drive something other than the CLI have their own test, which runs them as written.
OWN_TEST = {"service-app.md": "tests/web/test_tutorial.py (commands against a live server)"}
PAGES = sorted(p for p in DOCS.glob("*.md") if p.name not in OWN_TEST)
CASES = [
    pytest.param(page, i, cmds, exp, id=f"{page.stem}-{i + 1}")
    for page in PAGES
    for i, (cmds, exp) in enumerate(blocks(page))
]


def test_every_tutorial_page_is_tested():
    root = Path(__file__).parents[2]
    for page in DOCS.glob("*.md"):
        if page.name in OWN_TEST:
            own = root / OWN_TEST[page.name].split(" ")[0]
            assert page.name in own.read_text("utf-8"), f"{own} does not test {page.name}"


def test_the_tutorial_has_commands_and_expected_output():
    assert CASES, "no ```bash blocks found in docs/tutorial"
    assert sum(1 for c in CASES if c.values[3]) >= 4


@pytest.mark.parametrize(("page", "index", "commands", "expected"), CASES)
def test_tutorial_block_runs_and_prints_what_the_page_says(
    workdir, page, index, commands, expected
):
    output = "".join(run(command_line(c), workdir) for c in commands)
    lines = output.splitlines()
    at = 0
    for want in expected:
        pat = pattern(want.strip())
        while at < len(lines) and not pat.search(lines[at]):
            at += 1
        assert at < len(lines), (
            f"{page.name} block {index + 1}: expected a line like {want!r} (in order) in:\n"
            + output[-4000:]
        )
        at += 1
