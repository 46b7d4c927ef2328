"""Case-mix model: expected outcome for each finished course from what is known before treatment.

Logistic regression (statsmodels GLM, binomial, logit link) per outcome on pre-treatment
features only: baseline PHQ-9 and GAD-7 (linear + square), WSAS, IMD decile, age (linear +
square), previous referrals (capped at 3), gender, ethnic group, problem descriptor, referral
source and employment status when present.  Process measures (sessions, waits, DNAs, contacts,
end codes, dates after referral) are never features: they are the performance being judged.

Numeric features are standardised with the fitting data's mean and SD; a missing numeric value
is set to the mean with a missing-indicator; categorical levels seen fewer than ``min_level``
times are pooled as "Other (rare)" (or, when the pooled rows are themselves fewer than
``min_level``, counted with the reference level), missing values are "Unknown".  The model (coefficients and
this encoding) is saved as JSON and can be applied to another period or service, row by row in
Ibis (:func:`expected_expr`) or in pandas (:meth:`CaseMixModel.predict`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit, logit

from clearwater.errors import ClearwaterError

FORMAT_VERSION = 1
NUMERIC_FEATURES = (
    "phq9_first",
    "gad7_first",
    "wsas_first",
    "imd_decile",
    "age_at_referral",
    "previous_referrals",
)
SQUARED = ("phq9_first", "gad7_first", "age_at_referral")
CAPS = {"previous_referrals": 3.0}
CATEGORICAL_FEATURES = (
    "gender",
    "ethnic_group",
    "problem_descriptor",
    "referral_source",
    "employment_status",
)
# Demographic features left out of the "clinical" model used for equity comparisons.
DEMOGRAPHIC = ("imd_decile", "age_at_referral", "gender", "ethnic_group", "employment_status")
PROCESS_COLUMNS = frozenset(
    {
        "contact_count",
        "treatment_contacts",
        "dna_count",
        "cancelled_count",
        "wait_to_first_treatment_days",
        "first_to_second_treatment_days",
        "end_code",
        "first_treatment_date",
        "second_treatment_date",
        "last_treatment_date",
        "discharge_date",
        "phq9_last",
        "gad7_last",
        "anx_last",
        "adsm_last",
        "wsas_last",
        "paired_adsm",
        "ended_after_one_treatment",
    }
)


@dataclass(frozen=True)
class OutcomeSpec:
    """An outcome and the cohort it is defined on (a boolean pathways column, or None = all)."""

    id: str
    title: str
    column: str
    cohort: str | None
    higher_is_better: bool


OUTCOMES: dict[str, OutcomeSpec] = {
    "reliable_improvement": OutcomeSpec(
        "reliable_improvement", "Reliable improvement", "reliable_improvement", None, True
    ),
    "recovery": OutcomeSpec("recovery", "Recovery", "recovery", "at_caseness", True),
    "reliable_deterioration": OutcomeSpec(
        "reliable_deterioration",
        "Reliable deterioration",
        "reliable_deterioration",
        None,
        False,
    ),
}


@dataclass(frozen=True)
class Encoding:
    """How raw pre-treatment columns become model terms."""

    numeric: dict[str, tuple[float, float]]  # column -> (mean, sd) of the fitting data
    squared: tuple[str, ...]
    missing_indicators: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]]  # column -> kept levels; first is the reference
    caps: dict[str, float] = field(default_factory=dict)

    def terms(self) -> list[str]:
        out = ["const"]
        for c in self.numeric:
            out.append(c)
            if c in self.squared:
                out.append(f"{c}^2")
            if c in self.missing_indicators:
                out.append(f"{c} missing")
        for c, levels in self.categorical.items():
            out += [f"{c}={lv}" for lv in levels[1:]]
        return out


RARE = "Other (rare)"
UNKNOWN = "Unknown"


def _clean_category(values: pd.Series) -> pd.Series:
    s = values.astype("object").where(values.notna(), UNKNOWN).astype(str).str.strip()
    return s.where(s != "", UNKNOWN)


def build_encoding(
    frame: pd.DataFrame, *, features: Sequence[str], min_level: int = 20
) -> Encoding:
    numeric, missing, cats = {}, [], {}
    caps = {c: v for c, v in CAPS.items() if c in features}
    for c in features:
        if c in PROCESS_COLUMNS:
            raise ClearwaterError(f"'{c}' is a process measure and cannot be a case-mix feature")
        if c not in frame.columns:
            continue
        if c in NUMERIC_FEATURES:
            x = pd.to_numeric(frame[c], errors="coerce").astype(float)
            if c in caps:
                x = x.clip(upper=caps[c])
            if x.notna().sum() < 2:
                continue
            sd = float(x.std()) or 1.0
            numeric[c] = (float(x.mean()), sd)
            if x.isna().any():
                missing.append(c)
        else:
            s = _clean_category(frame[c])
            counts = s.value_counts()
            kept = [lv for lv, k in counts.items() if k >= min_level]
            rare_rows = int(counts[~counts.index.isin(kept)].sum())
            if rare_rows >= min_level:
                kept.append(RARE)
            # Fewer rare rows than a level needs: they join the reference level (the most
            # frequent, levels[0]) rather than make a tiny level that can separate the outcome.
            if len(kept) >= 2:
                cats[c] = tuple(kept)  # most frequent first = reference
    squared = tuple(c for c in SQUARED if c in numeric)
    return Encoding(numeric, squared, tuple(missing), cats, caps)


def design_matrix(frame: pd.DataFrame, enc: Encoding) -> np.ndarray:
    cols = [np.ones(len(frame))]
    for c, (mean, sd) in enc.numeric.items():
        x = pd.to_numeric(frame[c], errors="coerce").astype(float) if c in frame else None
        if x is None:
            x = pd.Series(np.nan, index=frame.index)
        if c in enc.caps:
            x = x.clip(upper=enc.caps[c])
        miss = x.isna().to_numpy()
        z = ((x.fillna(mean) - mean) / sd).to_numpy()
        cols.append(z)
        if c in enc.squared:
            cols.append(z**2)
        if c in enc.missing_indicators:
            cols.append(miss.astype(float))
    for c, levels in enc.categorical.items():
        s = _clean_category(frame[c]) if c in frame else pd.Series(UNKNOWN, index=frame.index)
        known = set(levels)
        fallback = RARE if RARE in known else levels[0]
        s = s.where(s.isin(known), fallback)
        for lv in levels[1:]:
            cols.append((s == lv).to_numpy(dtype=float))
    return np.column_stack(cols)


@dataclass(frozen=True)
class Calibration:
    """How well predictions match outcomes: in the large, slope, discrimination."""

    n: int
    events: int
    observed_rate: float
    expected_rate: float
    calibration_in_the_large: float  # intercept with logit(p) as offset; 0 is ideal
    slope: float  # coefficient on logit(p); 1 is ideal
    c_statistic: float  # area under the ROC curve
    brier: float

    def describe(self) -> str:
        return (
            f"n = {self.n}, observed {self.observed_rate:.1%} vs expected {self.expected_rate:.1%}; "
            f"calibration-in-the-large {self.calibration_in_the_large:+.2f} (0 ideal), slope "
            f"{self.slope:.2f} (1 ideal), C-statistic {self.c_statistic:.2f}"
        )


def c_statistic(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = stats.rankdata(p)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def calibration(y: np.ndarray, p: np.ndarray) -> Calibration:
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    lp = logit(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            citl = float(
                sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp)
                .fit()
                .params[0]
            )
            slope = float(
                sm.GLM(y, sm.add_constant(lp, has_constant="add"), family=sm.families.Binomial())
                .fit()
                .params[1]
            )
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate data
            citl, slope = float("nan"), float("nan")
    return Calibration(
        n=len(y),
        events=int(y.sum()),
        observed_rate=float(y.mean()) if len(y) else float("nan"),
        expected_rate=float(p.mean()) if len(p) else float("nan"),
        calibration_in_the_large=citl,
        slope=slope,
        c_statistic=c_statistic(y, p),
        brier=float(np.mean((p - y) ** 2)) if len(y) else float("nan"),
    )


@dataclass(frozen=True)
class OutcomeModel:
    outcome: str
    cohort: str | None
    terms: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    fit: Calibration  # apparent performance on the fitting data
    method: str  # 'glm' or 'ridge' (fallback on separation)


@dataclass(frozen=True)
class CaseMixModel:
    encoding: Encoding
    outcomes: dict[str, OutcomeModel]
    thresholds_version: str
    created: str
    fitted_on: str
    features: tuple[str, ...]
    format_version: int = FORMAT_VERSION

    def linear_predictor(self, frame: pd.DataFrame, outcome: str) -> np.ndarray:
        m = self._model(outcome)
        return design_matrix(frame, self.encoding) @ np.asarray(m.coef)

    def predict(self, frame: pd.DataFrame, outcome: str) -> np.ndarray:
        return expit(self.linear_predictor(frame, outcome))

    def _model(self, outcome: str) -> OutcomeModel:
        if outcome not in self.outcomes:
            raise ClearwaterError(
                f"the case-mix model has no '{outcome}' outcome (it has {', '.join(self.outcomes)})"
            )
        return self.outcomes[outcome]

    def to_json(self) -> str:
        d = asdict(self)
        d["encoding"]["numeric"] = {k: list(v) for k, v in self.encoding.numeric.items()}
        d["encoding"]["categorical"] = {k: list(v) for k, v in self.encoding.categorical.items()}
        return json.dumps(d, indent=2)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, text: str, *, source: str = "model") -> CaseMixModel:
        try:
            d = json.loads(text)
            if d.get("format_version") != FORMAT_VERSION:
                raise ClearwaterError(
                    f"{source}: case-mix model format {d.get('format_version')} is not "
                    f"supported (expected {FORMAT_VERSION})"
                )
            e = d["encoding"]
            enc = Encoding(
                numeric={k: (float(v[0]), float(v[1])) for k, v in e["numeric"].items()},
                squared=tuple(e["squared"]),
                missing_indicators=tuple(e["missing_indicators"]),
                categorical={k: tuple(v) for k, v in e["categorical"].items()},
                caps={k: float(v) for k, v in e.get("caps", {}).items()},
            )
            outs = {}
            for k, o in d["outcomes"].items():
                outs[k] = OutcomeModel(
                    outcome=o["outcome"],
                    cohort=o["cohort"],
                    terms=tuple(o["terms"]),
                    coef=tuple(float(x) for x in o["coef"]),
                    se=tuple(float(x) for x in o["se"]),
                    fit=Calibration(**o["fit"]),
                    method=o["method"],
                )
                if list(outs[k].terms) != enc.terms():
                    raise ClearwaterError(f"{source}: terms of '{k}' do not match its encoding")
            return cls(
                encoding=enc,
                outcomes=outs,
                thresholds_version=str(d["thresholds_version"]),
                created=str(d["created"]),
                fitted_on=str(d["fitted_on"]),
                features=tuple(d["features"]),
            )
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            raise ClearwaterError(
                f"{source}: not a valid Clearwater case-mix model ({exc})"
            ) from exc

    @classmethod
    def load(cls, path: str | Path) -> CaseMixModel:
        path = Path(path)
        if not path.is_file():
            raise ClearwaterError(f"case-mix model file not found: {path}")
        return cls.from_json(path.read_text(encoding="utf-8"), source=str(path))


def cohort_rows(frame: pd.DataFrame, spec: OutcomeSpec) -> pd.DataFrame:
    rows = frame[frame[spec.column].notna()]
    if spec.cohort is not None:
        rows = rows[rows[spec.cohort].fillna(False).astype(bool)]
    return rows


def fit_casemix(
    frame: pd.DataFrame,
    *,
    outcomes: Sequence[str] = tuple(OUTCOMES),
    features: Sequence[str] | None = None,
    thresholds_version: str = "unknown",
    fitted_on: str = "",
    min_level: int = 20,
    min_rows: int = 50,
) -> CaseMixModel:
    """Fit one logistic model per outcome on finished-course rows (pre-treatment columns only)."""
    features = tuple(features or (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES))
    enc = build_encoding(frame, features=features, min_level=min_level)
    models = {}
    for oid in outcomes:
        spec = OUTCOMES[oid]
        if spec.column not in frame.columns:
            raise ClearwaterError(f"case-mix: the pathways data have no '{spec.column}' column")
        rows = cohort_rows(frame, spec)
        y = rows[spec.column].astype(bool).to_numpy(dtype=float)
        if len(rows) < min_rows or y.sum() < 5 or (1 - y).sum() < 5:
            raise ClearwaterError(
                f"case-mix: too few finished courses to model {spec.title.lower()} "
                f"({len(rows)} rows, {int(y.sum())} events; need {min_rows} rows and 5 of each)"
            )
        x = design_matrix(rows, enc)
        method = "glm"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            glm = sm.GLM(y, x, family=sm.families.Binomial())
            try:
                res = glm.fit()
                coef, se = np.asarray(res.params), np.asarray(res.bse)
                if not np.all(np.isfinite(coef)) or np.abs(coef).max() > 15:
                    raise np.linalg.LinAlgError("separation")
            except (np.linalg.LinAlgError, ValueError):
                method = "ridge"
                coef = _ridge_fit(glm, x, y)
                se = np.full(x.shape[1], np.nan)
        p = expit(x @ coef)
        models[oid] = OutcomeModel(
            outcome=oid,
            cohort=spec.cohort,
            terms=tuple(enc.terms()),
            coef=tuple(float(c) for c in coef),
            se=tuple(float(s) for s in se),
            fit=calibration(y, p),
            method=method,
        )
    return CaseMixModel(
        encoding=enc,
        outcomes=models,
        thresholds_version=thresholds_version,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        fitted_on=fitted_on,
        features=features,
    )


RIDGE_ALPHA = 1e-3


def _ridge_fit(glm: sm.GLM, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ridge fallback when the plain fit separates: every coefficient but the constant is
    penalised.  A penalised constant would pull the mean prediction away from the observed
    rate (sum E != sum O), and every unit would look better or worse than it is.  With the
    constant free, its score equation is sum(y - p) = 0; a last one-dimensional Newton step
    on the constant removes what the coordinate-descent tolerance leaves."""
    alpha = np.full(x.shape[1], RIDGE_ALPHA)
    alpha[0] = 0.0  # column 0 is the constant (design_matrix)
    coef = np.asarray(glm.fit_regularized(alpha=alpha, L1_wt=0.0).params, dtype=float).copy()
    lp_rest = x[:, 1:] @ coef[1:]
    for _ in range(50):
        p = expit(coef[0] + lp_rest)
        grad, info = float(np.sum(y - p)), float(np.sum(p * (1 - p)))
        if info <= 0:
            break
        step = grad / info
        coef[0] += step
        if abs(step) < 1e-12:
            break
    return coef


def clinical_features(features: Sequence[str]) -> tuple[str, ...]:
    """The features minus demographics: used to ask whether a demographic gap is explained by
    how unwell people were at the start."""
    return tuple(f for f in features if f not in DEMOGRAPHIC)


# ---------------------------------------------------------------------------------------------
# Ibis: the same linear predictor row by row on any engine
# ---------------------------------------------------------------------------------------------
def expected_expr(table: ibis.Table, model: CaseMixModel, outcome: str) -> ibis.Value:
    """Probability of ``outcome`` for each row of ``table`` as an Ibis expression."""
    m = model._model(outcome)
    enc = model.encoding
    coef = iter(m.coef)
    lp = ibis.literal(float(next(coef)))
    for c, (mean, sd) in enc.numeric.items():
        col = table[c].cast("float64") if c in table.columns else ibis.null("float64")
        if c in enc.caps:
            col = ibis.least(col, enc.caps[c])
        z = (col.fill_null(mean) - mean) / sd
        lp = lp + z * float(next(coef))
        if c in enc.squared:
            lp = lp + z * z * float(next(coef))
        if c in enc.missing_indicators:
            lp = lp + col.isnull().cast("float64") * float(next(coef))
    for c, levels in enc.categorical.items():
        known = list(levels)
        fallback = RARE if RARE in known else levels[0]
        if c in table.columns:
            # not .strip(): on PySpark it also trims the letter "f" (ibis 12 translation)
            raw = table[c].cast("string").re_replace(r"^\s+|\s+$", "")
            s = ibis.cases((raw.isnull() | (raw == ""), UNKNOWN), else_=raw)
            s = ibis.cases((s.isin(known), s), else_=fallback)
        else:
            s = ibis.literal(UNKNOWN if UNKNOWN in known else fallback)
        for lv in levels[1:]:
            lp = lp + (s == lv).cast("float64") * float(next(coef))
    return 1.0 / (1.0 + (-lp).exp())
