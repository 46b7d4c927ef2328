"""Fabrication signatures: copied item vectors, flat trajectories, bulk entry."""

from __future__ import annotations

import ibis

from clearwater.integrity.base import (
    CORE_TOOLS,
    ENGLISH,
    AuditContext,
    Detector,
    DetectorInfo,
    clip_label,
)

MIN_TOTAL_FOR_COPY = 8  # low totals (mostly zeros) coincide honestly
CEILING_GAP = 3  # totals within 3 points of the scale's top have few answer sets: no copy/flat
COPY_MIN_ROWS = 3  # a course counts as copied only if >= 3 answer sets, all of them shared
BULK_PATHWAYS = 5  # distinct courses entered by one person in one 15-minute window
FLAT_MIN_DAYS = 3
FLAT_MIN_SCORE = 5  # flat at 0-4 is the floor of the scale: well people honestly repeat it
SCALE_MAX = {"PHQ9": 27, "GAD7": 21}


class FabricationDetector(Detector):
    """Courses carrying signatures of scores not given by the patient.

    Trial: a course with PHQ-9/GAD-7 scores.  Event: any of (a) copied answers: the course
    has 3 or more PHQ-9/GAD-7 answer sets with total >= 8 and *every* one of them is
    identical to an answer set of another patient of the same unit (single coincidences are
    common in honest data at popular moderate totals; a course made wholly of shared answer
    sets is not); (b) a score entered in a bulk burst (the same person entering scores for 5
    or more courses within one 15-minute window, not self-entered); (c) a flat trajectory:
    every core measure with 3 or more scored days has exactly the same total, of 5 or more,
    on all of them (within-person SD zero away from the floor of the scale; a well person
    honestly answers 'not at all' to everything week after week).  Totals within
    CEILING_GAP points of the scale's top count for neither (a) nor (c): at the ceiling few
    answer sets exist, and a very unwell person honestly answers at the top week after week.
    (a) and (b) need CW_ItemScores / CW_RecordedAt / CW_RecordedBy; without them only (c)
    applies.  Stratum, coarse to fine: baseline PHQ-9 band x how the answers were taken
    (patient-entered, clinician-entered, clinician-entered through an interpreter) x number
    of scored days, so a caseload of interpreter-mediated, clinician-entered long courses
    is compared with peers' courses taken the same way.
    """

    info = DetectorInfo(
        name="fabrication",
        pattern="fabrication",
        title="Signatures of scores not given by the patient",
        target=(
            "Invented or copied questionnaire data: identical item answers across patients, "
            "implausibly flat trajectories, scores entered in bulk."
        ),
        statistic=(
            "Count of courses whose answer sets (>= 3, total >= 8) are all shared with other "
            "patients of the unit, with a score entered in a bulk burst (>= 5 courses in 15 "
            "minutes by one person), or with the same total (>= 5) on every one of >= 3 scored "
            "days for every core measure; expected from peers with the same baseline PHQ-9 "
            "band and number of scored days."
        ),
        null=(
            "These signatures occur as often as among peers (chance coincidences, batch "
            "entry of paper forms), up to honest between-unit variation."
        ),
        blind_spots=(
            "Carefully varied invented answers leave no copy or flatness signature.",
            "Without item-level answers and entry timestamps only flat trajectories are tested.",
            "Copies between units (one person inventing data for several clinicians) are "
            "counted only within each unit.",
            "Digit preference in totals is not tested: honest totals on a 0-27 scale follow the "
            "case mix, so there is no within-data counterfactual for a preferred digit; copied "
            "answers and flat trajectories cover invented answer sets instead.",
            "Out-of-hours entry alone is not an event: clinicians honestly catch up on records "
            "in the evening. Entry counts only when it comes in a burst for many courses.",
        ),
        innocent_explanations=(
            "Batch entry of paper questionnaires by an administrator (check entry mode and "
            "whether the forms exist).",
            "Patients with stable chronic symptoms can score the same for several weeks.",
            "Answers given through an interpreter and entered by the clinician repeat more "
            "often than self-completed ones (compared within entry mode and interpreter use).",
            "Popular answer patterns at moderate totals can coincide by chance in large caseloads.",
        ),
        event_words="courses with copied answers, bulk-entered scores or flat trajectories",
        trial_words="courses with PHQ-9/GAD-7 scores",
        expected_words="than expected from peers",
        min_effect=0.02,  # a signature honest data almost never show
        min_excess=3.0,
        conditions=(
            "Courses were compared within baseline severity band, within entry mode (self-completed, clinician-entered, or clinician-entered through an interpreter) and within the number of scored days.",
            "Totals at the top of the scale (PHQ-9 25+, GAD-7 19+) and at its floor were not counted as copied or flat: few answer sets exist there.",
        ),
    )

    def cases(self, ctx: AuditContext) -> ibis.Table:
        s = core_scores(ctx)
        per_tool = per_tool_days(ctx)
        t = course_signatures(s, per_tool)
        # Stratum, coarse to fine: baseline PHQ-9 band x scored days (1..5+).  Mild, short
        # courses honestly share low-score answer sets and stay flat more often, so they are
        # compared with peers' mild, short courses (a step-2 caseload is not a fabrication).
        course = per_tool.group_by(x_pathway_id="pathway_id").aggregate(
            x_phq=ibis.ifelse(per_tool.tool == "PHQ9", per_tool.first, ibis.null()).max(),
            d_days=per_tool.nd.max(),
        )
        t = t.left_join(course, t.pathway_id == course.x_pathway_id)
        mode = entry_modes(ctx, s)
        t = t.left_join(mode, t.pathway_id == mode.m_pathway_id)
        band = ibis.cases(
            (t.x_phq.isnull(), "p?"),
            (t.x_phq < 10, "p0"),
            (t.x_phq < 15, "p1"),
            (t.x_phq < 20, "p2"),
            else_="p3",
        )
        stratum = (
            band + ":" + t.mode.fill_null("m?") + ":" + clip_label(t.d_days.fill_null(0), 0, 5, "d")
        )
        return t.select(unit_id=t.unit_id, stratum=stratum, event=t.event)


def entry_modes(ctx: AuditContext, s: ibis.Table) -> ibis.Table:
    """Per course (``m_pathway_id``), how its answers were taken (``mode``): ``self`` (most
    entered by the patient), ``staff`` (most entered by the clinician) or ``interp`` (most
    entered by the clinician for a patient whose preferred language is not English, or
    recorded with entry mode ``interpreter``, so through an interpreter).  ``s``: :func:`core_scores`."""
    mode_given = s.entry_mode.fill_null("")
    staff = (mode_given != "self").cast("int64")
    interpreted = (mode_given == "interpreter").cast("int64")
    per = (
        s.mutate(_st=staff, _it=interpreted)
        .group_by("pathway_id")
        .aggregate(st=ibis._._st.mean(), it=ibis._._it.max())
    )
    language = (
        ctx.pw.language.cast("string").lower()
        if "language" in ctx.pw.columns
        else ibis.literal(None, type="string")
    )
    lang = ctx.pw.select(l_pathway_id="pathway_id", lang=language)
    per = per.left_join(lang, per.pathway_id == lang.l_pathway_id)
    other_language = per.lang.notnull() & ~per.lang.isin(ENGLISH)
    mode = ibis.cases(
        (per.st <= 0.5, "self"),
        ((per.it > 0) | other_language.fill_null(False), "interp"),
        else_="staff",
    )
    return per.select(m_pathway_id=per.pathway_id, mode=mode)


def core_scores(ctx: AuditContext) -> ibis.Table:
    """PHQ-9/GAD-7 score rows with a total: the detector's trials are their courses."""
    return ctx.scores.filter(ctx.scores.tool.isin(CORE_TOOLS) & ctx.scores.score.notnull())


def course_signatures(s: ibis.Table, per_tool: ibis.Table) -> ibis.Table:
    """One row per course with scores (``pathway_id``, ``unit_id``): 0/1 ``copied``, ``bulk``
    and ``flat`` and ``event`` (any of them, the check's event).  ``s``: :func:`core_scores`;
    ``per_tool``: :func:`per_tool_days`."""
    base = s.select("pathway_id", "unit_id").distinct()
    copied = copied_courses(s)
    bulk = bulk_courses(s)
    flat = flat_courses(per_tool)
    t = base.left_join(copied, base.pathway_id == copied.c_pathway_id)
    t = t.left_join(bulk, t.pathway_id == bulk.b_pathway_id)
    t = t.left_join(flat, t.pathway_id == flat.f_pathway_id)
    t = t.mutate(copied=t.copied.fill_null(0), bulk=t.bulk.fill_null(0), flat=t.flat.fill_null(0))
    t = t.mutate(event=((t.copied + t.bulk + t.flat) > 0).cast("int64"))
    return t.select("pathway_id", "unit_id", "copied", "bulk", "flat", "event")


def staff_entered(s: ibis.Table) -> ibis.BooleanValue:
    """Score rows whose entry time and person are recorded and not entered by the patient:
    the rows bulk entry can be seen on."""
    return (
        s.recorded_at.notnull() & s.recorded_by.notnull() & (s.entry_mode.fill_null("") != "self")
    )


def scored_long(per_tool: ibis.Table) -> ibis.Table:
    """Course x measure rows scored on FLAT_MIN_DAYS or more days: where flatness can be seen."""
    return per_tool.filter(per_tool.nd >= FLAT_MIN_DAYS)


def copied_courses(s: ibis.Table) -> ibis.Table:
    """Signature (a), copied item vectors: courses (``c_pathway_id``, ``copied`` = 1) whose
    every answer set with total >= MIN_TOTAL_FOR_COPY (at least COPY_MIN_ROWS of them) is one
    that another patient of the same unit also gave.  ``s``: :func:`core_scores`."""
    v = s.filter(s.item_scores.notnull() & (s.score >= MIN_TOTAL_FOR_COPY) & below_ceiling(s))
    shared = (
        v.group_by(["unit_id", "tool", "item_scores"])
        .aggregate(np_=v.pathway_id.nunique())
        .select(sh_unit="unit_id", sh_tool="tool", sh_items="item_scores", np_="np_")
    )
    vv = v.inner_join(
        shared,
        (v.unit_id == shared.sh_unit)
        & (v.tool == shared.sh_tool)
        & (v.item_scores == shared.sh_items),
    )
    return (
        vv.group_by("pathway_id")
        .aggregate(rows=ibis._.np_.count(), cp=(ibis._.np_ >= 2).cast("int64").sum())
        .filter((ibis._.cp >= COPY_MIN_ROWS) & (ibis._.cp == ibis._.rows))
        .select(c_pathway_id="pathway_id")
        .mutate(copied=ibis.literal(1))
    )


def bulk_courses(s: ibis.Table) -> ibis.Table:
    """Signature (b), bulk entry: courses (``b_pathway_id``, ``bulk`` = 1) with a score not
    self-entered that one person entered in a 15-minute window in which they entered scores
    for BULK_PATHWAYS or more courses.  ``s``: :func:`core_scores`."""
    r = s.filter(staff_entered(s))
    r = r.mutate(
        b_day=r.recorded_at.date(),
        b_hour=r.recorded_at.hour(),
        b_q=r.recorded_at.minute() // 15,
    )
    bursts = (
        r.group_by(["recorded_by", "b_day", "b_hour", "b_q"])
        .aggregate(np_=r.pathway_id.nunique())
        .filter(ibis._.np_ >= BULK_PATHWAYS)
        .rename(x_by="recorded_by", x_day="b_day", x_hour="b_hour", x_q="b_q")
    )
    return (
        r.inner_join(
            bursts,
            (r.recorded_by == bursts.x_by)
            & (r.b_day == bursts.x_day)
            & (r.b_hour == bursts.x_hour)
            & (r.b_q == bursts.x_q),
        )
        .select(b_pathway_id="pathway_id")
        .distinct()
        .mutate(bulk=ibis.literal(1))
    )


def per_tool_days(ctx: AuditContext) -> ibis.Table:
    """Per course x core measure: scored days ``nd``, lowest ``lo`` and highest ``hi`` kept
    score and the ``first`` one."""
    seq = ctx.sequences(CORE_TOOLS)
    return seq.group_by(["pathway_id", "tool"]).aggregate(
        nd=seq.k.max(),
        lo=seq.score.min(),
        hi=seq.score.max(),
        first=ibis.ifelse(seq.k == 1, seq.score, ibis.null()).max(),
    )


def below_ceiling(t: ibis.Table, col: str = "score") -> ibis.BooleanValue:
    """Totals more than CEILING_GAP points below their scale's top (``t.tool``)."""
    top = ibis.cases(*((t.tool == k, v) for k, v in SCALE_MAX.items()), else_=10_000)
    return t[col] <= top - CEILING_GAP


def flat_courses(per_tool: ibis.Table) -> ibis.Table:
    """Signature (c), flat trajectories: courses (``f_pathway_id``, ``flat`` = 1) where every
    core measure with >= FLAT_MIN_DAYS scored days has exactly the same total, of at least
    FLAT_MIN_SCORE, on all of them.  ``per_tool``: :func:`per_tool_days`."""
    long = scored_long(per_tool)
    return (
        long.group_by("pathway_id")
        .aggregate(
            tools=long.tool.count(),
            flat_tools=(
                (long.lo == long.hi) & (long.lo >= FLAT_MIN_SCORE) & below_ceiling(long, "lo")
            )
            .cast("int64")
            .sum(),
        )
        .filter(ibis._.flat_tools == ibis._.tools)
        .select(f_pathway_id="pathway_id")
        .mutate(flat=ibis.literal(1))
    )
