"""Uploading a data-contract folder: validated by the data contract; bad rows are
quarantined with the reason (never imported); the result page shows no row values."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def test_upload_validates_quarantines_and_imports(world, login, tmp_path):
    from clearwater.synth.generator import SynthConfig, synthesise, write_tables
    from clearwater.web.records.models import Patient, Upload
    from clearwater.web.trail.verify import verify

    result = synthesise(SynthConfig(referrals=20, seed=5, start=dt.date(2025, 4, 1)))
    write_tables(result.tables, tmp_path, "csv")
    mpi = tmp_path / "IDS001MPI.csv"
    import pandas as pd

    frame = pd.read_csv(mpi, dtype=str, keep_default_na=False)
    gender = next(c for c in frame.columns if c.lower() == "gender")
    pid = next(c for c in frame.columns if c.lower() == "localpatientid")
    frame.loc[0, gender] = "=HYPERLINK(1)"  # not a gender code: quarantined
    frame.loc[0, pid] = "BADROW"
    frame.to_csv(mpi, index=False)
    files = [
        SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv")
        for p in sorted(tmp_path.glob("*.csv"))
    ]
    c = login(world.users["admin"])
    r = c.post(reverse("upload"), {"files": files})
    assert r.status_code == 302
    up = Upload.objects.get()
    assert up.status == "imported"
    assert any(q["table"] == "IDS001MPI" for q in up.quarantine)
    assert not Patient.objects.filter(local_id="BADROW").exists()
    assert Patient.objects.count() > 2
    html = c.get(r["Location"]).content.decode()
    assert "Quarantined rows" in html and "HYPERLINK" not in html
    assert verify().intact


def test_an_upload_breaking_the_contract_is_refused_with_the_reason(world, login):
    c = login(world.users["admin"])
    f = SimpleUploadedFile("IDS001MPI.csv", b"LocalPatientId\nX1\n", content_type="text/csv")
    r = c.post(reverse("upload"), {"files": [f]})
    up = __import__("clearwater.web.records.models", fromlist=["Upload"]).Upload.objects.get()
    assert up.status == "refused" and "IDS101Referral" in up.message
    assert "refused" in c.get(r["Location"]).content.decode()
