"""Trail entries, the chain head and periodic anchors.

Every entry stores ``hash = SHA-256(prev_hash || canonical(entry))``; the chain head row is
locked while an entry is appended, so entries are strictly sequential even with many
concurrent requests.  No code path updates or deletes an entry (``save`` refuses updates,
``delete`` refuses always); a change made behind the app's back shows up in
``clearwater trail verify``.
"""

from __future__ import annotations

from django.db import models

GENESIS = "0" * 64


class TrailEntry(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=32)
    table = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient = models.CharField(max_length=64, blank=True)
    snapshot = models.JSONField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["table", "object_id"]),
            models.Index(fields=["patient"]),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("trail entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("trail entries are append-only")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.table}:{self.object_id} by {self.actor}"


class ChainHead(models.Model):
    """One row: the last sequence number and hash (locked while appending)."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)


class Anchor(models.Model):
    """A copy of the chain head every N entries (also appended to an external file when
    ``CLEARWATER_ANCHOR_FILE`` is set): the reference against which truncation shows."""

    seq = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("anchors are append-only")
        super().save(*args, **kwargs)
