"""The hash-chained trail: every clinical write is recorded; verify names the first
change made behind the app's back (row, what changed, when)."""

from __future__ import annotations

import pytest
from django.db import connection
from typer.testing import CliRunner

from clearwater.web.records.models import ScoreVersion
from clearwater.web.records.services import correct_response, record_response
from clearwater.web.trail.chain import GENESIS, append, canonical, entry_hash
from clearwater.web.trail.models import Anchor, TrailEntry
from clearwater.web.trail.verify import verify


def _sql(query: str, params=()) -> None:
    with connection.cursor() as cur:
        cur.execute(query, params)


@pytest.fixture
def scored(world):
    rec = record_response(
        referral=world.mine.referral,
        instrument="PHQ9",
        items=[1, 2, 1, 0, 2, 1, 1, 0, 0],
        entry_mode="self",
        appointment=world.mine.appointment,
    )
    return rec


def test_every_entry_hashes_the_previous_hash_and_its_canonical_content(scored):
    prev = GENESIS
    entries = list(TrailEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    for e in entries:
        assert e.prev_hash == prev
        assert e.hash == entry_hash(prev, e)
        prev = e.hash
    # the canonical text is sorted JSON without spaces
    assert canonical(entries[0]).startswith('{"action":')


def test_clinical_writes_are_in_the_trail_with_their_content(scored):
    e = TrailEntry.objects.filter(table="records_scoreversion").get()
    assert e.action == "create"
    assert e.patient == "P1"
    assert e.snapshot["total"] == repr(8.0)
    assert e.snapshot["entry_mode"] == "self"


def test_intact_trail_verifies(scored):
    report = verify()
    assert report.intact, report.problem
    assert report.rows_checked > 10
    assert report.anchors >= 1  # CLEARWATER_TRAIL_ANCHOR_EVERY = 5 in tests


def test_a_score_edited_in_sql_is_named_by_verify(scored):
    v = scored.version
    _sql("UPDATE records_scoreversion SET total = 3 WHERE id = %s", [v.pk])
    report = verify()
    assert not report.intact
    p = report.problem
    assert p.where == f"records_scoreversion row {v.pk}"
    assert "total is '3.0' in the database but '8.0' in the trail" in p.what
    assert "trail entry #" in p.when


def test_verify_command_exits_1_naming_the_row(scored):
    from clearwater.cli import build_app

    runner = CliRunner()
    ok = runner.invoke(build_app(), ["trail", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "trail intact" in ok.output
    _sql("UPDATE records_scoreversion SET item_scores = '0,0,0,0,0,0,0,0,0' WHERE id = %s",
         [scored.version.pk])  # fmt: skip
    bad = runner.invoke(build_app(), ["trail", "verify"])
    assert bad.exit_code == 1
    assert f"records_scoreversion row {scored.version.pk}" in bad.output
    assert "item_scores" in bad.output


def test_an_edited_trail_entry_is_named(scored):
    e = TrailEntry.objects.order_by("seq")[3]
    _sql("UPDATE trail_trailentry SET actor = 'someone-else' WHERE seq = %s", [e.seq])
    p = verify().problem
    assert p.where.startswith(f"trail entry #{e.seq}")
    assert "hash mismatch" in p.what


def test_a_deleted_trail_entry_is_named(scored):
    _sql("DELETE FROM trail_trailentry WHERE seq = 2")
    p = verify().problem
    assert p.where == "trail entry #3"
    assert "#2 to #2 are missing" in p.what


def test_truncating_the_tail_shows_against_the_head_and_anchors(scored):
    last = TrailEntry.objects.order_by("-seq").first().seq
    _sql("DELETE FROM trail_trailentry WHERE seq > %s", [last - 3])
    p = verify().problem
    assert p is not None
    assert "removed" in p.what or "truncated" in p.what


def test_a_row_inserted_or_deleted_outside_the_app_is_named(scored):
    _sql("DELETE FROM records_riskalert")  # none here; harmless
    _sql(
        "INSERT INTO records_complaint (referral_id, complaint_code, significance) "
        "VALUES (%s, 'F41.1', 'P')",
        [scored.response.referral_id],
    )
    p = verify().problem
    assert p.where.startswith("records_complaint row")
    assert "inserted outside the app" in p.what


def test_entries_and_anchors_refuse_update_and_delete(scored):
    e = TrailEntry.objects.first()
    with pytest.raises(PermissionError):
        e.save()
    with pytest.raises(PermissionError):
        e.delete()
    a = Anchor.objects.first()
    with pytest.raises(PermissionError):
        a.save()


def test_a_correction_is_a_new_version_keeping_the_old_value(world, scored):
    correct_response(
        scored.response,
        total=12,
        user=world.users["clinician"],
        staff_id="X-clinician",
        reason="patient misread question 5",
    )
    versions = list(ScoreVersion.objects.filter(response=scored.response).order_by("number"))
    assert [v.total for v in versions] == [8.0, 12.0]
    assert versions[0].superseded_at is not None and versions[1].superseded_at is None
    assert versions[1].entry_mode == "clinician"
    assert versions[1].reason == "patient misread question 5"
    assert scored.response.current().total == 12.0
    assert verify().intact


def test_item9_above_zero_raises_an_alert_and_zero_does_not(world):
    base = dict(referral=world.mine.referral, instrument="PHQ9", entry_mode="self")
    none = record_response(items=[0, 0, 0, 0, 0, 0, 0, 0, 0], **base)
    some = record_response(items=[0, 0, 0, 0, 0, 0, 0, 0, 2], **base)
    assert none.alert is None
    assert some.alert is not None and some.alert.item9 == 2


def test_staff_entry_needs_a_reason(world):
    from clearwater.web.records.services import RecordError

    with pytest.raises(RecordError, match="say why"):
        record_response(
            referral=world.mine.referral, instrument="GAD7", total=9, entry_mode="clinician"
        )


def test_plain_events_chain_too(world):
    append("login", actor="someone", details={"ip": "127.0.0.1"})
    assert verify().intact
