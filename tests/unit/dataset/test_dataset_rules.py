"""Each validation rule, on one messy folder loaded once (plus the contract errors)."""

from __future__ import annotations

import pandas as pd
import pytest
from dataset_helpers import base_tables, write_folder

from clearwater.dataset.load import load_dataset
from clearwater.dataset.validate import UNKNOWN_TOOL
from clearwater.errors import DataContractError


def _add(tables, name, rows):
    extra = pd.DataFrame(rows, dtype="string")
    tables[name] = pd.concat([tables[name], extra], ignore_index=True).fillna("")


def _contact(cid, rid, day, app="02", attend="5", clin="T1", dur="30"):
    return {"CareContactId": cid, "ServiceRequestId": rid, "CareContDate": day,
            "CareContTime": "", "AppType": app, "AttendOrDNACode": attend,
            "PlannedCareContIndicator": "Y", "ClinContDurOfCareCont": dur,
            "ConsMechanism": "", "CarePersLocalId": clin}  # fmt: skip


def _s607(cid, tool, score, items="", rec="", mode="", act=""):
    return {"CareContactId": cid, "CareActId": act, "CodedAssToolType": tool,
            "PersScore": score, "CW_ItemScores": items, "CW_RecordedAt": rec,
            "CW_EntryMode": mode}  # fmt: skip


def messy_tables():
    t = base_tables()
    _add(t, "IDS001MPI", [
        {"LocalPatientId": "P3", "PersonBirthDate": "1850-01-01"},  # row 4
        {"LocalPatientId": "P1", "PersonBirthDate": "1980-01-01", "Gender": "2",
         "EthnicCategory": "A", "IndicesOfDeprivationDecile": "3"},  # row 5 identical copy
        {"LocalPatientId": "P4", "IndicesOfDeprivationDecile": "11"},  # row 6
        {"LocalPatientId": "P5", "Gender": "7"},  # row 7
        {"LocalPatientId": "P6", "PersonBirthDate": "2999-01-01"},  # row 8
        {"LocalPatientId": "P7", "PersonBirthDate": "2000-01-01"},  # row 9
    ])  # fmt: skip
    ref = {"OrgIDProv": "RCW", "ReferralRequestReceivedDate": "2023-04-01"}
    _add(t, "IDS101Referral", [
        {**ref, "ServiceRequestId": "R3", "LocalPatientId": "P3"},  # row 4
        {**ref, "ServiceRequestId": "R4", "LocalPatientId": "P1",
         "ServDischDate": "2023-03-01"},  # row 5
        {**ref, "ServiceRequestId": "R5", "LocalPatientId": "P1",
         "ReferralRequestReceivedDate": "2023-13-01"},  # row 6
        {**ref, "ServiceRequestId": "R6", "LocalPatientId": "P7",
         "ReferralRequestReceivedDate": "1999-01-01"},  # row 7
        {**ref, "ServiceRequestId": "R7", "LocalPatientId": "P1", "EndCode": "42",
         "ServDischDate": "2023-05-01"},  # row 8
        {**ref, "ServiceRequestId": "R8", "LocalPatientId": "P2", "EndCode": "99",
         "ServDischDate": "2023-06-01"},  # row 9
    ])  # fmt: skip
    _add(t, "IDS201CareContact", [
        _contact("C5", "R3", "2023-04-05"),  # row 6
        _contact("C6", "R1", "2023-04-05", app="7"),  # row 7
        _contact("C7", "R1", "31/02/2023"),  # row 8
        {**_contact("C1", "R1", "2023-04-10", app="01", dur="60"), "CareContTime": "09:00",
         "ConsMechanism": "01"},  # row 9 identical copy
        _contact("C8", "R1", "2023-03-01", app="01"),  # row 10 before referral
        _contact("C9", "R1", "2023-08-01"),  # row 11 after discharge
        _contact("C10", "R1", "2023-08-02", app="6"),  # row 12 follow-up: fine
        _contact("C11", "R2", "2023-05-20", clin=""),  # row 13 no clinician
        _contact("C12", "R2", "2023-05-21", dur="abc"),  # row 14
        {**_contact("C13", "R2", "2023-05-22"), "CareContTime": "25:00"},  # row 15
        _contact("C14", "R2", "2023-05-23", dur="2.5"),  # row 16
        _contact("", "R2", "2023-05-23"),  # row 17
    ])  # fmt: skip
    _add(t, "IDS202CareActivity", [
        {"CareActId": "A3", "CareContactId": "C5", "CarePersLocalId": "T1"},  # row 4
    ])  # fmt: skip
    _add(t, "IDS607CodedScoreAssessmentAct", [
        _s607("C1", "BDI", "10"),  # row 5
        _s607("C1", "PHQ9", "30"),  # row 6
        _s607("C1", "GAD7", "7.5"),  # row 7
        _s607("X99", "PHQ9", "3"),  # row 8
        _s607("", "PHQ9", "3"),  # row 9
        _s607("C3", "PHQ9", "10"),  # row 10 non-attended contact
        _s607("C9", "PHQ9", "5"),  # row 11 after discharge
        _s607("C1", "PHQ9", "9", items="1,1,1,1,1,1,1,1,1"),  # row 12 fine
        _s607("C1", "PHQ9", "10", items="1,1,1,1,1,1,1,1,1"),  # row 13
        _s607("C1", "GAD7", "7", items="1,1,1,1,1,2"),  # row 14
        _s607("C1", "PHQ9", "4", items="4,0,0,0,0,0,0,0,0"),  # row 15
        _s607("C1", "PHQ9", "4", items="a,b"),  # row 16
        _s607("C1", "PHQ9", "3", rec="2023-05-01T10:00:00"),  # row 17 late entry
        _s607("C1", "PHQ9", "3", mode="robot"),  # row 18
        _s607("C1", "MI", "2.5", items=",".join(["2", "3"] * 13 + ["3"])),  # row 19 mean 2.52
        _s607("", "GAD7", "5", mode="Self", act="A1"),  # row 20 fine, via activity
        _s607("C1", "PHQ9", "3", rec="2023-04-10 25:00"),  # row 21
        _s607("C1", "PHQ9", "", rec="2023-04-10T11:00:00Z"),  # row 22
    ])  # fmt: skip
    _add(t, "IDS606CodedScoreAssessmentRefer", [
        {"ServiceRequestId": "R1", "CodedAssToolType": "PHQ9", "PersScore": "5",
         "AssToolCompDate": "2023-03-15"},  # row 3 before referral
        {"ServiceRequestId": "R99", "CodedAssToolType": "PHQ9", "PersScore": "5",
         "AssToolCompDate": "2023-04-15"},  # row 4
    ])  # fmt: skip
    _add(t, "IDS603PresentingComplaints", [
        {"ServiceRequestId": "R99", "PresComp": "F32"},  # row 4
    ])  # fmt: skip
    return t


@pytest.fixture(scope="module")
def messy(tmp_path_factory, duckdb_engine):
    folder = tmp_path_factory.mktemp("messy") / "data"
    tables = messy_tables()
    activity = tables.pop("IDS202CareActivity")
    person = tables.pop("IDS001MPI")
    write_folder(folder, tables)
    write_folder(folder, {"IDS202CareActivity": activity}, fmt="parquet")
    write_folder(folder, {"IDS001MPI": person}, encoding="utf-8-sig")  # with a BOM
    with (folder / "IDS603PresentingComplaints.csv").open("a") as fh:
        fh.write("R1,F32,P,2023-04-10,surplus\n")  # row 5: too many fields
    return load_dataset(folder, duckdb_engine)


def _q(data, table):
    q = data.quarantine[data.quarantine.table == table]
    return {int(r.row): (r.column, r.reason, r.value) for r in q.itertuples()}


def test_person_rules(messy):
    q = _q(messy, "IDS001MPI")
    assert q[4][:2] == ("PersonBirthDate", "date before 1900")
    assert q[5] == ("LocalPatientId", "duplicate key: first seen at row 2", "P1")
    assert q[6][:2] == ("IndicesOfDeprivationDecile", "outside the range 1 to 10")
    assert q[7][0] == "Gender" and q[7][1].startswith("code not in the list")
    assert q[8][1].startswith("date in the future")
    assert set(q) == {4, 5, 6, 7, 8}


def test_referral_rules(messy):
    q = _q(messy, "IDS101Referral")
    assert q[4] == (
        "LocalPatientId",
        "LocalPatientId not found among accepted rows of IDS001MPI",
        "P3",
    )
    assert q[5][:2] == ("ServDischDate", "discharge date before referral date")
    assert q[6] == ("ReferralRequestReceivedDate", "not a valid date (YYYY-MM-DD)", "2023-13-01")
    assert q[7][0] == "ReferralRequestReceivedDate"
    assert q[7][1].startswith("referral date before the person's birth date")
    assert set(q) == {4, 5, 6, 7}


def test_contact_rules(messy):
    q = _q(messy, "IDS201CareContact")
    assert q[6][:2] == (
        "ServiceRequestId",
        "ServiceRequestId not found among accepted rows of IDS101Referral",
    )
    assert q[7][0] == "AppType" and q[7][2] == "7"
    assert q[8][:2] == ("CareContDate", "not a valid date (YYYY-MM-DD)")
    assert q[9][1] == "duplicate key: first seen at row 2"
    assert q[14][:2] == ("ClinContDurOfCareCont", "not a number")
    assert q[15][:2] == ("CareContTime", "not a valid time (HH:MM[:SS])")
    assert q[16][:2] == ("ClinContDurOfCareCont", "not a whole number")
    assert q[17][:2] == ("CareContactId", "value is missing")
    assert set(q) == {6, 7, 8, 9, 14, 15, 16, 17}
    assert _q(messy, "IDS202CareActivity") == {
        4: ("CareContactId", "CareContactId not found among accepted rows of IDS201CareContact",
            "C5")
    }  # fmt: skip


def test_score_rules(messy):
    q = _q(messy, "IDS607CodedScoreAssessmentAct")
    assert q[5] == ("CodedAssToolType", UNKNOWN_TOOL, "BDI")
    assert q[6][:2] == ("PersScore", "score outside the range 0 to 27 for PHQ9")
    assert q[7][:2] == ("PersScore", "GAD7 scores are whole numbers")
    assert q[8][0] == "CareContactId" and "not found" in q[8][1]
    assert q[9][1].startswith("neither CareContactId nor CareActId")
    assert q[13][:2] == ("CW_ItemScores", "CW_ItemScores add up to 9 but PersScore is 10")
    assert q[14][:2] == ("CW_ItemScores", "CW_ItemScores must have 7 items for GAD7")
    assert q[15][:2] == ("CW_ItemScores", "an item score is outside 0 to 3 for PHQ9")
    assert q[16][1] == "CW_ItemScores must be whole numbers separated by commas"
    assert q[18][0] == "CW_EntryMode"
    assert q[21][:2] == ("CW_RecordedAt", "not a valid date and time")
    assert q[22][:2] == ("PersScore", "value is missing")
    assert set(q) == {5, 6, 7, 8, 9, 13, 14, 15, 16, 18, 21, 22}
    assert _q(messy, "IDS606CodedScoreAssessmentRefer")[4][0] == "ServiceRequestId"


def test_score_table_keeps_valid_rows(messy, duckdb_engine):
    s = duckdb_engine.execute(messy["score"]).set_index("score_id")
    mi = s.loc["IDS607CodedScoreAssessmentAct:19"]
    assert mi.tool == "MI" and mi.score == 2.5  # items average 2.52: within rounding
    via_act = s.loc["IDS607CodedScoreAssessmentAct:20"]
    assert via_act.contact_id == "C1" and via_act.entry_mode == "self"


def test_duplicate_keys_that_disagree_quarantine_every_copy_and_its_children(
    make_folder, duckdb_engine
):
    def edit(t):
        # C2 (R1) appears again pointing at R2: which referral its scores belong to is unknown
        _add(t, "IDS201CareContact", [_contact("C2", "R2", "2023-05-12")])  # row 6
        # an identical copy of C4 is only a repeat: the first copy wins
        _add(t, "IDS201CareContact", [{**_contact("C4", "R2", "2023-05-10", app="01",
             dur="30"), "PlannedCareContIndicator": "N"}])  # fmt: skip  # row 7

    data = load_dataset(make_folder(edit), duckdb_engine)
    q = _q(data, "IDS201CareContact")
    assert set(q) == {3, 6, 7}
    for row in (3, 6):
        assert q[row][0] == "CareContactId" and q[row][2] == "C2"
        assert q[row][1].startswith("duplicate key whose copies disagree (first seen at row 3)")
    assert q[7][1] == "duplicate key: first seen at row 5"
    # the activity on C2 and the IDS607 score dated through it go too, saying why
    act = _q(data, "IDS202CareActivity")
    assert act[3][0] == "CareContactId" and "disagree" in act[3][1]
    sc = _q(data, "IDS607CodedScoreAssessmentAct")
    assert sc[3][0] == "CareActId" and "disagree" in sc[3][1]
    acc = data.accounting.set_index("table")
    assert (acc.read == acc.accepted + acc.quarantined).all()


def test_uk_dates_are_read_day_first_with_a_note(make_folder, duckdb_engine):
    def edit(t):
        _add(t, "IDS201CareContact", [_contact("C5", "R1", "02/05/2023")])  # row 6

    data = load_dataset(make_folder(edit), duckdb_engine)
    c = duckdb_engine.execute(data["contact"]).set_index("contact_id")
    assert str(c.loc["C5", "contact_date"])[:10] == "2023-05-02"
    assert any("1 value(s) of CareContDate written dd/mm/yyyy" in n for n in data.notes)


def test_malformed_csv_row_is_quarantined(messy):
    q = _q(messy, "IDS603PresentingComplaints")
    assert q[5][1] == "row has 5 fields but the header has 4"
    assert q[4][0] == "ServiceRequestId"


def test_findings_are_listed_and_rows_kept(messy, duckdb_engine):
    f = messy.findings
    got = {(r.table, int(r.row), r.check) for r in f.itertuples()}
    assert got == {
        ("IDS101Referral", 8, "legacy_end_code"),
        ("IDS101Referral", 9, "unknown_end_code"),
        ("IDS201CareContact", 10, "contact_before_referral"),
        ("IDS201CareContact", 11, "contact_after_discharge"),
        ("IDS201CareContact", 13, "treatment_contact_without_clinician"),
        ("IDS607CodedScoreAssessmentAct", 10, "score_at_non_attended_contact"),
        ("IDS607CodedScoreAssessmentAct", 11, "score_after_discharge"),
        ("IDS607CodedScoreAssessmentAct", 17, "late_score_entry"),
        ("IDS606CodedScoreAssessmentRefer", 3, "score_before_referral"),
    }
    assert set(f.file) == {
        "IDS101Referral.csv", "IDS201CareContact.csv", "IDS607CodedScoreAssessmentAct.csv",
        "IDS606CodedScoreAssessmentRefer.csv",
    }  # fmt: skip
    row = f[f.check == "score_after_discharge"].iloc[0]
    assert row.pathway_id == "R1" and "2023-07-01" in row.message
    contacts = set(duckdb_engine.execute(messy["contact"]).contact_id)
    assert {"C8", "C9", "C10", "C11"} <= contacts


def test_accounting_balances(messy):
    acc = messy.accounting.set_index("table")
    assert (acc.read == acc.accepted + acc.quarantined).all()
    assert acc.loc["IDS001MPI", "read"] == 8 and acc.loc["IDS001MPI", "quarantined"] == 5
    assert acc.loc["IDS607CodedScoreAssessmentAct", "accepted"] == 9
    assert acc.loc["IDS202CareActivity", "file"] == "IDS202CareActivity.parquet"
    q = messy.quarantine
    assert not q.duplicated(["table", "row"]).any()  # one record per rejected row


# ---- contract errors: the whole folder is refused ----------------------------------------


def _error(make_folder, edit, match, fmt="csv"):
    with pytest.raises(DataContractError, match=match) as info:
        load_dataset(make_folder(edit, fmt=fmt))
    return info.value


def test_missing_required_column_names_file_and_column(make_folder):
    err = _error(make_folder, lambda t: t["IDS201CareContact"].pop("AppType"), "AppType")
    assert err.file == "IDS201CareContact.csv" and err.column == "AppType"


def test_missing_required_column_in_parquet(make_folder):
    err = _error(make_folder, lambda t: t["IDS001MPI"].pop("Gender"), "Gender", fmt="parquet")
    assert err.file == "IDS001MPI.parquet"


def test_missing_required_table(make_folder):
    err = _error(make_folder, lambda t: t.pop("IDS603PresentingComplaints"), "not found")
    assert err.file == "IDS603PresentingComplaints.csv"


def test_no_score_table(make_folder):
    def edit(t):
        t.pop("IDS606CodedScoreAssessmentRefer")
        t.pop("IDS607CodedScoreAssessmentAct")

    _error(make_folder, edit, "no score table")


def test_empty_required_table(make_folder):
    err = _error(make_folder, lambda t: t.update(IDS101Referral=t["IDS101Referral"][:0]), "empty")
    assert err.file == "IDS101Referral.csv"


def test_latin1_file_is_refused(make_folder):
    folder = make_folder()
    path = folder / "IDS001MPI.csv"
    path.write_bytes(path.read_bytes().replace(b"P2", "P\xe9".encode("latin-1")))
    with pytest.raises(DataContractError, match="not UTF-8") as info:
        load_dataset(folder)
    assert info.value.file == "IDS001MPI.csv"


def test_unreadable_parquet_is_refused(make_folder):
    folder = make_folder()
    (folder / "IDS001MPI.csv").unlink()
    (folder / "IDS001MPI.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataContractError, match="cannot read the file as Parquet"):
        load_dataset(folder)


def test_two_files_for_one_table(make_folder):
    folder = make_folder()
    (folder / "ids001mpi.parquet").write_bytes(b"")
    with pytest.raises(DataContractError, match="two files"):
        load_dataset(folder)


def test_empty_optional_table_is_noted(make_folder, duckdb_engine):
    def edit(t):
        t["CWStaff"] = t["CWStaff"][:0]

    data = load_dataset(make_folder(edit), duckdb_engine)
    assert any("CWStaff" in n and "empty" in n for n in data.notes)
    assert int(duckdb_engine.execute(data["staff"].count())) == 0
    acc = data.accounting.set_index("table").loc["CWStaff"]
    assert (acc.read, acc.accepted, acc.quarantined) == (0, 0, 0)


def test_missing_folder(tmp_path):
    with pytest.raises(DataContractError, match="not found"):
        load_dataset(tmp_path / "nowhere")


def test_zero_byte_optional_table_is_noted_like_an_empty_one(make_folder, duckdb_engine):
    folder = make_folder()
    (folder / "CWStaff.csv").write_bytes(b"")
    data = load_dataset(folder, duckdb_engine)
    assert any("CWStaff" in n and "0 bytes" in n for n in data.notes)
    assert int(duckdb_engine.execute(data["staff"].count())) == 0
    acc = data.accounting.set_index("table").loc["CWStaff"]
    assert (acc.read, acc.accepted, acc.quarantined) == (0, 0, 0)


def test_zero_byte_required_table_is_refused(make_folder):
    folder = make_folder()
    (folder / "IDS101Referral.csv").write_bytes(b"")
    with pytest.raises(DataContractError, match="empty") as info:
        load_dataset(folder)
    assert info.value.file == "IDS101Referral.csv"


def test_dangling_symlink_is_reported(make_folder):
    folder = make_folder()
    (folder / "CWSupervision.csv").symlink_to(folder / "nowhere.csv")
    with pytest.raises(DataContractError, match="does not exist") as info:
        load_dataset(folder)
    assert info.value.file == "CWSupervision.csv"


def test_dangling_symlink_to_no_table_is_noted(make_folder, duckdb_engine):
    folder = make_folder()
    (folder / "notes.txt").symlink_to(folder / "nowhere.txt")
    data = load_dataset(folder, duckdb_engine)
    assert any("notes.txt" in n and "does not exist" in n for n in data.notes)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_nul_byte_in_an_id_is_quarantined(make_folder, duckdb_engine, fmt):
    def edit(t):
        _add(t, "IDS001MPI", [{"LocalPatientId": "P\x009", "Gender": "1"}])  # row 4

    data = load_dataset(make_folder(edit, fmt=fmt), duckdb_engine)
    assert _q(data, "IDS001MPI") == {
        4: ("LocalPatientId", "value contains a NUL character", "P<NUL>9")
    }
