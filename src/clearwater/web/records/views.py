"""Clinical pages.  Every record is fetched through ``scope`` (own caseload, supervisees),
so another clinician's patient is not found (404).  Every page showing identifiable data
writes a "view" entry to the trail."""

from __future__ import annotations

import io

from django import forms
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from clearwater.instruments import load_instruments
from clearwater.web.records import scope
from clearwater.web.records.models import (
    Appointment,
    EntryMode,
    SelfCompletionLink,
)
from clearwater.web.records.services import (
    RecordError,
    acknowledge,
    correct_response,
    create_link,
    record_response,
)
from clearwater.web.trail.chain import append

LINK_SESSION_KEY = "new_link_token"


def _staff(request):
    return getattr(request.user, "staff", None)


def _viewed(request, what: str, patient: str = "", **details) -> None:
    append("view", table=what, patient=patient, details=details)


def caseload(request):
    staff = _staff(request)
    refs = (
        scope.referrals(staff)
        .filter(discharge_date__isnull=True)
        .select_related("patient", "holder__user")
        .annotate(open_alerts=Count("alerts", filter=Q(alerts__acknowledged_at__isnull=True)))
        .order_by("-open_alerts", "patient__family_name", "pk")
    )
    rows = list(refs[:500])
    _viewed(request, "caseload", referrals=len(rows))
    open_alerts = scope.alerts(staff).filter(acknowledged_at__isnull=True).count()
    return render(request, "records/caseload.html", {"referrals": rows, "open_alerts": open_alerts})


def alerts(request):
    staff = _staff(request)
    rows = list(
        scope.alerts(staff)
        .filter(acknowledged_at__isnull=True)
        .select_related("referral__patient", "version__response")
        .order_by("raised_at")
    )
    _viewed(request, "alerts", alerts=len(rows))
    return render(request, "records/alerts.html", {"alerts": rows})


class AckForm(forms.Form):
    action_taken = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What was done (risk assessment, contact with the patient)",
    )


@require_http_methods(["GET", "POST"])
def alert_ack(request, pk: int):
    alert = get_object_or_404(scope.alerts(_staff(request)), pk=pk)
    form = AckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        acknowledge(alert, request.user, form.cleaned_data["action_taken"])
        return redirect("patient", pk=alert.referral.patient_id)
    _viewed(request, "alert", alert.referral.patient.local_id, alert=alert.pk)
    return render(request, "records/alert_ack.html", {"alert": alert, "form": form})


def patient(request, pk: int):
    staff = _staff(request)
    person = get_object_or_404(scope.patients(staff), pk=pk)
    refs = scope.referrals(staff).filter(patient=person).order_by("-referral_date")
    blocks = []
    for ref in refs:
        responses = []
        for resp in ref.responses.order_by("-completed_date", "-pk"):
            responses.append((resp, resp.current(), resp.versions.count()))
        blocks.append(
            {
                "referral": ref,
                "appointments": ref.appointments.order_by("-date", "-time")[:50],
                "responses": responses,
                "alerts": ref.alerts.filter(acknowledged_at__isnull=True),
            }
        )
    _viewed(request, "patient", person.local_id)
    return render(request, "records/patient.html", {"person": person, "blocks": blocks})


def response(request, pk: int):
    resp = get_object_or_404(scope.responses(_staff(request)), pk=pk)
    versions = resp.versions.select_related("entered_by").order_by("number")
    _viewed(request, "response", resp.referral.patient.local_id, response=resp.pk)
    return render(
        request,
        "records/response.html",
        {"resp": resp, "versions": versions, "inst": load_instruments()[resp.instrument]},
    )


def _parse_items(text: str) -> list[int] | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return [int(x) for x in text.replace(" ", "").split(",")]
    except ValueError as exc:
        raise RecordError("item answers must be whole numbers separated by commas") from exc


class ScoreForm(forms.Form):
    items = forms.CharField(
        required=False,
        label="Item answers, in order, separated by commas (or leave empty and give the total)",
    )
    total = forms.FloatField(required=False, label="Total score")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason")


@require_http_methods(["GET", "POST"])
def response_correct(request, pk: int):
    staff = _staff(request)
    resp = get_object_or_404(scope.responses(staff), pk=pk)
    form = ScoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            correct_response(
                resp,
                items=_parse_items(d["items"]),
                total=d["total"],
                user=request.user,
                staff_id=staff.staff_id,
                reason=d["reason"],
            )
            return redirect("response", pk=resp.pk)
        except RecordError as exc:
            form.add_error(None, str(exc))
    return render(request, "records/response_correct.html", {"resp": resp, "form": form})


class EnterForm(ScoreForm):
    instrument = forms.ChoiceField(choices=())
    entry_mode = forms.ChoiceField(
        label="How were the answers given?",
        choices=[
            (EntryMode.CLINICIAN.value, "The patient answered me in the session"),
            (EntryMode.INTERPRETER.value, "The patient answered through an interpreter"),
        ],
        initial=EntryMode.CLINICIAN.value,
    )
    appointment = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args, referral=None, **kwargs):
        super().__init__(*args, **kwargs)
        inst = load_instruments()
        self.fields["instrument"].choices = [(c, c) for c in inst.instruments]
        self.fields["appointment"].choices = [("", "Not in an appointment")] + [
            (str(a.pk), str(a)) for a in referral.appointments.order_by("-date")[:50]
        ]
        self.order_fields(["instrument", "appointment", "entry_mode", "items", "total", "reason"])


@require_http_methods(["GET", "POST"])
def score_enter(request, pk: int):
    staff = _staff(request)
    ref = get_object_or_404(scope.referrals(staff), pk=pk)
    form = EnterForm(request.POST or None, referral=ref)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        appt = ref.appointments.filter(pk=d["appointment"]).first() if d["appointment"] else None
        try:
            record_response(
                referral=ref,
                instrument=d["instrument"],
                items=_parse_items(d["items"]),
                total=d["total"],
                entry_mode=EntryMode(d["entry_mode"]),
                appointment=appt,
                user=request.user,
                staff_id=staff.staff_id,
                reason=d["reason"],
            )
            return redirect("patient", pk=ref.patient_id)
        except RecordError as exc:
            form.add_error(None, str(exc))
    return render(request, "records/score_enter.html", {"ref": ref, "form": form})


@require_POST
def link_create(request, pk: int):
    staff = _staff(request)
    appt = get_object_or_404(Appointment.objects.filter(referral__in=scope.referrals(staff)), pk=pk)
    try:
        link, token = create_link(appt, request.user)
    except RecordError as exc:
        return render(request, "records/message.html", {"title": "No link made", "text": str(exc)})
    # the token is shown once, on the next page, then forgotten
    request.session[LINK_SESSION_KEY] = {"pk": link.pk, "token": token}
    return redirect("link-show", pk=link.pk)


def _qr_svg(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]


def link_show(request, pk: int):
    staff = _staff(request)
    link = get_object_or_404(
        SelfCompletionLink.objects.filter(appointment__referral__in=scope.referrals(staff)), pk=pk
    )
    pending = request.session.pop(LINK_SESSION_KEY, None)
    url = qr = None
    if pending and pending.get("pk") == link.pk:
        url = request.build_absolute_uri(reverse("link-redeem", args=[pending["token"]]))
        qr = mark_safe(_qr_svg(url))  # generated by qrcode from our own URL
    _viewed(request, "link", link.appointment.referral.patient.local_id, link=link.pk)
    return render(request, "records/link.html", {"link": link, "url": url, "qr": qr})
