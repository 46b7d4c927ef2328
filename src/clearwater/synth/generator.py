"""A calibrated synthetic NHS Talking Therapies provider.

``synthesise(SynthConfig(...))`` returns the data-set tables (data set column names of
:mod:`clearwater.dataset.contract`) of one provider over a reporting window: people,
referrals, care contacts session by session, care activities, presenting complaints,
questionnaire scores with item vectors, staff and supervision.  Everything is drawn per
referral with numpy (no Python loop over rows), so a national-size year is practical.

The model (details and parameters: :mod:`clearwater.synth.params`, docs/reference/
synthetic-data.md):

1. People get an IMD decile, ethnicity, gender, age and language; referrals arrive uniformly
   over a run-in period and the window (the run-in makes the window a steady state: courses
   that finish in the window started before it, as in a real extract).
2. Each referral is never seen (EndCode 50), seen but not taken on (10-16), or treated.  The
   chances depend on deprivation and on caseness at assessment.
3. A treated referral gets a problem descriptor, baseline PHQ-9/GAD-7/WSAS/ADSM, a route
   (step 2 PWP, step 3 therapist or counsellor, or stepped up), clinicians from its team, and a
   latent log-odds of remission ``u`` (severity, deprivation, ethnicity, age, descriptor,
   re-referral and a therapist random effect).  Remitters' scores decay exponentially over
   the sessions toward a low remission level, non-remitters' toward a small change (some get
   worse), with measurement noise that shrinks toward the floor.
4. Drop-out after each session depends on deprivation and on the response; missed and
   cancelled appointments, waits, the first-to-second "hidden wait" and step-up waits come from
   calibrated band distributions.
5. Some people are referred again after their pathway ends (the same LocalPatientId).
6. Anything after the window end is cut: referrals still open have no discharge.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from clearwater.dataset import contract
from clearwater.errors import ConfigError
from clearwater.synth import items as _items
from clearwater.synth.params import Band, Params

EPOCH = date(1970, 1, 1)

# roles
PWP, HIT, COU = 0, 1, 2
ROLE_NAMES = ("PWP", "HIT", "COUNSELLOR")
# routes of treated referrals
LI, HI, STEP = 0, 1, 2
ROUTE_NAMES = ("LI", "HI", "STEP")
# funnel outcomes
NOT_SEEN, SEEN_NT, TREATED = 0, 1, 2

PHQ9_SNOMED = "720433000"
GAD7_SNOMED = "445455005"

# ADSM instruments: (tool code written, baseline mean, SD, session noise, min, max, decimals)
ADSM_SCALES: dict[str, tuple[str, float, float, float, float, float, int]] = {
    "agoraphobia": ("MI", 3.2, 0.65, 0.28, 1.0, 5.0, 2),
    "social_phobia": ("SPIN", 41.0, 11.0, 4.5, 0, 68, 0),
    "panic": ("PDSS", 15.0, 4.8, 2.2, 0, 28, 0),
    "ocd": ("OCI", 68.0, 26.0, 10.0, 0, 168, 0),
    "ptsd": ("IESR", 54.0, 14.0, 6.0, 0, 88, 0),
    "health_anxiety": ("HAI", 27.0, 6.5, 2.8, 0, 42, 0),
    "mus": ("PHQ15", 15.0, 4.8, 2.2, 0, 30, 0),
}

# therapy SNOMED codes (reference §4.3)
LI_CODES = (
    ("748051000000105", 0.45),  # guided self-help (book)
    ("748041000000107", 0.30),  # guided self-help (computer)
    ("748061000000108", 0.07),  # structured physical activity
    ("702545008", 0.10),  # psychoeducational peer support
    ("1026111000000108", 0.08),  # other low intensity
)
HIT_CODES = (
    ("228557008", 0.55),  # cognitive behavioural therapy
    ("304891004", 0.25),  # cognitive behavioural therapy
    ("443730003", 0.06),  # interpersonal psychotherapy
    ("1129471000000105", 0.03),  # couples therapy for depression
    ("1127281000000100", 0.04),  # applied relaxation
    ("1026131000000100", 0.07),  # other high intensity
)
EMDR = "449030000"
COU_CODES = (
    ("286711000000107", 0.85),  # counselling for depression
    ("314034001", 0.10),  # brief psychodynamic psychotherapy
    ("1026131000000100", 0.05),  # other high intensity
)

# honest clinicians whose work differs from the standard for reasons nobody games:
# profile -> (id, role, FTE, effect on remission log-odds: 1 = params.excellent_effect)
HARD_UNITS = {
    "deprived": ("H-DEPRIVED", "HIT", 1.0, 0),
    "refugee": ("H-REFUGEE", "HIT", 0.8, 0),
    "small": ("H-SMALL", "COU", 0.2, 0),
    "step2_only": ("H-STEP2", "PWP", 1.0, 0),
    "excellent": ("H-EXCELLENT", "HIT", 1.0, 1),
    "ltc": ("H-LTC", "HIT", 1.0, 0),
    "older": ("H-OLDER", "HIT", 0.8, 0),
    "perinatal": ("H-PERINATAL", "HIT", 0.8, 0),
    "part_time": ("H-PARTTIME", "PWP", 0.4, 0),
    "joiner": ("H-JOINER", "HIT", 1.0, 0),
    "leaver": ("H-LEAVER", "PWP", 1.0, 0),
}
HARD_PROFILES = tuple(HARD_UNITS)
HARD_IDS = {p: v[0] for p, v in HARD_UNITS.items()}
REFUGEE_LANGUAGES = ("ar", "fa", "ps", "ti", "ku", "so", "uk")

TABLE_NAMES = (
    "IDS001MPI",
    "IDS101Referral",
    "IDS201CareContact",
    "IDS202CareActivity",
    "IDS603PresentingComplaints",
    "IDS607CodedScoreAssessmentAct",
    "CWStaff",
    "CWSupervision",
)


@dataclass(frozen=True)
class SynthConfig:
    """What to synthesise.  ``referrals`` = referrals received in the window (exactly)."""

    referrals: int = 20000
    seed: int = 0
    start: date = date(2023, 4, 1)
    months: int = 12
    provider_id: str = "RCW"
    hard_units: bool = False
    teams: int | None = None  # default: annual referrals / params.referrals_per_team
    clinicians_per_team: int | None = None  # default params.clinicians_per_team (>= 2)
    caseload_spread: float | None = None  # SD of log workload weights (default in params)
    run_in_months: int = 15  # referrals received before the window, kept if open in it
    params: Params = field(default_factory=Params)

    def __post_init__(self) -> None:
        if self.referrals < 1:
            raise ConfigError("synth: --referrals must be at least 1")
        if not 1 <= self.months <= 120:
            raise ConfigError("synth: months must be between 1 and 120")
        if self.teams is not None and self.teams < 1:
            raise ConfigError("synth: teams must be at least 1")
        if self.clinicians_per_team is not None and self.clinicians_per_team < 2:
            raise ConfigError("synth: clinicians_per_team must be at least 2 (a PWP and a HIT)")
        if self.run_in_months < 0:
            raise ConfigError("synth: run_in_months must not be negative")
        if not self.provider_id:
            raise ConfigError("synth: provider_id must not be empty")

    @property
    def end(self) -> date:
        """First day after the window."""
        return _add_months(self.start, self.months)


@dataclass(frozen=True)
class SynthResult:
    tables: dict[str, pd.DataFrame]
    clinicians: pd.DataFrame  # clinician_id, team_id, role, fte, profile, effect
    config: SynthConfig
    window: tuple[date, date]  # first and last day (inclusive)


# ----------------------------------------------------------------------------- helpers


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _day(d: date) -> int:
    return (d - EPOCH).days


def _choice(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


def _bands(rng: np.random.Generator, n: int, bands: tuple[Band, ...]) -> np.ndarray:
    lo = np.array([b[0] for b in bands])
    hi = np.array([b[1] for b in bands])
    k = _choice(rng, n, [b[2] for b in bands])
    return lo[k] + np.floor(rng.random(n) * (hi[k] - lo[k] + 1)).astype(np.int64)


def _noisy(rng: np.random.Generator, mean: np.ndarray, sd, top: int) -> np.ndarray:
    """An observed total: the expected level plus noise that shrinks toward the floor."""
    scale = np.sqrt(np.clip(mean, 0.5, None) / 10.0)
    return np.clip(np.rint(mean + sd * scale * rng.standard_normal(len(mean))), 0, top)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _str(values: pa.Array | np.ndarray | list) -> pd.Series:
    arr = (
        values
        if isinstance(values, pa.Array | pa.ChunkedArray)
        else pa.array(values, type=pa.string())
    )
    return arr.to_pandas()


def _codes(
    labels: tuple[str, ...] | list[str], idx: np.ndarray, null: np.ndarray | None = None
) -> pd.Series:
    lab = pa.array(list(labels), type=pa.string())
    ind = pa.array(np.asarray(idx, dtype=np.int64), mask=null)
    return _str(lab.take(ind))


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> pd.Series:
    s = pd.Series(np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[s]"))
    if null is not None and null.any():
        s[null] = pd.NaT
    return s


def _group_first_index(group_sizes: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(group_sizes), dtype=np.int64)
    np.cumsum(group_sizes[:-1], out=starts[1:])
    return starts


def _within(group_sizes: np.ndarray) -> np.ndarray:
    """Position (0-based) of each expanded row inside its group."""
    total = int(group_sizes.sum())
    starts = _group_first_index(group_sizes)
    return np.arange(total) - np.repeat(starts, group_sizes)


# ----------------------------------------------------------------------------- staff


@dataclass
class _Staff:
    ids: list[str]
    team: np.ndarray
    role: np.ndarray
    fte: np.ndarray
    weight: np.ndarray
    effect: np.ndarray
    profile: list[str]
    n_teams: int
    team_ids: list[str]

    def picker(self, roles: tuple[int, ...]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """Weighted choice of a standard clinician of ``roles`` within each referral's team."""
        prof = np.array(self.profile)
        idx = np.flatnonzero(np.isin(self.role, roles) & (prof == "standard"))
        idx = idx[np.argsort(self.team[idx], kind="stable")]
        cum = np.cumsum(self.weight[idx])
        cum0 = np.concatenate([[0.0], cum])
        tsorted = self.team[idx]
        lo = np.searchsorted(tsorted, np.arange(self.n_teams), "left")
        hi = np.searchsorted(tsorted, np.arange(self.n_teams), "right")

        def pick(teams: np.ndarray, u: np.ndarray) -> np.ndarray:
            a, b = cum0[lo[teams]], cum0[hi[teams]]
            if len(teams) and np.any(hi[teams] <= lo[teams]):
                raise ConfigError("synth: a team has no clinician for a role it needs")
            pos = np.searchsorted(cum, a + u * (b - a), side="right")
            pos = np.clip(pos, lo[teams], hi[teams] - 1)
            return idx[pos]

        return pick

    def has_role(self, role: int) -> np.ndarray:
        prof = np.array(self.profile)
        out = np.zeros(self.n_teams, dtype=bool)
        out[self.team[(self.role == role) & (prof == "standard")]] = True
        return out


def _make_staff(cfg: SynthConfig, rng: np.random.Generator) -> _Staff:
    P = cfg.params
    annual = cfg.referrals * 12 / cfg.months
    n_teams = cfg.teams or max(1, round(annual / P.referrals_per_team))
    per = cfg.clinicians_per_team or P.clinicians_per_team
    n_pwp = max(1, round(per * P.role_mix[0]))
    n_hit = max(1, round(per * P.role_mix[1]))
    n_cou = per - n_pwp - n_hit
    if n_cou < 0:
        n_hit = per - n_pwp
        n_cou = 0
    tw = max(2, len(str(n_teams)))
    team_ids = [f"T{t + 1:0{tw}d}" for t in range(n_teams)]
    roles = np.array([PWP] * n_pwp + [HIT] * n_hit + [COU] * n_cou)
    letters = {PWP: "P", HIT: "H", COU: "C"}
    ids: list[str] = []
    for t in range(n_teams):
        counters = {PWP: 0, HIT: 0, COU: 0}
        for r in roles:
            counters[int(r)] += 1
            ids.append(f"{team_ids[t]}-{letters[int(r)]}{counters[int(r)]:02d}")
    n = len(ids)
    team = np.repeat(np.arange(n_teams), per)
    role = np.tile(roles, n_teams)
    fte = np.asarray(P.fte_choices)[rng.integers(0, len(P.fte_choices), n)]
    spread = P.caseload_spread if cfg.caseload_spread is None else cfg.caseload_spread
    weight = fte * np.exp(rng.normal(0.0, spread, n))
    effect = rng.normal(0.0, P.therapist_sd, n)
    profile = ["standard"] * n
    if cfg.hard_units:
        code = {"PWP": PWP, "HIT": HIT, "COU": COU}
        for prof, (uid, _r, _f, _e) in HARD_UNITS.items():
            ids.append(uid)
            profile.append(prof)
        h = list(HARD_UNITS.values())
        team = np.concatenate([team, np.zeros(len(h), dtype=np.int64)])
        role = np.concatenate([role, np.array([code[v[1]] for v in h])])
        fte = np.concatenate([fte, np.array([v[2] for v in h], dtype=float)])
        weight = np.concatenate([weight, np.zeros(len(h))])
        effect = np.concatenate([effect, np.array([v[3] * P.excellent_effect for v in h])])
    return _Staff(ids, team, role, fte, weight, effect, profile, n_teams, team_ids)


# ----------------------------------------------------------------------------- people


@dataclass
class _People:
    imd: np.ndarray  # 0 = unknown, else 1..10
    dep: np.ndarray
    eth_group: np.ndarray
    eth_code: np.ndarray  # index into ETH_CODES
    gender: np.ndarray
    birth_day: np.ndarray
    language: np.ndarray  # index into languages (0 = en)

    def extend(self, other: _People) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))


def _eth_tables(P: Params) -> tuple[list[str], list[str], np.ndarray]:
    groups = list(P.ethnic_shares)
    codes: list[str] = []
    group_of: list[int] = []
    for gi, g in enumerate(groups):
        for c in P.ethnic_codes[g]:
            codes.append(c)
            group_of.append(gi)
    return groups, codes, np.array(group_of)


def _languages(P: Params) -> list[str]:
    return ["en", *P.other_languages, *[x for x in REFUGEE_LANGUAGES if x not in P.other_languages]]


def _make_people(rng: np.random.Generator, P: Params, ref_day: np.ndarray) -> _People:
    n = len(ref_day)
    imd_w = np.asarray(P.imd_weights, dtype=float)
    imd = _choice(rng, n, imd_w) + 1
    imd[rng.random(n) < P.imd_unknown] = 0
    dep = np.where(imd == 0, P.dep_unknown, (10 - imd) / 9.0)
    groups, codes, group_of = _eth_tables(P)
    eg = _choice(rng, n, [P.ethnic_shares[g] for g in groups])
    # a code within the group, uniformly among the group's (weighted by repetition) codes
    code_idx = np.empty(n, dtype=np.int64)
    for gi in range(len(groups)):
        members = np.flatnonzero(group_of == gi)
        sel = eg == gi
        code_idx[sel] = members[rng.integers(0, len(members), int(sel.sum()))]
    gender = _choice(rng, n, list(P.gender_shares.values()))
    band = _choice(rng, n, [b[2] for b in P.age_bands])
    lo = np.array([b[0] for b in P.age_bands])[band]
    hi = np.array([b[1] for b in P.age_bands])[band]
    age_days = (lo + rng.random(n) * (hi - lo + 1)) * 365.25
    birth = ref_day - np.floor(age_days).astype(np.int64)
    lang = np.zeros(n, dtype=np.int64)
    other = rng.random(n) < P.non_english_share * np.where(
        np.isin(groups_arr(groups, eg), ["White"]), 0.5, 3.0
    )
    lang[other] = 1 + rng.integers(0, len(P.other_languages), int(other.sum()))
    return _People(imd, dep, eg, code_idx, gender, birth, lang)


def groups_arr(groups: list[str], eg: np.ndarray) -> np.ndarray:
    return np.asarray(groups, dtype=object)[eg]


# ----------------------------------------------------------------------------- referrals


@dataclass
class _Batch:
    """Referrals to simulate together (one level of re-referral)."""

    person: np.ndarray
    ref_day: np.ndarray
    team: np.ndarray
    previous: np.ndarray
    # overrides (hard units); -1 / 0 / 1.0 = none
    force_route: np.ndarray
    force_desc: np.ndarray
    force_clin: np.ndarray
    u_offset: np.ndarray
    sev_shift: np.ndarray
    drop_mult: np.ndarray
    extra_sessions: np.ndarray
    hard: np.ndarray  # bool: a hard-unit pathway (never trimmed)
    slow: np.ndarray  # multiplies the speed of change (1 = the standard response curve)
    noise_mult: np.ndarray  # multiplies the session-to-session noise of totals
    staff_entry: np.ndarray  # share of questionnaires entered by the clinician (-1: default)
    sticky: np.ndarray  # bool: an unchanged total keeps the previous item answers (likely)
    wait_short: np.ndarray  # bool: prioritised (seen within three weeks)
    pause: np.ndarray  # chance of a long honest pause (91-150 days) after the first session

    @staticmethod
    def plain(person, ref_day, team, previous) -> _Batch:
        n = len(person)
        return _Batch(
            person, ref_day, team, previous,
            np.full(n, -1), np.full(n, -1), np.full(n, -1), np.zeros(n), np.zeros(n),
            np.ones(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool),
            np.ones(n), np.ones(n), np.full(n, -1.0), np.zeros(n, dtype=bool),
            np.zeros(n, dtype=bool), np.zeros(n),
        )  # fmt: skip


@dataclass
class _Sim:
    """Simulated referrals, contacts, scores and complaints (global referral indices)."""

    # referrals
    ref_person: list[np.ndarray] = field(default_factory=list)
    ref_day: list[np.ndarray] = field(default_factory=list)
    ref_team: list[np.ndarray] = field(default_factory=list)
    ref_source: list[np.ndarray] = field(default_factory=list)
    ref_end_day: list[np.ndarray] = field(default_factory=list)  # discharge day
    ref_end_code: list[np.ndarray] = field(default_factory=list)  # index into END_CODES
    ref_level: list[np.ndarray] = field(default_factory=list)
    ref_hard: list[np.ndarray] = field(default_factory=list)
    ref_entry: list[np.ndarray] = field(default_factory=list)  # staff-entry share (-1 default)
    ref_sticky: list[np.ndarray] = field(default_factory=list)
    ref_clin: list[np.ndarray] = field(default_factory=list)  # main clinician (for tables)
    # contacts
    c_ref: list[np.ndarray] = field(default_factory=list)
    c_day: list[np.ndarray] = field(default_factory=list)
    c_order: list[np.ndarray] = field(default_factory=list)
    c_app: list[np.ndarray] = field(default_factory=list)  # index into APP_TYPES
    c_attend: list[np.ndarray] = field(default_factory=list)  # index into ATTEND
    c_clin: list[np.ndarray] = field(default_factory=list)
    c_therapy: list[np.ndarray] = field(default_factory=list)  # index into THERAPY_CODES; -1 none
    c_key: list[np.ndarray] = field(default_factory=list)  # unique per contact within a sim
    # scores (attached to contact keys)
    s_key: list[np.ndarray] = field(default_factory=list)
    s_tool: list[np.ndarray] = field(default_factory=list)  # index into TOOLS
    s_value: list[np.ndarray] = field(default_factory=list)
    s_items_grp: list[np.ndarray] = field(default_factory=list)
    # complaints
    p_ref: list[np.ndarray] = field(default_factory=list)
    p_code: list[np.ndarray] = field(default_factory=list)  # index into complaint codes
    p_sig: list[np.ndarray] = field(default_factory=list)  # 0 P, 1 S
    p_day: list[np.ndarray] = field(default_factory=list)
    n_refs: int = 0
    n_keys: int = 0


APP_TYPES = ("01", "02", "03", "06")
A01, A02, A03, A06 = range(4)
ATTEND = ("5", "3", "2", "4", "6")
AT5, AT3, AT2, AT4, AT6 = range(5)
END_CODES = ("50", "10", "11", "12", "13", "14", "16", "46", "47", "48")
E50, E46, E47, E48 = 0, 7, 8, 9
THERAPY = (
    tuple(c for c, _ in LI_CODES)
    + tuple(c for c, _ in HIT_CODES)
    + (EMDR,)
    + tuple(c for c, _ in COU_CODES)
)
TOOLS = ("PHQ9", "GAD7", "WSAS", "MI", "SPIN", "PDSS", "OCI", "IESR", "HAI", "PHQ15")
T_PHQ, T_GAD, T_WSAS = 0, 1, 2


def _therapy_index(code: str) -> int:
    return THERAPY.index(code)


class _Model:
    def __init__(self, cfg: SynthConfig, rng: np.random.Generator, staff: _Staff, people: _People):
        self.cfg = cfg
        self.P = cfg.params
        self.rng = rng
        self.staff = staff
        self.people = people
        self.pick_pwp = staff.picker((PWP,))
        self.pick_hit = staff.picker((HIT,))
        self.has_cou = staff.has_role(COU)
        self.pick_cou = staff.picker((COU,)) if self.has_cou.any() else None
        self.descs = list(self.P.descriptor_shares)
        codes: list[str] = []
        self.desc_code_lo = []
        self.desc_code_n = []
        for d in self.descs:
            self.desc_code_lo.append(len(codes))
            self.desc_code_n.append(len(self.P.descriptor_codes[d]))
            codes.extend(self.P.descriptor_codes[d])
        self.complaint_codes = codes
        self.sim = _Sim()

    # ------------------------------------------------------------------ one batch
    def simulate(self, b: _Batch, level: int) -> np.ndarray:  # noqa: C901 - one pipeline
        P, rng, st, pe = self.P, self.rng, self.staff, self.people
        n = len(b.person)
        g0 = self.sim.n_refs
        gidx = g0 + np.arange(n)
        self.sim.n_refs += n
        dep = pe.dep[b.person]
        age_years = (b.ref_day - pe.birth_day[b.person]) / 365.25
        age_band = np.searchsorted(
            np.array([b[1] for b in P.age_bands[:-1]]) + 1, age_years, side="right"
        )
        groups = list(P.ethnic_shares)
        eth = pe.eth_group[b.person]

        # --- descriptor and baseline scores
        desc = _choice(rng, n, list(P.descriptor_shares.values()))
        desc = np.where(b.force_desc >= 0, b.force_desc, desc)
        base = np.array([P.descriptor_baseline[d] for d in self.descs])
        z1 = rng.standard_normal(n)
        z2 = P.phq_gad_rho * z1 + math.sqrt(1 - P.phq_gad_rho**2) * rng.standard_normal(n)
        phq0 = (
            base[desc, 0]
            + P.phq_offset
            + P.baseline_dep_shift[0] * dep
            + b.sev_shift
            + P.phq_sd * z1
        )
        gad0 = (
            base[desc, 1]
            + P.gad_offset
            + P.baseline_dep_shift[1] * dep
            + b.sev_shift * 0.8
            + P.gad_sd * z2
        )
        phq0 = np.clip(np.rint(phq0), 0, 27)
        gad0 = np.clip(np.rint(gad0), 0, 21)
        wsas0 = np.clip(
            np.rint(
                P.wsas_mean + P.wsas_sd * (0.55 * z1 + 0.2 * z2 + 0.81 * rng.standard_normal(n))
            ),
            0,
            40,
        )
        z_adsm = 0.55 * z2 + 0.3 * z1 + 0.78 * rng.standard_normal(n)
        not_case = (phq0 < 10) & (gad0 < 8)

        # --- funnel
        u_f = rng.random(n)
        p_ns = P.p_not_seen[0] + P.p_not_seen[1] * dep
        p_snt = P.p_seen_not_treated[0] + P.p_seen_not_treated[1] * dep
        p_snt = p_snt + not_case * P.p_not_case_not_treated * (1 - p_ns - p_snt)
        funnel = np.where(u_f < p_ns, NOT_SEEN, np.where(u_f < p_ns + p_snt, SEEN_NT, TREATED))
        funnel[b.force_route >= 0] = TREATED

        # --- clinicians
        assessor = self.pick_pwp(b.team, rng.random(n))
        li_clin = np.where(
            rng.random(n) < P.p_same_pwp, assessor, self.pick_pwp(b.team, rng.random(n))
        )
        hi_clin = self.pick_hit(b.team, rng.random(n))
        if self.pick_cou is not None:
            to_cou = (
                (np.asarray(self.descs)[desc] == "depression")
                & (rng.random(n) < P.counsellor_depression_share)
                & self.has_cou[b.team]
            )
            if to_cou.any():
                hi_clin[to_cou] = self.pick_cou(b.team[to_cou], rng.random(int(to_cou.sum())))
        forced_role = np.where(b.force_clin >= 0, st.role[np.maximum(b.force_clin, 0)], -1)
        li_clin = np.where(forced_role == PWP, b.force_clin, li_clin)
        hi_clin = np.where((forced_role == HIT) | (forced_role == COU), b.force_clin, hi_clin)

        # --- latent response
        eth_eff = np.array([P.ethnic_effect[g] for g in groups])[eth]
        desc_eff = np.array([P.descriptor_effect[d] for d in self.descs])[desc]
        age_eff = np.asarray(P.age_effect)[np.clip(age_band, 0, len(P.age_effect) - 1)]
        u_pat = (
            P.u_intercept
            + P.u_dep * dep
            + P.u_severity * ((phq0 + gad0) / 2 - 13)
            + eth_eff
            + desc_eff
            + age_eff
            + P.previous_referral_effect * (b.previous > 0)
            + b.u_offset
            + P.u_sd * rng.standard_normal(n)
        )
        # response is a latent class: remission (scores settle at a low "remission level") or
        # not (a small change, sometimes worse).  Its log-odds carry the therapist effect.
        resp_li = rng.random(n) < _sigmoid(u_pat + st.effect[li_clin])
        # route
        p_hi = np.clip(P.p_high_first + P.p_high_per_phq_point * (phq0 - 14), 0.02, 0.95)
        for d, p in P.p_high_descriptor.items():
            p_hi = np.where(np.asarray(self.descs)[desc] == d, p, p_hi)
        route = np.where(rng.random(n) < p_hi, HI, LI)
        step = (route == LI) & ~resp_li & (rng.random(n) < P.step_up_nonresponder)
        route[step] = STEP
        route = np.where(b.force_route >= 0, b.force_route, route)
        eff = np.where(
            route == LI,
            st.effect[li_clin],
            np.where(
                route == HI,
                st.effect[hi_clin],
                0.35 * st.effect[li_clin] + 0.65 * st.effect[hi_clin],
            ),
        )
        resp = np.where(
            route == LI,
            resp_li,
            rng.random(n) < _sigmoid(u_pat + eff + (route == STEP) * P.step_hi_shift),
        )
        zq = rng.standard_normal(n)
        lev_phq = np.exp(np.log(P.remission_phq_median) + P.remission_sd * zq)
        lev_gad = np.exp(
            np.log(P.remission_gad_median)
            + P.remission_sd * (0.8 * zq + 0.6 * rng.standard_normal(n))
        )
        fr_phq = 1 - np.minimum(lev_phq, P.remission_max_frac * phq0) / np.maximum(phq0, 1)
        fr_gad = 1 - np.minimum(lev_gad, P.remission_max_frac * gad0) / np.maximum(gad0, 1)
        f_nr = P.nonresp_mean + P.nonresp_sd * rng.standard_normal(n)
        worse = rng.random(n) < P.p_worse
        f_nr = np.where(worse, P.worse_mean + P.nonresp_sd * rng.standard_normal(n), f_nr)
        F = np.where(resp, fr_phq, f_nr)
        F_gad = np.where(resp, fr_gad, f_nr + P.gad_response_sd * rng.standard_normal(n))
        F_adsm = np.where(
            resp, (fr_phq + fr_gad) / 2, f_nr
        ) + P.gad_response_sd * rng.standard_normal(n)

        # --- waits and planned course
        wait1 = _bands(rng, n, P.wait_first_treatment)
        wait1 = np.where(b.wait_short, np.minimum(wait1, rng.integers(5, 22, n)), wait1)
        long2 = rng.random(n) < np.asarray([P.p_gap2_long[r] for r in ROUTE_NAMES])[route]
        is03 = np.where(route == HI, long2, rng.random(n) < P.p_assess_is_treatment) | (wait1 < 3)
        gap2 = np.where(long2, _bands(rng, n, P.gap2_long), _bands(rng, n, P.gap2_short))
        # an honest pause after the first session (a birth, a hospital stay)
        gap2 = np.where(rng.random(n) < b.pause, rng.integers(91, 151, n), gap2)
        assess_day = np.where(
            is03,
            b.ref_day + wait1,
            b.ref_day + np.maximum(1, np.floor(wait1 * rng.uniform(0.35, 0.8, n))),
        ).astype(np.int64)
        first_day = b.ref_day + wait1
        n_li = np.where(
            route == LI,
            rng.integers(P.li_sessions[0], P.li_sessions[1] + 1, n),
            np.where(
                route == STEP, rng.integers(P.step_li_sessions[0], P.step_li_sessions[1] + 1, n), 0
            ),
        )
        n_hi = np.where(
            route == HI,
            rng.integers(P.hi_sessions[0], P.hi_sessions[1] + 1, n),
            np.where(
                route == STEP, rng.integers(P.step_hi_sessions[0], P.step_hi_sessions[1] + 1, n), 0
            ),
        )
        is_ptsd = np.asarray(self.descs)[desc] == "ptsd"
        n_hi = n_hi + np.where((n_hi > 0) & is_ptsd, P.ptsd_extra_sessions, 0)
        n_li = np.where(route == LI, n_li + b.extra_sessions, n_li)
        n_hi = np.where(route != LI, n_hi + b.extra_sessions, n_hi)
        n_plan = np.maximum(2, n_li + n_hi)
        n_li = np.minimum(n_li, n_plan)

        # ADSM usage
        adsm_tool = np.full(n, -1)
        adsm_par = np.zeros((n, 6))
        for d, (tool, mean, sd, noise, lo, hi, _dec) in ADSM_SCALES.items():
            sel = np.asarray(self.descs)[desc] == d
            adsm_tool[sel] = TOOLS.index(tool)
            adsm_par[sel] = (mean, sd, noise, lo, hi, _dec)
        adsm_on = (adsm_tool >= 0) & (rng.random(n) < P.p_adsm_recorded)
        adsm0 = np.clip(
            adsm_par[:, 0] + adsm_par[:, 1] * (z_adsm + 0.15 * b.sev_shift),
            adsm_par[:, 3],
            adsm_par[:, 4],
        )
        adsm0 = np.where(adsm_par[:, 5] > 0, np.round(adsm0, 2), np.rint(adsm0))

        # --- treated: session by session
        tr = np.flatnonzero(funnel == TREATED)
        sess = self._sessions(
            tr,
            b,
            dep,
            route,
            n_li,
            n_plan,
            F,
            is03,
            first_day,
            gap2,
            assessor,
            li_clin,
            hi_clin,
            desc,
        )
        end_day = np.zeros(n, dtype=np.int64)
        end_code = np.zeros(n, dtype=np.int64)
        main_clin = assessor.copy()
        end_day[tr] = sess["end_day"]
        end_code[tr] = sess["end_code"]
        main_clin[tr] = np.where(route[tr] == LI, li_clin[tr], hi_clin[tr])

        # --- not treated
        nt = np.flatnonzero(funnel != TREATED)
        wait_a = _bands(rng, len(nt), P.wait_first_treatment)
        seen = funnel[nt] == SEEN_NT
        nt_assess = b.ref_day[nt] + wait_a
        end_day[nt] = np.where(
            seen,
            nt_assess + rng.integers(0, 29, len(nt)),
            b.ref_day[nt] + wait_a + rng.integers(7, 41, len(nt)),
        )
        snt_codes = list(P.seen_not_treated_codes)
        code_pick = _choice(rng, len(nt), list(P.seen_not_treated_codes.values()))
        end_code[nt] = np.where(
            seen, np.array([END_CODES.index(c) for c in snt_codes])[code_pick], E50
        )
        assess_day[nt] = nt_assess

        sim = self.sim
        key0 = sim.n_keys
        # contacts: assessments of seen-not-treated (attended, scored)
        snt = nt[seen]
        k_snt = key0 + np.arange(len(snt))
        # contacts: not seen (0-2 missed assessment appointments)
        ns = nt[~seen]
        n_missed = _choice(rng, len(ns), [0.35, 0.45, 0.20])
        ns_rows = np.repeat(ns, n_missed)
        ns_pos = _within(n_missed)
        ns_day = np.minimum(assess_day[ns_rows] + 7 * ns_pos, end_day[ns_rows] - 1)
        k_ns = key0 + len(snt) + np.arange(len(ns_rows))
        sim.n_keys += len(snt) + len(ns_rows)
        self._add_contacts(
            gidx[snt], assess_day[snt], np.zeros(len(snt)), A01, AT5, assessor[snt], -1, k_snt
        )
        ns_att = np.where(rng.random(len(ns_rows)) < 0.7, AT3, AT2)
        self._add_contacts(gidx[ns_rows], ns_day, ns_pos, A01, ns_att, assessor[ns_rows], -1, k_ns)

        # treated contacts
        self._emit_sessions(sess, gidx, b, tr, assessor)

        # --- scores at attended assessment/treatment contacts
        # seen-not-treated assessments: baseline scores
        self._add_baseline_scores(
            k_snt, phq0[snt], gad0[snt], wsas0[snt], adsm_on[snt], adsm_tool[snt], adsm0[snt]
        )
        self._add_session_scores(
            b,
            sess,
            tr,
            phq0,
            gad0,
            wsas0,
            adsm_on,
            adsm_tool,
            adsm0,
            adsm_par,
            F,
            F_gad,
            F_adsm,
            n_plan,
        )

        # --- complaints: seen referrals; a few not-seen from the referral letter
        has_row = np.ones(n, dtype=bool)
        none_idx = self.descs.index("none")
        is_none = desc == none_idx
        has_row[is_none] = rng.random(int(is_none.sum())) < P.p_none_has_row
        has_row &= (funnel != NOT_SEEN) | (rng.random(n) < 0.08)
        pc_ref = np.flatnonzero(has_row)
        code_idx = np.asarray(self.desc_code_lo)[desc[pc_ref]] + np.floor(
            rng.random(len(pc_ref)) * np.asarray(self.desc_code_n)[desc[pc_ref]]
        ).astype(np.int64)
        p_day = np.where(funnel[pc_ref] == NOT_SEEN, b.ref_day[pc_ref], assess_day[pc_ref])
        sim.p_ref.append(gidx[pc_ref])
        sim.p_code.append(code_idx)
        sim.p_sig.append(np.zeros(len(pc_ref), dtype=np.int64))
        sim.p_day.append(p_day)
        # secondary complaints: depression for anxiety primaries, GAD for depression
        sec = pc_ref[(rng.random(len(pc_ref)) < P.p_secondary_complaint) & ~is_none[pc_ref]]
        sec_desc = np.where(
            np.asarray(self.descs)[desc[sec]] == "depression", self.descs.index("gad"), 0
        )
        sim.p_ref.append(gidx[sec])
        sim.p_code.append(np.asarray(self.desc_code_lo)[sec_desc])
        sim.p_sig.append(np.ones(len(sec), dtype=np.int64))
        sim.p_day.append(np.where(funnel[sec] == NOT_SEEN, b.ref_day[sec], assess_day[sec]))

        # --- referral rows
        src = np.where(rng.random(n) < P.self_referral_share, 0, 1)
        src[rng.random(n) < P.source_missing_share] = 2
        sim.ref_person.append(b.person)
        sim.ref_day.append(b.ref_day)
        sim.ref_team.append(b.team)
        sim.ref_source.append(src)
        sim.ref_end_day.append(end_day)
        sim.ref_end_code.append(end_code)
        sim.ref_level.append(np.full(n, level))
        sim.ref_hard.append(b.hard)
        sim.ref_entry.append(b.staff_entry)
        sim.ref_sticky.append(b.sticky)
        sim.ref_clin.append(main_clin)
        return end_day

    # ------------------------------------------------------------------ sessions
    def _sessions(
        self,
        tr,
        b,
        dep,
        route,
        n_li,
        n_plan,
        F,
        is03,
        first_day,
        gap2,
        assessor,
        li_clin,
        hi_clin,
        desc,
    ):
        P, rng = self.P, self.rng
        m = len(tr)
        npl = n_plan[tr]
        rows = np.repeat(np.arange(m), npl)
        k = _within(npl) + 1  # session number 1..n_plan
        dep_r = dep[tr][rows]
        F_r = F[tr][rows]
        mult = b.drop_mult[tr][rows]
        h1 = np.clip((P.p_drop_after_first[0] + P.p_drop_after_first[1] * dep_r) * mult, 0, 0.95)
        hk = np.clip(
            P.drop_hazard
            * np.exp(P.drop_dep_coef * dep_r + P.drop_resp_coef * (P.drop_resp_ref - F_r))
            * mult,
            0,
            0.8,
        )
        h = np.where(k == 1, h1, hk)
        drop = (rng.random(len(k)) < h) & (k < npl[rows])
        kk = np.where(drop, k, npl[rows])
        starts = _group_first_index(npl)
        n_att = np.minimum.reduceat(kk, starts) if m else np.zeros(0, dtype=np.int64)
        keep = k <= n_att[rows]
        rows, k = rows[keep], k[keep]
        # clinician and phase per session
        r_route = route[tr][rows]
        is_li_phase = (r_route == LI) | ((r_route == STEP) & (k <= n_li[tr][rows]))
        clin = np.where(is_li_phase, li_clin[tr][rows], hi_clin[tr][rows])
        first03 = (k == 1) & is03[tr][rows]
        clin = np.where(first03, assessor[tr][rows], clin)
        # gaps between sessions, with missed appointments in between
        interval = np.where(is_li_phase, np.where(rng.random(len(k)) < 0.6, 7, 14), 7)
        interval = interval + rng.integers(-1, 3, len(k))
        p_miss = np.clip(P.p_miss[0] + P.p_miss[1] * dep[tr][rows], 0.01, 0.6)
        misses = rng.geometric(1 - p_miss) - 1
        misses = np.where(k == 1, 0, np.minimum(misses, 4))
        step_start = (r_route == STEP) & (k == n_li[tr][rows] + 1) & (k > 2)
        gap = np.where(
            k == 1,
            0,
            np.where(
                k == 2,
                gap2[tr][rows],
                np.where(step_start, _bands(rng, len(k), P.step_up_wait), interval * (1 + misses)),
            ),
        )
        misses = np.where(k == 2, np.minimum(misses, np.maximum(gap // 7 - 1, 0)), misses)
        cum = np.cumsum(gap)
        cnt = np.bincount(rows, minlength=m)
        st = _group_first_index(cnt)
        before = np.repeat(cum[st] - gap[st], cnt)
        day = first_day[tr][rows] + (cum - before)
        prev_day = day - gap
        last_k = n_att[rows] == k
        completed = n_att == npl
        last_day = np.zeros(m, dtype=np.int64)
        last_day[rows[last_k]] = day[last_k]
        dropped = ~completed
        end_day = np.where(
            completed,
            last_day + rng.integers(0, 15, m),
            last_day + rng.integers(21, 43, m),
        )
        end_code = np.where(completed, E46, np.where(rng.random(m) < P.p_end48, E48, E47))
        # therapy code per pathway phase
        dnames = np.asarray(self.descs)[desc[tr]]
        li_code = np.array([_therapy_index(c) for c, _ in LI_CODES])[
            _choice(rng, m, [p for _, p in LI_CODES])
        ]
        hit_code = np.array([_therapy_index(c) for c, _ in HIT_CODES])[
            _choice(rng, m, [p for _, p in HIT_CODES])
        ]
        hit_code = np.where(
            (dnames == "ptsd") & (rng.random(m) < 0.4), _therapy_index(EMDR), hit_code
        )
        cou_code = np.array([_therapy_index(c) for c, _ in COU_CODES])[
            _choice(rng, m, [p for _, p in COU_CODES])
        ]
        role = self.staff.role[clin]
        therapy = np.where(
            role == PWP, li_code[rows], np.where(role == HIT, hit_code[rows], cou_code[rows])
        )
        return dict(
            rows=rows, k=k, clin=clin, day=day, prev_day=prev_day, misses=misses, first03=first03,
            therapy=therapy, n_att=n_att, end_day=end_day, end_code=end_code, dropped=dropped,
            completed=completed, last_day=last_day, is_li_phase=is_li_phase,
        )  # fmt: skip

    def _add_contacts(self, ref, day, order, app, attend, clin, therapy, keys) -> None:
        n = len(ref)
        s = self.sim
        s.c_ref.append(np.asarray(ref))
        s.c_day.append(np.asarray(day, dtype=np.int64))
        s.c_order.append(np.broadcast_to(np.asarray(order, dtype=float), (n,)).copy())
        s.c_app.append(np.broadcast_to(np.asarray(app), (n,)).astype(np.int64))
        s.c_attend.append(np.broadcast_to(np.asarray(attend), (n,)).astype(np.int64))
        s.c_clin.append(np.asarray(clin, dtype=np.int64))
        s.c_therapy.append(np.broadcast_to(np.asarray(therapy), (n,)).astype(np.int64))
        s.c_key.append(np.asarray(keys, dtype=np.int64))

    def _emit_sessions(self, sess, gidx, b, tr, assessor) -> None:
        rng, P, sim = self.rng, self.P, self.sim
        rows, k, day = sess["rows"], sess["k"], sess["day"]
        m = len(tr)
        gref = gidx[tr]
        # separate assessment (01) for pathways whose first treatment is not the assessment
        first_rows = np.flatnonzero(k == 1)
        sep = first_rows[~sess["first03"][first_rows]]
        sep_path = rows[sep]
        # assessment day is before the first session: between referral and first session
        ref_day = b.ref_day[tr][sep_path]
        a_day = ref_day + np.floor((day[sep] - ref_day) * rng.uniform(0.35, 0.8, len(sep))).astype(
            np.int64
        )
        a_day = np.minimum(np.maximum(a_day, ref_day), day[sep] - 1)
        a_day = np.maximum(a_day, ref_day)
        nkeys_a = len(sep)
        key_a = sim.n_keys + np.arange(nkeys_a)
        sim.n_keys += nkeys_a
        self._add_contacts(gref[sep_path], a_day, -1.0, A01, AT5, assessor[tr][sep_path], -1, key_a)
        self._assess_key = (sep_path, key_a)
        # an occasional DNA before the assessment
        pre = np.flatnonzero(rng.random(m) < 0.07)
        if len(pre):
            first_contact_day = np.zeros(m, dtype=np.int64)
            first_contact_day[rows[first_rows]] = day[first_rows]
            first_contact_day[sep_path] = a_day
            pd_ = np.maximum(b.ref_day[tr][pre], first_contact_day[pre] - 7)
            keys = sim.n_keys + np.arange(len(pre))
            sim.n_keys += len(pre)
            self._add_contacts(gref[pre], pd_, -2.0, A01, AT3, assessor[tr][pre], -1, keys)
        # treatment sessions
        app = np.where(sess["first03"], A03, A02)
        late = rng.random(len(k)) < 0.03
        keys = sim.n_keys + np.arange(len(k))
        sim.n_keys += len(k)
        self._add_contacts(
            gref[rows],
            day,
            k.astype(float),
            app,
            np.where(late, AT6, AT5),
            sess["clin"],
            sess["therapy"],
            keys,
        )
        sess["keys"] = keys
        # missed appointments between sessions
        mi = sess["misses"]
        mrows = np.repeat(np.arange(len(k)), mi)
        if len(mrows):
            pos = _within(mi)
            span = day[mrows] - sess["prev_day"][mrows]
            mday = sess["prev_day"][mrows] + np.floor(span * (pos + 1) / (mi[mrows] + 1)).astype(
                np.int64
            )
            mcode = np.array([AT3, AT2, AT4])[_choice(rng, len(mrows), list(P.miss_codes.values()))]
            keys = sim.n_keys + np.arange(len(mrows))
            sim.n_keys += len(mrows)
            self._add_contacts(
                gref[rows[mrows]],
                mday,
                k[mrows] - 0.5 + 0.01 * pos,
                A02,
                mcode,
                sess["clin"][mrows],
                -1,
                keys,
            )
        # drop-outs: one or two DNAs after the last attended session
        last = np.flatnonzero(sess["k"] == sess["n_att"][rows])
        dl = last[sess["dropped"][rows[last]]]
        nd = rng.integers(1, 3, len(dl))
        drows = np.repeat(dl, nd)
        if len(drows):
            pos = _within(nd)
            dday = day[drows] + 7 * (pos + 1)
            keys = sim.n_keys + np.arange(len(drows))
            sim.n_keys += len(drows)
            self._add_contacts(
                gref[rows[drows]],
                dday,
                k[drows] + 0.5 + 0.01 * pos,
                A02,
                AT3,
                sess["clin"][drows],
                -1,
                keys,
            )
        # follow-ups for some completers
        fu = np.flatnonzero(sess["completed"] & (rng.random(m) < P.p_followup))
        last_clin = np.zeros(m, dtype=np.int64)
        last_clin[rows[last]] = sess["clin"][last]
        fday = sess["end_day"][fu] + rng.integers(75, 111, len(fu))
        keys = sim.n_keys + np.arange(len(fu))
        sim.n_keys += len(fu)
        self._add_contacts(gref[fu], fday, 1000.0, A06, AT5, last_clin[fu], -1, keys)
        sess["fu"] = (fu, keys)

    # ------------------------------------------------------------------ scores
    def _push_scores(self, keys, tool, values, grp) -> None:
        n = len(keys)
        self.sim.s_key.append(np.asarray(keys, dtype=np.int64))
        self.sim.s_tool.append(np.broadcast_to(np.asarray(tool), (n,)).astype(np.int64))
        self.sim.s_value.append(np.asarray(values, dtype=float))
        self.sim.s_items_grp.append(np.asarray(grp, dtype=np.int64))

    def _add_baseline_scores(self, keys, phq0, gad0, wsas0, adsm_on, adsm_tool, adsm0) -> None:
        self._push_scores(keys, T_PHQ, phq0, np.zeros(len(keys)))
        self._push_scores(keys, T_GAD, gad0, np.zeros(len(keys)))
        self._push_scores(keys, T_WSAS, wsas0, np.zeros(len(keys)))
        a = np.flatnonzero(adsm_on)
        self._push_scores(keys[a], adsm_tool[a], adsm0[a], np.zeros(len(a)))

    def _add_session_scores(
        self,
        b,
        sess,
        tr,
        phq0,
        gad0,
        wsas0,
        adsm_on,
        adsm_tool,
        adsm0,
        adsm_par,
        F,
        F_gad,
        F_adsm,
        n_plan,
    ):
        P, rng = self.P, self.rng
        rows, k = sess["rows"], sess["k"]
        # baseline at the separate assessment contacts
        sep_path, key_a = self._assess_key
        p_ = tr[sep_path]
        self._add_baseline_scores(
            key_a, phq0[p_], gad0[p_], wsas0[p_], adsm_on[p_], adsm_tool[p_], adsm0[p_]
        )
        # treatment sessions
        path = tr[rows]
        first03 = sess["first03"]
        has_sep = np.zeros(len(tr), dtype=bool)
        has_sep[sep_path] = True
        j = np.where(has_sep[rows], k, k - 1).astype(float)
        prog = 1 - np.exp(-P.decay_per_session * b.slow[path] * j)
        nm = b.noise_mult[path]
        phq = _noisy(rng, phq0[path] * (1 - F[path] * prog), P.phq_noise * nm, 27)
        gad = _noisy(rng, gad0[path] * (1 - F_gad[path] * prog), P.gad_noise * nm, 21)
        phq = np.where(first03, phq0[path], phq)
        gad = np.where(first03, gad0[path], gad)
        keys = sess["keys"]
        self._push_scores(keys, T_PHQ, phq, np.ones(len(k)))
        self._push_scores(keys, T_GAD, gad, np.ones(len(k)))
        # WSAS at first (when the first treatment is the assessment) and last session
        last = sess["n_att"][rows] == k
        w_last = last & ~first03
        ws = np.clip(
            np.rint(
                wsas0[path] * (1 - P.wsas_response_share * F[path] * prog)
                + P.wsas_noise * rng.standard_normal(len(k))
            ),
            0,
            40,
        )
        ws = np.where(first03, wsas0[path], ws)
        wsel = np.flatnonzero(w_last | first03)
        self._push_scores(keys[wsel], T_WSAS, ws[wsel], np.ones(len(wsel)))
        # ADSM
        on = adsm_on[path] & ((rng.random(len(k)) >= P.p_adsm_session_missing) | first03)
        sel = np.flatnonzero(on)
        ps = path[sel]
        lo, hi, noise, dec = adsm_par[ps, 3], adsm_par[ps, 4], adsm_par[ps, 2], adsm_par[ps, 5]
        val = (
            lo
            + (adsm0[ps] - lo) * (1 - F_adsm[ps] * prog[sel])
            + noise * rng.standard_normal(len(sel))
        )
        val = np.clip(val, lo, hi)
        val = np.where(dec > 0, np.round(val, 2), np.rint(val))
        val = np.where(first03[sel], adsm0[ps], val)
        self._push_scores(keys[sel], adsm_tool[ps], val, np.ones(len(sel)))
        # follow-up: near the last expected level
        fu, fkeys = sess["fu"]
        if len(fu):
            pf = tr[fu]
            fphq = _noisy(rng, phq0[pf] * (1 - F[pf]), P.phq_noise, 27)
            fgad = _noisy(rng, gad0[pf] * (1 - F_gad[pf]), P.gad_noise, 21)
            self._push_scores(fkeys, T_PHQ, fphq, np.full(len(fu), 2))
            self._push_scores(fkeys, T_GAD, fgad, np.full(len(fu), 2))


# ----------------------------------------------------------------------------- orchestration


def _select(rng: np.random.Generator, candidates: np.ndarray, k: int) -> np.ndarray:
    if len(candidates) <= k:
        return candidates
    return np.sort(rng.choice(candidates, size=k, replace=False))


def synthesise(config: SynthConfig, on_step: Callable[[str], None] | None = None) -> SynthResult:
    """Generate the tables of one synthetic provider (deterministic for ``config.seed``)."""
    step = on_step or (lambda _msg: None)
    cfg, P = config, config.params
    rng = np.random.default_rng(cfg.seed)
    start_day, end_day = _day(cfg.start), _day(cfg.end)
    run_in_day = _day(_add_months(cfg.start, -cfg.run_in_months))
    window_days = end_day - start_day
    step("staff")
    staff = _make_staff(cfg, rng)

    # level-0 (index) referrals: uniform arrivals over run-in + window, a small surplus that
    # the final trim removes so the window holds exactly `referrals`
    rate = cfg.referrals / window_days
    surplus = 1.0 + 0.02 + 4.0 / math.sqrt(cfg.referrals)
    n0 = int(math.ceil(rate * (end_day - run_in_day) * surplus))
    ref_day = np.sort(rng.integers(run_in_day, end_day, n0))
    step("people")
    people = _make_people(rng, P, ref_day)
    team = rng.integers(0, staff.n_teams, n0)
    batch = _Batch.plain(np.arange(n0), ref_day, team, np.zeros(n0, dtype=np.int64))
    if cfg.hard_units:
        _apply_hard_units(cfg, rng, staff, people, batch, start_day, end_day)
    model = _Model(cfg, rng, staff, people)
    step("pathways")
    end0 = model.simulate(batch, 0)

    # re-referrals of the same people after their pathway ended
    parent_person, parent_end, parent_team = batch.person, end0, batch.team
    for level, share in ((1, P.rereferral_share), (2, P.rereferral_share * 1.6)):
        step(f"re-referrals ({level})")
        m = len(parent_person)
        chosen = np.flatnonzero(rng.random(m) < share)
        gap = np.maximum(
            14, np.rint(rng.lognormal(math.log(P.rereferral_gap_median_days), 0.7, len(chosen)))
        )
        rday = parent_end[chosen] + gap.astype(np.int64)
        ok = rday < end_day
        chosen, rday = chosen[ok], rday[ok]
        if not len(chosen):
            break
        order = np.argsort(rday, kind="stable")
        chosen, rday = chosen[order], rday[order]
        pteam = np.where(
            rng.random(len(chosen)) < 0.8,
            parent_team[chosen],
            rng.integers(0, staff.n_teams, len(chosen)),
        )
        b = _Batch.plain(parent_person[chosen], rday, pteam, np.full(len(chosen), level))
        parent_end = model.simulate(b, level)
        parent_person, parent_team = b.person, b.team

    step("window")
    tables = _assemble(cfg, rng, staff, people, model, start_day, end_day)
    step("staff tables")
    tables["CWStaff"] = pd.DataFrame(
        {
            "CarePersLocalId": _str(staff.ids),
            "CW_TeamId": _str([staff.team_ids[t] for t in staff.team]),
            "Role": _str([ROLE_NAMES[r] for r in staff.role]),
            "FTE": staff.fte.astype(float),
        }
    )
    tables["CWSupervision"] = _supervision(cfg, rng, staff, start_day, end_day)
    clinicians = pd.DataFrame(
        {
            "clinician_id": _str(staff.ids),
            "team_id": _str([staff.team_ids[t] for t in staff.team]),
            "role": _str([ROLE_NAMES[r] for r in staff.role]),
            "fte": staff.fte.astype(float),
            "profile": _str(staff.profile),
            "effect": staff.effect.astype(float),
        }
    )
    last = date.fromordinal(cfg.end.toordinal() - 1)
    return SynthResult({k: tables[k] for k in TABLE_NAMES}, clinicians, cfg, (cfg.start, last))


def _apply_hard_units(
    cfg, rng, staff: _Staff, people: _People, batch: _Batch, start_day: int, end_day: int
) -> None:
    """Route chosen referrals to the hard-unit clinicians, with their honest case-mix."""
    P = cfg.params
    n = len(batch.person)
    ids = {p: staff.ids.index(HARD_IDS[p]) for p in HARD_PROFILES}
    n_hit = max(1, int(np.sum((staff.role != PWP) & (np.array(staff.profile) == "standard"))))
    n_pwp = max(1, int(np.sum((staff.role == PWP) & (np.array(staff.profile) == "standard"))))
    k_hi = int(np.clip(round(cfg.referrals * 0.30 / n_hit), 25, 400))
    k_li = int(np.clip(round(cfg.referrals * 0.35 / n_pwp), 25, 600))
    # steady caseload: referred from 3 months before the window to 4 months before its end
    period = (batch.ref_day >= start_day - 90) & (batch.ref_day < end_day - 120)
    free = np.ones(n, dtype=bool)

    def take(mask: np.ndarray, k: int, window: np.ndarray = period) -> np.ndarray:
        sel = _select(rng, np.flatnonzero(mask & free & window), k)
        free[sel] = False
        return sel

    imd = people.imd[batch.person]
    dep1 = take(imd == 1, int(k_hi * 0.85))
    dep2 = take(imd == 2, k_hi - len(dep1))
    for sel in (dep1, dep2):
        batch.force_route[sel] = HI
        batch.force_clin[sel] = ids["deprived"]
    # refugee: complex PTSD, interpreter needed, long courses (12-20 sessions), high scores
    # that change slowly, low recovery, high drop-out; interpreter-mediated sessions, so the
    # clinician enters the answers, and an unchanged total is usually the same answers
    ref = take(np.ones(n, dtype=bool), max(15, k_hi // 2))
    per = batch.person[ref]
    langs = _languages(P)
    people.language[per] = np.array([langs.index(x) for x in REFUGEE_LANGUAGES])[
        rng.integers(0, len(REFUGEE_LANGUAGES), len(ref))
    ]
    groups, codes, _ = _eth_tables(P)
    people.eth_group[per] = np.array([groups.index(g) for g in ("Other", "Black", "Asian")])[
        _choice(rng, len(ref), [0.6, 0.25, 0.15])
    ]
    for g in ("Other", "Black", "Asian"):
        sel = per[people.eth_group[per] == groups.index(g)]
        people.eth_code[sel] = codes.index(P.ethnic_codes[g][-1])
    people.imd[per] = rng.integers(1, 4, len(ref))
    people.dep[per] = (10 - people.imd[per]) / 9.0
    batch.force_route[ref] = HI
    batch.force_clin[ref] = ids["refugee"]
    batch.force_desc[ref] = list(P.descriptor_shares).index("ptsd")
    batch.u_offset[ref] = -1.0
    batch.sev_shift[ref] = 3.5
    batch.drop_mult[ref] = 1.8
    batch.slow[ref] = 0.3
    batch.noise_mult[ref] = 0.6
    batch.staff_entry[ref] = 1.0
    batch.sticky[ref] = True
    # small: a part-time counsellor with a handful of courses (trimmed to 10-15 finished later)
    small = take(np.ones(n, dtype=bool), 40)
    batch.force_route[small] = HI
    batch.force_clin[small] = ids["small"]
    # step2_only: milder cases, short low-intensity courses, never stepped up
    s2 = take(np.ones(n, dtype=bool), k_li)
    batch.force_route[s2] = LI
    batch.force_clin[s2] = ids["step2_only"]
    batch.sev_shift[s2] = -3.0
    batch.extra_sessions[s2] = -2
    # excellent: an ordinary caseload, a clearly better clinician
    ex = take(np.ones(n, dtype=bool), k_hi)
    batch.force_route[ex] = HI
    batch.force_clin[ex] = ids["excellent"]
    # long-term physical conditions: a little more severe, slower and smaller change, more
    # missed sessions and drop-out, longer courses, honest pauses (hospital stays)
    ltc = take(np.ones(n, dtype=bool), k_hi)
    batch.force_route[ltc] = HI
    batch.force_clin[ltc] = ids["ltc"]
    batch.u_offset[ltc] = -0.5
    batch.sev_shift[ltc] = 1.5
    batch.slow[ltc] = 0.6
    batch.drop_mult[ltc] = 1.3
    batch.extra_sessions[ltc] = 2
    batch.pause[ltc] = 0.15
    # older adults (65-89): paper questionnaires, so the clinician enters most answers
    old = take(np.ones(n, dtype=bool), k_hi)
    per = batch.person[old]
    people.birth_day[per] = batch.ref_day[old] - np.floor(
        rng.uniform(65, 90, len(old)) * 365.25
    ).astype(np.int64)
    batch.force_route[old] = HI
    batch.force_clin[old] = ids["older"]
    batch.staff_entry[old] = 0.8
    # perinatal: women aged 18-42, prioritised (seen within three weeks), and a birth or
    # early parenthood often pauses treatment for months after the first session
    peri = take(np.ones(n, dtype=bool), k_hi)
    per = batch.person[peri]
    people.gender[per] = list(P.gender_shares).index("2")
    people.birth_day[per] = batch.ref_day[peri] - np.floor(
        rng.uniform(18, 43, len(peri)) * 365.25
    ).astype(np.int64)
    batch.force_route[peri] = HI
    batch.force_clin[peri] = ids["perinatal"]
    batch.wait_short[peri] = True
    batch.pause[peri] = 0.3
    # part-time: a 0.4 FTE low-intensity worker with a proportionate caseload
    pt = take(np.ones(n, dtype=bool), max(10, int(k_li * 0.4)))
    batch.force_route[pt] = LI
    batch.force_clin[pt] = ids["part_time"]
    # joiner: starts six months into the window (referrals from then on only)
    joins = batch.ref_day >= start_day + (end_day - start_day) // 2
    jn = take(np.ones(n, dtype=bool), k_hi // 2, joins & (batch.ref_day < end_day - 14))
    batch.force_route[jn] = HI
    batch.force_clin[jn] = ids["joiner"]
    # leaver: takes no referrals after the window's first quarter (leaves mid-year)
    leaves = (batch.ref_day >= start_day - 120) & (
        batch.ref_day < start_day + (end_day - start_day) // 4
    )
    lv = take(np.ones(n, dtype=bool), k_li // 2, leaves)
    batch.force_route[lv] = LI
    batch.force_clin[lv] = ids["leaver"]
    allsel = np.concatenate([dep1, dep2, ref, small, s2, ex, ltc, old, peri, pt, jn, lv])
    batch.team[allsel] = 0
    batch.hard[allsel] = True


def _assemble(
    cfg, rng, staff: _Staff, people: _People, model: _Model, start_day: int, end_day: int
) -> dict[str, pd.DataFrame]:
    P, sim = cfg.params, model.sim
    cat = np.concatenate
    r_person = cat(sim.ref_person)
    r_day = cat(sim.ref_day)
    r_team = cat(sim.ref_team)
    r_src = cat(sim.ref_source)
    r_end = cat(sim.ref_end_day)
    r_code = cat(sim.ref_end_code)
    r_hard = cat(sim.ref_hard)
    r_entry = cat(sim.ref_entry)
    r_sticky = cat(sim.ref_sticky)
    r_clin = cat(sim.ref_clin)
    nr = len(r_day)
    # keep referrals received before the window end and not ended before it starts
    keep = (r_day < end_day) & (r_end >= start_day)
    in_window = keep & (r_day >= start_day)
    excess = int(in_window.sum()) - cfg.referrals
    if excess > 0:
        # trim people with a single referral, at the same rate in the run-in and the window,
        # so the window stays a steady state and holds exactly `referrals`
        refs_per_person = np.bincount(r_person, minlength=len(people.imd))
        single = (refs_per_person[r_person] == 1) & ~r_hard
        cand_w = np.flatnonzero(in_window & single)
        drop_w = rng.choice(cand_w, size=min(excess, len(cand_w)), replace=False)
        rate = len(drop_w) / max(1, len(cand_w))
        cand_r = np.flatnonzero(keep & ~in_window & single)
        drop_r = cand_r[rng.random(len(cand_r)) < rate]
        keep[drop_w] = False
        keep[drop_r] = False
    if cfg.hard_units:
        _trim_small(staff, sim, keep, r_clin, r_end, r_code, start_day, end_day, r_team)
    # contacts
    c_ref = cat(sim.c_ref)
    c_day = cat(sim.c_day)
    c_order = cat(sim.c_order)
    c_app = cat(sim.c_app)
    c_att = cat(sim.c_attend)
    c_clin = cat(sim.c_clin)
    c_ther = cat(sim.c_therapy)
    c_key = cat(sim.c_key)
    ck = keep[c_ref] & (c_day < end_day)
    # nothing after the discharge except follow-ups
    ck &= (c_day <= r_end[c_ref]) | (c_app == A06)
    order = np.lexsort((c_order, c_day, c_ref))
    order = order[ck[order]]
    key_to_row = np.full(sim.n_keys, -1, dtype=np.int64)
    key_to_row[c_key[order]] = np.arange(len(order))
    c_ref, c_day, c_app, c_att, c_clin, c_ther = (
        a[order] for a in (c_ref, c_day, c_app, c_att, c_clin, c_ther)
    )
    nc = len(order)
    # referral ids are numbered in referral-date order among kept referrals
    kept = np.flatnonzero(keep)
    kept = kept[np.lexsort((kept, r_day[kept]))]
    ref_num = np.full(nr, -1, dtype=np.int64)
    ref_num[kept] = np.arange(len(kept))
    open_ = r_end[kept] >= end_day
    prov = cfg.provider_id
    ref_ids = _items.ids(f"{prov}R", ref_num[kept] + 1, 8)
    # people
    used_people = np.unique(r_person[kept])
    pers_num = np.full(len(people.imd), -1, dtype=np.int64)
    pers_num[used_people] = np.arange(len(used_people))
    pers_ids = _items.ids(f"{prov}P", pers_num[used_people] + 1, 8)
    ref_person_ids = _items.ids(f"{prov}P", pers_num[r_person[kept]] + 1, 8)
    groups, eth_codes, _ = _eth_tables(P)
    langs = _languages(P)
    clin_ids = pa.array(staff.ids, type=pa.string())
    team_ids = pa.array(staff.team_ids, type=pa.string())
    out: dict[str, pd.DataFrame] = {}
    out["IDS001MPI"] = pd.DataFrame(
        {
            "LocalPatientId": _str(pers_ids),
            "PersonBirthDate": _dates(people.birth_day[used_people]),
            "Gender": _codes(list(P.gender_shares), people.gender[used_people]),
            "EthnicCategory": _codes(eth_codes, people.eth_code[used_people]),
            "IndicesOfDeprivationDecile": pd.array(
                pa.array(people.imd[used_people], mask=people.imd[used_people] == 0), dtype="Int64"
            ),
            "LanguageCodePreferred": _codes(langs, people.language[used_people]),
        }
    )
    out["IDS101Referral"] = pd.DataFrame(
        {
            "ServiceRequestId": _str(ref_ids),
            "LocalPatientId": _str(ref_person_ids),
            "OrgIDProv": _str(pa.array([prov] * len(kept), type=pa.string())),
            "ReferralRequestReceivedDate": _dates(r_day[kept]),
            "SourceOfReferralIAPT": _codes(("B1", "A1", "B1"), r_src[kept], null=r_src[kept] == 2),
            "ServDischDate": _dates(r_end[kept], null=open_),
            "EndCode": _codes(END_CODES, r_code[kept], null=open_),
            "CW_TeamId": _str(team_ids.take(pa.array(r_team[kept]))),
        }
    )
    # contacts
    contact_ids = _items.ids(f"{prov}C", np.arange(1, nc + 1), 9)
    attended = (c_att == AT5) | (c_att == AT6)
    minutes = 9 * 60 + 15 * rng.integers(0, 34, nc)
    times = pa.array(
        [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 24 * 60, 15)], type=pa.string()
    )
    role = staff.role[c_clin]
    dur = np.where(
        c_app == A01,
        rng.integers(40, 61, nc),
        np.where(role == PWP, rng.integers(25, 41, nc), rng.integers(45, 61, nc)),
    )
    cons = np.where(rng.random(nc) < 0.45, 0, np.where(rng.random(nc) < 0.75, 1, 2))
    out["IDS201CareContact"] = pd.DataFrame(
        {
            "CareContactId": _str(contact_ids),
            "ServiceRequestId": _str(pa.array(ref_ids).take(pa.array(ref_num[c_ref]))),
            "CareContDate": _dates(c_day),
            "CareContTime": _str(times.take(pa.array(minutes // 15))),
            "AppType": _codes(APP_TYPES, c_app),
            "AttendOrDNACode": _codes(ATTEND, c_att),
            "PlannedCareContIndicator": _codes(("Y",), np.zeros(nc, dtype=np.int64)),
            "ClinContDurOfCareCont": pd.array(np.where(attended, dur, 0), dtype="Int64"),
            "ConsMechanism": _codes(("01", "02", "04"), cons),
            "CarePersLocalId": _str(clin_ids.take(pa.array(c_clin))),
        }
    )
    out["IDS201CareContact"].loc[~attended, "ClinContDurOfCareCont"] = pd.NA
    # care activities: attended treatment contacts
    act = np.flatnonzero(attended & ((c_app == A02) | (c_app == A03)) & (c_ther >= 0))
    act_ids = _items.ids(f"{prov}A", np.arange(1, len(act) + 1), 9)
    act_of_contact = np.full(nc, -1, dtype=np.int64)
    act_of_contact[act] = np.arange(len(act))
    out["IDS202CareActivity"] = pd.DataFrame(
        {
            "CareActId": _str(act_ids),
            "CareContactId": _str(contact_ids.take(pa.array(act))),
            "CodeProcAndProcStatus": _codes(THERAPY, c_ther[act]),
            "CarePersLocalId": _str(clin_ids.take(pa.array(c_clin[act]))),
        }
    )
    # complaints
    p_ref = cat(sim.p_ref)
    pk = keep[p_ref]
    p_ref, p_code, p_sig, p_day = (
        p_ref[pk],
        cat(sim.p_code)[pk],
        cat(sim.p_sig)[pk],
        cat(sim.p_day)[pk],
    )
    pk2 = p_day < end_day
    p_ref, p_code, p_sig, p_day = p_ref[pk2], p_code[pk2], p_sig[pk2], p_day[pk2]
    po = np.lexsort((p_sig, ref_num[p_ref]))
    p_ref, p_code, p_sig, p_day = p_ref[po], p_code[po], p_sig[po], p_day[po]
    out["IDS603PresentingComplaints"] = pd.DataFrame(
        {
            "ServiceRequestId": _str(pa.array(ref_ids).take(pa.array(ref_num[p_ref]))),
            "PresComp": _codes(model.complaint_codes, p_code),
            "PresCompCodSig": _codes(tuple(sorted(contract.SIGNIFICANCE_CODES)), p_sig),
            "PresCompDate": _dates(p_day),
        }
    )
    # scores
    out["IDS607CodedScoreAssessmentAct"] = _scores(
        cfg,
        rng,
        sim,
        key_to_row,
        c_day,
        minutes,
        c_clin,
        contact_ids,
        act_of_contact,
        act_ids,
        staff,
        r_entry[c_ref],
        np.where(r_sticky[c_ref], c_ref, -1),
    )
    return out


def _trim_small(staff, sim, keep, r_clin, r_end, r_code, start_day, end_day, r_team) -> None:
    """Keep 10-15 finished courses for the 'small' clinician; the rest go to a team colleague.

    17 treated endings are kept: some of them end up with fewer than two attended treatment
    contacts with this clinician, which leaves 10-13 finished courses over the seeds checked.

    The reassigned pathways were simulated with the small clinician's effect (zero), so they
    are given to the team's standard clinician of the same role whose effect is nearest zero.
    """
    small = staff.ids.index(HARD_IDS["small"])
    mine = np.flatnonzero(keep & (r_clin == small))
    finished = mine[
        (r_end[mine] >= start_day)
        & (r_end[mine] < end_day)
        & np.isin(r_code[mine], (E46, E47, E48))
    ]
    if len(finished) <= 17:
        return
    extra = finished[17:]
    prof = np.array(staff.profile)
    same = np.flatnonzero(
        (staff.team == 0) & (staff.role == staff.role[small]) & (prof == "standard")
    )
    if not len(same):
        same = np.flatnonzero((staff.team == 0) & (staff.role != PWP) & (prof == "standard"))
    other = same[np.argmin(np.abs(staff.effect[same]))]
    moving = np.zeros(len(keep), dtype=bool)
    moving[extra] = True
    for c_ref, c_clin in zip(sim.c_ref, sim.c_clin, strict=True):
        sel = moving[c_ref] & (c_clin == small)
        c_clin[sel] = other
    r_clin[extra] = other


def _scores(
    cfg,
    rng,
    sim,
    key_to_row,
    c_day,
    minutes,
    c_clin,
    contact_ids,
    act_of_contact,
    act_ids,
    staff,
    c_entry,
    c_sticky,
) -> pd.DataFrame:
    """Score rows.  ``c_entry``: per contact, the share of questionnaires the clinician
    enters (-1: the default); ``c_sticky``: per contact, its referral's index if an unchanged
    total usually keeps the previous answers (interpreter-mediated, clinician-entered), else
    -1."""
    P = cfg.params
    cat = np.concatenate
    s_key = cat(sim.s_key)
    s_tool = cat(sim.s_tool)
    s_val = cat(sim.s_value)
    row = key_to_row[s_key]
    ok = row >= 0
    s_tool, s_val, row = s_tool[ok], s_val[ok], row[ok]
    order = np.lexsort((s_tool, row))
    s_tool, s_val, row = s_tool[order], s_val[order], row[order]
    n = len(row)
    # item vectors for PHQ-9, GAD-7 and WSAS
    parts: list[tuple[np.ndarray, pa.Array]] = []
    for tool, n_items, imax, pen in (
        (T_PHQ, 9, 3, P.phq_item9_penalty),
        (T_GAD, 7, 3, 0.0),
        (T_WSAS, 5, 8, 0.0),
    ):
        sel = np.flatnonzero(s_tool == tool)
        vec = _items.item_vectors(
            rng, s_val[sel].astype(np.int64), n_items, imax, last_item_penalty=pen
        )
        _keep_answers(rng, vec, s_val[sel], c_sticky[row[sel]])
        parts.append((sel, _items.vectors_to_strings(vec)))
    idx_all = np.concatenate([p[0] for p in parts])
    strs = pa.concat_arrays([p[1] for p in parts])
    pos = np.full(n, -1, dtype=np.int64)
    pos[idx_all] = np.arange(len(idx_all))
    items = strs.take(pa.array(pos, mask=pos < 0))
    # recorded at: usually the same day shortly after, sometimes days later
    kind = _choice(rng, n, P.recorded_delay)
    delay_min = np.where(
        kind == 0,
        rng.integers(5, 240, n),
        np.where(
            kind == 1,
            rng.integers(1, 4, n) * 1440 + rng.integers(0, 600, n),
            rng.integers(4, 11, n) * 1440,
        ),
    )
    rec = (
        (c_day[row] * 1440 + minutes[row] + delay_min)
        .astype("datetime64[m]")
        .astype("datetime64[s]")
    )
    # the contact's clinician enters it, or the patient completes it (self)
    p_self = np.where(c_entry[row] >= 0, 1.0 - c_entry[row], P.p_self_entry)
    self_entry = rng.random(n) < p_self
    tools = pa.array([PHQ9_SNOMED, GAD7_SNOMED, *TOOLS[2:]], type=pa.string())
    act = act_of_contact[row]
    return pd.DataFrame(
        {
            "CareContactId": _str(contact_ids.take(pa.array(row))),
            "CareActId": _str(act_ids.take(pa.array(act, mask=act < 0))),
            "CodedAssToolType": _str(tools.take(pa.array(s_tool))),
            "PersScore": s_val.astype(float),
            "CW_ItemScores": _str(items),
            "CW_RecordedAt": pd.Series(rec),
            "CW_RecordedBy": _str(
                pa.array(staff.ids, type=pa.string()).take(pa.array(c_clin[row]))
            ),
            "CW_EntryMode": _codes(("clinician", "self"), self_entry.astype(np.int64)),
        }
    )


P_KEEP_ANSWERS = 0.8  # sticky courses: an unchanged total repeats last time's answers


def _keep_answers(
    rng: np.random.Generator, vec: np.ndarray, totals: np.ndarray, course: np.ndarray
) -> None:
    """In place: in a sticky course (``course`` >= 0; rows in time order within a course),
    a total equal to the previous one repeats the previous item answers with probability
    P_KEEP_ANSWERS (a patient whose symptoms have not moved, answering through an
    interpreter to a clinician who enters the form, gives the same answers)."""
    idx = np.flatnonzero(course >= 0)
    if len(idx) < 2:
        return
    same = (course[idx[1:]] == course[idx[:-1]]) & (totals[idx[1:]] == totals[idx[:-1]])
    keep = same & (rng.random(len(idx) - 1) < P_KEEP_ANSWERS)
    for i in np.flatnonzero(keep):  # in order, so a run of repeats copies its first answers
        vec[idx[i + 1]] = vec[idx[i]]


def _supervision(cfg, rng, staff: _Staff, start_day: int, end_day: int) -> pd.DataFrame:
    """Weekly-ish case management for PWPs, clinical skills supervision for everyone."""
    P = cfg.params
    weeks = np.arange(start_day - (start_day - 4) % 7, end_day, 7)  # Mondays (epoch was a Thursday)
    nw, ns = len(weeks), len(staff.ids)
    rows_c, rows_w, rows_t, rows_d = [], [], [], []
    weekday = rng.integers(0, 5, ns)
    gappy = rng.random(ns) < P.p_supervision_gappy
    gap_start = rng.integers(0, max(1, nw - 8), ns)
    gap_len = rng.integers(4, 9, ns)
    # (role, type, every n weeks, minutes)
    plan = (
        (PWP, 0, 1, 60),
        (PWP, 1, 2, 60),
        (HIT, 1, 1, 60),
        (HIT, 0, 4, 30),
        (COU, 1, 2, 90),
    )
    w = np.arange(nw)
    for role, typ, every, minutes in plan:
        cl = np.flatnonzero(staff.role == role)
        if not len(cl):
            continue
        cc = np.repeat(cl, nw)
        ww = np.tile(w, len(cl))
        phase = (cc * 7) % every
        sel = ((ww + phase) % every == 0) & (rng.random(len(cc)) >= P.supervision_skip)
        in_gap = gappy[cc] & (ww >= gap_start[cc]) & (ww < gap_start[cc] + gap_len[cc])
        sel &= ~in_gap
        cc, ww = cc[sel], ww[sel]
        rows_c.append(cc)
        rows_w.append(weeks[ww] + weekday[cc])
        rows_t.append(np.full(len(cc), typ))
        rows_d.append(np.where(rng.random(len(cc)) < 0.15, minutes // 2, minutes))
    c = np.concatenate(rows_c)
    d = np.concatenate(rows_w)
    t = np.concatenate(rows_t)
    m = np.concatenate(rows_d)
    keep = (d >= start_day) & (d < end_day)
    o = np.lexsort((t[keep], d[keep], c[keep]))
    c, d, t, m = c[keep][o], d[keep][o], t[keep][o], m[keep][o]
    return pd.DataFrame(
        {
            "CarePersLocalId": _str(pa.array(staff.ids, type=pa.string()).take(pa.array(c))),
            "Date": _dates(d),
            "Type": _codes(tuple(sorted(contract.SUPERVISION_TYPES)), t),
            "DurationMinutes": m.astype(np.int64),
        }
    )


# ----------------------------------------------------------------------------- writing


def write_tables(
    tables: dict[str, pd.DataFrame], out_dir: Path, fmt: str = "parquet"
) -> list[Path]:
    """Write each table as ``<out_dir>/<table name>.<parquet|csv>`` with contract types."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from clearwater.dataset import contract

    if fmt not in ("parquet", "csv"):
        raise ConfigError(f"synth: unknown format {fmt!r} (use parquet or csv)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, df in tables.items():
        spec = contract.TABLES_BY_SOURCE.get(name.lower())
        types = {c.source: c.type for c in spec.columns} if spec else {}
        arrays, names = [], []
        for col in df.columns:
            arr = pa.array(df[col], from_pandas=True)
            t = types.get(col)
            if t == "date":
                arr = arr.cast(pa.timestamp("s")).cast(pa.date32())
            elif t == "timestamp":
                arr = arr.cast(pa.timestamp("s"))
            elif t == "int":
                arr = arr.cast(pa.int64())
            elif t == "float":
                arr = arr.cast(pa.float64())
            elif t in ("str", "time"):
                arr = arr.cast(pa.string())
            arrays.append(arr)
            names.append(col)
        table = pa.Table.from_arrays(arrays, names=names)
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path)
        else:
            pacsv.write_csv(table, path)
        paths.append(path)
    return paths


__all__ = [
    "SynthConfig",
    "SynthResult",
    "synthesise",
    "write_tables",
    "TABLE_NAMES",
    "HARD_IDS",
    "HARD_PROFILES",
]
