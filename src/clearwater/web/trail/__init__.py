"""The append-only, hash-chained audit trail (see docs/adr/0100-hash-chained-trail.md)."""
