"""Wellbeing survey: CBI scoring by hand, validation and accounting, safe release."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearwater.errors import DataContractError
from clearwater.workforce.disclosure import DisclosurePolicy
from clearwater.workforce.wellbeing import (
    CBI_ITEMS,
    PRESSURE_ITEMS,
    cbi_scores,
    read_wellbeing,
    release_wellbeing,
    standard_requests,
)


def test_cbi_hand_worked_example():
    # personal: 100, 75, 50, 25, 0, 50 -> 300/6 = 50.0
    # work: items 7-12 = 75 each, item 13 answered 25 -> reversed to 75 -> mean 75.0
    # client: only two items answered -> fewer than 3 -> no score
    answers = {1: 100, 2: 75, 3: 50, 4: 25, 5: 0, 6: 50}
    answers |= {i: 75 for i in range(7, 13)} | {13: 25}
    answers |= {14: 100, 15: 100}
    assert cbi_scores(answers) == {"personal": 50.0, "work": 75.0, "client": None}


def test_cbi_reversal_and_three_item_minimum():
    # work: 7 = 100, 8 = 50, 13 = 100 (reversed to 0) -> (100 + 50 + 0) / 3 = 50.0
    s = cbi_scores({7: 100, 8: 50, 13: 100, 14: 25, 15: 50, 16: 75})
    assert s["work"] == 50.0
    assert s["client"] == 50.0
    assert s["personal"] is None
    with pytest.raises(ValueError):
        cbi_scores({1: 60, 2: 50, 3: 50})


def _responses(n_by_team_month: dict[tuple[str, str], int], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    rid = 0
    for (team, month), n in n_by_team_month.items():
        for _ in range(n):
            rid += 1
            row = {"ResponseId": f"r{rid}", "CW_TeamId": team, "Date": f"{month}-15"}
            for item in CBI_ITEMS:
                row[item] = str(int(rng.choice([0, 25, 50, 75, 100])))
            for item in PRESSURE_ITEMS:
                row[item] = str(rng.choice(["Y", "N", "X", ""]))
            row["FreeText"] = f"comment {rid}"
            rows.append(row)
    return pd.DataFrame(rows)


def test_reading_accounts_for_every_row(tmp_path):
    frame = _responses({("T1", "2024-04"): 5})
    frame.loc[1, "CBI03"] = "60"
    frame.loc[2, "Date"] = "2024-13-01"
    frame.loc[3, "ResponseId"] = "r1"  # duplicate
    frame.loc[4, "SafeStaffing"] = "maybe"
    path = tmp_path / "CWWellbeingResponses.csv"
    frame.to_csv(path, index=False)
    data = read_wellbeing(path)
    acc = data.accounting.iloc[0]
    assert (acc["read"], acc["accepted"], acc["quarantined"]) == (5, 1, 4)
    q = data.quarantine.set_index("row")
    assert q.loc[3, "column"] == "CBI03" and q.loc[3, "value"] == "60"
    assert q.loc[4, "column"] == "Date"
    assert q.loc[5, "column"] == "ResponseId"
    assert q.loc[6, "column"] == "SafeStaffing"


def test_missing_column_and_staff_identifier_are_contract_errors(tmp_path):
    frame = _responses({("T1", "2024-04"): 2})
    path = tmp_path / "w.csv"
    frame.drop(columns=["CBI07"]).to_csv(path, index=False)
    with pytest.raises(DataContractError, match="column CBI07"):
        read_wellbeing(path)
    frame.assign(CarePersLocalId="C1").to_csv(path, index=False)
    with pytest.raises(DataContractError, match="anonymous"):
        read_wellbeing(path)


def test_release_shows_only_safe_blocks_and_hides_small_free_text(tmp_path):
    counts = {
        ("T1", "2024-04"): 6,
        ("T1", "2024-05"): 7,
        ("T2", "2024-04"): 25,
        ("T3", "2024-05"): 3,
    }
    path = tmp_path / "w.parquet"
    _responses(counts).to_parquet(path)
    rel = release_wellbeing(read_wellbeing(path), DisclosurePolicy(min_group=10, free_text_min=20))
    b = rel.blocks.set_index("group")
    # T1's two months pooled; T3 (3 responses) joins the smallest team, never shown alone
    assert set(b.index) == {"T1 + other teams (combined)", "T2"}
    assert b.loc["T2", "n_shown"] == 25
    assert b.loc["T1 + other teams (combined)", "n_shown"] == 15  # 16 rounded
    assert b.loc["T1 + other teams (combined)", "periods"] == "2024-04 to 2024-05"
    # free text only from the round's fixed blocks of at least 30 responses (a caller's 20
    # cannot make smaller ones), sorted (order reveals nothing): every team is under 30, so
    # all comments are shown pooled
    assert set(rel.free_text["group"]) == {"Other teams (combined)"}
    assert len(rel.free_text) == 41
    assert list(rel.free_text["text"]) == sorted(rel.free_text["text"])
    # every standard request (teams, pairs of teams, months, quarters, years) is either a
    # union of blocks or suppressed
    data = read_wellbeing(path)
    groupings, periods = standard_requests(data.responses)
    table = rel.partition.request(groupings, periods)
    assert (table.loc[table["released"], "n"] >= 10).all()
    assert not table.loc[(table["grouping"] == "T1") & table["released"]].shape[0]
    # the means are computed from the responses in each block, with Laplace noise of scale
    # 100 / (n x epsilon) and rounded to whole points
    from clearwater.workforce.disclosure import MEAN_EPSILON, noisy_mean

    t2 = data.responses[data.responses["CW_TeamId"] == "T2"]["cbi_work"].dropna()
    assert b.loc["T2", "work_mean"] == noisy_mean(t2.tolist(), "work|T2, 2024-04")
    assert abs(b.loc["T2", "work_mean"] - t2.mean()) < 10 * 100 / (len(t2) * MEAN_EPSILON)


def test_option_counts_are_protected_across_blocks():
    counts = {("T1", "2024-04"): 12, ("T2", "2024-04"): 14, ("T3", "2024-04"): 11}
    frame = _responses(counts, seed=3)
    frame["Date"] = pd.to_datetime(frame["Date"]).dt.date
    for item in CBI_ITEMS:
        frame[item] = pd.to_numeric(frame[item])
    frame["AskedToAlterData"] = "N"
    frame.loc[frame.index[:2], "AskedToAlterData"] = "Y"  # 2 people in T1 said yes
    for item in [c for c in PRESSURE_ITEMS if c != "AskedToAlterData"]:
        frame[item] = frame[item].replace("", None)
    from clearwater.workforce.wellbeing import score_responses

    rel = release_wellbeing(score_responses(frame))
    pt = rel.options["AskedToAlterData"]
    assert pt.suppressed.loc["T1, 2024-04", "Yes"]
    assert pd.isna(rel.blocks.set_index("group").loc["T1", "AskedToAlterData_pct"])
    # the hidden 2 cannot be worked back from rows, columns and totals
    from clearwater.workforce.disclosure import is_recoverable

    assert not is_recoverable(pt, "T1, 2024-04", "Yes")
