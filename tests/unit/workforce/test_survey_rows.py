"""Survey rows get row-level quarantine like service data (issue #13, items 6 and 10)."""

from __future__ import annotations

import csv

from clearwater.workforce.wellbeing import (
    CBI_ITEMS,
    PRESSURE_ITEMS,
    read_wellbeing,
    release_wellbeing,
)

HEADER = ["ResponseId", "CW_TeamId", "Date", *CBI_ITEMS, *PRESSURE_ITEMS, "FreeText"]


def _row(i: int, text: str = "", team: str = "T01") -> list[str]:
    return [
        f"R{i}",
        team,
        "2024-01-10",
        *["50"] * len(CBI_ITEMS),
        *["N"] * len(PRESSURE_ITEMS),
        text,
    ]


def _write(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow(r)
    return path


def test_line_numbers_are_right_after_multi_line_free_text_and_no_full_path(tmp_path):
    rows = [_row(0, "first line\nsecond line\nthird"), _row(1)]
    bad = _row(2)
    bad[HEADER.index("CBI02")] = "7"
    rows.append(bad)
    data = read_wellbeing(_write(tmp_path / "CWWellbeingResponses.csv", rows))
    # header = line 1; R0 spans lines 2-4; R1 is line 5; R2 is line 6
    assert data.quarantine["row"].tolist() == [6]
    assert data.quarantine["file"].tolist() == ["CWWellbeingResponses.csv"]
    assert data.accounting["file"].tolist() == ["CWWellbeingResponses.csv"]
    assert str(tmp_path) not in data.quarantine.to_csv() + data.accounting.to_csv()


def test_a_row_with_an_extra_or_missing_field_is_quarantined_not_the_file(tmp_path):
    rows = [_row(i) for i in range(12)]
    rows.insert(3, [*_row(90), "an extra field"])
    rows.insert(5, _row(91)[:5])
    data = read_wellbeing(_write(tmp_path / "s.csv", rows))
    acc = data.accounting.iloc[0]
    assert (acc["read"], acc["accepted"], acc["quarantined"]) == (14, 12, 2)
    reasons = data.quarantine.set_index("row")["reason"].to_dict()
    assert reasons == {
        5: f"row has {len(HEADER) + 1} fields but the header has {len(HEADER)}",
        7: f"row has 5 fields but the header has {len(HEADER)}",
    }


def test_blank_optional_free_text_does_not_crash_the_release(tmp_path):
    rows = [_row(i, "" if i % 2 else f"comment {i}") for i in range(40)]
    data = read_wellbeing(_write(tmp_path / "s.csv", rows))
    release = release_wellbeing(data)
    assert sorted(release.free_text["text"]) == sorted(f"comment {i}" for i in range(0, 40, 2))


def test_survey_without_free_text_column_and_with_parquet(tmp_path):
    import pandas as pd

    frame = pd.DataFrame([_row(i) for i in range(12)], columns=HEADER).drop(columns="FreeText")
    frame.to_parquet(tmp_path / "s.parquet")
    data = read_wellbeing(tmp_path / "s.parquet")
    assert len(data.responses) == 12
    release_wellbeing(data)
