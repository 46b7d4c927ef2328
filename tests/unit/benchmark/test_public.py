"""Published-statistics benchmarking on real rows (fixture) and the full shared annual CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearwater.benchmark.public import (
    MEASURES,
    benchmark_public,
    imd_decile,
    national_rates,
    read_public,
    write_outputs,
)
from clearwater.errors import ClearwaterError, DataContractError

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "public"
    / "nhs-talking-therapies-annual-2023-24-sample.csv"
)
SHARED_NAME = "nhs-talking-therapies-annual-2023-24.csv"


@pytest.fixture(scope="module")
def fixture_result():
    return benchmark_public(read_public(FIXTURE))


@pytest.fixture(scope="module")
def raw_fixture() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)


def _check_national_matches_published(table):
    nat = national_rates(table)
    nat = nat[nat["published_percentage"].notna() & nat["rate"].notna()]
    assert len(nat) > 0
    diff = (nat["rate"] * 100 - nat["published_percentage"]).abs()
    # published percentages are rounded to 1 decimal place
    assert diff.max() <= 0.05 + 1e-9, nat.loc[diff.idxmax()].to_dict()
    return nat


def test_imd_labels_are_reversed():
    assert imd_decile("10 Most deprived") == 1
    assert imd_decile("01 Least deprived") == 10
    assert imd_decile("05 Less deprived") == 6
    assert imd_decile("Not stated/Not known/Invalid") is None


def test_national_rates_recomputed_equal_england_rows_fixture():
    nat = _check_national_matches_published(read_public(FIXTURE))
    total = nat[(nat["variable_type"] == "Total") & (nat["measure"] == "recovery")].iloc[0]
    assert total["numerator"] == 318013
    assert total["denominator"] == 671648 - 37164


def test_summary_national_and_published(fixture_result):
    nat = fixture_result.summary["national"]["2023-24"]
    assert nat["recovery"]["published_percentage"] == 50.1
    assert round(nat["recovery"]["rate"] * 100, 1) == 50.1
    assert round(nat["reliable_improvement"]["rate"] * 100, 1) == 66.8
    assert round(nat["reliable_recovery"]["rate"] * 100, 1) == 47.1


def test_suppressed_stays_suppressed(fixture_result, raw_fixture):
    prov = fixture_result.providers
    # K7Y6R: Count_Recovery is '*' in its Total row
    row = prov[(prov["provider_code"] == "K7Y6R") & (prov["measure"] == "recovery")].iloc[0]
    assert row["position"] == "suppressed"
    assert np.isnan(row["observed"]) and np.isnan(row["observed_count"])
    assert np.isnan(row["ratio"]) and np.isnan(row["lower95"])
    # every published '*' numerator is still missing in the output
    totals = raw_fixture[
        (raw_fixture["OrgType"] == "Provider") & (raw_fixture["VariableType"] == "Total")
    ]
    colmap = {
        "reliable_improvement": "Count_Improvement",
        "recovery": "Count_Recovery",
        "reliable_recovery": "Count_ReliableRecovery",
    }
    for mid, col in colmap.items():
        starred = set(totals.loc[totals[col] == "*", "OrgCode"])
        out = prov[(prov["measure"] == mid) & prov["provider_code"].isin(starred)]
        assert out["observed_count"].isna().all()
        assert (out["position"] == "suppressed").all()
        published = set(totals.loc[totals[col] != "*", "OrgCode"])
        shown = prov[(prov["measure"] == mid) & prov["provider_code"].isin(published)]
        assert shown["observed_count"].notna().all()


def test_suppressed_written_as_empty(fixture_result, tmp_path):
    write_outputs(fixture_result, tmp_path)
    text = pd.read_csv(tmp_path / "providers.csv", dtype=str, keep_default_na=False)
    row = text[(text["provider_code"] == "K7Y6R") & (text["measure"] == "recovery")].iloc[0]
    assert row["observed"] == "" and row["observed_count"] == ""
    assert row["position"] == "suppressed"


def test_expected_is_indirect_standardisation_by_hand(fixture_result, raw_fixture):
    """PEACE HOSPICE: sum over IMD rows of its finished courses x national decile rate."""
    d = raw_fixture
    imd = "Indices of Deprivation Decile"
    eng = d[(d["OrgType"] == "England") & (d["VariableType"] == imd)].set_index("VariableA")
    eng_rate = eng["Count_Improvement"].astype(float) / eng["Count_FinishedCourseTreatment"].astype(
        float
    )
    eng_tot = d[(d["OrgType"] == "England") & (d["VariableType"] == "Total")].iloc[0]
    r0 = float(eng_tot["Count_Improvement"]) / float(eng_tot["Count_FinishedCourseTreatment"])
    p = d[(d["OrgCode"] == "8EJ83") & (d["VariableType"] == imd)]
    p = p[p["Count_FinishedCourseTreatment"] != "*"]
    n_d = p.set_index("VariableA")["Count_FinishedCourseTreatment"].astype(float)
    total = float(
        d[(d["OrgCode"] == "8EJ83") & (d["VariableType"] == "Total")][
            "Count_FinishedCourseTreatment"
        ].iloc[0]
    )
    rest = max(0.0, total - n_d.sum())
    by_hand = (float((n_d * eng_rate[n_d.index]).sum()) + rest * r0) / (n_d.sum() + rest)
    prov = fixture_result.providers
    got = prov[(prov["provider_code"] == "8EJ83") & (prov["measure"] == "reliable_improvement")]
    assert got["expected"].iloc[0] == pytest.approx(by_hand, rel=1e-12)
    assert got["ratio"].iloc[0] == pytest.approx(got["observed"].iloc[0] / by_hand)


def test_duplicate_organisation_counted_once(fixture_result):
    prov = fixture_result.providers
    taf = prov[(prov["provider_code"] == "TAF90") & (prov["measure"] == "recovery")]
    assert len(taf) == 1
    assert "KINGSTON SMS" in taf["provider_name"].iloc[0]
    assert any("TAF90" in n for n in fixture_result.summary["notes"])


def test_columns_and_measure_order(fixture_result):
    cols = list(fixture_result.providers.columns)
    assert cols[:12] == [
        "provider_code",
        "provider_name",
        "measure",
        "finished",
        "observed",
        "expected",
        "ratio",
        "lower95",
        "upper95",
        "lower998",
        "upper998",
        "position",
    ]
    assert MEASURES[0].id == "reliable_improvement"
    first = fixture_result.providers["measure"].iloc[0]
    assert first == "reliable_improvement"
    assert set(fixture_result.providers["position"]) <= {
        "above",
        "within",
        "below",
        "suppressed",
        "not available",
    }


def test_extra_columns_ignored_and_bad_cells_named(tmp_path, raw_fixture):
    extra = raw_fixture.copy()
    extra.insert(7, "Mean_WaitFinishedCourseTreatment", "12.5")
    extra["Count_AccessingServices"] = "10"
    path = tmp_path / "extra-2023-24.csv"
    extra.to_csv(path, index=False)
    a = benchmark_public(read_public(path)).providers
    b = benchmark_public(read_public(FIXTURE)).providers
    pd.testing.assert_frame_equal(a, b)

    bad = raw_fixture.copy()
    bad.loc[5, "Count_Recovery"] = "twelve"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(DataContractError) as err:
        read_public(path)
    assert err.value.row == 7 and err.value.column == "Count_Recovery"
    assert "bad.csv" in str(err.value)


def test_unknown_layout_and_adjuster(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataContractError):
        read_public(path)
    with pytest.raises(ClearwaterError):
        benchmark_public(read_public(FIXTURE), adjust=("postcode",))


def test_more_adjusters_run_on_fixture():
    res = benchmark_public(read_public(FIXTURE), adjust=("imd", "age", "descriptor"))
    assert res.summary["breakdowns_used"] == [
        "Indices of Deprivation Decile",
        "Age Group",
        "Presenting Complaint",
    ]
    rec = res.providers[res.providers["measure"] == "recovery"]
    assert rec["expected"].between(0.3, 0.7).all()


def _monthly_rows(period_start: str, scale: float) -> list[dict]:
    rows = []
    orgs = [("England", "ENG", "England", 40000)] + [
        ("Provider", f"P{i:02d}", f"Provider {i}", 400 + 40 * i) for i in range(8)
    ]
    for group, code, name, fin in orgs:
        f = int(fin * scale)
        values = {
            "Count_FinishedCourseTreatment": f,
            "Count_NotAtCaseness": int(f * 0.06),
            "Count_ReliableImprovement": int(f * 0.66),
            "Count_Recovery": int(f * 0.94 * 0.5),
            "Count_ReliableRecovery": int(f * 0.94 * 0.47),
            "Count_AccessingServices": 3 * f,  # not used: ignored
        }
        for k, v in values.items():
            rows.append(
                {
                    "REPORTING_PERIOD_START": period_start,
                    "REPORTING_PERIOD_END": period_start,
                    "GROUP_TYPE": group,
                    "ORG_CODE1": code,
                    "ORG_NAME1": name,
                    "ORG_CODE2": "NONE",
                    "ORG_NAME2": "NONE",
                    "MEASURE_ID": "M000",
                    "MEASURE_NAME": k,
                    "MEASURE_VALUE_SUPPRESSED": "*"
                    if (code == "P00" and k == "Count_Recovery")
                    else v,
                }
            )
    return rows


def test_monthly_long_layout_with_trends(tmp_path):
    """The monthly long layout (constructed here: no real monthly file is stored)."""
    rows = []
    for i, month in enumerate(["2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01"]):
        rows += _monthly_rows(month, 1 + 0.05 * i)
    path = tmp_path / "monthly.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    res = benchmark_public(read_public(path), adjust=())
    assert sorted(res.providers["period"].unique()) == ["2024-04", "2024-05", "2024-06", "2024-07"]
    p00 = res.providers[
        (res.providers["provider_code"] == "P00") & (res.providers["measure"] == "recovery")
    ]
    assert (p00["position"] == "suppressed").all()
    assert res.spc is not None and {"England"} <= set(res.spc["org_code"])
    with pytest.raises(ClearwaterError, match="Deprivation"):
        benchmark_public(read_public(path))


def test_full_shared_csv_delgadillo(shared_public_data, tmp_path):
    path = shared_public_data / SHARED_NAME
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    table = read_public(path)
    _check_national_matches_published(table)
    res = benchmark_public(table)
    rec = res.providers[res.providers["measure"] == "recovery"]
    known = rec[rec["observed"].notna()]
    d = res.summary["delgadillo"]["2023-24"]
    assert d["providers_with_published_recovery"] == len(known)
    assert d["below_target_raw"] == int((known["observed"] < 0.5).sum())
    assert (
        d["below_target_raw_but_within_or_above_expectation"]
        + d["below_target_raw_and_below_expectation"]
        == d["below_target_raw"]
    )
    assert res.summary["overdispersion"]["2023-24/recovery"]["applied"] is True
    assert len(res.providers["provider_code"].unique()) > 100
    write_outputs(res, tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["delgadillo"]["2023-24"]["below_target_raw"] == d["below_target_raw"]


def _three_years_one_suppressed(source: Path, folder: Path) -> tuple[tuple[Path, ...], str]:
    """The published file as three years; in the middle one, one provider's recovery count is
    suppressed ('*').  Returns the three files and the provider's code."""
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    total = raw[(raw["OrgType"] != "England") & (raw["VariableType"] == "Total")]
    row = total[total["Count_Recovery"].str.fullmatch(r"\d+")].index[0]
    first, middle = folder / "annual-2021-22.csv", folder / "annual-2022-23.csv"
    raw.to_csv(first, index=False)
    raw.loc[row, "Count_Recovery"] = "*"
    raw.to_csv(middle, index=False)
    return (first, middle, source), str(raw.loc[row, "OrgCode"])


def _check_suppressed_point_is_a_gap(source: Path, folder: Path) -> None:
    files, code = _three_years_one_suppressed(source, folder)
    from clearwater.benchmark.public import combine
    from clearwater.benchmark.report import public_sections

    res = benchmark_public(combine([read_public(f) for f in files]))  # no crash
    spc = res.spc
    series = spc[(spc["org_code"] == code) & (spc["measure"] == "recovery")].set_index("label")
    assert list(series.index) == ["2021-22", "2022-23", "2023-24"]
    gap = series.loc["2022-23"]
    assert np.isnan(gap["value"]) and gap["point_type"] == "suppressed" and gap["rule"] == ""
    known = series.drop(index="2022-23")
    # the chart of the two published points: centre is their mean, the moving range spans the gap
    assert known["centre"].tolist() == pytest.approx([known["value"].mean()] * 2)
    assert known["mr"].iloc[1] == pytest.approx(
        abs(known["value"].iloc[1] - known["value"].iloc[0])
    )
    write_outputs(res, folder / "out")
    assert (folder / "out" / "spc.csv").is_file()
    public_sections(res)  # the report's SPC table reads only charted points


def test_three_years_with_a_suppressed_value_chart_a_gap_on_the_fixture(tmp_path):
    _check_suppressed_point_is_a_gap(FIXTURE, tmp_path)


def test_three_years_with_a_suppressed_value_chart_a_gap_on_the_real_file(
    shared_public_data, tmp_path
):
    path = shared_public_data / SHARED_NAME
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    _check_suppressed_point_is_a_gap(path, tmp_path)
