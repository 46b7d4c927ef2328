"""The readable report: summary icons, detail pages, people's words, tooltips, trend window."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from clearwater.measures.periods import Period, financial_year
from clearwater.pipeline import trend_window, window_spec
from clearwater.report.core import Section, with_tooltips
from clearwater.report.render import split_details, write_report_pages
from clearwater.report.summary import judge
from clearwater.report.words import CODE_LABELS, coded_columns, column_label, decode


def test_every_contract_code_has_words():
    cols = coded_columns()
    assert {"gender", "ethnic_category", "attend_code"} <= set(cols)
    for column, codes in cols.items():
        assert set(codes) <= set(CODE_LABELS[column]), column


def test_column_labels_and_decoding():
    assert column_label("days_since_last_contact") == "Days since last contact"
    assert column_label("some_new_column") == "Some new column"
    assert column_label("Already Words") == "Already Words"
    assert decode("gender", "2") == "Female"
    assert decode("gender", "7") == "7"  # unknown codes are shown as they are


def test_judge_flat_series_is_common_cause_and_target_far_below_passes():
    values = [60, 61, 59, 60, 62, 58, 60, 61, 59, 60, 61, 60]
    assert judge(values, True, 50.0) == ("common_cause", "consistently passing")
    assert judge(values, True, 70.0) == ("common_cause", "consistently failing")
    assert judge(values, True, 60.0)[1] == "hit and miss"


def test_judge_rising_series_is_improvement_when_higher_is_better():
    values = [50, 50, 51, 50, 50, 51, 50, 60, 62, 64, 66, 68, 70]
    assert judge(values, True, None)[0] == "improvement"
    assert judge(values, False, None)[0] == "concern"


def test_judge_needs_enough_months():
    assert judge([50, 60, 55], True, 50.0) == ("unknown", "unknown")


def test_detail_sections_go_to_their_own_page(tmp_path):
    detail = Section(
        "caseload-T1",
        "Caseload review: team T1",
        '<p>list</p><a href="#def-recovery_rate">x</a><a href="#caseload-T1">self</a>',
        summary="12 open referrals",
        level=3,
        detail=True,
    )
    parent = Section("feedback", "Feedback", "<p>intro</p>", children=[detail])
    main, details = split_details([parent])
    assert details == [detail]
    stub = main[0].children[0]
    assert "pages/caseload-T1.html" in stub.body_html and "list" not in stub.body_html
    report, pages = write_report_pages(tmp_path, [parent], title="T")
    page = pages[0].read_text()
    assert pages[0].parent.name == "pages"
    assert 'href="../report.html#def-recovery_rate"' in page  # definitions live in the report
    assert 'href="#caseload-T1"' in page  # its own anchors stay
    assert "pages/caseload-T1.html" in report.read_text()


def test_tooltips_added_to_points_not_lines():
    svg = (
        '<path aria-label="n: 3; value: 0.5" role="graphics-symbol" '
        'aria-roledescription="point" d="M0,0"/>'
        '<path aria-label="Month: Jan" role="graphics-symbol" '
        'aria-roledescription="line mark" d="M0,0"/>'
    )
    out = with_tooltips(svg)
    assert "<title>n: 3; value: 0.5</title></path>" in out
    assert "<title>Month: Jan</title>" not in out


def test_trend_window_leaves_out_the_build_up():
    first, last = dt.date(2022, 1, 5), dt.date(2024, 3, 31)
    fy = financial_year(2023)
    assert trend_window(fy, first, last, whole=False) == (fy.start, fy.end)
    assert trend_window(fy, first, last, whole=True) == (first, last)
    one = Period("2024-03", dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert trend_window(one, first, last, whole=False) == (dt.date(2023, 4, 1), one.end)


@pytest.mark.parametrize(
    ("start", "end", "spec"),
    [
        (dt.date(2023, 4, 1), dt.date(2024, 3, 31), "2023-24"),
        (dt.date(2023, 1, 1), dt.date(2023, 6, 30), "2023-01-01..2023-06-30"),
    ],
)
def test_window_spec(start, end, spec):
    assert window_spec(start, end) == spec


def test_summary_section_states_each_standard():
    from clearwater.measures.definitions import MEASURES
    from clearwater.report.summary import summary_section

    head = pd.DataFrame(
        [
            {"measure": "recovery_rate", "numerator": 40, "denominator": 100, "value": 0.4},
            {"measure": "wait_6_weeks", "numerator": 90, "denominator": 100, "value": 0.9},
        ]
    )
    sec = summary_section(
        head,
        pd.DataFrame(columns=["period", "measure"]),
        MEASURES,
        period_label="2023-24",
        period_text="x",
    )
    assert sec.id == "summary"
    assert "50%" in sec.body_html and "75%" in sec.body_html
    assert "Not met" in sec.body_html and "Met" in sec.body_html


def test_config_file_is_found_beside_the_data_and_checked(tmp_path):
    from clearwater.errors import ConfigError
    from clearwater.report.config import load_config

    data = tmp_path / "data"
    data.mkdir()
    assert load_config(data_dir=data).service_name is None  # no file: defaults
    (tmp_path / "clearwater.toml").write_text(
        '[service]\nname = "Riverside"\n[report]\nperiod = "2023-24"\n'
        "small_number_threshold = 5\n[standards]\nrecovery_rate = 55\n"
        '[names.teams]\nT01 = "North"\n',
        encoding="utf-8",
    )
    cfg = load_config(data_dir=data)
    assert cfg.service_name == "Riverside" and cfg.period == "2023-24"
    assert cfg.small_number_threshold == 5 and cfg.standards == {"recovery_rate": 55.0}
    assert cfg.team("T01") == "North" and cfg.team("T02") == "T02"
    bad = tmp_path / "bad.toml"
    bad.write_text("[report]\nperiode = 'fy'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'periode' in \\[report\\]; known: period"):
        load_config(bad)
    bad.write_text("[report]\nsmall_number_threshold = 'ten'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be int"):
        load_config(bad)


def test_every_config_key_is_documented():
    from pathlib import Path

    from clearwater.report.config import KEYS, NAME_TABLES

    doc = (Path(__file__).parents[3] / "docs/reference/configuration.md").read_text("utf-8")
    for section, keys in KEYS.items():
        for key in keys:
            assert f"| `[{section}]` | `{key}` |" in doc, (section, key)
    for table in NAME_TABLES:
        assert f"`[names.{table}]`" in doc


def test_small_number_threshold_applies_for_the_block():
    from clearwater.report import sections as s

    assert s.format_figure("%", 5, 8, None) == (s.TOO_FEW, False)
    with s.small_number_threshold(5):
        assert s.format_figure("%", 5, 8, None) == ("62.5%", True)
    assert s.format_figure("%", 5, 8, None)[0] == s.TOO_FEW


def test_months_read_the_same_everywhere():
    from clearwater.report.core import month_label

    assert month_label("2023-04") == "Apr 2023"
    assert month_label("2023-24") == "2023-24"  # a financial year is not a month
    assert month_label("T01") == "T01"
