"""Row validation, quarantine, data-quality findings and row accounting.

All row checks are Ibis expressions run on an embedded DuckDB connection (vectorised; no
Python loop over rows).  Each table goes through two stages:

1. *row checks* that need only the row itself: missing values, types, code lists, impossible
   dates, score ranges per instrument;
2. *key and reference checks* that need other tables: duplicate keys (the first row wins),
   references to accepted parent rows (person <- referral <- contact <- activity; referral <-
   complaint and IDS606; contact/activity <- IDS607), birth after referral.

A row failing any check is *quarantined* (one record naming the first failing column and the
reason).  Rows that pass are *accepted*; some of them are also listed as data-quality
*findings* (usable but suspicious, e.g. a score dated after discharge).  For every input file
``read == accepted + quarantined`` is checked before anything is handed on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from clearwater.dataset import contract, reader
from clearwater.dataset.model import (
    ACCOUNTING_COLUMNS,
    QUARANTINE_COLUMNS,
    clean_schema,
)
from clearwater.dataset.reader import RawTable
from clearwater.errors import ClearwaterError
from clearwater.instruments import Instruments

UNKNOWN_TOOL = "assessment tool not used by Clearwater"
# A mean-item score (MI) may be rounded to one decimal place.
MEAN_TOLERANCE = 0.05 + 1e-9
EARLIEST_DATE = date(1900, 1, 1)

# Numeric columns with a plausible range (inclusive); outside it the row is quarantined.
NUMERIC_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("person", "imd_decile"): (1, 10),
    ("contact", "duration_min"): (0, 1440),
    ("staff", "fte"): (0, 2),
    ("supervision", "duration_min"): (0, 1440),
}
# Code columns that are padded with leading zeros to this width after normalisation.
PADDED_CODES: dict[str, int] = {"end_code": 2}

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
_UK_DATE = r"^(\d{2})/(\d{2})/(\d{4})$"  # dd/mm/yyyy, read as a UK date (with a note)
_TIME = r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"
_ITEMS = r"^\s*\d+(\.0+)?\s*(,\s*\d+(\.0+)?\s*)*$"

_ids = itertools.count()


class AccountingError(ClearwaterError):
    """Rows went missing or were double-counted: read != accepted + quarantined.

    This is never the user's fault; it means a bug in Clearwater, and the run stops rather
    than report figures built on rows that cannot be accounted for.
    """


# A check: (bad condition, clean column name, reason, offending value as text).
Check = tuple[ir.BooleanValue, str, Any, Any]

_NULL_STR = ibis.null().cast("string")


def _text(v: ir.Value) -> ir.StringValue:
    return v.cast("string")


def _lit(s: str) -> ir.StringValue:
    return ibis.literal(s, type="string")


def _stripped(v: ir.StringValue) -> ir.StringValue:
    """Leading and trailing white space removed, empty -> null.

    Trimming is the costliest step on a large table, so a value that starts and ends with a
    visible character (the usual case: a cheap test) is kept as it is.
    """
    visible = (v.ascii_str() > 32) & (v.right(1).ascii_str() > 32)
    return ibis.ifelse(visible, v, v.strip().nullif(""))


def _code_map(codes: frozenset[str]) -> tuple[dict[str, str], int | None]:
    """Upper-cased code -> canonical code, and the zero-padding width for all-digit lists."""
    widths = {len(c) for c in codes}
    pad = widths.pop() if all(c.isdigit() for c in codes) and len(widths) == 1 else None
    return {c.upper(): c for c in codes}, pad


def _normalise_code(v: ir.StringValue, pad: int | None) -> ir.StringValue:
    up = v.upper()
    if pad is None:
        return up
    as_int = up.try_cast("int64")
    padded = _text(as_int).lpad(pad, "0")
    return ibis.ifelse(up.re_search(r"^\d{1,9}$") & as_int.notnull(), padded, up)


def _prepare(raw: RawTable, t: ir.Table, instruments: Instruments) -> ir.Table:
    """Phase A: typed values next to the stripped raw text (``_r_<col>``) and helpers.

    Materialised before the checks so that the check expressions refer to plain columns
    (keeps the generated SQL small and each conversion computed once).
    """
    out: dict[str, ir.Value] = {}
    for col in raw.spec.columns:
        stored = raw.types.get(col.clean, "VARCHAR")
        if col.clean in raw.columns and stored != "VARCHAR":
            # a typed Parquet column: checked as it is, never turned into text and parsed
            x = t[col.clean]
            if col.type == "date":
                out[col.clean] = x.cast("date")
            elif col.type == "timestamp":
                out[col.clean] = x.cast("timestamp")
            else:
                num = x.cast("float64")
                out["_n_" + col.clean] = num
                out[col.clean] = num.try_cast("int64") if col.type == "int" else num
            continue
        v = _stripped(t[col.clean]) if col.clean in raw.columns else _NULL_STR
        out["_r_" + col.clean] = v
        if col.type == "str":
            typed: ir.Value = v
            pad = PADDED_CODES.get(col.clean)
            if col.codes is not None:
                mapping, pad = _code_map(col.codes)
                typed = _normalise_code(v, pad).substitute(mapping, else_=_NULL_STR)
            elif pad is not None:
                typed = _normalise_code(v, pad)
        elif col.type == "date":
            shaped = v.re_search(_ISO_DATE)
            uk = v.re_search(_UK_DATE)
            typed = ibis.cases(
                (shaped, v.substr(0, 10).try_cast("date")),
                (uk, v.re_replace(_UK_DATE, r"\3-\2-\1").try_cast("date")),
                else_=ibis.null("date"),
            )
        elif col.type == "timestamp":
            shaped = v.re_search(_ISO_DATE)
            typed = ibis.ifelse(shaped, v.try_cast("timestamp"), ibis.null("timestamp"))
        elif col.type == "time":
            typed = v
        else:
            num = v.try_cast("float64")
            out["_n_" + col.clean] = num
            typed = num.try_cast("int64") if col.type == "int" else num
        if typed is v and col.clean != "tool":  # nothing to convert: keep one copy (the
            # checks read it as the text); the tool is replaced by its instrument below
            del out["_r_" + col.clean]
        out[col.clean] = typed
    out["source_row"] = t.source_row
    if raw.spec.clean in ("score_referral", "score_activity"):
        out["_tool_key"] = out.get("_r_tool", out["tool"]).upper()
        if "item_scores" in raw.columns:
            # parsed once here; the checks aggregate the materialised list
            # one cast of the whole list (no per-item lambda); a list that is not whole
            # numbers separated by commas is quarantined by an earlier check
            bare = out.get("_r_item_scores", out["item_scores"]).replace(" ", "").replace("\t", "")
            out["_items"] = bare.split(",").try_cast("array<float64>")
    prepared = t.select(**out)
    if raw.spec.clean in ("score_referral", "score_activity"):
        tools = _tool_table(instruments)
        prepared = prepared.left_join(tools, prepared._tool_key == tools._key).drop("_key")
        prepared = prepared.mutate(tool=prepared._code).drop("_code")
    return prepared


def _tool_table(instruments: Instruments) -> ir.Table:
    """One row per accepted CodedAssToolType spelling, with its instrument's limits."""
    rows = []
    for key, code in sorted(instruments.tool_lookup.items()):
        i = instruments[code]
        rows.append(
            {
                "_key": key,
                "_code": code,
                "_lo": float(i.min),
                "_hi": float(i.max),
                "_whole": bool(i.integer),
                "_nitems": int(i.items),
                "_ilo": float(i.item_min),
                "_ihi": float(i.item_max),
                # a total is the sum of its items unless the range says it is their mean (MI)
                "_bysum": abs(i.max - i.items * i.item_max) < 1e-9,
            }
        )
    return ibis.memtable(pd.DataFrame(rows))


class _Checks:
    """Phase B: the stage-1 checks of one table, over the prepared (materialised) table."""

    def __init__(self, raw: RawTable, a: ir.Table, today: date) -> None:
        self.raw, self.a, self.today = raw, a, today
        self.checks: list[Check] = []

    def given(self, clean: str) -> ir.Value:
        """The value as given: stripped text, or the stored (Parquet) value when typed."""
        a = self.a
        for name in ("_r_" + clean, "_n_" + clean):
            if name in a.columns:
                return a[name]
        return a[clean]

    def text(self, clean: str) -> ir.StringValue:
        return _text(self.given(clean))

    def present(self, clean: str) -> ir.BooleanValue:
        return self.given(clean).notnull()

    def add(self, bad: ir.BooleanValue, clean: str, reason: Any, value: Any = None) -> None:
        self.checks.append((bad, clean, reason, self.text(clean) if value is None else value))

    def column(self, col: contract.Column) -> None:
        a, c = self.a, col.clean
        v, out = self.text(c), a[c]
        present = self.present(c)
        if not col.nullable:
            self.add(~present, c, "value is missing")
        if "_r_" + c in a.columns or (col.type in ("str", "time") and c in self.raw.columns):
            # a NUL character is never part of a real value (and breaks other tools)
            self.add(
                present & v.re_search(r"\x00"),
                c,
                "value contains a NUL character",
                v.re_replace(r"\x00", "<NUL>"),
            )
        if col.type == "str" and col.codes is not None:
            listed = ", ".join(sorted(col.codes))
            self.add(present & out.isnull(), c, f"code not in the list ({listed})")
        elif col.type in ("date", "timestamp"):
            day = out if col.type == "date" else out.date()
            what = "a valid date (YYYY-MM-DD)" if col.type == "date" else "a valid date and time"
            self.add(present & out.isnull(), c, f"not {what}")
            self.add(day < EARLIEST_DATE, c, "date before 1900")
            self.add(day > self.today, c, f"date in the future (run date {self.today:%Y-%m-%d})")
        elif col.type == "time":
            self.add(present & ~v.re_search(_TIME), c, "not a valid time (HH:MM[:SS])")
        elif col.type in ("int", "float"):
            num = a["_n_" + c]
            self.add(present & (num.isnull() | num.isnan() | num.isinf()), c, "not a number")
            if col.type == "int":
                self.add(present & (num != num.floor()), c, "not a whole number")
            rng = NUMERIC_RANGES.get((self.raw.spec.clean, c))
            if rng is not None:
                lo, hi = rng
                self.add((num < lo) | (num > hi), c, f"outside the range {lo:g} to {hi:g}")

    def scores(self) -> None:
        """Instrument-specific checks on a score table (IDS606 or IDS607)."""
        a = self.a
        tool, score = a.tool, a.score
        self.add(self.present("tool") & tool.isnull(), "tool", UNKNOWN_TOOL)
        self.add(
            (score < a._lo) | (score > a._hi),
            "score",
            _lit("score outside the range ") + _num(a._lo) + " to " + _num(a._hi) + " for " + tool,
        )
        self.add(a._whole & (score != score.floor()), "score", tool + " scores are whole numbers")
        if "item_scores" not in self.raw.columns:
            return
        present = self.present("item_scores")
        self.add(
            present & ~self.given("item_scores").re_search(_ITEMS),
            "item_scores",
            "CW_ItemScores must be whole numbers separated by commas",
        )
        items = a._items
        self.add(
            present & (items.length() != a._nitems),
            "item_scores",
            _lit("CW_ItemScores must have ") + _text(a._nitems) + " items for " + tool,
        )
        self.add(
            present & ((items.mins() < a._ilo) | (items.maxs() > a._ihi)),
            "item_scores",
            _lit("an item score is outside ") + _num(a._ilo) + " to " + _num(a._ihi)
            + " for " + tool,
        )  # fmt: skip
        agg = ibis.ifelse(a._bysum, items.sums(), items.means())
        self.add(
            present & ((agg - score).abs() > ibis.ifelse(a._bysum, 1e-6, MEAN_TOLERANCE)),
            "item_scores",
            _lit("CW_ItemScores ") + ibis.ifelse(a._bysum, "add up to ", "average ")
            + _num(agg.round(3)) + " but PersScore is " + _num(score),
        )  # fmt: skip


def _num(v: ir.NumericValue) -> ir.StringValue:
    """A number as text without a needless '.0'."""
    return ibis.ifelse(v == v.floor(), _text(v.cast("int64")), _text(v))


def _stage1(raw: RawTable, a: ir.Table, today: date) -> ir.Table:
    spec = raw.spec
    ch = _Checks(raw, a, today)
    for col in spec.columns:
        ch.column(col)
    if spec.clean in ("score_referral", "score_activity"):
        ch.scores()
    if spec.clean == "referral":
        ch.add(
            a.discharge_date < a.referral_date,
            "discharge_date",
            "discharge date before referral date",
        )
    if spec.clean == "score_activity":
        ch.add(
            a.contact_id.isnull() & a.activity_id.isnull(),
            "contact_id",
            "neither CareContactId nor CareActId given: the score cannot be dated",
        )
    typed = {c.clean: a[c.clean] for c in spec.columns}
    return _judged(a, ch.checks, raw, [*typed, "source_row"], previous=None)


class _Disagree(str):
    """The reason of a check on a key whose duplicate copies disagree."""


def _judged(
    t: ir.Table,
    checks: Sequence[Check],
    raw: RawTable,
    keep: list[str],
    previous: Any,
    flag: Sequence[int] = (),
) -> ir.Table:
    """``t``'s ``keep`` columns with the verdict: _reason, _column, _value of the first
    failing check, keeping an earlier verdict (``previous``: a table with _reason etc.).

    Each condition is evaluated once, into the index of the first failing check; the
    reason, column and value are then picked by that index (only for failing rows).
    """
    if not checks:
        if previous is None:
            return t.select(*keep)
        return t.select(*keep, "_reason", "_column", "_value")
    branches = [(b, i) for i, (b, _, _, _) in enumerate(checks)]
    if previous is not None:
        branches = [(t._reason.notnull(), -1), *branches]
    k = t.mutate(_k=ibis.cases(*branches, else_=ibis.null("int64")))
    reason = ibis.cases(*[(k._k == i, r) for i, (_, _, r, _) in enumerate(checks)], else_=_NULL_STR)
    column = ibis.cases(
        *[(k._k == i, raw.header(c)) for i, (_, c, _, _) in enumerate(checks)], else_=_NULL_STR
    )
    value = ibis.cases(
        *[(k._k == i, _text(v)) for i, (_, _, _, v) in enumerate(checks)], else_=_NULL_STR
    )
    if previous is not None:
        reason = k._reason.coalesce(reason)
        column = k._column.coalesce(column)
        value = k._value.coalesce(value)
    if flag:  # _conflict: the row failed one of the checks listed in ``flag``
        return k.select(
            *keep,
            _reason=reason,
            _column=column,
            _value=value,
            _conflict=k._k.isin(list(flag)).fill_null(False),
        )
    return k.select(*keep, _reason=reason, _column=column, _value=value)


_RESOLVED = ("_rcid", "_rpath", "_rdate", "_rtime")


class Validator:
    """Runs both stages over all tables on one DuckDB connection."""

    def __init__(self, con: Any, instruments: Instruments, today: date) -> None:
        self.con, self.instruments, self.today = con, instruments, today
        self.prefix = f"cw_v{next(_ids)}_"
        self.stage: dict[str, ir.Table] = {}  # clean name -> table with verdict columns
        self.raws: dict[str, RawTable] = {}
        self._made: list[str] = []
        self._views: list[str] = []
        self.notes: list[str] = []  # notes on how values were read

    def _materialise(self, name: str, expr: ir.Table | pa.Table) -> ir.Table:
        full = self.prefix + name
        self._made.append(full)
        return self.con.create_table(full, expr, overwrite=True)

    def _view(self, name: str, expr: ir.Table) -> ir.Table:
        full = self.prefix + name
        self._views.append(full)
        return self.con.create_view(full, expr, overwrite=True)

    def accepted(self, name: str) -> ir.Table:
        t = self.stage[name]
        return t.filter(t._reason.isnull())

    def add_raw(self, raw: RawTable) -> None:
        a = self._materialise("prep_" + raw.spec.clean, _prepare(raw, raw.data, self.instruments))
        reader.drop(self.con, raw)  # the typed copy replaces the loaded text
        self._note_uk_dates(raw, a)
        s1 = _stage1(raw, a, self.today)
        self.raws[raw.spec.clean] = raw
        # stage 1 is a view over the typed table: only stage 2 (which needs the other
        # tables' verdicts) is stored
        self.stage[raw.spec.clean] = self._view("s1_" + raw.spec.clean, s1)

    def _note_uk_dates(self, raw: RawTable, a: ir.Table) -> None:
        """A note per date column with values written dd/mm/yyyy (read as UK dates)."""
        cols = [
            c.clean for c in raw.spec.columns if c.type == "date" and "_r_" + c.clean in a.columns
        ]
        if not cols:
            return
        counts = a.aggregate(
            **{c: (a["_r_" + c].re_search(_UK_DATE) & a[c].notnull()).sum() for c in cols}
        )
        got = self.con.execute(counts).iloc[0]
        for c in cols:
            n = int(got[c] or 0)
            if n:
                self.notes.append(
                    f"{raw.file}: {n:,} value(s) of {raw.header(c)} written dd/mm/yyyy were read "
                    "as UK dates (day first)"
                )

    def _stage2(self, name: str, build: Callable[[ir.Table], tuple[ir.Table, list[Check]]]) -> None:
        if name not in self.stage:
            return
        raw, t = self.raws[name], self.stage[name]
        cols = t.columns
        checks: list[Check] = []
        if raw.spec.key:
            # Copies of a key among the rows that passed stage 1: identical copies -> the
            # first wins and the others are quarantined; copies that disagree -> every copy
            # is quarantined (and, through the reference checks, every row under it).
            key = raw.spec.key[0]
            ok = t.filter(t._reason.isnull())
            sig = ibis.struct({c.clean: ok[c.clean] for c in raw.spec.columns}).hash()
            ok = ok.mutate(_sig=sig)
            g = ok.group_by(_gkey=ok[key]).aggregate(
                _first=ok.source_row.min(), _conflict=ok._sig.min() != ok._sig.max()
            )
            t = t.left_join(g, t[key] == g._gkey)
            t = t.mutate(_conflict=t._reason.isnull() & t._conflict.fill_null(False))
            checks.append(
                (
                    t._conflict,
                    key,
                    _lit("duplicate key whose copies disagree (first seen at row ")
                    + _text(t._first)
                    + "): every copy is quarantined",
                    t[key],
                )
            )
            checks.append(
                (
                    t._first.notnull() & (t.source_row != t._first),
                    key,
                    _lit("duplicate key: first seen at row ") + _text(t._first),
                    t[key],
                )
            )
        t, more = build(t)
        # IDS607's resolved contact is kept for the clean table
        keep = [c for c in cols if not c.startswith("_")]
        keep += [c for c in _RESOLVED if c in t.columns]
        every = checks + more
        # rows quarantined because copies disagree, here or above: their own key taints
        # the rows under them in turn
        tainted = [i for i, c in enumerate(every) if isinstance(c[2], _Disagree)]
        if raw.spec.key:
            tainted.append(0)
        t = _judged(t, every, raw, keep, previous=True, flag=tainted)
        self.stage[name] = self._materialise("s2_" + name, t)

    def _conflicting(self, t: ir.Table, col: str, parent: str, label: str) -> Check:
        """Rows under a key whose duplicate copies disagree (see ``_stage2``)."""
        p = self.stage[parent]
        key = contract.TABLES_BY_CLEAN[parent].key[0]
        keys = p.filter(p._conflict)[key]  # every keyed table's stage 2 has _conflict
        return (
            t[col].isin(keys),
            col,
            _Disagree(
                f"{label} has duplicate rows that disagree in {_source(parent)}: "
                "every row under it is quarantined"
            ),
            t[col],
        )

    def _ref(
        self, t: ir.Table, col: str, parent: str, pcol: str, label: str
    ) -> tuple[ir.Table, list[Check]]:
        keys = self.accepted(parent)[pcol]
        bad = t[col].notnull() & ~t[col].isin(keys)
        return t, [
            self._conflicting(t, col, parent, label),
            (bad, col, f"{label} not found among accepted rows of {_source(parent)}", t[col]),
        ]

    def run_references(self) -> None:
        self._stage2("person", lambda t: (t, []))
        self._stage2("referral", self._referral)
        self._stage2(
            "contact",
            lambda t: self._ref(t, "pathway_id", "referral", "pathway_id", "ServiceRequestId"),
        )
        self._stage2(
            "activity",
            lambda t: self._ref(t, "contact_id", "contact", "contact_id", "CareContactId"),
        )
        self._stage2(
            "complaint",
            lambda t: self._ref(t, "pathway_id", "referral", "pathway_id", "ServiceRequestId"),
        )
        self._stage2(
            "score_referral",
            lambda t: self._ref(t, "pathway_id", "referral", "pathway_id", "ServiceRequestId"),
        )
        self._stage2("score_activity", self._score_activity)
        self._stage2("staff", lambda t: (t, []))
        self._stage2("supervision", lambda t: (t, []))

    def _referral(self, t: ir.Table) -> tuple[ir.Table, list[Check]]:
        p = self.accepted("person")
        p = p.select(_pid=p.person_id, _birth=p.birth_date)
        j = t.left_join(p, t.person_id == p._pid)
        return j, [
            self._conflicting(j, "person_id", "person", "LocalPatientId"),
            (
                j.person_id.notnull() & j._pid.isnull(),
                "person_id",
                "LocalPatientId not found among accepted rows of IDS001MPI",
                j.person_id,
            ),
            (
                j._birth > j.referral_date,
                "referral_date",
                _lit("referral date before the person's birth date ") + _text(j._birth),
                j.referral_date,
            ),
        ]

    def _contact_lookup(self) -> ir.Table:
        c = self.accepted("contact")
        return c.select(
            _cid=c.contact_id, _cpath=c.pathway_id, _cdate=c.contact_date, _ctime=c.contact_time
        )

    def _score_activity(self, t: ir.Table) -> tuple[ir.Table, list[Check]]:
        c1 = self._contact_lookup()
        j = t.left_join(c1, t.contact_id == c1._cid)
        if "activity" in self.stage:
            a = self.accepted("activity")
            a = a.select(_aid=a.activity_id, _acid=a.contact_id)
            j = j.left_join(a, j.activity_id == a._aid)
        else:
            j = j.mutate(_aid=ibis.null("string"), _acid=ibis.null("string"))
        c2 = self._contact_lookup().rename(
            _cid2="_cid", _cpath2="_cpath", _cdate2="_cdate", _ctime2="_ctime"
        )
        j = j.left_join(c2, j._acid == c2._cid2)
        direct = j._cid.notnull()
        j = j.mutate(
            _rcid=ibis.ifelse(direct, j._cid, j._cid2),
            _rpath=ibis.ifelse(direct, j._cpath, j._cpath2),
            _rdate=ibis.ifelse(direct, j._cdate, j._cdate2),
            _rtime=ibis.ifelse(direct, j._ctime, j._ctime2),
        )
        unresolved = j._rcid.isnull()
        conflicts = [self._conflicting(j, "contact_id", "contact", "CareContactId")]
        if "activity" in self.stage:
            conflicts.append(self._conflicting(j, "activity_id", "activity", "CareActId"))
        return j, [
            *conflicts,
            (
                unresolved & j.contact_id.notnull(),
                "contact_id",
                "CareContactId (or CareActId) not found among accepted care contacts/activities",
                j.contact_id,
            ),
            (
                unresolved,
                "activity_id",
                "CareActId not found among accepted care activities",
                j.activity_id,
            ),
        ]

    # ---- clean tables ------------------------------------------------------------------
    def clean_tables(self) -> dict[str, ir.Table]:
        out: dict[str, ir.Table] = {}
        for name in (
            "person",
            "referral",
            "contact",
            "complaint",
            "activity",
            "staff",
            "supervision",
        ):
            if name not in self.stage:
                continue
            t = self.accepted(name)
            if name == "contact" and "activity" in self.stage:
                t = self._fill_clinician(t)
            if name == "contact":  # used many times downstream: stored once
                out[name] = self._materialise("clean_" + name, _conform(t, name))
            else:
                out[name] = self._view("clean_" + name, _conform(t, name))
        out["score"] = self._view("clean_score", self._score())
        return out

    def _fill_clinician(self, c: ir.Table) -> ir.Table:
        a = self.accepted("activity")
        a = a.filter(a.clinician_id.notnull())
        a = a.mutate(_rn=ibis.row_number().over(group_by=a.contact_id, order_by=a.source_row))
        a = a.filter(a._rn == 0).select(_acid=a.contact_id, _aclin=a.clinician_id)
        j = c.left_join(a, c.contact_id == a._acid)
        return j.mutate(clinician_id=j.clinician_id.coalesce(j._aclin)).select(*c.columns)

    def _score(self) -> ir.Table:
        parts: list[ir.Table] = []
        names = [n for n, _ in contract.SCORE_COLUMNS]
        if "score_referral" in self.stage:
            t = self.accepted("score_referral")
            src = contract.SCORE_REFERRAL.source
            parts.append(
                t.mutate(
                    score_id=_lit(src + ":") + _text(t.source_row),
                    contact_id=ibis.null("string"),
                    source_table=_lit(src),
                ).select(*names)
            )
        if "score_activity" in self.stage:
            t = self.accepted("score_activity")  # with the contact resolved in stage 2
            src = contract.SCORE_ACTIVITY.source
            parts.append(
                t.mutate(
                    score_id=_lit(src + ":") + _text(t.source_row),
                    contact_id=t._rcid,
                    pathway_id=t._rpath,
                    score_date=t._rdate,
                    score_time=t._rtime,
                    source_table=_lit(src),
                ).select(*names)
            )
        if not parts:
            return ibis.memtable(clean_schema("score").empty_table())
        out = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
        return _conform(out, "score")

    # ---- accounts ----------------------------------------------------------------------
    def quarantine(self) -> pd.DataFrame:
        frames = []
        for name, t in self.stage.items():
            raw = self.raws[name]
            q = t.filter(t._reason.notnull())
            q = q.select(row=q.source_row, column=q._column, reason=q._reason, value=q._value)
            df = self.con.to_pyarrow(q.order_by("row")).to_pandas()
            mal = pd.DataFrame(
                [(m.row, None, m.reason, m.value) for m in raw.malformed],
                columns=["row", "column", "reason", "value"],
            )
            df = pd.concat([d for d in (mal, df) if len(d)], ignore_index=True) if len(mal) else df
            df.insert(0, "file", raw.file)
            df.insert(0, "table", raw.spec.source)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        out = out.reindex(columns=list(QUARANTINE_COLUMNS))
        out["row"] = out["row"].astype("int64")
        return out

    def accounting(self, tables: dict[str, ir.Table], quarantine: pd.DataFrame) -> pd.DataFrame:
        rows = []
        score = tables["score"]
        by_source = dict(
            self.con.execute(score.group_by("source_table").aggregate(n=score.count())).itertuples(
                index=False, name=None
            )
        )
        q_counts = quarantine.groupby("table").size().to_dict()
        for name, raw in self.raws.items():
            if name in ("score_referral", "score_activity"):
                accepted = int(by_source.get(raw.spec.source, 0))
            else:
                accepted = int(self.con.execute(tables[name].count()))
            rows.append(
                (
                    raw.spec.source,
                    raw.file,
                    raw.read,
                    accepted,
                    int(q_counts.get(raw.spec.source, 0)),
                )
            )
        acc = pd.DataFrame(rows, columns=list(ACCOUNTING_COLUMNS))
        check_accounting(acc)
        return acc

    def drop_intermediate(self, *, keep_clean: bool) -> None:
        """Drop the working tables (and the clean ones too unless ``keep_clean``).

        The clean tables are views over the stage-2 tables (contacts are stored), so those
        stay while the clean tables are kept.
        """
        kept = (self.prefix + "clean_", self.prefix + "s2_") if keep_clean else ()
        for name in dict.fromkeys(self._views):
            if not name.startswith(kept):
                self.con.drop_view(name, force=True)
        for name in dict.fromkeys(self._made):
            if not name.startswith(kept):
                self.con.drop_table(name, force=True)


def check_accounting(acc: pd.DataFrame) -> None:
    """Raise :class:`AccountingError` unless read == accepted + quarantined for every file."""
    for r in acc.itertuples(index=False):
        if r.read != r.accepted + r.quarantined or min(r.read, r.accepted, r.quarantined) < 0:
            raise AccountingError(
                f"internal error: row accounting does not balance for {r.file} ({r.table}): "
                f"read {r.read} != accepted {r.accepted} + quarantined {r.quarantined}"
            )


def _source(clean: str) -> str:
    return contract.TABLES_BY_CLEAN[clean].source


def _conform(t: ir.Table, name: str) -> ir.Table:
    """Select the clean schema's columns, in order, with its types."""
    schema = clean_schema(name)
    exprs = {}
    for fld in schema:
        dtype = ibis.dtype(fld.type)
        exprs[fld.name] = t[fld.name].cast(dtype) if fld.name in t.columns else ibis.null(dtype)
    return t.select(**exprs)
