"""Export round trip: a data folder imported into the app and exported again reads back
as the same clean tables through the data contract (so every command runs unchanged)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from clearwater.dataset.load import load_dataset


def _clean(folder) -> dict[str, pd.DataFrame]:
    data = load_dataset(folder)
    out = {}
    for name, table in data.tables.items():
        df = table.to_pandas().drop(columns=["source_row", "score_id"], errors="ignore")
        if name == "score":
            df = df.drop(columns=["source_table"])
        for c in df.columns:
            if pd.api.types.is_float_dtype(df[c]):
                df[c] = df[c] + 0.0  # -0.0 (as synth writes some scores) equals 0.0
        df = df.astype(str).sort_values(list(df.columns)).reset_index(drop=True)
        out[name] = df
    return out, data


@pytest.fixture(scope="module")
def synth_folder(tmp_path_factory):
    from clearwater.synth.generator import SynthConfig, synthesise, write_tables

    folder = tmp_path_factory.mktemp("synth")
    result = synthesise(SynthConfig(referrals=60, seed=3, start=dt.date(2025, 4, 1)))
    write_tables(result.tables, folder, "csv")
    return folder


@pytest.mark.django_db
def test_import_then_export_round_trips_every_table(synth_folder, tmp_path):
    from clearwater.web.records.export import export_folder
    from clearwater.web.records.importer import import_clean
    from clearwater.web.trail.models import TrailEntry
    from clearwater.web.trail.verify import verify

    before, data = _clean(synth_folder)
    assert data.quarantine.empty
    import_clean(data)
    paths = export_folder(tmp_path / "out")
    assert {p.name for p in paths} >= {"IDS001MPI.csv", "CWStaff.csv", "IDS201CareContact.csv"}
    after, again = _clean(tmp_path / "out")
    assert again.quarantine.empty, again.quarantine.head()
    for name, frame in before.items():
        if name == "staff":
            # the app knows every clinician seen in contacts, even without a CWStaff row
            frame = frame.merge(after[name], how="left", indicator=True)
            assert (frame["_merge"] == "both").all()
            continue
        pd.testing.assert_frame_equal(frame, after[name], check_dtype=False, obj=name)
    # CW_ columns survive (item scores, entry mode, recorded at/by)
    assert (after["score"]["item_scores"] != "None").any()
    assert TrailEntry.objects.filter(action="export").exists()
    assert verify().intact


@pytest.mark.django_db
def test_deidentified_export_hides_identifiers(synth_folder, tmp_path):
    from clearwater.web.records.export import export_folder
    from clearwater.web.records.importer import import_clean

    before, data = _clean(synth_folder)
    import_clean(data)
    export_folder(tmp_path / "d", deidentified=True)
    after, again = _clean(tmp_path / "d")
    assert again.quarantine.empty
    assert not set(before["person"]["person_id"]) & set(after["person"]["person_id"])
    assert len(after["referral"]) == len(before["referral"])
    assert after["person"]["birth_date"].str.endswith("-01").all()


def test_the_export_command_and_an_existing_command_read_it(world, tmp_path):
    from typer.testing import CliRunner

    from clearwater.cli import build_app
    from clearwater.web.records.services import record_response

    record_response(
        referral=world.mine.referral, instrument="PHQ9", items=[1] * 9, entry_mode="self",
        appointment=world.mine.appointment,
    )  # fmt: skip
    runner = CliRunner()
    r = runner.invoke(build_app(), ["export", "--out", str(tmp_path / "e")])
    assert r.exit_code == 0, r.output
    v = runner.invoke(build_app(), ["validate", str(tmp_path / "e")])
    assert v.exit_code == 0, v.output
    score = pd.read_csv(tmp_path / "e" / "IDS607CodedScoreAssessmentAct.csv", dtype=str)
    assert list(score["CW_EntryMode"]) == ["self"]
    assert list(score["CW_ItemScores"]) == ["1,1,1,1,1,1,1,1,1"]
