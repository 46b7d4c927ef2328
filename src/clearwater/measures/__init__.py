"""The official NHS Talking Therapies KPI set, computed exactly from pathway rows."""

from clearwater.measures.compute import BY_COLUMNS, compute_kpis
from clearwater.measures.definitions import MEASURES, Measure
from clearwater.measures.periods import Period, periods_for

__all__ = ["BY_COLUMNS", "MEASURES", "Measure", "Period", "compute_kpis", "periods_for"]
