"""Every measure id the report names must exist in the measures registry.

The pipeline skips ids the registry lacks (so a report still renders on a partial build); this
test makes sure that never hides a renamed or misspelt id.
"""

from __future__ import annotations

import pytest

from clearwater import pipeline
from clearwater.measures.definitions import MEASURES


def named_ids() -> list[tuple[str, str]]:
    ids = [("TREND_GROUPS", mid) for _, group in pipeline.TREND_GROUPS for mid in group]
    ids += [("BREAKDOWN_MEASURES", mid) for mid in pipeline.BREAKDOWN_MEASURES]
    ids.append(("BREAKDOWN_CHART", pipeline.BREAKDOWN_CHART))
    from clearwater.benchmark.record import SPC_MEASURES

    ids += [("benchmark SPC_MEASURES", mid) for mid in SPC_MEASURES]
    return ids


@pytest.mark.parametrize("where,measure_id", named_ids(), ids=lambda v: str(v))
def test_measure_id_named_by_the_report_exists(where, measure_id):
    assert measure_id in MEASURES, f"{where} names {measure_id!r}, which MEASURES lacks"


def test_the_report_names_some_measures_in_every_place():
    assert all(ids for _, ids in pipeline.TREND_GROUPS)
    assert pipeline.BREAKDOWN_MEASURES
    assert pipeline.BREAKDOWN_CHART in pipeline.BREAKDOWN_MEASURES
