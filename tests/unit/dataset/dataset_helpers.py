"""Helpers for the dataset-stage tests: a tiny valid data set and a folder writer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def base_tables() -> dict[str, pd.DataFrame]:
    """A small valid data set, data set column names, every value a string."""
    t = {
        "IDS001MPI": [
            {"LocalPatientId": "P1", "PersonBirthDate": "1980-01-01", "Gender": "2",
             "EthnicCategory": "A", "IndicesOfDeprivationDecile": "3"},
            {"LocalPatientId": "P2", "PersonBirthDate": "1990-06-30", "Gender": "1",
             "EthnicCategory": "99", "IndicesOfDeprivationDecile": ""},
        ],
        "IDS101Referral": [
            {"ServiceRequestId": "R1", "LocalPatientId": "P1", "OrgIDProv": "RCW",
             "ReferralRequestReceivedDate": "2023-04-01", "SourceOfReferralIAPT": "B1",
             "ServDischDate": "2023-07-01", "EndCode": "46"},
            {"ServiceRequestId": "R2", "LocalPatientId": "P2", "OrgIDProv": "RCW",
             "ReferralRequestReceivedDate": "2023-05-01", "SourceOfReferralIAPT": "",
             "ServDischDate": "", "EndCode": ""},
        ],
        "IDS201CareContact": [
            {"CareContactId": "C1", "ServiceRequestId": "R1", "CareContDate": "2023-04-10",
             "CareContTime": "09:00", "AppType": "01", "AttendOrDNACode": "5",
             "PlannedCareContIndicator": "Y", "ClinContDurOfCareCont": "60",
             "ConsMechanism": "01", "CarePersLocalId": "T1"},
            {"CareContactId": "C2", "ServiceRequestId": "R1", "CareContDate": "2023-04-20",
             "CareContTime": "10:30:00", "AppType": "02", "AttendOrDNACode": "5",
             "PlannedCareContIndicator": "Y", "ClinContDurOfCareCont": "50",
             "ConsMechanism": "01", "CarePersLocalId": ""},
            {"CareContactId": "C3", "ServiceRequestId": "R1", "CareContDate": "2023-05-01",
             "CareContTime": "", "AppType": "02", "AttendOrDNACode": "3",
             "PlannedCareContIndicator": "Y", "ClinContDurOfCareCont": "",
             "ConsMechanism": "", "CarePersLocalId": "T2"},
            {"CareContactId": "C4", "ServiceRequestId": "R2", "CareContDate": "2023-05-10",
             "CareContTime": "", "AppType": "01", "AttendOrDNACode": "5",
             "PlannedCareContIndicator": "N", "ClinContDurOfCareCont": "30",
             "ConsMechanism": "", "CarePersLocalId": "T1"},
        ],
        "IDS202CareActivity": [
            {"CareActId": "A1", "CareContactId": "C1", "CarePersLocalId": "T1"},
            {"CareActId": "A2", "CareContactId": "C2", "CarePersLocalId": "T2"},
        ],
        "IDS603PresentingComplaints": [
            {"ServiceRequestId": "R1", "PresComp": "F41.1", "PresCompCodSig": "P",
             "PresCompDate": "2023-04-10"},
            {"ServiceRequestId": "R2", "PresComp": "F32", "PresCompCodSig": "P",
             "PresCompDate": ""},
        ],
        "IDS607CodedScoreAssessmentAct": [
            {"CareContactId": "C1", "CareActId": "A1", "CodedAssToolType": "PHQ9",
             "PersScore": "15"},
            {"CareContactId": "", "CareActId": "A2", "CodedAssToolType": "720433000",
             "PersScore": "12"},
            {"CareContactId": "C1", "CareActId": "", "CodedAssToolType": "445455005",
             "PersScore": "10"},
        ],
        "IDS606CodedScoreAssessmentRefer": [
            {"ServiceRequestId": "R2", "CodedAssToolType": "phq9", "PersScore": "20",
             "AssToolCompDate": "2023-05-10"},
        ],
        "CWStaff": [
            {"CarePersLocalId": "T1", "CW_TeamId": "TM1", "Role": "PWP", "FTE": "1.0"},
            {"CarePersLocalId": "T2", "CW_TeamId": "TM1", "Role": "HIT", "FTE": "0.8"},
        ],
    }  # fmt: skip
    return {k: pd.DataFrame(v, dtype="string") for k, v in t.items()}


def write_folder(
    folder: Path, tables: dict[str, pd.DataFrame], fmt: str = "csv", encoding: str = "utf-8"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
        else:
            df.to_parquet(folder / f"{name}.parquet", index=False)
    return folder
