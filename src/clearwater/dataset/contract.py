"""The input data contract: which tables, which columns, which codes.

Input files use the NHS Talking Therapies data set v2.1 table and column names (matched
case-insensitively).  After validation every table is exposed to the engine under a
*clean* name with *clean* (snake_case) column names and proper types.  This module is the
single source of truth for both sides of that mapping; ``docs/data-contract.md`` describes it
for users.

Clean types: ``str`` (string), ``date``, ``time`` (string HH:MM[:SS]), ``timestamp``,
``int`` (int64), ``float`` (float64).  Every clean table also carries ``source_row``: the
1-based line number of the row in its file (header = line 1; for Parquet, row index + 2 so the
numbering reads the same), so every figure can be traced back to its input row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "date", "time", "timestamp", "int", "float"]


@dataclass(frozen=True)
class Column:
    source: str  # name in the data set file (matched case-insensitively)
    clean: str  # name in the clean table
    type: ColumnType
    required: bool = True  # must be present as a column in the file
    nullable: bool = False  # may be empty in a row
    codes: frozenset[str] | None = None  # allowed codes (after normalisation), if a code list
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    source: str  # data set table name, e.g. IDS101Referral (also the file stem)
    clean: str  # clean table name, e.g. referral
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # clean names forming the primary key (must be unique)
    description: str = ""
    alternatives: tuple[str, ...] = field(default_factory=tuple)  # other accepted file stems

    def column(self, clean: str) -> Column:
        for c in self.columns:
            if c.clean == clean:
                return c
        raise KeyError(clean)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


GENDER_CODES = frozenset({"1", "2", "9", "X"})
ETHNIC_CODES = frozenset(
    {"A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z", "99"}
)
# AppType: 01 assessment, 02 treatment, 03 assessment and treatment, 04 review without
# treatment, 05 review and treatment, 06 follow-up, 10 employment support.
APP_TYPE_CODES = frozenset({"01", "02", "03", "04", "05", "06", "10"})
TREATMENT_APP_TYPES = frozenset({"02", "03", "05"})
ASSESSMENT_APP_TYPES = frozenset({"01", "03"})
# AttendOrDNACode: 2 cancelled by patient, 3 DNA, 4 cancelled by provider, 5 attended,
# 6 late but seen, 7 late not seen.
ATTEND_CODES = frozenset({"2", "3", "4", "5", "6", "7"})
ATTENDED_CODES = frozenset({"5", "6"})
PLANNED_CODES = frozenset({"Y", "N"})
END_CODES_NOT_SEEN = frozenset({"50"})
END_CODES_SEEN_NOT_TREATED = frozenset({"10", "11", "12", "13", "14", "16", "17", "95"})
END_CODES_TREATED = frozenset({"46", "47", "48", "49", "96"})
# Treated, ended unplanned: 47 earlier than the care professional planned, 48 earlier than the
# patient requested.
END_CODES_UNPLANNED = frozenset({"47", "48"})
END_CODES = END_CODES_NOT_SEEN | END_CODES_SEEN_NOT_TREATED | END_CODES_TREATED
END_CODES_LEGACY = frozenset({"40", "42", "43", "44"})
SIGNIFICANCE_CODES = frozenset({"P", "S"})
ROLE_CODES = frozenset({"PWP", "HIT", "COUNSELLOR", "OTHER"})
ENTRY_MODES = frozenset({"self", "clinician", "interpreter", "admin"})
SUPERVISION_TYPES = frozenset({"case_management", "clinical_skills"})


PERSON = TableSpec(
    source="IDS001MPI",
    clean="person",
    required=True,
    key=("person_id",),
    description="One row per person.",
    columns=(
        Column("LocalPatientId", "person_id", "str"),
        Column("PersonBirthDate", "birth_date", "date", nullable=True),
        Column("Gender", "gender", "str", nullable=True, codes=GENDER_CODES),
        Column("EthnicCategory", "ethnic_category", "str", nullable=True, codes=ETHNIC_CODES),
        Column(
            "IndicesOfDeprivationDecile",
            "imd_decile",
            "int",
            nullable=True,
            description="IMD 2019 decile, 1 = most deprived; empty = unknown",
        ),
        Column("LanguageCodePreferred", "language", "str", required=False, nullable=True),
    ),
)

REFERRAL = TableSpec(
    source="IDS101Referral",
    clean="referral",
    required=True,
    key=("pathway_id",),
    description="One row per referral (pathway).",
    columns=(
        Column("ServiceRequestId", "pathway_id", "str"),
        Column("LocalPatientId", "person_id", "str"),
        Column("OrgIDProv", "provider_id", "str"),
        Column("ReferralRequestReceivedDate", "referral_date", "date"),
        Column("SourceOfReferralIAPT", "referral_source", "str", nullable=True),
        Column("ServDischDate", "discharge_date", "date", nullable=True),
        Column("EndCode", "end_code", "str", nullable=True),
        Column("CW_TeamId", "team_id", "str", required=False, nullable=True),
    ),
)

CONTACT = TableSpec(
    source="IDS201CareContact",
    clean="contact",
    required=True,
    key=("contact_id",),
    description="One row per care contact (appointment).",
    columns=(
        Column("CareContactId", "contact_id", "str"),
        Column("ServiceRequestId", "pathway_id", "str"),
        Column("CareContDate", "contact_date", "date"),
        Column("CareContTime", "contact_time", "time", nullable=True),
        Column("AppType", "app_type", "str", codes=APP_TYPE_CODES),
        Column("AttendOrDNACode", "attend_code", "str", nullable=True, codes=ATTEND_CODES),
        Column("PlannedCareContIndicator", "planned", "str", nullable=True, codes=PLANNED_CODES),
        Column("ClinContDurOfCareCont", "duration_min", "int", nullable=True),
        Column("ConsMechanism", "cons_mechanism", "str", nullable=True),
        Column(
            "CarePersLocalId",
            "clinician_id",
            "str",
            required=False,
            nullable=True,
            description="the clinician; may instead come from IDS202CareActivity",
        ),
    ),
)

ACTIVITY = TableSpec(
    source="IDS202CareActivity",
    clean="activity",
    required=False,
    key=("activity_id",),
    description="Care activities within contacts (therapy type, clinician).",
    columns=(
        Column("CareActId", "activity_id", "str"),
        Column("CareContactId", "contact_id", "str"),
        Column("CodeProcAndProcStatus", "procedure_code", "str", required=False, nullable=True),
        Column("CarePersLocalId", "clinician_id", "str", required=False, nullable=True),
    ),
)

COMPLAINT = TableSpec(
    source="IDS603PresentingComplaints",
    clean="complaint",
    required=True,
    description="Presenting complaints; one is chosen per referral as its problem descriptor.",
    columns=(
        Column("ServiceRequestId", "pathway_id", "str"),
        Column("PresComp", "complaint_code", "str", description="ICD-10 (dot optional) or SNOMED"),
        Column("PresCompCodSig", "significance", "str", nullable=True, codes=SIGNIFICANCE_CODES),
        Column("PresCompDate", "complaint_date", "date", nullable=True),
    ),
)

# Scores arrive in IDS606 (referral level, dated) and/or IDS607 (activity level, dated by its
# contact).  Both are validated and then unified into one clean table ``score``.
_SCORE_EXTENSIONS = (
    Column("CW_ItemScores", "item_scores", "str", required=False, nullable=True),
    Column("CW_RecordedAt", "recorded_at", "timestamp", required=False, nullable=True),
    Column("CW_RecordedBy", "recorded_by", "str", required=False, nullable=True),
    Column("CW_EntryMode", "entry_mode", "str", required=False, nullable=True, codes=ENTRY_MODES),
)

SCORE_REFERRAL = TableSpec(
    source="IDS606CodedScoreAssessmentRefer",
    clean="score_referral",
    required=False,
    description="Questionnaire scores recorded at referral level, with their own date.",
    columns=(
        Column("ServiceRequestId", "pathway_id", "str"),
        Column("CodedAssToolType", "tool", "str"),
        Column("PersScore", "score", "float"),
        Column("AssToolCompDate", "score_date", "date"),
        Column("AssToolCompTime", "score_time", "time", required=False, nullable=True),
        *_SCORE_EXTENSIONS,
    ),
)

SCORE_ACTIVITY = TableSpec(
    source="IDS607CodedScoreAssessmentAct",
    clean="score_activity",
    required=False,
    description="Questionnaire scores recorded in a care contact/activity, dated by the contact.",
    columns=(
        Column("CareContactId", "contact_id", "str", required=False, nullable=True),
        Column("CareActId", "activity_id", "str", required=False, nullable=True),
        Column("CodedAssToolType", "tool", "str"),
        Column("PersScore", "score", "float"),
        *_SCORE_EXTENSIONS,
    ),
)

STAFF = TableSpec(
    source="CWStaff",
    clean="staff",
    required=False,
    key=("clinician_id",),
    description="Clearwater extension: clinicians, their team, role and FTE.",
    columns=(
        Column("CarePersLocalId", "clinician_id", "str"),
        Column("CW_TeamId", "team_id", "str", nullable=True),
        Column("Role", "role", "str", nullable=True, codes=ROLE_CODES),
        Column("FTE", "fte", "float", nullable=True),
    ),
)

SUPERVISION = TableSpec(
    source="CWSupervision",
    clean="supervision",
    required=False,
    description="Clearwater extension: supervision sessions received by clinicians.",
    columns=(
        Column("CarePersLocalId", "clinician_id", "str"),
        Column("Date", "supervision_date", "date"),
        Column("Type", "supervision_type", "str", codes=SUPERVISION_TYPES),
        Column("DurationMinutes", "duration_min", "int"),
    ),
)

TABLES: tuple[TableSpec, ...] = (
    PERSON,
    REFERRAL,
    CONTACT,
    ACTIVITY,
    COMPLAINT,
    SCORE_REFERRAL,
    SCORE_ACTIVITY,
    STAFF,
    SUPERVISION,
)

TABLES_BY_SOURCE: dict[str, TableSpec] = {t.source.lower(): t for t in TABLES}
TABLES_BY_CLEAN: dict[str, TableSpec] = {t.clean: t for t in TABLES}

# The unified clean score table that the engine sees (built from score_referral and
# score_activity after validation):
#   score_id (str, unique: "<source table>:<source_row>"), pathway_id (str),
#   contact_id (str, null for IDS606 rows), tool (str: instrument code such as PHQ9, GAD7,
#   WSAS, MI, SPIN, PDSS, OCI, IESR, HAI, PHQ15), score (float), score_date (date),
#   score_time (str, may be null), item_scores, recorded_at, recorded_by, entry_mode,
#   source_table (str), source_row (int)
SCORE_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("score_id", "str"),
    ("pathway_id", "str"),
    ("contact_id", "str"),
    ("tool", "str"),
    ("score", "float"),
    ("score_date", "date"),
    ("score_time", "time"),
    ("item_scores", "str"),
    ("recorded_at", "timestamp"),
    ("recorded_by", "str"),
    ("entry_mode", "str"),
    ("source_table", "str"),
    ("source_row", "int"),
)
