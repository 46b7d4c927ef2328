"""Disclosure control for small-group results (staff surveys, anything about few people).

Two tools, both general:

1. **Safe blocks** (:func:`safe_blocks`, :class:`BlockRelease`).  Responses are counted in
   *atoms* (group x month).  Before anything is shown, the atoms are partitioned once, from the
   whole data set and independently of what anyone asks for, into *blocks* that each hold at
   least ``min_group`` responses: within a group, consecutive months are pooled until the
   threshold is reached (a short tail joins the block before it); groups too small over the
   whole span are pooled together ("other teams"), and if that pool is still too small it
   joins the smallest eligible group.  A requested cell (any set of groups x any set of
   months: a team's month, quarter or year, teams A+B together, the service as a whole) is
   released **only if it is exactly a union of blocks**; otherwise it is suppressed.  Every
   released figure is then a function of block-level data only, so no combination of
   requests - sums, differences, months against quarters, A+B against A - can say anything
   about fewer than ``min_group`` people.  The tests attack this with every combination of
   groupings and periods and a linear-algebra attacker.

2. **Table protection** (:func:`protect_table`).  For a table of counts with row and column
   totals (e.g. released groups x answer options), counts of 1..``min_cell``-1 are
   suppressed (primary), and further cells are suppressed (complementary) until no
   suppressed sensitive cell can be worked back from the published rows, columns and totals
   (checked exactly with the rank of the linear system the published figures define).

Counts that are shown are rounded to the nearest 5 (:func:`round5`, halves up, as in the NHS
Talking Therapies dashboards).  ``min_group`` defaults to 10 and can never be set below 5.

3. **Releases over time and parameter choices** (issue #13).  An attacker may see every release
   of a survey round, made with every parameter a caller can choose, and releases of the file
   with one response added or removed (a leaver, a late reply).  So, for the staff survey
   (:mod:`clearwater.workforce.wellbeing`):

   - the blocks of a survey round are fixed: always formed with :data:`ROUND_BLOCK` (10)
     responses (free text: :data:`ROUND_FREE_TEXT_BLOCK`, 30), whatever the caller asks; a
     stricter ``min_group`` only withholds whole blocks of that same partition, so two
     ``--min-group`` values can never give two blocks that differ by a few people;
   - percentages are worked out from the released (rounded) counts, never from exact ones,
     and never from a suppressed count, so they cannot give the exact n back;
   - means are released with Laplace noise (:func:`noisy_mean`, epsilon
     :data:`MEAN_EPSILON` per mean, sensitivity 100/n for a 0-100 scale) and then rounded to
     whole points.  The noise is drawn from a keyed hash of the block's exact values, so the
     same file always gives the same figures (rerunning cannot average it away), while a file
     differing by one response gives independent noise: ``11 x mean - 10 x mean'`` is then off
     by tens of points instead of recovering the person's score.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clearwater.errors import ConfigError

FLOOR = 5
DEFAULT_MIN_GROUP = 10
ROUND_BLOCK = DEFAULT_MIN_GROUP  # responses per block of a survey round: fixed, not a parameter
ROUND_FREE_TEXT_BLOCK = 30  # responses per block before free text is shown: fixed too
MEAN_EPSILON = 1.0  # differential-privacy budget of each released mean (Laplace mechanism)
SCALE_RANGE = 100.0  # released means are of 0-100 scales (CBI subscales)
_NOISE_KEY = b"clearwater/disclosure/noisy-mean/v1"
POOLED_LABEL = "Other teams (combined)"

Atom = tuple[Hashable, str]  # (group, period key such as '2024-05')


@dataclass(frozen=True)
class DisclosurePolicy:
    """The rules.  ``min_group``: fewest responses behind any figure (default 10, floor 5).

    ``min_cell``: fewest people behind an answer-option count inside a table (default 5).
    ``free_text_min``: fewest responses in a block before its free text may be shown.
    ``rounding``: counts shown are rounded to this base (5).
    """

    min_group: int = DEFAULT_MIN_GROUP
    min_cell: int = FLOOR
    free_text_min: int = 30
    rounding: int = 5

    def __post_init__(self) -> None:
        if self.min_group < FLOOR:
            raise ConfigError(
                f"minimum group size {self.min_group} is below the floor of {FLOOR}; "
                "results for fewer than 5 people are never shown"
            )
        if self.min_cell < 1 or self.min_cell > self.min_group:
            raise ConfigError(f"min_cell must be between 1 and min_group ({self.min_group})")
        if self.free_text_min < self.min_group:
            raise ConfigError("free_text_min cannot be smaller than min_group")
        if self.rounding < 1:
            raise ConfigError("rounding must be a positive whole number")


def noisy_mean(
    values: Sequence[float],
    label: str,
    *,
    epsilon: float = MEAN_EPSILON,
    value_range: float = SCALE_RANGE,
) -> float | None:
    """The mean of ``values`` (0..``value_range``) with Laplace noise, rounded to a whole point.

    Adding or removing one response moves a mean of n values by at most ``value_range / n``,
    so the noise has scale ``value_range / (n * epsilon)``.  It is drawn deterministically from
    an HMAC of ``label`` and the exact sorted values: the same data always give the same
    figure (no averaging over reruns); different data give independent noise.
    """
    vals = sorted(float(v) for v in values)
    n = len(vals)
    if n == 0:
        return None
    if epsilon <= 0:
        raise ConfigError("epsilon must be positive")
    msg = (label + "|" + ",".join(repr(v) for v in vals)).encode("utf-8")
    digest = hmac.new(_NOISE_KEY, msg, hashlib.sha256).digest()
    u = (int.from_bytes(digest[:8], "big") + 0.5) / 2**64 - 0.5  # uniform on (-0.5, 0.5)
    scale = value_range / (n * epsilon)
    noise = -scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))
    return float(min(value_range, max(0.0, round(sum(vals) / n + noise))))


def percent_of_shown(count: int | None, total: int | None) -> int | None:
    """A percentage worked out from released (rounded) figures only; None if either is hidden.

    Computing it from exact counts would give the exact n back (10 shown, 45% / 55%: only
    n = 11 fits); from rounded counts it says nothing the rounded counts do not.
    """
    if count is None or total is None or total <= 0:
        return None
    return int(round(100 * count / total))


def round5(value: float | int | None, base: int = 5) -> int | None:
    """Round a count to the nearest ``base`` (halves go up): 2 -> 0, 3 -> 5, 12 -> 10."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(math.floor((float(value) + base / 2) / base) * base)


# --------------------------------------------------------------------------------------
# Safe blocks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A set of atoms released together; ``label`` names its group(s) and months."""

    block_id: int
    group_label: str
    groups: tuple[Hashable, ...]
    periods: tuple[str, ...]
    atoms: frozenset[Atom]
    n: int

    @property
    def period_label(self) -> str:
        if not self.periods:
            return ""
        if len(self.periods) == 1:
            return self.periods[0]
        return f"{self.periods[0]} to {self.periods[-1]}"


@dataclass(frozen=True)
class BlockRelease:
    """The fixed partition of atoms into safe blocks for one data set under one policy."""

    policy: DisclosurePolicy
    blocks: tuple[Block, ...]
    atom_block: Mapping[Atom, int]
    atom_counts: Mapping[Atom, int]
    withheld: tuple[Atom, ...] = field(default_factory=tuple)  # atoms in no releasable block

    def block_of(self, atom: Atom) -> Block | None:
        idx = self.atom_block.get(atom)
        return None if idx is None else self.blocks[idx]

    def cover(self, atoms: Iterable[Atom]) -> tuple[Block, ...] | None:
        """The blocks that make up exactly this set of atoms, or None if it is not a union.

        Atoms with no responses at all belong to no block and do not matter.  A set that
        touches a withheld atom (responses that belong to no releasable block) is never a
        union.
        """
        wanted = {a for a in atoms if self.atom_counts.get(a, 0) > 0}
        ids: set[int] = set()
        for a in wanted:
            idx = self.atom_block.get(a)
            if idx is None:
                return None
            ids.add(idx)
        covered: set[Atom] = set()
        for i in ids:
            covered |= {a for a in self.blocks[i].atoms if self.atom_counts.get(a, 0) > 0}
        if covered != wanted:
            return None
        return tuple(self.blocks[i] for i in sorted(ids))

    def releasable(self, atoms: Iterable[Atom]) -> bool:
        cov = self.cover(atoms)
        return cov is not None and sum(b.n for b in cov) >= self.policy.min_group

    def request(
        self,
        groupings: Mapping[str, Sequence[Hashable]],
        periods: Mapping[str, Sequence[str]],
    ) -> pd.DataFrame:
        """Answer a request: each named group of groups x each named set of months.

        Returns one row per (grouping, period) with ``released`` and, when released, the
        exact response count ``n`` (for computing figures) and ``n_shown`` (rounded).
        """
        rows = []
        for gname, members in groupings.items():
            for pname, months in periods.items():
                atoms = [(g, m) for g in members for m in months]
                ok = self.releasable(atoms)
                n = sum(self.atom_counts.get(a, 0) for a in atoms)
                rows.append(
                    {
                        "grouping": gname,
                        "period": pname,
                        "released": ok,
                        "n": n if ok else None,
                        "n_shown": round5(n, self.policy.rounding) if ok else None,
                    }
                )
        return pd.DataFrame(rows, columns=["grouping", "period", "released", "n", "n_shown"])


def _walk_months(
    atoms_by_month: list[tuple[str, int]], k: int
) -> list[list[str]]:  # consecutive pooling
    """Pool consecutive months until each pool has >= k; a short tail joins the last pool."""
    pools: list[list[str]] = []
    current: list[str] = []
    total = 0
    for month, n in atoms_by_month:
        current.append(month)
        total += n
        if total >= k:
            pools.append(current)
            current, total = [], 0
    if current:
        if pools:
            pools[-1].extend(current)
        else:
            pools.append(current)
    return pools


def safe_blocks(
    counts: Mapping[Atom, int],
    policy: DisclosurePolicy | None = None,
    *,
    pooled_label: str = POOLED_LABEL,
) -> BlockRelease:
    """Partition atoms (group, month) -> response count into blocks of >= ``min_group``.

    Deterministic, and computed from the whole data set only: the partition never depends on
    what is requested afterwards.
    """
    policy = policy or DisclosurePolicy()
    k = policy.min_group
    counts = {a: int(n) for a, n in counts.items() if int(n) > 0}
    by_group: dict[Hashable, dict[str, int]] = {}
    for (g, m), n in counts.items():
        by_group.setdefault(g, {})[m] = n
    totals = {g: sum(v.values()) for g, v in by_group.items()}
    eligible = sorted((g for g, t in totals.items() if t >= k), key=str)
    small = sorted((g for g, t in totals.items() if t < k), key=str)

    units: list[tuple[str, tuple[Hashable, ...]]] = [(str(g), (g,)) for g in eligible]
    if small:
        pool_total = sum(totals[g] for g in small)
        if pool_total >= k:
            units.append((pooled_label, tuple(small)))
        elif eligible:
            target = min(eligible, key=lambda g: (totals[g], str(g)))
            units = [(lbl, gs) for lbl, gs in units if gs != (target,)]
            units.append((f"{target} + other teams (combined)", (target, *small)))
        # else: nothing at all reaches the threshold; everything is withheld

    blocks: list[Block] = []
    atom_block: dict[Atom, int] = {}
    for label, groups in sorted(units, key=lambda u: u[0]):
        months: dict[str, int] = {}
        for g in groups:
            for m, n in by_group[g].items():
                months[m] = months.get(m, 0) + n
        for pool in _walk_months(sorted(months.items()), k):
            atoms = frozenset((g, m) for g in groups for m in pool if (g, m) in counts)
            n = sum(counts[a] for a in atoms)
            blocks.append(
                Block(
                    block_id=len(blocks),
                    group_label=label,
                    groups=groups,
                    periods=tuple(sorted(pool)),
                    atoms=atoms,
                    n=n,
                )
            )
            for a in atoms:
                atom_block[a] = len(blocks) - 1
    withheld = tuple(sorted((a for a in counts if a not in atom_block), key=str))
    # A block can be below k only when its whole unit was below k (cannot happen for units
    # built above) - guard anyway so nothing small is ever released.
    for b in blocks:
        if b.n < k:
            raise AssertionError("internal error: a safe block is smaller than the threshold")
    return BlockRelease(
        policy=policy,
        blocks=tuple(blocks),
        atom_block=atom_block,
        atom_counts=counts,
        withheld=withheld,
    )


# --------------------------------------------------------------------------------------
# Table protection (primary + complementary suppression with totals)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedTable:
    """A count table with margins; ``shown`` holds rounded counts or None where suppressed."""

    counts: pd.DataFrame  # exact, with a 'Total' row and column
    suppressed: pd.DataFrame  # bool, same shape
    shown: pd.DataFrame  # object: rounded int or None
    primary: frozenset[tuple[str, str]]


def _determined(values: np.ndarray, mask: np.ndarray, cell: tuple[int, int]) -> bool:  # rank test
    """Is a suppressed interior cell fixed by the published row/column/total equations?

    ``mask`` marks suppressed cells of the full table (interior + margins, last row/col are
    totals).  Unknowns are the suppressed cells; each row and column equation
    (interior sum = margin) is published where all but the unknowns are shown.
    """
    r, c = values.shape
    unknown = [(i, j) for i in range(r) for j in range(c) if mask[i, j]]
    index = {u: n for n, u in enumerate(unknown)}
    eqs = []
    for i in range(r):  # row i: cells 0..c-2 sum to cell c-1
        row = np.zeros(len(unknown))
        for j in range(c):
            if (i, j) in index:
                row[index[(i, j)]] = -1.0 if j == c - 1 else 1.0
        if row.any():
            eqs.append(row)
    for j in range(c):
        col = np.zeros(len(unknown))
        for i in range(r):
            if (i, j) in index:
                col[index[(i, j)]] = -1.0 if i == r - 1 else 1.0
        if col.any():
            eqs.append(col)
    if not eqs:
        return False
    a = np.vstack(eqs)
    e = np.zeros(len(unknown))
    e[index[cell]] = 1.0
    return bool(np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a))


def protect_table(
    table: pd.DataFrame, policy: DisclosurePolicy | None = None, *, total_label: str = "Total"
) -> ProtectedTable:
    """Suppress small counts in a table and enough others that they cannot be worked back.

    ``table``: interior counts (rows x columns, non-negative integers).  Row and column totals
    and the grand total are added and take part in the protection.  Zero cells are not
    sensitive (nobody is described) and are shown.
    """
    policy = policy or DisclosurePolicy()
    interior = table.astype("int64")
    if (interior.to_numpy() < 0).any():
        raise ValueError("counts must be non-negative")
    full = interior.copy()
    full[total_label] = interior.sum(axis=1)
    full.loc[total_label] = full.sum(axis=0)
    values = full.to_numpy()
    nr, nc = values.shape
    mask = np.zeros_like(values, dtype=bool)
    primary: set[tuple[int, int]] = set()
    for i in range(nr - 1):
        for j in range(nc - 1):
            if 0 < values[i, j] < policy.min_cell:
                mask[i, j] = True
                primary.add((i, j))
    # totals that are themselves small describe few people: suppress them too
    for i in range(nr):
        for j in range(nc):
            if (i == nr - 1 or j == nc - 1) and 0 < values[i, j] < policy.min_group:
                mask[i, j] = True
                primary.add((i, j))

    def is_margin(x: tuple[int, int]) -> bool:
        return x[0] == nr - 1 or x[1] == nc - 1

    def candidates() -> list[tuple[int, int]]:
        """Shown non-zero cells that share a row or column with a hidden cell, cheapest first."""
        rows = {i for i in range(nr) if mask[i, :].any()}
        cols = {j for j in range(nc) if mask[:, j].any()}
        out = [
            (i, j)
            for i in range(nr)
            for j in range(nc)
            if not mask[i, j] and values[i, j] > 0 and (i in rows or j in cols)
        ]
        return sorted(out, key=lambda x: (is_margin(x), values[x], x))

    def lonely(x: tuple[int, int]) -> bool:
        """Does x lie in a line with exactly one hidden cell (so hiding x starts a cycle)?"""
        return mask[x[0], :].sum() == 1 or mask[:, x[1]].sum() == 1

    for cell in sorted(primary):
        while _determined(values, mask, cell):
            cands = candidates()
            fixed = False
            for cand in cands:  # one more cell that alone protects it, if any
                mask[cand] = True
                if not _determined(values, mask, cell):
                    fixed = True
                    break
                mask[cand] = False
            if fixed:
                break
            grow = [c for c in cands if lonely(c)] or cands
            if not grow:
                mask |= values > 0  # with every non-zero cell hidden nothing can be fixed
                break
            mask[grow[0]] = True
    # a later complementary choice never un-hides anything, so earlier cells stay protected;
    # check once more and hide everything if some path was missed
    if any(_determined(values, mask, c) for c in primary):
        mask |= values > 0
    suppressed = pd.DataFrame(mask, index=full.index, columns=full.columns)
    shown = pd.DataFrame(
        [
            [None if mask[i, j] else round5(values[i, j], policy.rounding) for j in range(nc)]
            for i in range(nr)
        ],
        index=full.index,
        columns=full.columns,
        dtype=object,
    )
    prim = frozenset((str(full.index[i]), str(full.columns[j])) for i, j in primary)
    return ProtectedTable(counts=full, suppressed=suppressed, shown=shown, primary=prim)


def is_recoverable(protected: ProtectedTable, row: str, column: str) -> bool:
    """Can this suppressed cell be worked back exactly from what is published?"""
    full = protected.counts
    i = list(map(str, full.index)).index(row)
    j = list(map(str, full.columns)).index(column)
    mask = protected.suppressed.to_numpy()
    if not mask[i, j]:
        return True
    return _determined(full.to_numpy(), mask, (i, j))
