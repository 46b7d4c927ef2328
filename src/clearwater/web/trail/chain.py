"""Appending to the trail: canonical content, hashing, the actor of the current request."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from clearwater.web.trail.models import GENESIS, Anchor, ChainHead, TrailEntry

_actor: contextvars.ContextVar[str] = contextvars.ContextVar("trail_actor", default="system")


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Attribute every trail entry written inside the block to ``actor``."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> str:
    return _actor.get()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value + 0.0)  # -0.0 -> 0.0: databases do not keep the sign of zero
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Every stored column of a row, as plain JSON values (foreign keys by id)."""
    return {f.attname: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def stored_snapshots(model: type[models.Model], pks: list) -> dict[str, dict[str, Any]]:
    """Snapshots of rows as the database holds them (after its own rounding and
    normalisation), so verify compares like with like."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(pks), 500):
        for row in model._base_manager.filter(pk__in=pks[i : i + 500]):
            out[str(row.pk)] = snapshot(row)
    return out


def canonical(entry: TrailEntry) -> str:
    """The exact text that is hashed: sorted keys, no spaces, UTF-8."""
    body = {
        "seq": entry.seq,
        "at": _plain(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "table": entry.table,
        "object_id": entry.object_id,
        "patient": entry.patient,
        "snapshot": entry.snapshot,
        "details": entry.details,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, entry: TrailEntry) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode("utf-8")).hexdigest()


def append(
    action: str,
    *,
    obj: models.Model | None = None,
    table: str = "",
    object_id: str = "",
    patient: str = "",
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    with_snapshot: bool = True,
) -> TrailEntry:
    """Append one entry, chained to the previous one, inside the caller's transaction."""
    if obj is not None:
        table = obj._meta.db_table
        object_id = str(obj.pk)
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = ChainHead.objects.create(pk=1, seq=0, hash=GENESIS)
            head = ChainHead.objects.select_for_update().get(pk=1)
        entry = TrailEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor or current_actor(),
            action=action,
            table=table,
            object_id=object_id,
            patient=patient,
            snapshot=(
                stored_snapshots(type(obj), [obj.pk]).get(str(obj.pk), snapshot(obj))
                if (obj is not None and with_snapshot)
                else None
            ),
            details=_plain(details or {}),
            prev_hash=head.hash,
        )
        entry.hash = entry_hash(head.hash, entry)
        entry.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)
        every = int(getattr(settings, "CLEARWATER_TRAIL_ANCHOR_EVERY", 100))
        if every > 0 and entry.seq % every == 0:
            _anchor(entry)
    return entry


def _anchor(entry: TrailEntry) -> None:
    Anchor(seq=entry.seq, hash=entry.hash, at=entry.at).save(force_insert=True)
    path = getattr(settings, "CLEARWATER_ANCHOR_FILE", "")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{entry.seq} {entry.hash} {_plain(entry.at)}\n")


class AuditedModel(models.Model):
    """A clinical table: every create, update and delete writes a trail entry with the
    row's full content, in the same transaction.  ``trail_patient`` names the patient
    the row belongs to (for "who looked at my record")."""

    class Meta:
        abstract = True

    def trail_patient(self) -> str:
        return ""

    def save(self, *args, **kwargs):
        creating = self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            append("create" if creating else "update", obj=self, patient=self.trail_patient())

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            append("delete", obj=self, patient=self.trail_patient())
            return super().delete(*args, **kwargs)


def audited_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, AuditedModel)]


def append_many(
    objs: list[models.Model], action: str = "create", patient_of=None, batch: int = 2000
) -> int:
    """Append one entry per row for rows written in bulk (imports), in one transaction."""
    if not objs:
        return 0
    actor = current_actor()
    every = int(getattr(settings, "CLEARWATER_TRAIL_ANCHOR_EVERY", 100))
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            ChainHead.objects.create(pk=1, seq=0, hash=GENESIS)
            head = ChainHead.objects.select_for_update().get(pk=1)
        seq, prev = head.seq, head.hash
        now = timezone.now()
        entries: list[TrailEntry] = []
        anchors: list[TrailEntry] = []
        stored = stored_snapshots(type(objs[0]), [o.pk for o in objs])
        for obj in objs:
            seq += 1
            e = TrailEntry(
                seq=seq,
                at=now,
                actor=actor,
                action=action,
                table=obj._meta.db_table,
                object_id=str(obj.pk),
                patient=patient_of(obj) if patient_of else "",
                snapshot=stored[str(obj.pk)],
                details={},
                prev_hash=prev,
            )
            e.hash = entry_hash(prev, e)
            prev = e.hash
            entries.append(e)
            if every > 0 and seq % every == 0:
                anchors.append(e)
        for i in range(0, len(entries), batch):
            TrailEntry.objects.bulk_create(entries[i : i + batch])
        for e in anchors:
            _anchor(e)
        ChainHead.objects.filter(pk=1).update(seq=seq, hash=prev)
    return len(entries)
