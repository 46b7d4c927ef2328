"""Row accounting: read == accepted + quarantined, on messy generated input."""

from __future__ import annotations

import pandas as pd
import pytest
from dataset_helpers import base_tables, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearwater.dataset.load import load_dataset
from clearwater.dataset.validate import AccountingError, check_accounting

IDS = st.sampled_from(["P1", "P2", "P3", "", " P1 ", "R1", "R2", "R9", "C1", "C2", "C9"])
DATES = st.sampled_from(
    ["2023-04-01", "2023-05-30", "2023-02-29", "1899-12-31", "2999-01-01", "", "x",
     "2023-06-01T10:00:00", "01/02/2023"]
)  # fmt: skip
CODES = st.sampled_from(["1", "01", "2", "02", "3", "5", "6", "06", "7", "99", "", "x"])
NUMS = st.sampled_from(["0", "3", "9", "10", "27", "28", "-1", "2.5", "", "abc", "1e3"])
TOOLS = st.sampled_from(["PHQ9", "gad7", "720433000", "445455005", "WSAS", "BDI", "", "MI"])


def _frame(draw, n, row):
    return pd.DataFrame([draw(row) for _ in range(n)], dtype="string")


@st.composite
def messy_folder_tables(draw):
    t = base_tables()
    n = draw(st.integers(1, 8))
    t["IDS001MPI"] = _frame(draw, n, st.fixed_dictionaries({
        "LocalPatientId": IDS, "PersonBirthDate": DATES, "Gender": CODES,
        "EthnicCategory": st.sampled_from(["A", "99", "Q", ""]),
        "IndicesOfDeprivationDecile": NUMS,
    }))  # fmt: skip
    t["IDS101Referral"] = _frame(draw, draw(st.integers(1, 8)), st.fixed_dictionaries({
        "ServiceRequestId": IDS, "LocalPatientId": IDS, "OrgIDProv": st.just("RCW"),
        "ReferralRequestReceivedDate": DATES, "SourceOfReferralIAPT": st.just(""),
        "ServDischDate": DATES, "EndCode": CODES,
    }))  # fmt: skip
    t["IDS201CareContact"] = _frame(draw, draw(st.integers(1, 10)), st.fixed_dictionaries({
        "CareContactId": IDS, "ServiceRequestId": IDS, "CareContDate": DATES,
        "CareContTime": st.sampled_from(["09:00", "25:00", ""]), "AppType": CODES,
        "AttendOrDNACode": CODES, "PlannedCareContIndicator": st.sampled_from(["Y", "n", "Q"]),
        "ClinContDurOfCareCont": NUMS, "ConsMechanism": st.just(""), "CarePersLocalId": IDS,
    }))  # fmt: skip
    t["IDS607CodedScoreAssessmentAct"] = _frame(draw, draw(st.integers(1, 10)),
        st.fixed_dictionaries({
            "CareContactId": IDS, "CareActId": st.sampled_from(["A1", "A2", "A9", ""]),
            "CodedAssToolType": TOOLS, "PersScore": NUMS,
            "CW_ItemScores": st.sampled_from(["", "1,1,1,1,1,1,1,1,1", "1,2", "x"]),
        }))  # fmt: skip
    return t


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=messy_folder_tables())
def test_every_row_is_accepted_or_quarantined(tmp_path_factory, duckdb_engine, tables):
    folder = write_folder(tmp_path_factory.mktemp("hyp") / "d", tables)
    data = load_dataset(folder, duckdb_engine)
    acc = data.accounting.set_index("table")
    for name, frame in tables.items():
        row = acc.loc[name]
        assert row.read == len(frame)
        assert row.read == row.accepted + row.quarantined
    # every source row appears exactly once: in its clean table or in the quarantine
    for clean, source in (("person", "IDS001MPI"), ("contact", "IDS201CareContact")):
        kept = list(duckdb_engine.execute(data[clean]).source_row)
        dropped = list(data.quarantine[data.quarantine.table == source].row)
        assert sorted(kept + dropped) == list(range(2, len(tables[source]) + 2))


def test_unbalanced_accounts_raise():
    good = pd.DataFrame(
        [("T", "t.csv", 5, 3, 2)], columns=["table", "file", "read", "accepted", "quarantined"]
    )
    check_accounting(good)
    bad = good.assign(accepted=4)
    with pytest.raises(AccountingError, match="read 5 != accepted 4 \\+ quarantined 2"):
        check_accounting(bad)
