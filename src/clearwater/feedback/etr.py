"""Expected treatment response (ETR): how PHQ-9 and GAD-7 usually move, session by session.

Row-level work (numbering each pathway's scores, baselines, last scores, counting scores per
stratum) is Ibis and runs on DuckDB and Spark.  Only counts come back to Python: for each
measure x baseline band x session number x score, how many finished courses had that score.
The percentile bands are empirical quantiles of those counts (the "empirical percentile bands"
of the methods note, section 6.4): for baseline band b and session t, Q_{b,t}(tau) is the
smallest score s with F_{b,t}(s) >= tau (inverted CDF), pooling every finished course that
reached session t.  Sessions after ``max_session`` use the band of ``max_session``.  A cell with
fewer than ``min_n`` courses borrows the neighbouring baseline bands (one each side, then two)
and is left empty if still too small - no alert is better than a wrong one.

Baseline bands follow the methods note: below caseness, then steps of 3 points from the
caseness threshold (PHQ-9: 0-9, 10-12, 13-15, 16-18, 19-21, 22-24, 25-27; GAD-7: 0-7, 8-10,
11-13, 14-16, 17-21).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.errors import ConfigError

MEASURES = ("PHQ9", "GAD7")
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)
QCOLS = tuple(f"q{int(round(q * 100)):02d}" for q in QUANTILES)


@dataclass(frozen=True)
class BandSpec:
    """Baseline bands: 0 = below ``cut``; then ``width``-point bands, the last open-ended."""

    cut: int
    width: int
    bands: int  # number of bands including band 0
    max_score: int

    def band(self, score: float) -> int:
        if score < self.cut:
            return 0
        return int(min(self.bands - 1, (score - self.cut) // self.width + 1))

    def label(self, band: int) -> str:
        if band == 0:
            return f"0-{self.cut - 1}"
        lo = self.cut + (band - 1) * self.width
        hi = self.max_score if band == self.bands - 1 else lo + self.width - 1
        return f"{lo}-{hi}"

    def expr(self, col: ibis.Value) -> ibis.Value:
        raw = ((col - self.cut) / self.width).floor().cast("int64") + 1
        capped = ibis.least(raw, ibis.literal(self.bands - 1))
        return ibis.ifelse(col < self.cut, ibis.literal(0, "int64"), capped).cast("int64")


BANDS: dict[str, BandSpec] = {
    "PHQ9": BandSpec(cut=10, width=3, bands=7, max_score=27),
    "GAD7": BandSpec(cut=8, width=3, bands=5, max_score=21),
}
RELIABLE_CHANGE = {"PHQ9": 6.0, "GAD7": 4.0}


def session_scores(data: CleanData, measures: Sequence[str] = MEASURES) -> ibis.Table:
    """One row per pathway x measure x scoring date, numbered in date order.

    Columns: pathway_id, measure, session_number (1 = baseline), score_date, score, baseline,
    item_scores, contact_id, n_sessions, last_score.  Several scores of one measure on one day
    count once (the last recorded that day: latest time, then latest input row).
    """
    s = data.tables["score"]
    s = s.filter(s.tool.isin(list(measures)) & s.score.notnull() & s.score_date.notnull())
    s = s.mutate(measure=s.tool)
    day = ibis.window(
        group_by=[s.pathway_id, s.measure, s.score_date],
        order_by=[ibis.desc(s.score_time.fill_null("")), ibis.desc(s.source_row)],
    )
    s = s.mutate(_day_rank=ibis.row_number().over(day))
    s = s.filter(s._day_rank == 0)
    seq = ibis.window(group_by=[s.pathway_id, s.measure], order_by=[s.score_date])
    s = s.mutate(session_number=(ibis.row_number().over(seq) + 1).cast("int64"))
    s = s.select(
        "pathway_id",
        "measure",
        "session_number",
        "score_date",
        "score",
        "item_scores",
        "contact_id",
    )
    first = s.filter(s.session_number == 1).select(
        pathway_id="pathway_id", measure="measure", baseline="score"
    )
    agg = s.group_by(["pathway_id", "measure"]).aggregate(n_sessions=s.session_number.max())
    last = s.join(
        agg,
        [
            s.pathway_id == agg.pathway_id,
            s.measure == agg.measure,
            s.session_number == agg.n_sessions,
        ],
    ).select(
        pathway_id=s.pathway_id,
        measure=s.measure,
        n_sessions=agg.n_sessions,
        last_score=s.score,
    )
    out = s.join(first, ["pathway_id", "measure"]).join(last, ["pathway_id", "measure"])
    return out


def with_band(sessions: ibis.Table) -> ibis.Table:
    """Add the baseline band (an integer per measure) in the engine."""
    expr = ibis.literal(None, "int64")
    for m, spec in BANDS.items():
        expr = ibis.ifelse(sessions.measure == m, spec.expr(sessions.baseline), expr)
    return sessions.mutate(band=expr)


def reference_counts(
    sessions: ibis.Table,
    pathways: ibis.Table,
    *,
    max_session: int = 12,
    folds: int = 1,
) -> pd.DataFrame:
    """Counts of scores among finished courses: measure, band, session, score, [fold], n.

    ``folds`` > 1 also splits the finished courses into folds by their rank in pathway_id order
    (deterministic on every engine), for cross-fitted validation.
    """
    fin = pathways.filter(pathways.finished_course).select("pathway_id")
    if folds > 1:
        fin = fin.mutate(
            fold=(ibis.row_number().over(ibis.window(order_by=fin.pathway_id)) % folds).cast(
                "int64"
            )
        )
    else:
        fin = fin.mutate(fold=ibis.literal(0, "int64"))
    s = with_band(sessions).join(fin, "pathway_id")
    s = s.mutate(
        session=ibis.least(s.session_number, ibis.literal(max_session)).cast("int64"),
        score_int=s.score.round().cast("int64"),
    )
    agg = s.group_by(["measure", "band", "session", "score_int", "fold"]).aggregate(n=s.count())
    frame = agg.execute()
    frame = frame.rename(columns={"score_int": "score"})
    return frame.sort_values(["measure", "band", "session", "score", "fold"]).reset_index(drop=True)


def weighted_quantile(scores: np.ndarray, weights: np.ndarray, tau: float) -> float:
    """Smallest score s with cumulative share >= tau (inverted-CDF quantile of counts)."""
    order = np.argsort(scores, kind="stable")
    s = np.asarray(scores, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cdf = np.cumsum(w) / w.sum()
    idx = int(np.searchsorted(cdf, tau - 1e-12, side="left"))
    return float(s[min(idx, len(s) - 1)])


@dataclass(frozen=True)
class ETRModel:
    """Percentile bands per measure x baseline band x session (``bands`` frame)."""

    bands: pd.DataFrame  # measure, band, band_label, session, n, pooled_bands, q10..q90
    max_session: int = 12
    min_n: int = 30
    source: str = "service"
    meta: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.bands

    @cached_property
    def _lookup(self) -> dict[tuple[str, int, int], dict[str, float]]:
        """(measure, band, session) -> quantiles and n, built once (alerts ask thousands of times)."""
        out: dict[tuple[str, int, int], dict[str, float]] = {}
        cols = [*QCOLS, "n"]
        for row in self.bands.itertuples(index=False):
            key = (str(row.measure), int(row.band), int(row.session))
            if key in out or pd.isna(row.q50):
                continue
            out[key] = {c: float(getattr(row, c)) for c in cols}
        return out

    def expected(self, measure: str, baseline: float, session: int) -> dict[str, float] | None:
        """The expected quantiles for one client at one session, or None without a reference."""
        if measure not in BANDS:
            return None
        b = BANDS[measure].band(baseline)
        t = min(int(session), self.max_session)
        hit = self._lookup.get((measure, int(b), t))
        return dict(hit) if hit is not None else None

    def save(self, path: str | Path) -> Path:
        """Save as CSV, with the settings in a JSON side file ``<path>.json``."""
        from clearwater.outputs import atomic_write_text, write_csv

        path = Path(path)
        write_csv(self.bands, path)
        meta = {"max_session": self.max_session, "min_n": self.min_n, "source": self.source}
        atomic_write_text(Path(str(path) + ".json"), json.dumps(meta | self.meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | Path) -> ETRModel:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"saved ETR reference not found: {path}")
        bands = pd.read_csv(path)
        need = {"measure", "band", "session", "n", *QCOLS}
        missing = need - set(bands.columns)
        if missing:
            raise ConfigError(
                f"{path}: not an ETR reference (missing {', '.join(sorted(missing))})"
            )
        meta_path = Path(str(path) + ".json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        return cls(
            bands=bands,
            max_session=int(meta.get("max_session", bands["session"].max())),
            min_n=int(meta.get("min_n", 30)),
            source=f"saved reference {path.name}",
        )


def fit_from_counts(
    counts: pd.DataFrame,
    *,
    max_session: int = 12,
    min_n: int = 30,
    exclude_fold: int | None = None,
    source: str = "service",
) -> ETRModel:
    """Percentile bands from ``reference_counts`` (optionally leaving one fold out)."""
    if exclude_fold is not None and "fold" in counts.columns:
        counts = counts[counts["fold"] != exclude_fold]
    cell = counts.groupby(["measure", "band", "session", "score"], as_index=False)["n"].sum()
    rows = []
    for m, spec in BANDS.items():
        cm = cell[cell["measure"] == m]
        for t in range(1, max_session + 1):
            ct = cm[cm["session"] == t]
            for b in range(spec.bands):
                used = [b]
                pick = ct[ct["band"] == b]
                for reach in (1, 2):
                    if pick["n"].sum() >= min_n:
                        break
                    used = [x for x in range(b - reach, b + reach + 1) if 0 <= x < spec.bands]
                    pick = ct[ct["band"].isin(used)]
                n = int(pick["n"].sum())
                row: dict[str, object] = {
                    "measure": m,
                    "band": b,
                    "band_label": spec.label(b),
                    "session": t,
                    "n": n,
                    "pooled_bands": ",".join(spec.label(x) for x in used),
                }
                for q, col in zip(QUANTILES, QCOLS, strict=True):
                    row[col] = (
                        weighted_quantile(pick["score"].to_numpy(), pick["n"].to_numpy(), q)
                        if n >= min_n
                        else np.nan
                    )
                rows.append(row)
    bands = pd.DataFrame(rows)
    return ETRModel(bands=bands, max_session=max_session, min_n=min_n, source=source)


def fit_etr(
    data: CleanData,
    pathways: ibis.Table,
    *,
    max_session: int = 12,
    min_n: int = 30,
) -> ETRModel:
    """Fit expected-response bands from the service's own finished courses."""
    counts = reference_counts(session_scores(data), pathways, max_session=max_session)
    return fit_from_counts(counts, max_session=max_session, min_n=min_n)
