"""Generate the reference tables of ``docs/data-contract.md`` from the contract itself.

The document keeps its prose by hand; the part between the ``BEGIN``/``END`` markers is
produced by :func:`render_contract_markdown` so it can never drift from ``contract.py``
(a test checks the committed file).  Regenerate with::

    python -m clearwater.dataset.docs docs/data-contract.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from clearwater.dataset import contract, findings
from clearwater.dataset.validate import NUMERIC_RANGES, PADDED_CODES
from clearwater.instruments import Instruments, load_instruments

BEGIN = "<!-- BEGIN GENERATED: python -m clearwater.dataset.docs docs/data-contract.md -->"
END = "<!-- END GENERATED -->"

_TYPE_WORDS = {
    "str": "text",
    "date": "date (YYYY-MM-DD)",
    "time": "time (HH:MM[:SS])",
    "timestamp": "date-time (ISO 8601)",
    "int": "whole number",
    "float": "number",
}


# Plain-language meanings for columns whose contract entry has no description.
_MEANINGS: dict[str, str] = {
    "person_id": "local identifier of the person (pseudonymised)",
    "birth_date": "date of birth (for age at referral)",
    "gender": "1 male, 2 female, 9 not stated, X not known",
    "ethnic_category": "NHS ethnic category code (99 = not known)",
    "language": "preferred language code",
    "pathway_id": "the referral (service request) identifier",
    "provider_id": "organisation code of the provider",
    "referral_date": "date the referral was received",
    "referral_source": "source of referral code (self, GP, ...)",
    "discharge_date": "date the referral was closed",
    "end_code": "how the referral ended (see code meanings)",
    "team_id": "Clearwater extension: the team",
    "contact_id": "the care contact identifier",
    "contact_date": "date of the appointment",
    "contact_time": "time of the appointment",
    "app_type": "appointment type",
    "attend_code": "attended, did not attend or cancelled",
    "planned": "planned (Y) or unplanned (N) contact",
    "duration_min": "duration in minutes",
    "cons_mechanism": "consultation medium (face to face, telephone, video, ...)",
    "activity_id": "the care activity identifier",
    "procedure_code": "therapy type (SNOMED procedure)",
    "complaint_code": "ICD-10 (dot optional) or SNOMED code of the presenting complaint",
    "significance": "P primary, S secondary",
    "complaint_date": "date the complaint was recorded",
    "tool": "the questionnaire: SNOMED code or short name (see assessment tools)",
    "score": "total score (mean item score for MI)",
    "score_date": "date the questionnaire was completed",
    "score_time": "time the questionnaire was completed",
    "item_scores": "Clearwater extension: item scores, comma-separated",
    "recorded_at": "Clearwater extension: when the score was entered",
    "recorded_by": "Clearwater extension: who entered it",
    "entry_mode": "Clearwater extension: who completed it",
    "role": "PWP, HIT (high-intensity therapist), COUNSELLOR or OTHER",
    "fte": "full-time equivalent",
    "supervision_date": "date of the supervision session",
    "supervision_type": "case management or clinical skills supervision",
}


def _meaning(c: contract.Column) -> str:
    return c.description or _MEANINGS.get(c.clean, "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _codes(table: str, col: contract.Column) -> str:
    if col.codes is not None:
        return ", ".join(f"`{c}`" for c in sorted(col.codes))
    rng = NUMERIC_RANGES.get((table, col.clean))
    if rng is not None:
        return f"{rng[0]:g} to {rng[1]:g}"
    if col.clean in PADDED_CODES:
        return f"padded to {PADDED_CODES[col.clean]} digits; see findings"
    return ""


def _table_section(spec: contract.TableSpec) -> list[str]:
    status = "required" if spec.required else "optional"
    lines = [f"### {spec.source} → `{spec.clean}` ({status})", "", spec.description, ""]
    if spec.key:
        lines += [f"Key (unique; later duplicates are quarantined): `{', '.join(spec.key)}`.", ""]
    lines += [
        "| Data set column | Clean name | Type | Column required | Empty allowed | Codes / range | Meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in spec.columns:
        lines.append(
            f"| {c.source} | `{c.clean}` | {_TYPE_WORDS[c.type]} | {'yes' if c.required else 'no'} "
            f"| {'yes' if c.nullable else 'no'} | {_cell(_codes(spec.clean, c))} "
            f"| {_cell(_meaning(c))} |"
        )
    return lines + [""]


def _instrument_section(instruments: Instruments) -> list[str]:
    lines = [
        "### Assessment tools (shipped thresholds, version " + instruments.version + ")",
        "",
        "`CodedAssToolType` may hold the SNOMED code or any of the names below (case does not "
        "matter).  Any other tool is quarantined with the reason "
        "*assessment tool not used by Clearwater*.",
        "",
        "| Tool | Accepted values | Score range | Whole numbers | Items (item range) | "
        "`CW_ItemScores` must |",
        "|---|---|---|---|---|---|",
    ]
    for code, i in instruments.instruments.items():
        accepted = ", ".join(f"`{a}`" for a in dict.fromkeys((code, *i.snomed, *i.aliases)))
        by_sum = abs(i.max - i.items * i.item_max) < 1e-9
        rule = "add up to PersScore" if by_sum else "average PersScore (to 0.05)"
        lines.append(
            f"| {code} | {accepted} | {i.min:g} to {i.max:g} | {'yes' if i.integer else 'no'} "
            f"| {i.items} ({i.item_min} to {i.item_max}) | {rule} |"
        )
    return lines + [""]


def render_contract_markdown(instruments: Instruments | None = None) -> str:
    """The generated part of docs/data-contract.md (markers included)."""
    instruments = instruments or load_instruments()
    lines = [BEGIN, "", "## Tables and columns", ""]
    for spec in contract.TABLES:
        lines += _table_section(spec)
    lines += [
        "### The unified `score` table",
        "",
        "IDS606 and IDS607 rows that pass validation are unified into one clean table `score`:",
        "",
        "| Clean name | Type | Meaning |",
        "|---|---|---|",
    ]
    meaning = {
        "score_id": "`<SourceTable>:<source_row>`, unique",
        "pathway_id": "the referral (for IDS607: the referral of the score's contact)",
        "contact_id": "the care contact (IDS607 only; through CareActId if needed)",
        "tool": "instrument code, e.g. `PHQ9`",
        "score": "PersScore",
        "score_date": "AssToolCompDate (IDS606) or the contact's CareContDate (IDS607)",
        "score_time": "AssToolCompTime (IDS606) or the contact's CareContTime (IDS607)",
        "item_scores": "CW_ItemScores as given",
        "recorded_at": "CW_RecordedAt",
        "recorded_by": "CW_RecordedBy",
        "entry_mode": "CW_EntryMode (`self`, `clinician`, `interpreter`, `admin`)",
        "source_table": "IDS606CodedScoreAssessmentRefer or IDS607CodedScoreAssessmentAct",
        "source_row": "line in the source file",
    }
    for name, typ in contract.SCORE_COLUMNS:
        lines.append(f"| `{name}` | {_TYPE_WORDS[typ]} | {meaning.get(name, '')} |")
    lines += [""]
    lines += _instrument_section(instruments)
    lines += [
        "### Data-quality findings",
        "",
        "| Check | Table | What it means |",
        "|---|---|---|",
    ]
    for chk in findings.CHECKS:
        lines.append(f"| `{chk.id}` | {chk.table} | {chk.description} |")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def update_document(path: Path) -> bool:
    """Replace the generated region of ``path``; return True if the file changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    new = text[:start] + render_contract_markdown() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def generated_region(text: str) -> str:
    """The generated region of a document's text (markers included)."""
    return text[text.index(BEGIN) : text.index(END) + len(END)] + "\n"


if __name__ == "__main__":  # pragma: no cover
    changed = update_document(Path(sys.argv[1]))
    print("updated" if changed else "already up to date")
