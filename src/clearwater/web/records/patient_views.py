"""The patient's questionnaire, reached from a one-time link.

The token in the link is exchanged once for a session and the patient is redirected to
pages without it.  One question per page (radios, none pre-selected, in the published
order), answers kept in the session as they go, a check-answers page, then "Confirm and
send".  Time stamps are the server's; the entry mode is "self".
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clearwater.web.accounts.middleware import PATIENT_SESSION_KEY
from clearwater.web.records.models import EntryMode, SelfCompletionLink
from clearwater.web.records.services import (
    RecordError,
    record_response,
    redeem,
    texts_for,
)
from clearwater.web.trail.chain import acting_as

ANSWERS = "patient_answers"
PATIENT_IDLE_SECONDS = 20 * 3600
DONE = "patient_done"


def redeem_link(request, token: str):
    try:
        link = redeem(token)
    except RecordError as exc:
        return render(request, "patient/link_problem.html", {"message": str(exc)}, status=410)
    request.session.flush()  # a fresh session, nothing carried over
    request.session[PATIENT_SESSION_KEY] = link.pk
    request.session[ANSWERS] = {}
    # a patient may pause for a long time (WCAG 2.2 / NHS service manual: at least 20 hours);
    # staff sessions keep the 30-minute idle limit
    request.session.set_expiry(PATIENT_IDLE_SECONDS)
    return redirect("q-start")


def _link(request) -> SelfCompletionLink:
    link = SelfCompletionLink.objects.filter(pk=request.session.get(PATIENT_SESSION_KEY)).first()
    if link is None or link.completed_at is not None or link.expires_at <= timezone.now():
        raise Http404("no questionnaire")
    return link


def _pages(link) -> list[tuple[str, int]]:
    pages = []
    for code in link.instrument_list():
        t = texts_for(code)
        if t is not None:
            pages.extend((code, n) for n in range(1, len(t.items) + 1))
    return pages


def start(request):
    link = _link(request)
    pages = _pages(link)
    names = [texts_for(c) for c in link.instrument_list()]
    first = reverse("q-question", args=pages[0]) if pages else reverse("q-check")
    return render(
        request,
        "patient/start.html",
        {"count": len([n for n in names if n]), "questions": len(pages), "first": first},
    )


@require_http_methods(["GET", "POST"])
def question(request, code: str, number: int):
    link = _link(request)
    pages = _pages(link)
    if (code, number) not in pages:
        raise Http404("no such question")
    t = texts_for(code)
    idx = pages.index((code, number))
    answers = request.session.get(ANSWERS, {})
    key = f"{code}:{number}"
    error = None
    if request.method == "POST":
        raw = request.POST.get("answer", "")
        valid = {str(v) for v, _ in t.anchors}
        if raw in valid:
            answers[key] = int(raw)
            request.session[ANSWERS] = answers  # autosave
            if request.GET.get("change") == "1" or idx + 1 == len(pages):
                return redirect("q-check")
            return redirect("q-question", *pages[idx + 1])
        error = "Select how often you have been bothered by this"
    back = reverse("q-question", args=pages[idx - 1]) if idx > 0 else reverse("q-start")
    return render(
        request,
        "patient/question.html",
        {
            "texts": t,
            "code": code,
            "number": number,
            "item": t.items[number - 1],
            "anchors": t.anchors,
            "selected": answers.get(key),
            "error": error,
            "back": back,
            "position": idx + 1,
            "total": len(pages),
        },
        status=200 if error is None else 400,
    )


@require_http_methods(["GET", "POST"])
def check(request):
    link = _link(request)
    pages = _pages(link)
    answers = request.session.get(ANSWERS, {})
    missing = [p for p in pages if f"{p[0]}:{p[1]}" not in answers]
    if request.method == "POST":
        if missing:
            return redirect("q-question", *missing[0])
        risk = False
        appt = link.appointment
        with transaction.atomic(), acting_as(f"patient-link:{link.pk}"):
            for code in link.instrument_list():
                t = texts_for(code)
                if t is None:
                    continue
                items = [answers[f"{code}:{n}"] for n in range(1, len(t.items) + 1)]
                rec = record_response(
                    referral=appt.referral,
                    instrument=code,
                    items=items,
                    entry_mode=EntryMode.SELF,
                    appointment=appt,
                )
                risk = risk or rec.alert is not None
            link.completed_at = timezone.now()
            link.save()
        request.session.flush()
        request.session[DONE] = {"risk": risk}
        return redirect("q-done")
    rows = []
    for code in link.instrument_list():
        t = texts_for(code)
        if t is None:
            continue
        labels = dict(t.anchors)
        for n, item in enumerate(t.items, start=1):
            a = answers.get(f"{code}:{n}")
            rows.append(
                {
                    "code": code,
                    "number": n,
                    "item": item,
                    "answer": labels.get(a, "Not answered") if a is not None else "Not answered",
                    "change": reverse("q-question", args=[code, n]) + "?change=1",
                }
            )
    return render(request, "patient/check.html", {"rows": rows, "missing": bool(missing)})


def done(request):
    state = request.session.get(DONE)
    if state is None:
        raise Http404("nothing completed in this session")
    return render(request, "patient/done.html", {"risk": state.get("risk", False)})
