"""Pathway derivation: one row per referral with the NHS-derived fields.

Reproduces, in Ibis (so it runs identically on DuckDB and PySpark), the fields NHS England
derives per pathway on IDS101 (``TherapySession_FirstDate``, ``TreatmentCareContact_Count``,
``CompletedTreatment_Flag``, first/last scores, caseness, recovery, reliable change ...).
Every rule, including the ones the national documentation leaves open, is described in
``docs/reference/pathways.md``; the outcome flags live in :mod:`clearwater.engine.outcomes`.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from clearwater.dataset import contract
from clearwater.dataset.model import CleanData
from clearwater.engine.outcomes import add_outcome_flags, score_tools
from clearwater.instruments import Instruments, load_instruments, normalise_complaint_code

PATHWAY_COLUMNS: tuple[str, ...] = (
    "pathway_id",
    "person_id",
    "therapist_id",
    "assessor_id",
    "team_id",
    "provider_id",
    "referral_date",
    "first_assessment_date",
    "first_treatment_date",
    "second_treatment_date",
    "last_treatment_date",
    "discharge_date",
    "end_code",
    "contact_count",
    "treatment_contacts",
    "dna_count",
    "cancelled_count",
    "finished_course",
    "ended_before_treatment",
    "ended_after_one_treatment",
    "problem_descriptor",
    "adsm",
    "anxiety_measure",
    "phq9_first",
    "phq9_last",
    "gad7_first",
    "gad7_last",
    "anx_first",
    "anx_last",
    "adsm_first",
    "adsm_last",
    "wsas_first",
    "wsas_last",
    "paired_adsm",
    "at_caseness",
    "not_at_caseness",
    "recovery",
    "reliable_improvement",
    "reliable_deterioration",
    "no_reliable_change",
    "reliable_recovery",
    "wait_to_first_treatment_days",
    "first_to_second_treatment_days",
    "imd_decile",
    "ethnic_category",
    "ethnic_group",
    "gender",
    "age_at_referral",
    "age_band",
    "referral_source",
    "language",
    "previous_referrals",
)

# Ethnic category (data set code) -> ONS high-level group, as the annual reports group them.
ETHNIC_GROUPS: dict[str, tuple[str, ...]] = {
    "White": ("A", "B", "C"),
    "Mixed": ("D", "E", "F", "G"),
    "Asian": ("H", "J", "K", "L"),
    "Black": ("M", "N", "P"),
    "Other": ("R", "S"),
}
NOT_STATED = "Not stated"

# Age bands of the annual reports (age at referral): (label, lowest age in band).
AGE_BANDS: tuple[tuple[str, int], ...] = (
    ("Under 18", 0),
    ("18 to 25", 18),
    ("26 to 64", 26),
    ("65 to 74", 65),
    ("75 to 89", 75),
    ("90 and over", 90),
)

ATTENDED = tuple(sorted(contract.ATTENDED_CODES))
TREATMENT = tuple(sorted(contract.TREATMENT_APP_TYPES))
ASSESSMENT = tuple(sorted(contract.ASSESSMENT_APP_TYPES))
FOLLOW_UP = "06"
DNA = ("3",)
CANCELLED = ("2", "4")
_LATE_TIME = "~"  # sorts after any HH:MM[:SS]: untimed events come last on their day


def _flag(expr: ir.BooleanValue) -> ir.BooleanValue:
    """A boolean with null read as False."""
    return expr.fill_null(False)


def _count(expr: ir.BooleanValue) -> ir.IntegerScalar:
    return ibis.cases((_flag(expr), 1), else_=0).sum().cast("int64")


def _left(base: ir.Table, other: ir.Table, key: str = "pathway_id") -> ir.Table:
    """Left-join ``other`` on one key, keeping ``base``'s key and all other columns once."""
    other = other.rename({"__key": key})
    joined = base.left_join(other, base[key] == other["__key"])
    return joined.drop("__key")


def normalised_code(col: ir.StringValue) -> ir.StringValue:
    """Upper case, no dots or spaces: the Ibis twin of ``normalise_complaint_code``.

    (No ``strip()``: Ibis 12 compiles it for Spark with an escaped character set that Spark
    reads as also containing 'v' and 'f', so 'f40.1' would lose its 'f'.  Removing every
    space and tab has the same effect on a code.)
    """
    return col.upper().replace(".", "").replace(" ", "").replace("\t", "")


def descriptor_expr(code: ir.StringValue, instruments: Instruments) -> ir.StringValue:
    """Map a normalised complaint code to a descriptor, as ``Instruments.descriptor_for_code``.

    ICD-10 prefixes match as "starts with", all-digit (SNOMED) codes exactly; the longest
    matching prefix wins; empty -> null; no match -> 'other'.  Built from the instruments'
    descriptor table, so a user's thresholds file changes it without code changes.
    """
    rules: list[tuple[str, str]] = []
    for d in instruments.descriptors.values():
        for prefix in d.codes:
            rules.append((normalise_complaint_code(prefix), d.code))
    # longest first so the most specific prefix wins; stable order breaks equal lengths as
    # the Python function does (first descriptor declared)
    rules.sort(key=lambda r: -len(r[0]))
    branches = [
        ((code == prefix) if prefix.isdigit() else code.startswith(prefix), desc)
        for prefix, desc in rules
    ]
    empty = code.isnull() | (code == "")
    if not branches:
        return ibis.cases((empty, ibis.null("string")), else_=ibis.literal("other"))
    return ibis.cases((empty, ibis.null("string")), *branches, else_=ibis.literal("other"))


def _contacts(data: CleanData) -> ir.Table:
    """Contacts with their clinician (from IDS202 when the contact has none) and flags."""
    c = data["contact"]
    if data.has("activity"):
        a = data["activity"]
        act = (
            a.filter(a.clinician_id.notnull() & a.contact_id.notnull())
            .group_by(a.contact_id)
            .aggregate(act_clinician=a.clinician_id.min())
            .rename(__ckey="contact_id")
        )
        c = c.left_join(act, c.contact_id == act.__ckey).drop("__ckey")
        clinician = ibis.coalesce(c.clinician_id, c.act_clinician)
    else:
        clinician = c.clinician_id
    attended = _flag(c.attend_code.isin(ATTENDED))
    treatment = _flag(c.app_type.isin(TREATMENT)) & (attended | _flag(c.planned == "N"))
    assessment = _flag(c.app_type.isin(ASSESSMENT)) & attended
    return c.mutate(
        clinician=clinician,
        attended=attended,
        is_treatment=treatment,
        is_assessment=assessment,
        sort_time=c.contact_time.fill_null(_LATE_TIME),
    )


def _contact_summary(contacts: ir.Table) -> ir.Table:
    c = contacts
    order = [c.contact_date, c.sort_time, c.source_row, c.contact_id]
    key = ibis.struct(
        {"d": c.contact_date, "t": c.sort_time, "r": c.source_row, "i": c.contact_id}
    )  # the order as one key (never null): the first assessment by arg_min, not a window
    c = c.mutate(
        trn=ibis.row_number().over(group_by=[c.pathway_id, c.is_treatment], order_by=order),
        _key=key,
    )
    return c.group_by(c.pathway_id).aggregate(
        contact_count=_count(c.attended),
        treatment_contacts=_count(c.is_treatment),
        dna_count=_count(c.attend_code.isin(DNA)),
        cancelled_count=_count(c.attend_code.isin(CANCELLED)),
        first_assessment_date=c.contact_date.min(where=c.is_assessment),
        first_treatment_date=c.contact_date.min(where=c.is_treatment),
        second_treatment_date=c.contact_date.max(where=c.is_treatment & (c.trn == 1)),
        last_treatment_date=c.contact_date.max(where=c.is_treatment),
        assessor_id=c.clinician.argmin(c._key, where=c.is_assessment),
    )


def _therapists(contacts: ir.Table) -> ir.Table:
    """The clinician with most treatment contacts; ties to the earliest first contact, then id."""
    c = contacts.filter(contacts.is_treatment)
    c = c.mutate(
        trn=ibis.row_number().over(
            group_by=c.pathway_id,
            order_by=[c.contact_date, c.sort_time, c.source_row, c.contact_id],
        )
    )
    c = c.filter(c.clinician.notnull())
    per = c.group_by([c.pathway_id, c.clinician]).aggregate(n=c.count(), first=c.trn.min())
    per = per.mutate(
        rank=ibis.row_number().over(
            group_by=per.pathway_id, order_by=[per.n.desc(), per.first, per.clinician]
        )
    )
    return per.filter(per.rank == 0).select(pathway_id="pathway_id", therapist_id="clinician")


def _descriptors(data: CleanData, instruments: Instruments) -> ir.Table:
    """One IDS603 row per referral: populated code, P before S, latest date, highest row."""
    p = data["complaint"]
    code = normalised_code(p.complaint_code)
    p = p.mutate(code=code)
    populated = ibis.cases((p.code.notnull() & (p.code != ""), 0), else_=1)
    sig = ibis.cases((p.significance == "P", 0), (p.significance == "S", 1), else_=2)
    p = p.mutate(
        rank=ibis.row_number().over(
            group_by=p.pathway_id,
            order_by=[
                populated,
                sig,
                p.complaint_date.fill_null(ibis.date(1, 1, 1)).desc(),
                p.source_row.desc(),
            ],
        )
    )
    p = p.filter(p.rank == 0)
    return p.select(
        pathway_id=p.pathway_id, problem_descriptor=descriptor_expr(p.code, instruments)
    )


def _scores(data: CleanData, contacts: ir.Table, instruments: Instruments) -> ir.Table:
    """First and last eligible score per tool (last only when >= 2 scores), one row per pathway."""
    s = data["score"]
    tools = score_tools(instruments)
    s = s.filter(s.score.notnull() & s.tool.isin(tools))
    c = contacts.select(
        __ckey=contacts.contact_id,
        c_date=contacts.contact_date,
        c_time=contacts.contact_time,
        c_ok=contacts.attended | _flag(contacts.planned == "N"),
        c_follow_up=_flag(contacts.app_type == FOLLOW_UP),
    )
    s = s.left_join(c, s.contact_id == c.__ckey)
    r = data["referral"].select(__rkey="pathway_id", r_discharge="discharge_date")
    s = s.left_join(r, s.pathway_id == r.__rkey)
    when = ibis.coalesce(s.score_date, s.c_date)
    referral_level = s.contact_id.isnull()
    from_contact = s.__ckey.notnull() & s.c_ok & ~s.c_follow_up
    eligible = (
        (referral_level | _flag(from_contact))
        & when.notnull()
        & (s.r_discharge.isnull() | _flag(when <= s.r_discharge))
    )
    s = s.filter(eligible).mutate(
        when=when, when_time=ibis.coalesce(s.score_time, s.c_time).fill_null(_LATE_TIME)
    )
    # first and last per (pathway, tool) by one aggregate over an order key (no window sort:
    # the key's fields are never null here, so comparing keys is the ORDER BY)
    key = ibis.struct({"w": s.when, "t": s.when_time, "r": s.source_row, "i": s.score_id})
    per = s.group_by([s.pathway_id, s.tool]).aggregate(
        first=s.score.argmin(key), last=s.score.argmax(key), n=s.count()
    )
    aggs = {}
    for tool in tools:
        key_ = tool.lower()
        is_tool = per.tool == tool
        aggs[f"{key_}_first"] = per.first.max(where=is_tool)
        aggs[f"{key_}_last"] = per.last.max(where=is_tool & (per.n >= 2))
    return per.group_by(per.pathway_id).aggregate(**aggs)


def _people(data: CleanData) -> ir.Table:
    p = data["person"]
    return p.select(
        __pkey=p.person_id,
        birth_date=p.birth_date,
        imd_decile=p.imd_decile,
        ethnic_category=p.ethnic_category,
        gender=p.gender,
        language=p.language,
    )


def ethnic_group_expr(category: ir.StringValue) -> ir.StringValue:
    branches = [(category.isin(codes), group) for group, codes in ETHNIC_GROUPS.items()]
    return ibis.cases(*branches, else_=NOT_STATED)


def age_band_expr(age: ir.IntegerValue) -> ir.StringValue:
    branches = [(age >= low, label) for label, low in reversed(AGE_BANDS)]
    return ibis.cases(*branches, else_=ibis.null("string"))


def derive_pathways(data: CleanData, instruments: Instruments | None = None) -> ir.Table:
    """One row per referral with the NHS-derived fields, materialised on ``data.engine``.

    Columns: :data:`PATHWAY_COLUMNS` (definitions in ``docs/reference/pathways.md``).
    """
    inst = instruments or load_instruments()
    ref = data["referral"]
    contacts = _contacts(data)

    t = ref.select(
        "pathway_id",
        "person_id",
        "provider_id",
        "referral_date",
        "discharge_date",
        "end_code",
        "referral_source",
        ref_team=ref.team_id,
    )
    t = _left(t, _contact_summary(contacts))
    t = _left(t, _therapists(contacts))
    t = _left(t, _descriptors(data, inst))
    t = _left(t, _scores(data, contacts, inst))
    people = _people(data)
    t = t.left_join(people, t.person_id == people.__pkey).drop("__pkey")

    if data.has("staff"):
        st = data["staff"]
        th = st.select(__tkey=st.clinician_id, th_team=st.team_id)
        t = t.left_join(th, t.therapist_id == th.__tkey).drop("__tkey")
        asr = st.select(__akey=st.clinician_id, as_team=st.team_id)
        t = t.left_join(asr, t.assessor_id == asr.__akey).drop("__akey")
        team = ibis.coalesce(t.ref_team, t.th_team, t.as_team)
    else:
        team = t.ref_team

    rd = t.referral_date
    bd = t.birth_date
    before_birthday = (rd.month() < bd.month()) | (
        (rd.month() == bd.month()) & (rd.day() < bd.day())
    )
    age = (rd.year() - bd.year() - ibis.cases((before_birthday, 1), else_=0)).cast("int64")
    discharged = t.discharge_date.notnull()
    tc = t.treatment_contacts.fill_null(0)
    t = t.mutate(
        team_id=team,
        contact_count=t.contact_count.fill_null(0),
        treatment_contacts=tc,
        dna_count=t.dna_count.fill_null(0),
        cancelled_count=t.cancelled_count.fill_null(0),
        finished_course=discharged & (tc >= 2),
        ended_before_treatment=discharged & t.first_treatment_date.isnull(),
        ended_after_one_treatment=discharged & (tc == 1),
        wait_to_first_treatment_days=t.first_treatment_date.delta(rd, unit="day").cast("int64"),
        first_to_second_treatment_days=t.second_treatment_date.delta(
            t.first_treatment_date, unit="day"
        ).cast("int64"),
        ethnic_group=ethnic_group_expr(t.ethnic_category),
        age_at_referral=age,
    )
    t = t.mutate(
        age_band=age_band_expr(t.age_at_referral),
        previous_referrals=ibis.row_number()
        .over(group_by=t.person_id, order_by=[t.referral_date, t.pathway_id])
        .cast("int64"),
    )
    t = add_outcome_flags(t, inst)
    return t.select(*PATHWAY_COLUMNS).cache()
