"""What a data folder holds, read cheaply: clinician and team ids straight from one or two
columns of the files, so ``clearwater list`` answers at once and an option such as
``--therapist`` is checked before the full load (which takes seconds to minutes).

The ids are read as text exactly as written (trimmed); the full load applies the data contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from clearwater.errors import ConfigError

# (table, column as written in the data set) holding clinician / team ids, in the order tried.
CLINICIAN_SOURCES: tuple[tuple[str, str], ...] = (
    ("CWStaff", "CarePersLocalId"),
    ("IDS201CareContact", "CarePersLocalId"),
    ("IDS202CareActivity", "CarePersLocalId"),
)
TEAM_SOURCES: tuple[tuple[str, str], ...] = (
    ("CWStaff", "CW_TeamId"),
    ("IDS101Referral", "CW_TeamId"),
)
SHOW_AT_MOST = 40


def _files(folder: Path) -> dict[str, Path]:
    from clearwater.dataset.reader import find_files

    found, _ = find_files(Path(folder))
    return found


def _column_values(path: Path, column: str) -> set[str] | None:
    """Distinct non-empty values of ``column`` (matched ignoring case); None if absent."""
    import duckdb

    con = duckdb.connect()
    try:
        if path.suffix.lower() == ".parquet":
            rel = con.read_parquet(str(path))
        else:
            rel = con.read_csv(str(path), all_varchar=True, header=True)
        names = {c.lower(): c for c in rel.columns}
        name = names.get(column.lower())
        if name is None:
            return None
        quoted = '"' + name.replace('"', '""') + '"'
        rows = rel.project(f"trim(cast({quoted} as varchar)) as v").distinct().fetchall()
    finally:
        con.close()
    return {r[0] for r in rows if r[0]}


def _ids(folder: Path, sources: Sequence[tuple[str, str]]) -> list[str]:
    files = _files(folder)
    for table, column in sources:
        path = files.get(table.lower())
        if path is None:
            continue
        values = _column_values(path, column)
        if values:
            return sorted(values)
    return []


def clinicians(folder: Path) -> list[str]:
    """Every clinician id in the data folder (staff file first, else the contacts)."""
    return _ids(folder, CLINICIAN_SOURCES)


def teams(folder: Path) -> list[str]:
    """Every team id in the data folder (staff file first, else the referrals)."""
    return _ids(folder, TEAM_SOURCES)


def measures() -> list[tuple[str, str]]:
    """(id, title) of every measure Clearwater computes."""
    from clearwater.measures.definitions import MEASURES

    return [(mid, m.title) for mid, m in MEASURES.items()]


def valid_list(values: Sequence[str], *, listing: str) -> str:
    """The valid values for an error message; long lists are cut with a pointer to ``listing``."""
    if not values:
        return "none found"
    shown = ", ".join(values[:SHOW_AT_MOST])
    if len(values) > SHOW_AT_MOST:
        shown += f", ... ({len(values)} in all; `{listing}` lists them)"
    return shown


def check_choice(option: str, given: Iterable[str], valid: Sequence[str], *, listing: str) -> None:
    """Raise a :class:`ConfigError` naming every given value not in ``valid`` and listing the
    valid ones."""
    wrong = [g for g in given if g not in set(valid)]
    if wrong:
        which = ", ".join(repr(w) for w in wrong)
        raise ConfigError(
            f"{option} {which} is not known. Valid values: {valid_list(list(valid), listing=listing)}"
        )
