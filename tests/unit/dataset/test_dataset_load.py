"""load_dataset on clean input: tables, schemas, engines, file discovery."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from dataset_helpers import base_tables, write_folder

from clearwater.dataset import contract
from clearwater.dataset.load import load_dataset
from clearwater.dataset.model import clean_schema


def _fields(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    return [(f.name, f.type) for f in schema]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_clean_tables_have_the_clean_schema(make_folder, duckdb_engine, fmt):
    data = load_dataset(make_folder(fmt=fmt), duckdb_engine)
    assert set(data.tables) == {
        "person", "referral", "contact", "complaint", "score", "activity", "staff",
    }  # fmt: skip
    for name, table in data.tables.items():
        got = duckdb_engine.to_pyarrow(table).schema
        assert _fields(got) == _fields(clean_schema(name)), name


def test_loads_onto_each_engine_with_row_counts(make_folder, engine):
    data = load_dataset(make_folder(), engine)
    assert data.engine is engine
    counts = {name: int(engine.execute(t.count())) for name, t in data.tables.items()}
    assert counts == {
        "person": 2, "referral": 2, "contact": 4, "activity": 2, "complaint": 2, "score": 4,
        "staff": 2,
    }  # fmt: skip
    assert data.quarantine.empty
    assert (data.accounting.read == data.accounting.accepted).all()


def test_values_are_typed_and_normalised(make_folder, duckdb_engine):
    def edit(t):
        t["IDS201CareContact"].loc[0, "AppType"] = "1"  # -> 01
        t["IDS201CareContact"].loc[1, "AttendOrDNACode"] = "05"  # -> 5
        t["IDS101Referral"].loc[0, "ReferralRequestReceivedDate"] = "2023-04-01T08:15:00"
        t["IDS001MPI"].loc[0, "Gender"] = " x "

    data = load_dataset(make_folder(edit), duckdb_engine)
    c = duckdb_engine.execute(data["contact"].order_by("source_row"))
    assert list(c.app_type) == ["01", "02", "02", "01"]
    assert list(c.attend_code) == ["5", "5", "3", "5"]
    r = duckdb_engine.execute(data["referral"].order_by("source_row"))
    assert str(r.referral_date[0])[:10] == "2023-04-01"
    p = duckdb_engine.execute(data["person"].order_by("source_row"))
    assert p.gender[0] == "X"
    assert list(p.imd_decile.astype("Int64")) == [3, pd.NA]


def test_ids607_is_dated_through_its_contact_or_activity(make_folder, duckdb_engine):
    data = load_dataset(make_folder(), duckdb_engine)
    s = duckdb_engine.execute(data["score"].order_by("score_id")).set_index("score_id")
    via_activity = s.loc["IDS607CodedScoreAssessmentAct:3"]
    assert via_activity.contact_id == "C2"
    assert via_activity.pathway_id == "R1"
    assert str(via_activity.score_date)[:10] == "2023-04-20"
    assert via_activity.score_time == "10:30:00"
    assert via_activity.tool == "PHQ9"  # from the SNOMED code
    assert s.loc["IDS607CodedScoreAssessmentAct:4"].tool == "GAD7"
    ids606 = s.loc["IDS606CodedScoreAssessmentRefer:2"]
    assert ids606.tool == "PHQ9" and pd.isna(ids606.contact_id)
    assert set(s.source_table) == {contract.SCORE_ACTIVITY.source, contract.SCORE_REFERRAL.source}


def test_contact_clinician_filled_from_first_activity(make_folder, duckdb_engine):
    def edit(t):
        extra = pd.DataFrame(
            [{"CareActId": "A0", "CareContactId": "C2", "CarePersLocalId": "T9"}], dtype="string"
        )
        t["IDS202CareActivity"] = pd.concat([t["IDS202CareActivity"], extra], ignore_index=True)

    data = load_dataset(make_folder(edit), duckdb_engine)
    c = duckdb_engine.execute(data["contact"]).set_index("contact_id")
    assert c.loc["C2"].clinician_id == "T2"  # A2 (row 3) comes before A0 (row 4)
    assert c.loc["C1"].clinician_id == "T1"  # the contact's own clinician is kept


def test_names_match_case_insensitively_and_unknowns_are_noted(tmp_path, duckdb_engine):
    tables = base_tables()
    tables["IDS201CareContact"] = tables["IDS201CareContact"].rename(columns=str.upper)
    tables["IDS201CareContact"]["Mystery"] = "x"
    renamed = {k.lower() if k.startswith("IDS2") else k: v for k, v in tables.items()}
    folder = write_folder(tmp_path / "d", renamed)
    (folder / "readme.txt").write_text("hello")
    data = load_dataset(folder, duckdb_engine)
    assert int(duckdb_engine.execute(data["contact"].count())) == 4
    assert any("Mystery" in n for n in data.notes)
    assert any("readme.txt" in n for n in data.notes)


def test_source_row_is_the_file_line(tmp_path, duckdb_engine):
    tables = base_tables()
    folder = write_folder(tmp_path / "d", tables)
    # a blank line and a value spanning two lines shift the physical line numbers
    path = folder / "IDS603PresentingComplaints.csv"
    path.write_text(
        "ServiceRequestId,PresComp,PresCompCodSig,PresCompDate\n"
        '\nR1,"F41.1\n",P,2023-04-10\nR2,F32,P,\n'
    )
    data = load_dataset(folder, duckdb_engine)
    rows = duckdb_engine.execute(data["complaint"].order_by("source_row")).source_row
    assert list(rows) == [3, 5]
