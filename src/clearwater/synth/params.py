"""Every tunable number of the synthetic service, in one place.

The defaults are calibrated so that a national-size year reproduces the published England
2023-24 figures (reference "nhs-talking-therapies-measures" §5); the comment on each value
says what it was tuned against or where it comes from.  ``SynthConfig(params=Params(...))``
overrides any of them (``dataclasses.replace(Params(), name=value)``).

Conventions: ``dep`` is a deprivation score in [0, 1] (IMD decile 1, the most deprived -> 1,
decile 10 -> 0, unknown -> ``dep_unknown``).  ``u`` is the log-odds that a treated
referral remits: a remitter's scores settle at a low "remission level", a non-remitter's
change by a small fraction of the baseline (sometimes worse).  Scores move toward that end
level as ``1 - exp(-decay_per_session * sessions)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Band = tuple[int, int, float]  # (first day, last day, probability)


def _d(**kw: float) -> dict[str, float]:
    return dict(kw)


@dataclass(frozen=True)
class Params:
    # ---------------------------------------------------------------- people (§5.3, §5.4, §5.6)
    # referral volume by IMD decile 1 (most deprived) .. 10 (least): England 2023-24 referrals
    imd_weights: tuple[float, ...] = (
        243824, 229692, 218477, 202601, 183565, 172207, 155567, 148522, 137884, 122603,
    )  # fmt: skip
    imd_unknown: float = 0.0078  # 14,260 of 1,829,202 referrals with no decile
    dep_unknown: float = 0.6  # deprivation score used for an unknown decile
    # referral shares by ethnic group (§5.4) and the codes used within each group
    ethnic_shares: dict[str, float] = field(
        default_factory=lambda: _d(
            White=0.728, Asian=0.070, Black=0.042, Mixed=0.033, Other=0.025, **{"Not stated": 0.102}
        )
    )
    ethnic_codes: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "White": ("A", "A", "A", "A", "A", "A", "B", "C", "C"),
            "Mixed": ("D", "E", "F", "G"),
            "Asian": ("H", "H", "J", "J", "K", "L"),
            "Black": ("M", "N", "N", "P"),
            "Other": ("R", "S", "S"),
            "Not stated": ("Z", "Z", "99"),
        }
    )
    # gender 1 male, 2 female, 9 indeterminate, X not known (§5.6: ~69% female)
    gender_shares: dict[str, float] = field(
        default_factory=lambda: _d(**{"2": 0.690, "1": 0.305, "9": 0.002, "X": 0.003})
    )
    # age at referral: (lowest, highest age, share)
    age_bands: tuple[tuple[int, int, float], ...] = (
        (16, 17, 0.012), (18, 25, 0.175), (26, 64, 0.720), (65, 74, 0.058),
        (75, 89, 0.033), (90, 97, 0.002),
    )  # fmt: skip
    # preferred language: English for most; others in proportion (ISO 639-1 codes)
    non_english_share: float = 0.035
    other_languages: tuple[str, ...] = ("pl", "ur", "pa", "bn", "ar", "ro", "pt", "so", "gu", "ta")
    self_referral_share: float = 0.62  # SourceOfReferralIAPT B1; A1 (GP) for most others
    source_missing_share: float = 0.01
    rereferral_share: float = 0.09  # share of pathways followed by a later referral
    rereferral_gap_median_days: float = 150.0

    # ---------------------------------------------------------------- funnel (§5.1, §5.3)
    # never seen (EndCode 50): base + slope * dep
    p_not_seen: tuple[float, float] = (0.095, 0.050)
    # seen at assessment but not taken on (EndCodes 10-16): base + slope * dep
    p_seen_not_treated: tuple[float, float] = (0.175, 0.060)
    # extra chance of not being taken on when not at caseness on PHQ-9 and GAD-7
    p_not_case_not_treated: float = 0.45
    seen_not_treated_codes: dict[str, float] = field(
        default_factory=lambda: _d(
            **{"10": 0.10, "11": 0.16, "12": 0.24, "13": 0.18, "14": 0.16, "16": 0.16}
        )
    )
    # drop-out straight after the first treatment session (ended after one treatment),
    # base + slope * dep; tuned to finished/referrals ~ 0.37 and the 0.44 -> 0.29 IMD gradient
    p_drop_after_first: tuple[float, float] = (0.33, 0.13)
    # later drop-out hazard per session: base * exp(dep_coef*dep + resp_coef*(resp_ref - F))
    drop_hazard: float = 0.045
    drop_dep_coef: float = 0.45
    drop_resp_coef: float = 1.6
    drop_resp_ref: float = 0.35
    # end code for an unplanned ending: 47 (earlier than professional planned) vs 48
    p_end48: float = 0.3
    p_followup: float = 0.08  # completers given a follow-up (AppType 06) ~ 3 months later

    # ---------------------------------------------------------------- waits (§3, §5.2)
    # referral -> first treatment, all pathways (finished-course shares are reproduced
    # because the waits do not depend on finishing)
    wait_first_treatment: tuple[Band, ...] = (
        (1, 7, 0.115), (8, 14, 0.225), (15, 21, 0.250), (22, 28, 0.222), (29, 42, 0.093),
        (43, 56, 0.037), (57, 90, 0.032), (91, 126, 0.010), (127, 240, 0.016),
    )  # fmt: skip
    # first -> second treatment session: a "short" continuation or an internal waiting list
    gap2_short: tuple[Band, ...] = (
        (5, 10, 0.30), (11, 17, 0.30), (18, 28, 0.20), (29, 56, 0.18), (57, 90, 0.02),
    )  # fmt: skip
    gap2_long: tuple[Band, ...] = (
        (14, 28, 0.05), (29, 56, 0.25), (57, 90, 0.25), (91, 150, 0.30), (151, 300, 0.15),
    )  # fmt: skip
    # share of pathways whose second session waits on an internal list, by route
    p_gap2_long: dict[str, float] = field(default_factory=lambda: _d(LI=0.36, HI=0.88, STEP=0.36))
    # stepped care: wait between the last low-intensity and first high-intensity session
    step_up_wait: tuple[Band, ...] = ((7, 28, 0.35), (29, 56, 0.35), (57, 120, 0.30))
    p_assess_is_treatment: float = 0.45  # assessment recorded as AppType 03 (counts as treatment)

    # ---------------------------------------------------------------- routes and courses (§5.8)
    # chance a treated referral starts at step 3: base + per PHQ-9 point above 14
    p_high_first: float = 0.17
    p_high_per_phq_point: float = 0.012
    p_high_descriptor: dict[str, float] = field(
        default_factory=lambda: _d(ptsd=0.80, ocd=0.60, social_phobia=0.55, health_anxiety=0.35)
    )
    # stepping up: low-intensity non-responders stepped up to step 3, and the extra log-odds
    # of remission their step-3 course adds
    step_up_nonresponder: float = 0.75
    step_hi_shift: float = 0.3
    li_sessions: tuple[int, int] = (4, 8)  # planned treatment sessions (inclusive)
    hi_sessions: tuple[int, int] = (8, 16)
    step_li_sessions: tuple[int, int] = (3, 6)
    step_hi_sessions: tuple[int, int] = (6, 12)
    ptsd_extra_sessions: int = 4
    # missed appointments per attended session: geometric with p = base + slope * dep
    p_miss: tuple[float, float] = (0.11, 0.08)
    miss_codes: dict[str, float] = field(
        default_factory=lambda: _d(**{"3": 0.55, "2": 0.30, "4": 0.15})
    )
    counsellor_depression_share: float = 0.45  # step-3 depression cases seen by counsellors

    # ---------------------------------------------------------------- problem descriptors (§5.5)
    # share among assessed referrals, the ICD-10/SNOMED codes written, and the effect on u
    descriptor_shares: dict[str, float] = field(
        default_factory=lambda: _d(
            depression=0.424, gad=0.262, ptsd=0.062, other_anxiety=0.038, social_phobia=0.027,
            ocd=0.026, mixed_anxiety_depression=0.025, panic=0.023, health_anxiety=0.016,
            specific_phobia=0.009, agoraphobia=0.007, mus=0.003, none=0.078,
        )
    )  # fmt: skip
    descriptor_codes: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "depression": ("F321", "F321", "F32.1", "F320", "F329", "F331", "F332"),
            "gad": ("F411", "F41.1"),
            "ptsd": ("F431", "F43.1"),
            "other_anxiety": ("F419", "F408", "F438", "F432"),
            "social_phobia": ("F401",),
            "ocd": ("F429", "F42.0", "F421"),
            "mixed_anxiety_depression": ("F412",),
            "panic": ("F410",),
            "health_anxiety": ("F452",),
            "specific_phobia": ("F402",),
            "agoraphobia": ("F400",),
            "mus": ("723916001",),
            "none": ("F99",),  # recorded but not a usable descriptor ("other")
        }
    )
    p_none_has_row: float = 0.3  # "none": share that carry an unusable code rather than no row
    p_secondary_complaint: float = 0.15
    descriptor_effect: dict[str, float] = field(
        default_factory=lambda: _d(
            depression=0.0, gad=0.30, ptsd=-0.15, other_anxiety=0.25, social_phobia=0.10,
            ocd=-0.20, mixed_anxiety_depression=-0.05, panic=0.05, health_anxiety=0.05,
            specific_phobia=0.55, agoraphobia=-0.15, mus=-0.1, none=-0.15,
        )
    )  # fmt: skip
    # baseline PHQ-9 / GAD-7 means by descriptor (§5.7: depression 15.2/12.3, GAD 12.2/13.1)
    descriptor_baseline: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {
            "depression": (15.4, 12.3), "gad": (12.3, 13.3), "ptsd": (16.8, 14.6),
            "other_anxiety": (12.8, 12.4), "social_phobia": (13.6, 12.6), "ocd": (13.5, 12.9),
            "mixed_anxiety_depression": (14.6, 13.2), "panic": (13.2, 13.9),
            "health_anxiety": (11.9, 13.2), "specific_phobia": (9.8, 10.8),
            "agoraphobia": (15.0, 14.2), "mus": (13.5, 11.5), "none": (13.0, 12.0),
        }
    )  # fmt: skip

    # ---------------------------------------------------------------- scores (§5.7)
    phq_offset: float = -1.3  # calibrated: finished-course PHQ-9 first mean 13.8
    gad_offset: float = -0.8  # calibrated: GAD-7 first mean 12.7
    phq_sd: float = 6.0  # first-score SD 6.0 (§5.7)
    gad_sd: float = 5.1  # first-score SD 5.1 (§5.7)
    phq_gad_rho: float = 0.62
    baseline_dep_shift: tuple[float, float] = (1.4, 1.0)  # PHQ, GAD points at dep = 1
    phq_noise: float = 2.1  # session-to-session measurement noise (score points)
    gad_noise: float = 1.9
    gad_response_sd: float = 0.10  # GAD-7 improvement fraction differs a little from PHQ-9
    wsas_mean: float = 18.3
    wsas_sd: float = 8.0
    wsas_noise: float = 3.0
    wsas_response_share: float = 0.75  # WSAS improves less than symptoms (effect 0.48 vs 0.75)
    p_adsm_recorded: float = 0.62  # ADSM pathways where the service uses the ADSM at all
    p_adsm_session_missing: float = 0.18  # ADSM absent at a session where it is used
    p_self_entry: float = 0.6  # questionnaires completed by the patient (CW_EntryMode self)
    # CW_RecordedAt: same day / 1-3 days later / 4-10 days later
    recorded_delay: tuple[float, float, float] = (0.86, 0.10, 0.04)
    phq_item9_penalty: float = 0.55  # slot-key penalty making PHQ-9 item 9 rarer (~1 in 4)

    # ---------------------------------------------------------------- response model
    # share of the full improvement reached after j sessions: 1 - exp(-decay * j) (early
    # response: most change comes in the first sessions)
    decay_per_session: float = 0.5
    u_intercept: float = 0.24  # calibrated: recovery 50.1% (national run 2026-11-23)
    u_severity: float = (
        -0.1
    )  # per baseline point ((PHQ-9 + GAD-7)/2 above 13): severe cases remit less
    u_dep: float = -0.8  # calibrated: IMD gradient 56.1% -> 42.3%
    u_sd: float = 0.5  # patient-level heterogeneity beyond the covariates
    # remission levels (PHQ-9, GAD-7 points; log-normal, shared quantile) reached by responders,
    # capped at remission_max_frac of the baseline; non-responders change by a fraction
    # N(nonresp_mean, nonresp_sd) of their baseline (negative = worse)
    remission_phq_median: float = 4.5
    remission_gad_median: float = 4.0
    remission_sd: float = 0.55
    remission_max_frac: float = 0.7
    nonresp_mean: float = 0.22  # calibrated: reliable improvement 66.8%
    nonresp_sd: float = 0.2
    p_worse: float = 0.19  # calibrated: reliable deterioration 5.9%
    worse_mean: float = -0.45
    ethnic_effect: dict[str, float] = field(
        default_factory=lambda: _d(
            White=0.0, Asian=-0.25, Black=-0.08, Mixed=-0.20, Other=-0.30, **{"Not stated": -0.20}
        )
    )
    age_effect: tuple[float, ...] = (-0.45, -0.30, 0.0, 0.45, 0.60, 0.40)  # per age band
    previous_referral_effect: float = -0.15
    # therapist random effect on the log-odds of remission: tau^2 / (tau^2 + pi^2/3 + u_sd^2
    # + covariate variance) ~ 0.06, the ~6% of outcome variance of the literature (5-8%)
    therapist_sd: float = 0.48
    excellent_effect: float = 1.0  # log-odds; about +20 points of recovery

    # ---------------------------------------------------------------- workforce (workforce §3)
    referrals_per_team: int = 3000  # default team count = annual referrals / this
    clinicians_per_team: int = 18
    role_mix: tuple[float, float, float] = (0.45, 0.40, 0.15)  # PWP, HIT, counsellor
    fte_choices: tuple[float, ...] = (1.0, 1.0, 1.0, 0.8, 0.8, 0.6, 0.5)
    caseload_spread: float = 0.25  # SD of log workload weights within a role and team
    p_same_pwp: float = 0.6  # low-intensity work done by the assessing PWP
    supervision_skip: float = 0.12  # share of scheduled supervision sessions missed
    p_supervision_gappy: float = 0.1  # clinicians with a long gap (leave, vacancy in supervisor)
