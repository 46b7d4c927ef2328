"""Team injections attribute what they write to the team's clinicians, never to the team id."""

from __future__ import annotations

import pandas as pd
import pytest

from clearwater.synth.gaming import Injection, apply_injections
from clearwater.synth.generator import SynthConfig, synthesise

S = "IDS607CodedScoreAssessmentAct"


@pytest.fixture(scope="module")
def service():
    return synthesise(SynthConfig(referrals=1500, seed=4, teams=2, clinicians_per_team=4))


def _new_or_changed(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    key = ["CareContactId", "CodedAssToolType", "PersScore", "CW_RecordedBy", "CW_RecordedAt"]
    b = before[key].astype(str).apply(tuple, axis=1)
    a = after[key].astype(str).apply(tuple, axis=1)
    return after[~a.isin(set(b))]


@pytest.mark.parametrize("pattern", ["repeat_until_good", "fabrication"])
def test_team_injection_records_scores_under_the_courses_own_clinicians(service, pattern):
    cl = service.clinicians
    team = "T02"
    staff = set(cl.loc[cl["team_id"] == team, "clinician_id"].astype(str))
    tables, truth = apply_injections(
        service.tables, cl, [Injection(pattern, team, 1.0, unit_type="team")], seed=0
    )
    assert truth.iloc[0]["injected"] == truth.iloc[0]["eligible"] > 0
    written = _new_or_changed(service.tables[S], tables[S])
    assert len(written) >= truth.iloc[0]["injected"]
    who = set(written["CW_RecordedBy"].astype(str))
    assert team not in who
    assert who <= staff
    # each course's scores are entered by its own treating clinician (most treatment contacts)
    c = tables["IDS201CareContact"]
    treat = c[c["AttendOrDNACode"].astype(str).isin({"5", "6"})]
    treat = treat[treat["AppType"].astype(str).isin({"02", "03", "05"})]
    lead = (
        treat.groupby(["ServiceRequestId", "CarePersLocalId"])
        .size()
        .reset_index(name="k")
        .sort_values(["ServiceRequestId", "k"], ascending=[True, False])
        .drop_duplicates("ServiceRequestId")
        .set_index("ServiceRequestId")["CarePersLocalId"]
        .astype(str)
    )
    pid = written["CareContactId"].map(c.set_index("CareContactId")["ServiceRequestId"])
    assert (written["CW_RecordedBy"].astype(str).to_numpy() == pid.map(lead).to_numpy()).all()


def test_clinician_injection_still_records_scores_under_the_gaming_clinician(service):
    c0 = service.tables["IDS201CareContact"]
    target = c0["CarePersLocalId"].astype(str).value_counts().index[0]
    tables, truth = apply_injections(
        service.tables, service.clinicians, [Injection("fabrication", target, 1.0)], seed=0
    )
    written = _new_or_changed(service.tables[S], tables[S])
    assert truth.iloc[0]["injected"] > 0
    assert set(written["CW_RecordedBy"].astype(str)) == {target}
