"""Service figures (counts only, no free text, no names), de-identified exports for
analysts, and uploads of a data-contract folder (validated by the data contract; rows
that fail are quarantined with a reason and never imported)."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from django.db.models import Avg
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clearwater.dataset import contract
from clearwater.errors import ClearwaterError
from clearwater.outputs.names import safe_name
from clearwater.web.accounts.models import Team
from clearwater.web.records.models import (
    Appointment,
    Referral,
    RiskAlert,
    ScoreVersion,
    Upload,
)


def figures(request):
    """Per team: referrals, open referrals, attended appointments, questionnaires (share
    completed by the patient), mean PHQ-9 of current scores, open risk alerts."""
    rows = []
    teams = list(Team.objects.order_by("code")) + [None]
    for team in teams:
        refs = Referral.objects.filter(team=team)
        scores = ScoreVersion.objects.filter(
            superseded_at__isnull=True, response__referral__team=team
        )
        n_scores = scores.count()
        if not refs.exists():
            continue
        rows.append(
            {
                "team": team.code if team else "(no team)",
                "referrals": refs.count(),
                "open": refs.filter(discharge_date__isnull=True).count(),
                "attended": Appointment.objects.filter(
                    referral__team=team, attend_code__in=sorted(contract.ATTENDED_CODES)
                ).count(),
                "scores": n_scores,
                "self_share": (
                    round(100 * scores.filter(entry_mode="self").count() / n_scores)
                    if n_scores
                    else None
                ),
                "phq9_mean": scores.filter(response__instrument="PHQ9").aggregate(m=Avg("total"))[
                    "m"
                ],
                "alerts_open": RiskAlert.objects.filter(
                    referral__team=team, acknowledged_at__isnull=True
                ).count(),
            }
        )
    return render(request, "records/figures.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def export_deidentified(request):
    if request.method == "POST":
        from clearwater.web.records.export import export_folder

        with tempfile.TemporaryDirectory() as tmp:
            paths = export_folder(Path(tmp) / "export", deidentified=True)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in paths:
                    zf.write(p, arcname=Path(p).name)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        resp = HttpResponse(buf.getvalue(), content_type="application/zip")
        resp["Content-Disposition"] = f'attachment; filename="clearwater-deidentified-{stamp}.zip"'
        return resp
    return render(request, "records/export.html")


@require_http_methods(["GET", "POST"])
def upload(request):
    error = None
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            error = "Choose the files of one data folder (one CSV or Parquet file per table)"
        else:
            up = _process_upload(request, files)
            return redirect("upload-result", pk=up.pk)
    return render(request, "records/upload.html", {"error": error})


def _process_upload(request, files) -> Upload:
    from clearwater.dataset.load import load_dataset
    from clearwater.web.records.importer import import_clean

    tmp = Path(tempfile.mkdtemp(prefix="clearwater-upload-"))
    names = []
    try:
        for f in files:
            stem = Path(f.name).stem
            ext = Path(f.name).suffix.lower()
            if ext not in (".csv", ".parquet"):
                names.append({"file": f.name, "kept": False})
                continue
            target = tmp / safe_name(stem, suffix=ext)
            with open(target, "wb") as fh:
                for chunk in f.chunks():
                    fh.write(chunk)
            # the contract matches file stems; keep the original stem when it is plain
            plain = tmp / f"{stem}{ext}"
            if stem.replace("_", "").isalnum() and not plain.exists():
                target.rename(plain)
            names.append({"file": f.name, "kept": True})
        try:
            clean = load_dataset(tmp)
        except ClearwaterError as exc:
            return Upload.objects.create(
                uploaded_by=request.user,
                uploaded_at=timezone.now(),
                files=names,
                status="refused",
                message=str(exc),
            )
        summary = import_clean(clean)
        acc = clean.accounting.astype(object).where(clean.accounting.notna(), None)
        q = clean.quarantine
        reasons = []
        if len(q):
            cols = [c for c in ("table", "file", "row", "column", "reason") if c in q.columns]
            reasons = q[cols].astype(str).head(500).to_dict("records")
        return Upload.objects.create(
            uploaded_by=request.user,
            uploaded_at=timezone.now(),
            files=names,
            status="imported",
            message="",
            accounting={"rows": acc.to_dict("records"), "imported": summary},
            quarantine=reasons,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def upload_result(request, pk: int):
    up = get_object_or_404(Upload, pk=pk)
    acc = up.accounting if isinstance(up.accounting, dict) else {"rows": [], "imported": {}}
    return render(request, "records/upload_result.html", {"up": up, "acc": acc})
