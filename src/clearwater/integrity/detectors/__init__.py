"""One module per gaming pattern; :data:`DETECTORS` lists them in report order."""

from __future__ import annotations

from clearwater.integrity.base import Detector
from clearwater.integrity.detectors.adsm_suppression import AdsmSuppressionDetector
from clearwater.integrity.detectors.assessment_as_treatment import AssessmentAsTreatmentDetector
from clearwater.integrity.detectors.cherry_picking import CherryPickingDetector
from clearwater.integrity.detectors.coaching import CoachingDetector
from clearwater.integrity.detectors.dropout_fill import DropoutFillDetector
from clearwater.integrity.detectors.early_discharge import EarlyDischargeDetector
from clearwater.integrity.detectors.fabrication import FabricationDetector
from clearwater.integrity.detectors.holding_list import HoldingListDetector
from clearwater.integrity.detectors.repeat_until_good import RepeatUntilGoodDetector

DETECTORS: tuple[type[Detector], ...] = (
    CoachingDetector,
    EarlyDischargeDetector,
    RepeatUntilGoodDetector,
    DropoutFillDetector,
    AssessmentAsTreatmentDetector,
    HoldingListDetector,
    CherryPickingDetector,
    AdsmSuppressionDetector,
    FabricationDetector,
)

__all__ = ["DETECTORS"]
