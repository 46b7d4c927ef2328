"""Data-quality findings: rows that are usable but suspicious.

These rows are *kept* (they pass validation) and listed, because they are evidence the
integrity audit needs (a score dated after discharge may be a back-filled outcome).  Every
check is one Ibis expression over the clean tables; only the findings come back to Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from clearwater.dataset import contract
from clearwater.dataset.model import FINDING_COLUMNS
from clearwater.dataset.reader import RawTable

LATE_ENTRY_DAYS = 14


@dataclass(frozen=True)
class FindingCheck:
    """One kind of finding, as documented in docs/data-contract.md."""

    id: str
    table: str
    description: str


CHECKS: tuple[FindingCheck, ...] = (
    FindingCheck(
        "score_after_discharge", "score", "score dated after the referral's discharge date"
    ),
    FindingCheck("score_before_referral", "score", "score dated before the referral date"),
    FindingCheck(
        "contact_before_referral", "contact", "care contact dated before the referral date"
    ),
    FindingCheck(
        "contact_after_discharge",
        "contact",
        "care contact after the discharge date that is not a follow-up (AppType 06)",
    ),
    FindingCheck(
        "score_at_non_attended_contact",
        "score",
        "IDS607 score recorded at a contact not recorded as attended (AttendOrDNACode not 5 or 6)",
    ),
    FindingCheck("legacy_end_code", "referral", "EndCode from an earlier version of the data set"),
    FindingCheck("unknown_end_code", "referral", "EndCode not in the data set's code list"),
    FindingCheck(
        "treatment_contact_without_clinician",
        "contact",
        "attended treatment contact (AppType 02, 03, 05) with no clinician recorded",
    ),
    FindingCheck(
        "late_score_entry",
        "score",
        f"CW_RecordedAt more than {LATE_ENTRY_DAYS} days after the score date",
    ),
)


def _s(v: ir.Value) -> ir.StringValue:
    return v.cast("string")


def _lit(s: str) -> ir.StringValue:
    return ibis.literal(s, type="string")


def _rows(
    t: ir.Table, cond: ir.BooleanValue, table: ir.Value | str, column: ir.Value | str, check: str,
    message: ir.Value, pathway: ir.Value,
) -> ir.Table:  # fmt: skip
    f = t.filter(cond)
    return f.select(
        table=_lit(table) if isinstance(table, str) else table,
        row=t.source_row.cast("int64"),
        column=_lit(column) if isinstance(column, str) else column,
        check=_lit(check),
        message=message.cast("string"),
        pathway_id=pathway.cast("string"),
    )


def find(con: object, tables: dict[str, ir.Table], raws: dict[str, RawTable]) -> pd.DataFrame:
    """All findings over the clean tables, as a frame with ``FINDING_COLUMNS``."""
    parts: list[ir.Table] = []
    ref = tables["referral"]
    r = ref.select(_rpath=ref.pathway_id, _rdate=ref.referral_date, _ddate=ref.discharge_date)
    rraw = raws["referral"]

    # referral: end codes
    legacy = ref.end_code.isin(sorted(contract.END_CODES_LEGACY))
    unknown = ref.end_code.notnull() & ~ref.end_code.isin(sorted(contract.END_CODES)) & ~legacy
    col = rraw.header("end_code")
    parts.append(_rows(ref, legacy, "IDS101Referral", col, "legacy_end_code",
                       _lit("legacy EndCode ") + ref.end_code, ref.pathway_id))  # fmt: skip
    parts.append(_rows(ref, unknown, "IDS101Referral", col, "unknown_end_code",
                       _lit("unknown EndCode ") + ref.end_code, ref.pathway_id))  # fmt: skip

    # contacts against their referral
    c = tables["contact"]
    craw = raws["contact"]
    j = c.inner_join(r, c.pathway_id == r._rpath)
    dcol = craw.header("contact_date")
    parts.append(_rows(
        j, j.contact_date < j._rdate, "IDS201CareContact", dcol, "contact_before_referral",
        _lit("contact on ") + _s(j.contact_date) + " before the referral date " + _s(j._rdate),
        j.pathway_id,
    ))  # fmt: skip
    parts.append(_rows(
        j, (j.contact_date > j._ddate) & (j.app_type != "06"), "IDS201CareContact", dcol,
        "contact_after_discharge",
        _lit("contact (AppType ") + j.app_type + ") on " + _s(j.contact_date)
        + " after the discharge date " + _s(j._ddate),
        j.pathway_id,
    ))  # fmt: skip
    treat = c.app_type.isin(sorted(contract.TREATMENT_APP_TYPES))
    attended = c.attend_code.isin(sorted(contract.ATTENDED_CODES))
    parts.append(_rows(
        c, treat & attended & c.clinician_id.isnull(), "IDS201CareContact",
        craw.header("clinician_id"), "treatment_contact_without_clinician",
        _lit("attended treatment contact ") + c.contact_id + " has no clinician",
        c.pathway_id,
    ))  # fmt: skip

    # scores against their referral and contact
    s = tables["score"]
    is606 = s.source_table == contract.SCORE_REFERRAL.source
    s = s.mutate(
        _dcol=ibis.cases(
            (is606, _header(raws, "score_referral", "score_date")),
            else_=_header(raws, "score_activity", "contact_id"),
        ),
        _rcol=ibis.cases(
            (is606, _header(raws, "score_referral", "recorded_at")),
            else_=_header(raws, "score_activity", "recorded_at"),
        ),
    )
    js = s.inner_join(r, s.pathway_id == r._rpath)
    parts.append(_rows(
        js, js.score_date > js._ddate, js.source_table, js._dcol, "score_after_discharge",
        js.tool + " score dated " + _s(js.score_date) + " after the discharge date "
        + _s(js._ddate), js.pathway_id,
    ))  # fmt: skip
    parts.append(_rows(
        js, js.score_date < js._rdate, js.source_table, js._dcol, "score_before_referral",
        js.tool + " score dated " + _s(js.score_date) + " before the referral date "
        + _s(js._rdate), js.pathway_id,
    ))  # fmt: skip
    cc = c.select(_cid=c.contact_id, _att=c.attend_code)
    jc = s.inner_join(cc, s.contact_id == cc._cid)
    parts.append(_rows(
        jc, ~jc._att.isin(sorted(contract.ATTENDED_CODES)) | jc._att.isnull(), jc.source_table,
        _header(raws, "score_activity", "contact_id"), "score_at_non_attended_contact",
        jc.tool + " score at contact " + jc.contact_id + " with AttendOrDNACode "
        + jc._att.fill_null("(empty)"), jc.pathway_id,
    ))  # fmt: skip
    late = s.recorded_at.date() > s.score_date + ibis.interval(days=LATE_ENTRY_DAYS)
    parts.append(_rows(
        s, late, s.source_table, s._rcol, "late_score_entry",
        s.tool + " score dated " + _s(s.score_date) + " entered on " + _s(s.recorded_at.date()),
        s.pathway_id,
    ))  # fmt: skip

    union = parts[0].union(*parts[1:])
    df = con.to_pyarrow(union).to_pandas()  # type: ignore[attr-defined]
    files = {raw.spec.source: raw.file for raw in raws.values()}
    df.insert(1, "file", df["table"].map(files))
    df = df.sort_values(["table", "row", "check"], kind="stable").reset_index(drop=True)
    return df.reindex(columns=list(FINDING_COLUMNS))


def _header(raws: dict[str, RawTable], table: str, clean: str) -> str:
    raw = raws.get(table)
    if raw is None:
        return contract.TABLES_BY_CLEAN[table].column(clean).source
    return raw.header(clean)
