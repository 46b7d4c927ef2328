"""People's words for column names and codes: one source for the report, Excel and the terminal.

Column headers in every table Clearwater shows come from :func:`column_label`; codes of the
data contract's code lists are decoded by :func:`decode` (labels in :data:`CODE_LABELS`, one
entry per code list of :mod:`clearwater.dataset.contract`; a test checks every code has one).
Machine-readable files (CSV, Parquet, JSON) keep the raw names and codes.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from typing import Any

from clearwater.dataset import contract

COLUMN_LABELS: dict[str, str] = {
    # people and units
    "therapist_id": "Clinician",
    "clinician_id": "Clinician",
    "team_id": "Team",
    "provider_id": "Provider",
    "pathway_id": "Referral",
    "unit_id": "Who",
    "unit_type": "Compared by",
    # feedback and caseload
    "problem_descriptor": "Main problem",
    "phq9_start": "Depression score at start (PHQ-9)",
    "phq9_latest": "Depression score now (PHQ-9)",
    "anxiety_start": "Anxiety score at start (GAD-7)",
    "anxiety_latest": "Anxiety score now (GAD-7)",
    "anxiety_measure": "Anxiety questionnaire",
    "complexity": "What may make it harder",
    "sessions_so_far": "Sessions so far",
    "weeks_in_treatment": "Weeks in treatment",
    "not_on_track": "Not on track",
    "risk_flag": "Risk",
    "days_since_last_contact": "Days since last contact",
    "waiting_for_second_session": "Waiting for a second session",
    "session_number": "Session",
    "last_date": "Date of latest score",
    "baseline": "First score",
    "score": "Latest score",
    "expected_median": "Usual score at this session",
    "expected_upper": "Top of the usual band",
    "status": "Status",
    "reason": "Why flagged",
    "measure": "Measure",
    # validation of alerts
    "session": "Judged at session",
    "courses": "Finished courses",
    "no_improvement_share": "Did not improve",
    "flagged_share": "Flagged",
    "sensitivity": "Flagged, of those who did not improve",
    "specificity": "Not flagged, of those who improved",
    "ppv": "Did not improve, of those flagged",
    "auc": "Separation (0.5 chance, 1 perfect)",
    # benchmarking
    "n": "People",
    "events": "Counted",
    "rate": "Rate",
    "observed": "Observed",
    "expected": "Expected",
    "ratio": "Observed / expected",
    "lower95": "Lowest likely (95%)",
    "upper95": "Highest likely (95%)",
    "lower998": "Lower limit (99.8%)",
    "upper998": "Upper limit (99.8%)",
    "shrunken": "Observed / expected (shrunken)",
    "position": "Compared with expected",
    "dimension_title": "Grouped by",
    "group": "Group",
    "adjusted_rate": "Rate adjusted for case mix",
    # integrity
    "detector": "Check",
    "q_value": "Chance of a false alarm (q)",
    "min_q_value": "Smallest chance of a false alarm (q)",
    "p_value": "Chance under the expected pattern (p)",
    # workforce
    "week_start": "Week starting",
    "attended": "Attended appointments",
    "dna": "Did not attend",
    "dna_rate": "Did-not-attend rate",
    "cancelled": "Cancelled",
    "days_worked": "Days worked",
    "clinical_minutes": "Clinical minutes",
    "open_caseload": "Open caseload",
    "supervision_sessions": "Supervision sessions",
    "n_shown": "People shown",
    "personal_pct_high": "High personal burnout (%)",
    # general
    "period": "Period",
    "numerator": "Counted",
    "denominator": "Out of",
    "value": "Value",
    "table": "Table",
    "file": "File",
    "row": "Row",
    "column": "Column",
    "check": "Check",
    "message": "What was found",
}

# Labels for the contract's code lists: (contract column clean name) -> code -> words.
CODE_LABELS: dict[str, dict[str, str]] = {
    "gender": {"1": "Male", "2": "Female", "9": "Not stated", "X": "Not known"},
    "ethnic_category": {
        "A": "White British",
        "B": "White Irish",
        "C": "Any other White background",
        "D": "White and Black Caribbean",
        "E": "White and Black African",
        "F": "White and Asian",
        "G": "Any other mixed background",
        "H": "Indian",
        "J": "Pakistani",
        "K": "Bangladeshi",
        "L": "Any other Asian background",
        "M": "Caribbean",
        "N": "African",
        "P": "Any other Black background",
        "R": "Chinese",
        "S": "Any other ethnic group",
        "Z": "Not stated",
        "99": "Not known",
    },
    "app_type": {
        "01": "Assessment",
        "02": "Treatment",
        "03": "Assessment and treatment",
        "04": "Review without treatment",
        "05": "Review and treatment",
        "06": "Follow-up",
        "10": "Employment support",
    },
    "attend_code": {
        "2": "Cancelled by the person",
        "3": "Did not attend",
        "4": "Cancelled by the service",
        "5": "Attended on time",
        "6": "Attended late, seen",
        "7": "Attended too late to be seen",
    },
    "planned": {"Y": "Planned", "N": "Unplanned"},
    "significance": {"P": "Primary", "S": "Secondary"},
    "role": {
        "PWP": "Psychological wellbeing practitioner",
        "HIT": "High-intensity therapist",
        "COUNSELLOR": "Counsellor",
        "OTHER": "Other role",
    },
}

# Values that read badly as they are (codes in derived tables).
VALUE_LABELS: dict[str, str] = {
    "PHQ9": "PHQ-9 (depression)",
    "GAD7": "GAD-7 (anxiety)",
    "above": "Higher than expected",
    "below": "Lower than expected",
    "within": "Within the expected range",
    "dropout": "Dropped out",
    "ended_before_treatment": "Ended before treatment",
    "reliable_improvement": "Reliable improvement",
    "recovery": "Recovery",
    "reliable_recovery": "Reliable recovery",
    "reliable_deterioration": "Reliable deterioration",
}


def column_label(name: Any) -> str:
    """The header a person reads for a column name ('days_since_last_contact' -> words)."""
    key = str(name)
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    if re.fullmatch(r"[a-z0-9_]+", key):
        text = key.replace("_", " ").strip()
        return text[:1].upper() + text[1:]
    return key


def decode(column: str, code: Any) -> str:
    """A code of the contract's code list for ``column`` in words ('gender', '2' -> 'Female');
    unknown codes are returned as they are."""
    if code is None:
        return ""
    key = str(code)
    return CODE_LABELS.get(column, {}).get(key, VALUE_LABELS.get(key, key))


def value_label(value: Any) -> str:
    """A derived value in words ('mixed_anxiety_depression' -> 'Mixed anxiety and depressive
    disorder'); problem descriptors are named by the instrument thresholds file."""
    key = "" if value is None else str(value)
    if key in VALUE_LABELS:
        return VALUE_LABELS[key]
    return _descriptors().get(key, key)


@functools.cache
def _descriptors() -> dict[str, str]:
    from clearwater.instruments import load_instruments

    return {code: d.label for code, d in load_instruments().descriptors.items()}


def coded_columns() -> dict[str, frozenset[str]]:
    """Every contract column with a code list that :data:`CODE_LABELS` decodes (for tests)."""
    out: dict[str, frozenset[str]] = {}
    for spec in contract.TABLES_BY_CLEAN.values():
        for col in spec.columns:
            if col.codes and col.clean in CODE_LABELS:
                out[col.clean] = col.codes
    return out


# Display names for teams and clinicians from clearwater.toml, set for one report run by
# :func:`display_names` (ids are shown when no name is configured).
_NAMES: dict[str, dict[str, str]] = {"teams": {}, "clinicians": {}}


@contextlib.contextmanager
def display_names(teams: dict[str, str], clinicians: dict[str, str]) -> Iterator[None]:
    """Use these display names while the block runs (one report run)."""
    old = {k: dict(v) for k, v in _NAMES.items()}
    _NAMES["teams"], _NAMES["clinicians"] = dict(teams), dict(clinicians)
    try:
        yield
    finally:
        _NAMES.update(old)


def team_name(team_id: Any) -> str:
    key = "" if team_id is None else str(team_id)
    return _NAMES["teams"].get(key, key)


def clinician_name(clinician_id: Any) -> str:
    key = "" if clinician_id is None else str(clinician_id)
    return _NAMES["clinicians"].get(key, key)
