from __future__ import annotations

import re

import pandas as pd
import pytest

from clearwater.report import sections as s


@pytest.mark.parametrize(
    ("unit", "num", "den", "value", "shown", "real"),
    [
        ("%", 45, 100, 0.45, "45.0%", True),
        ("%", 5, 9, 0.55, s.TOO_FEW, False),  # denominator under 10
        ("%", 5, 10, 0.5, "50.0%", True),  # exactly 10 is shown
        ("%", 0, 0, None, "none in period", False),
        ("count", 1234, None, 1234, "1,234", True),
        ("days", 300, 20, 15.0, "15.0 days", True),
        ("days", 30, 3, 10.0, s.TOO_FEW, False),
    ],
)
def test_format_figure(unit, num, den, value, shown, real):
    assert s.format_figure(unit, num, den, value) == (shown, real)


def test_rate_is_worked_out_from_the_counts_not_the_value_column():
    # whatever scale 'value' uses, the shown rate agrees with the counts printed beside it
    assert s.format_figure("%", 1, 3 * 10, 99.0)[0] == "3.3%"
    assert s.chart_value("%", 1, 4 * 10, 0.025) == pytest.approx(2.5)
    assert s.chart_value("%", 1, 4, 0.25) is None


def test_headline_cards_link_each_figure_to_its_definition(measures, kpi_row):
    kpis = pd.DataFrame(
        [
            kpi_row("2023-24", "recovery", 480, 1000, 0.48),
            kpi_row("2023-24", "referrals", 5000, None, 5000),
            kpi_row("2023-24", "reliable_improvement", 4, 7, 0.57),
        ]
    )
    sec = s.headline_section(kpis, measures, period_label="2023-24")
    assert sec.id == "headline"
    html = sec.body_html
    assert "48.0%" in html and "480 of 1,000" in html and "5,000" in html
    assert s.TOO_FEW in html  # 4 of 7
    for mid in ("recovery", "referrals", "reliable_improvement"):
        assert f'href="#def-{mid}"' in html
    assert html.count("<details>") == 3
    # definitions are escaped, not injected
    assert "<b>" not in html and "&lt;b&gt;" in html
    # cards follow the registry order, not the frame order
    assert html.index("Referrals received") < html.index("Recovery rate")


def test_trends_leave_small_months_out_of_the_line_but_keep_them_in_the_table(measures, kpi_row):
    rows = []
    for i, (num, den) in enumerate([(40, 100), (3, 5), (50, 100)]):
        start = pd.Timestamp("2023-04-01") + pd.DateOffset(months=i)
        rows.append(kpi_row(start.strftime("%Y-%m"), "recovery", num, den, num / den, start=start))
        rows.append(
            kpi_row(start.strftime("%Y-%m"), "referrals", 100 + i, None, 100 + i, start=start)
        )
    monthly = pd.DataFrame(rows)
    sec = s.trends_section(
        monthly, measures, [("Outcomes", ["recovery", "unknown"]), ("Volumes", ["referrals"])]
    )
    html = sec.body_html
    assert html.count("<svg") == 2
    assert "May 2023" in html and s.TOO_FEW in html  # months read "May 2023"
    assert "(40/100)" in html
    assert 'href="#def-recovery"' in html


def test_breakdown_table_has_groups_in_natural_order_and_an_all_row(measures, kpi_row):
    rows = []
    for dec, (num, den) in {10: (60, 100), 2: (30, 100), 1: (2, 4), None: (10, 20)}.items():
        rows.append(kpi_row("2023-24", "recovery", num, den, num / den, imd_decile=dec))
    kpis = pd.DataFrame(rows)
    overall = pd.DataFrame([kpi_row("2023-24", "recovery", 102, 224, 102 / 224)])
    sec = s.breakdown_section(
        "imd_decile", kpis, overall, measures, measure_ids=["recovery"], chart_measure="recovery"
    )
    html = sec.body_html
    cells = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert cells == ["1", "2", "10", s.MISSING_LABEL, "All"]
    assert "<svg" in html and "<caption>" in html
    assert s.TOO_FEW in html  # decile 1 has 4 people
    assert "(102/224)" in html
    assert sec.id == "by-imd-decile"


def test_breakdown_without_the_measures_says_so(measures):
    empty = pd.DataFrame(
        columns=["period", "measure", "numerator", "denominator", "value", "age_band"]
    )
    sec = s.breakdown_section(
        "age_band", empty, empty, measures, measure_ids=["recovery"], chart_measure="recovery"
    )
    assert "No figures" in sec.body_html and "<svg" not in sec.body_html


def test_data_quality_accounts_for_every_row():
    acc = pd.DataFrame(
        [
            {
                "table": "IDS101Referral",
                "file": "a.csv",
                "read": 10,
                "accepted": 8,
                "quarantined": 2,
            },
            {"table": "IDS001MPI", "file": "b.csv", "read": 5, "accepted": 5, "quarantined": 0},
        ]
    )
    q = pd.DataFrame(
        [
            {
                "table": "IDS101Referral",
                "file": "a.csv",
                "row": 3,
                "column": "ReferralRequestReceivedDate",
                "reason": "not a date",
                "value": "x",
            },
            {
                "table": "IDS101Referral",
                "file": "a.csv",
                "row": 4,
                "column": "ReferralRequestReceivedDate",
                "reason": "not a date",
                "value": "y",
            },
        ]
    )
    f = pd.DataFrame(
        [
            {
                "table": "IDS201CareContact",
                "file": "c.csv",
                "row": 9,
                "column": "x",
                "check": "contact_after_discharge",
                "message": "contact 3 days after discharge",
                "pathway_id": "P1",
            }
        ]
    )
    sec = s.data_quality_section(acc, q, f, ["Only 12 months of data."])
    html = sec.body_html
    assert "15 rows read = 13 accepted + 2 quarantined" in html
    assert "not a date" in html and "contact_after_discharge" in html
    assert "Only 12 months of data." in html
    assert sec.summary == "15 rows read, 2 quarantined"


def test_data_quality_shouts_when_rows_go_missing():
    acc = pd.DataFrame(
        [{"table": "IDS101Referral", "file": "a.csv", "read": 10, "accepted": 8, "quarantined": 1}]
    )
    sec = s.data_quality_section(acc, pd.DataFrame(), pd.DataFrame())
    assert "Rows are missing from the accounts" in sec.body_html
    assert "No row was quarantined" in sec.body_html


def test_definitions_have_an_anchor_per_measure(measures):
    sec = s.definitions_section(measures)
    for mid in measures:
        assert f'id="def-{mid}"' in sec.body_html
    assert sec.id == "definitions"


def test_unavailable_section_gives_the_reason():
    sec = s.unavailable_section("workforce", "Workforce", "No CWStaff table was supplied.")
    assert "No CWStaff table was supplied." in sec.body_html
    assert "Not available" in sec.body_html
