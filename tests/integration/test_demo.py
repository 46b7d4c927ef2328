"""End to end: `clearwater demo` at a small size (3,000 referrals), through the real command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from clearwater.measures.definitions import MEASURES

SECTION_HEADINGS = (
    "Contents",
    "Headline figures",
    "Monthly trends",
    "Breakdowns",
    "By deprivation decile",
    "By ethnic group",
    "By age band at referral",
    "By problem descriptor",
    # every analysis area, in report order
    "Fair benchmarking",
    "By therapist",
    "By team",
    "Integrity audit",
    "Not-on-track feedback and caseload review",
    "Clients not on track",
    "How well the alerts predict",
    "Caseload review",
    "Workforce: workload and wellbeing",
    "Workload",
    "Staff wellbeing",
    "Data quality",
    "Definitions",
)


OUTPUT_FILES = (
    "report.html",
    "pathways.parquet",
    "kpis.csv",
    "accounting.csv",
    "quarantine.csv",
    "benchmark.csv",
    "findings.json",
    "findings.parquet",
    "alerts.csv",
    "caseload.csv",
    "workload_team_weeks.csv",
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
            "3000",
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


def test_summary_comes_first_and_detail_pages_link_both_ways(demo):
    _, out = demo
    page = (out / "report.html").read_text("utf-8")
    assert page.index('id="summary"') < page.index('id="contents-heading"')
    for standard in ("50%", "75%", "95%"):
        assert standard in page
    links = re.findall(r'href="(pages/[^"#]+)"', page)
    assert any("caseload-" in x for x in links)
    for link in links:
        target = out / link
        assert target.is_file(), f"{link} is linked from the report but was not written"
        sub = target.read_text("utf-8")
        assert "<style>" in sub and 'href="../report.html"' in sub
        for ref in re.findall(r'href="\.\./report\.html#([^"]+)"', sub):
            assert f'id="{ref}"' in page, f"{link} links to #{ref}, which the report lacks"
    # the headline is the synthetic financial year, not the build-up before it
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["headline_period"] == "2023-24"
    assert manifest["referrals_in_period"] == 3000


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
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), f"{name} was not written"
        assert name == "report.html" or name in manifest["outputs"]
    page = (out / "report.html").read_text("utf-8")
    # every area ran on the demo data (the demo has staff, supervision and scores)
    assert [a["area"] for a in manifest["areas"]] == [
        "benchmark",
        "integrity",
        "feedback",
        "workforce",
    ]
    assert all(a["status"] == "done" for a in manifest["areas"]), manifest["areas"]
    # the demo has no staff survey: the wellbeing section says so rather than vanishing
    assert "No anonymous staff survey file" in page


def test_area_outputs_are_consistent(demo):
    _, out = demo
    bench = pd.read_csv(out / "benchmark.csv")
    assert {"therapist", "team"} <= set(bench["unit_type"])
    assert (bench["n"] > 0).all()
    findings = json.loads((out / "findings.json").read_text())
    assert len(findings["findings"]) == len(pd.read_parquet(out / "findings.parquet"))
    alerts = pd.read_csv(out / "alerts.csv")
    pw = pd.read_parquet(out / "pathways.parquet")
    assert set(alerts["pathway_id"]) <= set(pw["pathway_id"])
    assert pw.loc[pw["pathway_id"].isin(alerts["pathway_id"]), "discharge_date"].isna().all()
    charts = list((out / "charts").glob("*.svg"))
    assert 0 < len(charts) <= 100
    assert len(pd.read_csv(out / "workload_team_weeks.csv")) > 0
    page = (out / "report.html").read_text("utf-8")
    assert "inconsistent with the expected pattern" in page
    assert "fraud" not in page.lower()
