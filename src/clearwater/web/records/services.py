"""Writing clinical records: questionnaire responses and their versions, risk alerts,
one-time self-completion links.  Views call these; every write goes to the trail through
the audited models."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clearwater.errors import ClearwaterError
from clearwater.instruments import load_instruments
from clearwater.instruments.items import ItemTexts, load_item_texts, parse_texts
from clearwater.web.records.models import (
    Appointment,
    EntryMode,
    InstrumentText,
    Referral,
    Response,
    RiskAlert,
    ScoreVersion,
    SelfCompletionLink,
)

RISK_INSTRUMENT = "PHQ9"


class RecordError(ClearwaterError):
    """A questionnaire entry or link that cannot be accepted (message for the user)."""


# ---------------------------------------------------------------- instrument texts


def texts_for(code: str) -> ItemTexts | None:
    """The item texts patients may be shown: the active licensed copy loaded by the
    service, else the shipped free text, else None (clinician entry of scores only)."""
    row = InstrumentText.objects.filter(instrument=code, active=True).order_by("-pk").first()
    if row is not None:
        return parse_texts(code, {**row.content, "licence": row.licence})
    return load_item_texts().texts.get(code)


def load_licensed_texts(code: str, version: str, licence: str, source: str, content: dict, by: str):
    """Register a service's licensed copy of an instrument's texts (a new version)."""
    inst = load_instruments()
    if code not in inst.instruments:
        raise RecordError(f"{code} is not an instrument Clearwater knows")
    parse_texts(code, {**content, "licence": licence}, inst[code].items)  # validates
    with transaction.atomic():
        for old in InstrumentText.objects.filter(instrument=code, active=True):
            old.active = False
            old.save()
        return InstrumentText.objects.create(
            instrument=code,
            version=version,
            licence=licence,
            source=source,
            content=content,
            loaded_at=timezone.now(),
            loaded_by=by,
        )


def questionnaires_for(referral: Referral) -> list[str]:
    """PHQ-9 and GAD-7 always; the ADSM for the referral's problem descriptor; WSAS."""
    inst = load_instruments()
    codes = ["PHQ9", "GAD7"]
    d = inst.descriptors.get(referral.descriptor)
    if d is not None and d.adsm and d.adsm not in codes:
        codes.append(d.adsm)
    codes.append("WSAS")
    return codes


# ---------------------------------------------------------------- scores


def check_score(code: str, items: list[int] | None, total: float | None) -> tuple[float, str]:
    """Validate item answers or a total against the instrument; return (total, items)."""
    inst = load_instruments().instruments.get(code)
    if inst is None:
        raise RecordError(f"unknown questionnaire {code}")
    if items:
        if len(items) != inst.items:
            raise RecordError(f"{code} has {inst.items} items, {len(items)} were given")
        for i, v in enumerate(items, start=1):
            if not (inst.item_min <= v <= inst.item_max):
                raise RecordError(
                    f"{code} item {i}: {v} is outside {inst.item_min} to {inst.item_max}"
                )
        s = sum(items)
        value = round(s / len(items), 2) if not inst.integer else float(s)
        return value, ",".join(str(v) for v in items)
    if total is None:
        raise RecordError(f"{code}: give the item answers or the total score")
    if not (inst.min <= total <= inst.max):
        raise RecordError(f"{code}: total {total:g} is outside {inst.min:g} to {inst.max:g}")
    if inst.integer and float(total) != int(total):
        raise RecordError(f"{code}: the total must be a whole number")
    return float(total), ""


def _raise_alert(version: ScoreVersion) -> RiskAlert | None:
    resp = version.response
    texts = load_item_texts().texts.get(resp.instrument)
    risk_item = texts.risk_item if texts is not None else None
    items = version.items()
    if resp.instrument != RISK_INSTRUMENT or risk_item is None or len(items) < risk_item:
        return None
    value = items[risk_item - 1]
    if value <= 0:
        return None
    return RiskAlert.objects.create(
        referral=resp.referral, version=version, item9=value, raised_at=timezone.now()
    )


@dataclass
class Recorded:
    response: Response
    version: ScoreVersion
    alert: RiskAlert | None


def record_response(
    *,
    referral: Referral,
    instrument: str,
    items: list[int] | None = None,
    total: float | None = None,
    entry_mode: str,
    appointment: Appointment | None = None,
    user=None,
    staff_id: str = "",
    reason: str = "",
) -> Recorded:
    """A newly completed questionnaire.  Time stamps come from the server clock."""
    if entry_mode != EntryMode.SELF and not reason.strip():
        raise RecordError("say why the score is being entered by staff (the reason is kept)")
    value, item_text = check_score(instrument, items, total)
    now = timezone.now()
    local = timezone.localtime(now)
    with transaction.atomic():
        resp = Response.objects.create(
            referral=referral,
            appointment=appointment,
            level="contact" if appointment is not None else "referral",
            instrument=instrument,
            tool_code=instrument,
            completed_date=appointment.date if appointment is not None else local.date(),
            completed_time=appointment.time if appointment is not None else f"{local:%H:%M}",
        )
        version = ScoreVersion.objects.create(
            response=resp,
            number=1,
            total=value,
            item_scores=item_text,
            entry_mode=entry_mode,
            recorded_at=now,
            recorded_by=staff_id,
            entered_by=user,
            reason=reason.strip(),
        )
        alert = _raise_alert(version)
    return Recorded(resp, version, alert)


def correct_response(
    response: Response,
    *,
    items: list[int] | None = None,
    total: float | None = None,
    user,
    staff_id: str,
    reason: str,
) -> Recorded:
    """A correction: a new version; the old one is kept, marked superseded."""
    if not reason.strip():
        raise RecordError("say why the score is being corrected (the reason is kept)")
    value, item_text = check_score(response.instrument, items, total)
    now = timezone.now()
    with transaction.atomic():
        old = (
            ScoreVersion.objects.select_for_update()
            .filter(response=response, superseded_at__isnull=True)
            .order_by("-number")
            .first()
        )
        number = 1
        if old is not None:
            old.superseded_at = now
            old.save()
            number = old.number + 1
        version = ScoreVersion.objects.create(
            response=response,
            number=number,
            total=value,
            item_scores=item_text,
            entry_mode=EntryMode.CLINICIAN,
            recorded_at=now,
            recorded_by=staff_id,
            entered_by=user,
            reason=reason.strip(),
        )
        alert = _raise_alert(version)
    return Recorded(response, version, alert)


def acknowledge(alert: RiskAlert, user, action_taken: str) -> RiskAlert:
    if not action_taken.strip():
        raise RecordError("record what was done about the risk answer")
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.action_taken = action_taken.strip()
    alert.save()
    return alert


# ---------------------------------------------------------------- one-time links


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(appointment: Appointment, user, instruments: list[str] | None = None):
    """A new one-time link: 32 random bytes (256 bits); only the hash is stored."""
    codes = [
        c
        for c in (instruments or questionnaires_for(appointment.referral))
        if texts_for(c) is not None
    ]
    if not codes:
        raise RecordError("no questionnaire with patient-facing text is available")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = SelfCompletionLink.objects.create(
        token_hash=token_hash(token),
        appointment=appointment,
        instruments=",".join(codes),
        created_by=user,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.CLEARWATER_LINK_HOURS),
    )
    return link, token


def redeem(token: str) -> SelfCompletionLink:
    """Exchange a token for its link, once.  Refuses unknown, expired and used links."""
    if not token or len(token) > 100:
        raise RecordError("This link is not valid.")
    with transaction.atomic():
        link = (
            SelfCompletionLink.objects.select_for_update()
            .filter(token_hash=token_hash(token))
            .first()
        )
        if link is None:
            raise RecordError("This link is not valid.")
        if link.opened_at is not None:
            raise RecordError("This link has already been used.")
        if link.expires_at <= timezone.now():
            raise RecordError("This link has expired.")
        link.opened_at = timezone.now()
        link.save()
    return link
