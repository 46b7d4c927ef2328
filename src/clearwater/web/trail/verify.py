"""Check the trail: the chain itself, its anchors, and that every clinical row still holds
what the trail last recorded for it.

Returns the first problem found, naming the row, what changed and when; ``None`` when the
trail and the records are intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from clearwater.web.trail.chain import audited_models, entry_hash, snapshot
from clearwater.web.trail.models import GENESIS, Anchor, ChainHead, TrailEntry


@dataclass(frozen=True)
class Break:
    where: str  # the row: trail entry #n, or table + primary key
    what: str  # what changed
    when: str  # when the last good record of it was made

    def __str__(self) -> str:
        return f"{self.where}: {self.what} ({self.when})"


@dataclass(frozen=True)
class Report:
    entries: int
    rows_checked: int
    anchors: int
    problem: Break | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _chain() -> tuple[Break | None, dict[tuple[str, str], TrailEntry], int, str]:
    prev_hash = GENESIS
    expected_seq = 1
    last: dict[tuple[str, str], TrailEntry] = {}
    by_seq_hash: dict[int, str] = {}
    n = 0
    prev_at = "the start of the trail"
    for e in TrailEntry.objects.order_by("seq").iterator(chunk_size=2000):
        n += 1
        if e.seq != expected_seq:
            what = (
                f"entries #{expected_seq} to #{e.seq - 1} are missing"
                if e.seq > expected_seq
                else f"sequence number {e.seq} repeated or out of order"
            )
            return Break(f"trail entry #{e.seq}", what, f"after {prev_at}"), last, n, ""
        if e.prev_hash != prev_hash:
            return (
                Break(
                    f"trail entry #{e.seq}",
                    "its link to the previous entry does not match (an entry before it was "
                    "removed, inserted or rewritten)",
                    f"entry recorded {e.at.isoformat()}",
                ),
                last,
                n,
                "",
            )
        if entry_hash(prev_hash, e) != e.hash:
            return (
                Break(
                    f"trail entry #{e.seq} ({e.action} {e.table}:{e.object_id})",
                    "its content was changed after it was written (hash mismatch)",
                    f"entry recorded {e.at.isoformat()} by {e.actor}",
                ),
                last,
                n,
                "",
            )
        by_seq_hash[e.seq] = e.hash
        if e.table and (e.snapshot is not None or e.action == "delete"):
            last[(e.table, e.object_id)] = e
        prev_hash = e.hash
        prev_at = f"entry #{e.seq} recorded {e.at.isoformat()}"
        expected_seq += 1
    # anchors: database copies and the external file
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        return (
            Break(
                f"chain head (entry #{head.seq})",
                f"the trail ends at entry #{expected_seq - 1}; entries after it were removed "
                "or the head was changed",
                f"after {prev_at}",
            ),
            last,
            n,
            prev_hash,
        )
    anchors = [(a.seq, a.hash, a.at.isoformat()) for a in Anchor.objects.order_by("seq")]
    path = getattr(settings, "CLEARWATER_ANCHOR_FILE", "")
    if path and Path(path).exists():
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 3:
                anchors.append((int(parts[0]), parts[1], parts[2]))
    for seq, h, at in anchors:
        if by_seq_hash.get(seq) != h:
            return (
                Break(
                    f"trail entry #{seq}",
                    "does not match its anchor (the trail was truncated or rewritten)"
                    if seq in by_seq_hash
                    else "is anchored but missing from the trail (the trail was truncated)",
                    f"anchored {at}",
                ),
                last,
                n,
                prev_hash,
            )
    return None, last, n, prev_hash


def verify() -> Report:
    problem, last, n, _ = _chain()
    anchors = Anchor.objects.count()
    if problem is not None:
        return Report(n, 0, anchors, problem)
    checked = 0
    seen: set[tuple[str, str]] = set()
    for model in audited_models():
        table = model._meta.db_table
        for obj in model.objects.order_by("pk").iterator(chunk_size=2000):
            checked += 1
            key = (table, str(obj.pk))
            seen.add(key)
            e = last.get(key)
            if e is None or e.action == "delete":
                return Report(
                    n,
                    checked,
                    anchors,
                    Break(
                        f"{table} row {obj.pk}",
                        "the row is not in the trail (inserted outside the app)"
                        if e is None
                        else "the row was deleted in the trail but is in the database",
                        "no trail entry" if e is None else f"deleted {e.at.isoformat()}",
                    ),
                )
            now = snapshot(obj)
            if now != e.snapshot:
                changed = [
                    f"{k} is {now.get(k)!r} in the database but {e.snapshot.get(k)!r} in the trail"
                    for k in sorted(set(now) | set(e.snapshot or {}))
                    if now.get(k) != (e.snapshot or {}).get(k)
                ]
                return Report(
                    n,
                    checked,
                    anchors,
                    Break(
                        f"{table} row {obj.pk}",
                        "changed outside the app: " + "; ".join(changed),
                        f"last recorded by trail entry #{e.seq} at {e.at.isoformat()} by {e.actor}",
                    ),
                )
    for key, e in last.items():
        if key not in seen and e.action != "delete" and e.snapshot is not None:
            return Report(
                n,
                checked,
                anchors,
                Break(
                    f"{key[0]} row {key[1]}",
                    "the row is missing from the database (deleted outside the app)",
                    f"last recorded by trail entry #{e.seq} at {e.at.isoformat()} by {e.actor}",
                ),
            )
    return Report(n, checked, anchors, None)
