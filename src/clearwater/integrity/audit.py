"""Run every detector and combine them: the integrity audit as a function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ibis
import pandas as pd

from clearwater.dataset.model import CleanData
from clearwater.errors import ConfigError
from clearwater.instruments import Instruments, load_instruments
from clearwater.integrity.base import AuditContext, Detector, DetectorResult
from clearwater.integrity.combine import FDR_METHODS, findings_frame, unit_summary
from clearwater.integrity.detectors import DETECTORS
from clearwater.integrity.evidence import Evidence, build_evidence


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit found: findings (detector x unit), per-unit summary, details.

    ``evidence`` holds the chart of the pattern for each flagged (detector, unit_id) whose
    detector has an evidence builder; ``evidence_notes`` says why one could not be built.
    """

    level: str
    fdr: float
    fdr_method: str
    findings: pd.DataFrame
    units: pd.DataFrame
    details: dict[str, DetectorResult] = field(default_factory=dict)
    detectors: tuple[Detector, ...] = ()
    evidence: dict[tuple[str, str], Evidence] = field(default_factory=dict)
    evidence_notes: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def flagged(self) -> pd.DataFrame:
        return self.findings[self.findings["flagged"]]


def run_audit(
    data: CleanData,
    pathways: ibis.Table | None = None,
    *,
    level: str = "therapist",
    fdr: float = 0.05,
    fdr_method: str = "dbh",
    instruments: Instruments | None = None,
    detectors: Sequence[type[Detector]] = DETECTORS,
    progress: Callable[[str], None] | None = None,
    evidence: bool = True,
) -> AuditResult:
    """Run the integrity audit.  ``pathways`` defaults to ``derive_pathways(data)``.

    With ``evidence`` (default) the chart of the pattern is built for flagged findings only
    (:mod:`clearwater.integrity.evidence`), so a run that flags nothing costs nothing more.
    """
    if not 0 < fdr < 1:
        raise ConfigError(f"--fdr must be between 0 and 1 (got {fdr})")
    if fdr_method not in FDR_METHODS:
        raise ConfigError(
            f"FDR method must be one of {', '.join(FDR_METHODS)} (got {fdr_method!r})"
        )
    instruments = instruments or load_instruments()
    if pathways is None:
        from clearwater.engine.pathways import derive_pathways

        pathways = derive_pathways(data, instruments)
    ctx = AuditContext(data=data, pathways=pathways, level=level, instruments=instruments)
    results = []
    for cls in detectors:
        det = cls()
        if progress:
            progress(det.info.name)
        results.append((det, det.run(ctx)))
    findings = findings_frame(results, unit_type=level, fdr=fdr, method=fdr_method)
    ev: dict[tuple[str, str], Evidence] = {}
    notes: dict[tuple[str, str], str] = {}
    if evidence and len(findings):
        flagged = findings[findings["flagged"]]
        ev, notes = build_evidence(
            ctx,
            [
                (str(d), str(u))
                for d, u in zip(flagged["detector"], flagged["unit_id"], strict=True)
            ],
        )
    return AuditResult(
        level=level,
        fdr=fdr,
        fdr_method=fdr_method,
        findings=findings,
        units=unit_summary(findings),
        details={d.info.name: r for d, r in results},
        detectors=tuple(d for d, _ in results),
        evidence=ev,
        evidence_notes=notes,
    )
