"""End to end: `clearwater demo` at a small size, through the real command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

MEASURES = pytest.importorskip(
    "clearwater.measures.definitions",
    reason="the measures registry (clearwater.measures.definitions) is not installed",
).MEASURES

SECTION_HEADINGS = (
    "Contents",
    "Headline figures",
    "Monthly trends",
    "Breakdowns",
    "By deprivation decile",
    "By ethnic group",
    "By age band at referral",
    "By problem descriptor",
    "Data quality",
    "Definitions",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "clearwater.cli",
            "demo",
            "--referrals",
            "2000",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return proc, out


def test_demo_exits_cleanly_and_prints_the_report_path(demo):
    proc, out = demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    printed = proc.stdout.strip().splitlines()[-1]
    assert Path(printed) == (out / "report.html").resolve()
    assert Path(printed).is_file()


def test_report_is_self_contained(demo):
    _, out = demo
    page = (out / "report.html").read_text("utf-8")
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page


def test_report_has_every_section_and_every_definition(demo):
    _, out = demo
    page = (out / "report.html").read_text("utf-8")
    headings = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", page)
    for h in SECTION_HEADINGS:
        assert h in headings, f"missing section heading {h!r}"
    for mid in MEASURES:
        assert f'id="def-{mid}"' in page
    for link in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{link}"' in page, f"in-page link #{link} goes nowhere"
    assert page.count("<svg") >= 5
    assert "<caption>" in page


def test_every_row_is_accounted_for(demo):
    _, out = demo
    acc = pd.read_csv(out / "accounting.csv")
    assert len(acc) >= 5
    assert (acc["read"] == acc["accepted"] + acc["quarantined"]).all()
    page = (out / "report.html").read_text("utf-8")
    read, accepted, quarantined = (int(acc[c].sum()) for c in ("read", "accepted", "quarantined"))
    assert f"{read:,} rows read = {accepted:,} accepted + {quarantined:,} quarantined" in page
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert len(quarantine) == quarantined


def test_machine_readable_outputs_agree_with_the_report(demo):
    _, out = demo
    pw = pd.read_parquet(out / "pathways.parquet")
    assert pw["pathway_id"].is_unique
    kpis = pd.read_csv(out / "kpis.csv")
    assert set(kpis["view"]) == {"headline", "monthly", "breakdown"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["referrals"] == len(pw)
    for name in ("report.html", "pathways.parquet", "kpis.csv", "accounting.csv"):
        assert (out / name).is_file()
    # each area either ran or says in the report why not
    page = (out / "report.html").read_text("utf-8")
    for area in manifest["areas"]:
        assert area["status"] in ("done", "unavailable", "not built")
        if area["status"] != "done":
            assert "Not available for these data" in page
