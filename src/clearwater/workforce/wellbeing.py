"""The anonymous staff wellbeing survey: reading, scoring and safe release.

Input: a ``CWWellbeingResponses`` file (CSV or Parquet; columns in
``docs/reference/wellbeing-survey.md``).  It has no staff identifier - team and date only - and
is read and validated here, apart from the service data, because it is a separate anonymous
input.  Every row is accepted or quarantined with its reason (read = accepted + quarantined).

Scoring: the Copenhagen Burnout Inventory (Kristensen et al. 2005).  Answers are recorded as
item points 100 / 75 / 50 / 25 / 0 (Always or To a very high degree = 100 ... Never/almost
never or To a very low degree = 0); item 13 is reversed (100 - points); each subscale score is
the mean of its answered items, computed only when at least 3 items of that subscale were
answered.  There is no total score.  A subscale score of 50 or more is counted as "high" - a
research convention (Borritz et al. 2006), never a diagnosis.

Release: only through :mod:`clearwater.workforce.disclosure` - safe blocks of at least
``min_group`` responses (team x pooled months), answer-option counts protected with
complementary suppression, counts rounded to 5, free text only for blocks of at least
``free_text_min`` responses.  Individual responses never leave this module.

The survey file is small (one row per response), so it is read with pandas rather than an
engine; see ADR 0052.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clearwater.errors import ConfigError, DataContractError
from clearwater.workforce.disclosure import (
    ROUND_BLOCK,
    ROUND_FREE_TEXT_BLOCK,
    BlockRelease,
    DisclosurePolicy,
    ProtectedTable,
    noisy_mean,
    percent_of_shown,
    protect_table,
    round5,
    safe_blocks,
)

TABLE_NAME = "CWWellbeingResponses"
CBI_ITEMS = tuple(f"CBI{i:02d}" for i in range(1, 20))
CBI_SCALES: dict[str, tuple[int, ...]] = {
    "personal": tuple(range(1, 7)),
    "work": tuple(range(7, 14)),
    "client": tuple(range(14, 20)),
}
CBI_REVERSED = frozenset({13})
CBI_POINTS = frozenset({0, 25, 50, 75, 100})
CBI_MIN_ITEMS = 3
CBI_HIGH = 50.0

# Short items on the pressures the staff surveys report: Y = yes, N = no, X = prefer not to say.
PRESSURE_ITEMS: dict[str, str] = {
    "AskedToAlterData": "In the last 12 months, have you been asked to record or change "
    "outcome data in a way you felt was wrong?",
    "EnoughSupervision": "Do you get enough supervision for your caseload?",
    "SafeStaffing": "Does your service have enough staff to deliver a safe and effective service?",
    "ThinkingOfLeaving": "In the last month, have you thought about leaving your job at least "
    "once or twice a week?",
}
PRESSURE_CODES = frozenset({"Y", "N", "X"})
PRESSURE_OPTIONS = {"Y": "Yes", "N": "No", "X": "Prefer not to say"}

REQUIRED_COLUMNS = ("ResponseId", "CW_TeamId", "Date", *CBI_ITEMS, *PRESSURE_ITEMS)
OPTIONAL_COLUMNS = ("FreeText",)

ACCOUNTING_COLUMNS = ("table", "file", "read", "accepted", "quarantined")
QUARANTINE_COLUMNS = ("table", "file", "row", "column", "reason", "value")


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------


def cbi_scores(answers: Mapping[int, float | int | None]) -> dict[str, float | None]:
    """CBI subscale scores (0-100) from item number -> points (100/75/50/25/0, or None).

    >>> cbi_scores({1: 100, 2: 50, 3: 0})["personal"]
    50.0
    """
    out: dict[str, float | None] = {}
    for scale, items in CBI_SCALES.items():
        vals = []
        for i in items:
            v = answers.get(i)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            v = float(v)
            if v not in CBI_POINTS:
                raise ValueError(f"CBI item {i}: {v} is not one of 0, 25, 50, 75, 100")
            vals.append(100.0 - v if i in CBI_REVERSED else v)
        out[scale] = sum(vals) / len(vals) if len(vals) >= CBI_MIN_ITEMS else None
    return out


def score_responses(frame: pd.DataFrame) -> pd.DataFrame:
    """Add cbi_personal, cbi_work, cbi_client to accepted responses (vectorised)."""
    out = frame.copy()
    for scale, items in CBI_SCALES.items():
        cols = []
        for i in items:
            col = pd.to_numeric(out[f"CBI{i:02d}"], errors="coerce").astype(float)
            cols.append(100.0 - col if i in CBI_REVERSED else col)
        mat = pd.concat(cols, axis=1)
        answered = mat.notna().sum(axis=1)
        out[f"cbi_{scale}"] = mat.mean(axis=1).where(answered >= CBI_MIN_ITEMS)
    return out


# --------------------------------------------------------------------------------------
# Reading and validation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WellbeingData:
    """Accepted responses (scored) plus the accounts of every row read."""

    responses: pd.DataFrame
    accounting: pd.DataFrame
    quarantine: pd.DataFrame
    file: str


@dataclass(frozen=True)
class _Raw:
    """The file as text: the rows that fit the header, their line numbers, and the rest."""

    frame: pd.DataFrame
    lines: list[int]  # line in the file where each row of ``frame`` starts (header = line 1)
    malformed: list[tuple[int, str, str]]  # (line, reason, raw text) of rows that do not fit


def _read_csv_rows(path: Path) -> _Raw:
    """Read a survey CSV with the csv module: exact start lines, even when free text spans
    lines; a row with more or fewer fields than the header is set aside, not fatal."""
    rows: list[list[str]] = []
    lines: list[int] = []
    malformed: list[tuple[int, str, str]] = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise DataContractError("the file is empty (no header row)", file=path.name)
            width = len(header)
            start = reader.line_num + 1
            for rec in reader:
                if len(rec) == width:
                    rows.append(rec)
                    lines.append(start)
                elif rec and not (len(rec) == 1 and rec[0] == ""):
                    malformed.append(
                        (
                            start,
                            f"row has {len(rec)} fields but the header has {width}",
                            ",".join(rec)[:200],
                        )
                    )
                start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise DataContractError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV", file=path.name
        ) from exc
    except csv.Error as exc:
        raise DataContractError(f"cannot parse the file as CSV: {exc}", file=path.name) from exc
    return _Raw(pd.DataFrame(rows, columns=header, dtype=object), lines, malformed)


def _read_raw(path: Path) -> _Raw:
    if not path.exists():
        raise DataContractError("file not found", file=str(path))  # the path as given
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv_rows(path)
    if suffix != ".parquet":
        raise DataContractError(
            f"unsupported file type '{suffix}': use .csv or .parquet", file=path.name
        )
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a contract failure
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataContractError(f"could not be read: {first}", file=path.name) from exc
    frame = frame.astype(object).where(frame.notna(), None)
    frame = frame.map(lambda v: None if v is None else str(v))
    return _Raw(frame, list(range(2, len(frame) + 2)), [])


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def read_wellbeing(path: str | Path) -> WellbeingData:
    """Read and validate a CWWellbeingResponses file (CSV or Parquet).

    A missing required column is a :class:`DataContractError` naming the file and column.
    Bad values quarantine the row with the file row number (header = line 1), column and reason.
    """
    path = Path(path)
    parsed = _read_raw(path)
    raw = parsed.frame
    lookup = {str(c).strip().lower(): c for c in raw.columns}
    rename: dict[str, str] = {}
    for col in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
        src = lookup.get(col.lower())
        if src is None:
            if col in REQUIRED_COLUMNS:
                raise DataContractError(
                    "required column missing (see docs/reference/wellbeing-survey.md)",
                    file=path.name,
                    column=col,
                )
            continue
        rename[src] = col
    unknown = [c for c in raw.columns if c not in rename]
    if unknown:
        forbidden = [
            c for c in unknown if "staff" in str(c).lower() or "carepers" in str(c).lower()
        ]
        if forbidden:
            raise DataContractError(
                "the wellbeing survey is anonymous and must not carry a staff identifier",
                file=path.name,
                column=str(forbidden[0]),
            )
    frame = raw.rename(columns=rename)[[c for c in rename.values()]].copy()
    if "FreeText" not in frame.columns:
        frame["FreeText"] = None
    frame["source_row"] = np.asarray(parsed.lines, dtype="int64")

    problems: list[dict[str, object]] = [
        {
            "table": TABLE_NAME,
            "file": path.name,
            "row": line,
            "column": None,
            "reason": reason,
            "value": text,
        }
        for line, reason, text in parsed.malformed
    ]
    bad_rows: set[int] = set()
    seen_ids: set[str] = set()
    dates: list[object] = []
    for idx, row in enumerate(frame.itertuples(index=False)):
        rec = row._asdict()
        line = int(rec["source_row"])

        def fail(column: str, reason: str, value: object, _line: int = line, _i: int = idx) -> None:
            problems.append(
                {
                    "table": TABLE_NAME,
                    "file": path.name,
                    "row": _line,
                    "column": column,
                    "reason": reason,
                    "value": None if _blank(value) else str(value),
                }
            )
            bad_rows.add(_i)

        rid = rec["ResponseId"]
        if _blank(rid):
            fail("ResponseId", "empty response identifier", rid)
        elif str(rid).strip() in seen_ids:
            fail("ResponseId", "duplicate response identifier", rid)
        else:
            seen_ids.add(str(rid).strip())
        if _blank(rec["CW_TeamId"]):
            fail("CW_TeamId", "empty team identifier", rec["CW_TeamId"])
        d = pd.to_datetime(str(rec["Date"]).strip(), format="%Y-%m-%d", errors="coerce")
        if _blank(rec["Date"]) or pd.isna(d):
            fail("Date", "not a date in YYYY-MM-DD form", rec["Date"])
            dates.append(None)
        else:
            dates.append(d.date())
        for item in CBI_ITEMS:
            v = rec[item]
            if _blank(v):
                continue
            try:
                num = float(str(v).strip())
            except ValueError:
                num = float("nan")
            if num not in CBI_POINTS:
                fail(item, "CBI answer must be one of 0, 25, 50, 75, 100 or empty", v)
        for item in PRESSURE_ITEMS:
            v = rec[item]
            if not _blank(v) and str(v).strip().upper() not in PRESSURE_CODES:
                fail(item, "answer must be Y, N, X (prefer not to say) or empty", v)
    frame["Date"] = dates
    accepted = frame.drop(index=frame.index[sorted(bad_rows)]).reset_index(drop=True)
    for col in (*CBI_ITEMS,):
        accepted[col] = pd.to_numeric(accepted[col].map(lambda v: None if _blank(v) else v))
    for col in PRESSURE_ITEMS:
        accepted[col] = accepted[col].map(lambda v: None if _blank(v) else str(v).strip().upper())
    accepted["CW_TeamId"] = accepted["CW_TeamId"].map(lambda v: str(v).strip())
    accepted["FreeText"] = accepted["FreeText"].map(lambda v: None if _blank(v) else str(v))
    accepted = score_responses(accepted)
    accounting = pd.DataFrame(
        [
            {
                "table": TABLE_NAME,
                "file": path.name,
                "read": len(frame) + len(parsed.malformed),
                "accepted": len(accepted),
                "quarantined": len(bad_rows) + len(parsed.malformed),
            }
        ],
        columns=list(ACCOUNTING_COLUMNS),
    )
    quarantine = pd.DataFrame(problems, columns=list(QUARANTINE_COLUMNS))
    quarantine = quarantine.sort_values(["row"], kind="mergesort").reset_index(drop=True)
    return WellbeingData(
        responses=accepted, accounting=accounting, quarantine=quarantine, file=path.name
    )


# --------------------------------------------------------------------------------------
# Safe release
# --------------------------------------------------------------------------------------


def month_key(d: object) -> str:
    ts = pd.Timestamp(d)
    return f"{ts.year:04d}-{ts.month:02d}"


def atom_counts(responses: pd.DataFrame) -> dict[tuple[str, str], int]:
    keys = zip(responses["CW_TeamId"], responses["Date"].map(month_key), strict=True)
    out: dict[tuple[str, str], int] = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return out


@dataclass(frozen=True)
class WellbeingRelease:
    """What may be shown: one row per safe block, plus protected option tables and free text."""

    policy: DisclosurePolicy
    blocks: pd.DataFrame  # block_id, group, periods, n_shown, subscale means / % high
    options: dict[str, ProtectedTable]  # per pressure item / high-burnout flag
    free_text: pd.DataFrame  # group, periods, text (only blocks >= free_text_min)
    partition: BlockRelease = field(repr=False)
    responses_read: int = 0

    def to_frame(self) -> pd.DataFrame:
        return self.blocks


def _block_members(responses: pd.DataFrame, release: BlockRelease) -> pd.Series:
    keys = list(zip(responses["CW_TeamId"], responses["Date"].map(month_key), strict=True))
    return pd.Series([release.atom_block.get(k) for k in keys], index=responses.index)


def release_wellbeing(
    data: WellbeingData | pd.DataFrame, policy: DisclosurePolicy | None = None
) -> WellbeingRelease:
    """Aggregate scored responses into safe blocks and protect every figure shown.

    The blocks are the survey round's fixed partition (:data:`ROUND_BLOCK` responses each),
    whatever ``policy`` says; a stricter ``policy.min_group`` only withholds whole blocks.
    Means carry Laplace noise and percentages come from rounded counts
    (:mod:`clearwater.workforce.disclosure`, point 3).
    """
    policy = policy or DisclosurePolicy()
    if policy.min_group < ROUND_BLOCK:
        raise ConfigError(
            f"the staff survey's blocks hold at least {ROUND_BLOCK} responses; a smaller "
            f"minimum group ({policy.min_group}) cannot be used"
        )
    responses = data.responses if isinstance(data, WellbeingData) else data
    # Everything is computed under the round's fixed rules; the caller's policy can only
    # withhold whole blocks afterwards (:func:`_withhold`), so every release is a subset of
    # the default one and no two releases can be differenced.
    round_policy = DisclosurePolicy(min_group=ROUND_BLOCK, free_text_min=ROUND_FREE_TEXT_BLOCK)
    partition = safe_blocks(atom_counts(responses), round_policy)
    member = _block_members(responses, partition)
    rows = []
    options: dict[str, dict[str, dict[str, int]]] = {}
    labels: dict[int, str] = {}
    for b in partition.blocks:
        label = f"{b.group_label}, {b.period_label}"
        labels[b.block_id] = label
        part = responses[member == b.block_id]
        row: dict[str, object] = {
            "block_id": b.block_id,
            "group": b.group_label,
            "periods": b.period_label,
            "first_month": b.periods[0],
            "last_month": b.periods[-1],
            "n_shown": round5(b.n, round_policy.rounding),
        }
        for scale in CBI_SCALES:
            vals = part[f"cbi_{scale}"].dropna()
            ok = len(vals) >= round_policy.min_group
            row[f"{scale}_n_shown"] = round5(len(vals), round_policy.rounding) if ok else None
            row[f"{scale}_mean"] = noisy_mean(vals.tolist(), f"{scale}|{label}") if ok else None
            high = int((vals >= CBI_HIGH).sum())
            options.setdefault(f"high_{scale}", {})[label] = (
                {"High (50+)": high, "Below 50": len(vals) - high} if ok else {}
            )
        for item in PRESSURE_ITEMS:
            counts = part[item].fillna("not answered").value_counts()
            options.setdefault(item, {})[label] = {
                PRESSURE_OPTIONS.get(k, "Not answered"): int(v) for k, v in counts.items()
            }
        rows.append(row)
    blocks = pd.DataFrame(rows)
    protected: dict[str, ProtectedTable] = {}
    for name, by_block in options.items():
        table = pd.DataFrame.from_dict(by_block, orient="index").fillna(0).astype("int64")
        table = table.loc[[lbl for lbl, v in by_block.items() if v]]
        if table.empty:
            continue
        protected[name] = protect_table(table, round_policy)
    # percentages only where the underlying count is shown
    if not blocks.empty:
        for name, pt in protected.items():
            key = "Yes" if name in PRESSURE_ITEMS else "High (50+)"
            if key not in pt.counts.columns:
                continue
            col = f"{name}_pct" if name in PRESSURE_ITEMS else f"{name.split('_', 1)[1]}_pct_high"
            vals = []
            for bid in blocks["block_id"]:
                lbl = labels[int(bid)]
                if lbl not in pt.counts.index or bool(pt.suppressed.loc[lbl, key]):
                    vals.append(None)
                    continue
                vals.append(percent_of_shown(pt.shown.loc[lbl, key], pt.shown.loc[lbl, "Total"]))
            blocks[col] = vals
    free_rows = []
    if len(responses) >= ROUND_FREE_TEXT_BLOCK:
        ft_partition = safe_blocks(
            atom_counts(responses),
            DisclosurePolicy(
                min_group=ROUND_FREE_TEXT_BLOCK,
                free_text_min=ROUND_FREE_TEXT_BLOCK,
            ),
        )
        ft_member = _block_members(responses, ft_partition)
        for b in ft_partition.blocks:
            if b.n < policy.free_text_min:  # withheld whole, never re-partitioned
                continue
            texts = sorted(
                t
                for t in responses.loc[ft_member == b.block_id, "FreeText"]
                if isinstance(t, str) and t.strip()
            )
            for t in texts:  # sorted, so the order says nothing about who or when
                free_rows.append({"group": b.group_label, "periods": b.period_label, "text": t})
    free_text = pd.DataFrame(free_rows, columns=["group", "periods", "text"])
    sizes = {b.block_id: b.n for b in partition.blocks}
    blocks, protected = _withhold(blocks, protected, labels, sizes, policy.min_group)
    return WellbeingRelease(
        policy=policy,
        blocks=blocks,
        options=protected,
        free_text=free_text,
        partition=partition,
        responses_read=len(responses),
    )


def _withhold(
    blocks: pd.DataFrame,
    protected: dict[str, ProtectedTable],
    labels: Mapping[int, str],
    sizes: Mapping[int, int],
    min_group: int,
) -> tuple[pd.DataFrame, dict[str, ProtectedTable]]:
    """Withhold whole blocks under a caller's stricter ``min_group``: their rows go, and their
    rows of the option tables are hidden; every other figure stays exactly as released under
    the round's rules (the totals too), so nothing new can be worked out."""
    if blocks.empty or min_group <= ROUND_BLOCK:
        return blocks, protected
    keep = blocks["block_id"].map(lambda bid: sizes[int(bid)] >= min_group).astype(bool)
    small = {labels[int(bid)] for bid in blocks.loc[~keep, "block_id"]}
    kept = blocks[keep].reset_index(drop=True)
    out: dict[str, ProtectedTable] = {}
    for name, pt in protected.items():
        hide = [lbl for lbl in pt.shown.index if lbl in small]
        shown, suppressed = pt.shown.copy(), pt.suppressed.copy()
        shown.loc[hide, :] = None
        suppressed.loc[hide, :] = True
        out[name] = ProtectedTable(
            counts=pt.counts, suppressed=suppressed, shown=shown, primary=pt.primary
        )
    return kept, out


def standard_requests(
    responses: pd.DataFrame,
) -> tuple[dict[str, Sequence[str]], dict[str, Sequence[str]]]:
    """The groupings and periods a user may ask for: each team, every pair of teams, the
    service; each month, each quarter (Apr-Jun ...), each financial year, and all months."""
    teams = sorted(set(responses["CW_TeamId"]))
    months = sorted(set(responses["Date"].map(month_key)))
    groupings: dict[str, Sequence[str]] = {t: [t] for t in teams}
    for i, a in enumerate(teams):
        for b in teams[i + 1 :]:
            groupings[f"{a}+{b}"] = [a, b]
    groupings["All teams"] = teams
    periods: dict[str, Sequence[str]] = {m: [m] for m in months}
    for m in months:
        y, mo = int(m[:4]), int(m[5:])
        fy = y if mo >= 4 else y - 1
        q = ((mo - 4) % 12) // 3 + 1
        periods.setdefault(f"{fy}-{(fy + 1) % 100:02d} Q{q}", [])
        periods[f"{fy}-{(fy + 1) % 100:02d} Q{q}"] = [
            *periods[f"{fy}-{(fy + 1) % 100:02d} Q{q}"],
            m,
        ]
        periods.setdefault(f"{fy}-{(fy + 1) % 100:02d}", [])
        periods[f"{fy}-{(fy + 1) % 100:02d}"] = [*periods[f"{fy}-{(fy + 1) % 100:02d}"], m]
    periods["All months"] = months
    return groupings, periods
