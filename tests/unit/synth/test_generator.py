"""The synthetic service: determinism, contract, proportions, hard units, writing."""

from __future__ import annotations

import pandas as pd
import pytest

from clearwater.dataset import contract
from clearwater.errors import ConfigError
from clearwater.synth.generator import (
    HARD_IDS,
    TABLE_NAMES,
    SynthConfig,
    synthesise,
    write_tables,
)
from clearwater.synth.items import item_vectors, vectors_to_strings


@pytest.fixture(scope="module")
def small():
    return synthesise(SynthConfig(referrals=4000, seed=11))


@pytest.fixture(scope="module")
def hard():
    return synthesise(SynthConfig(referrals=6000, seed=5, hard_units=True))


def test_same_seed_same_tables_other_seed_differs():
    a = synthesise(SynthConfig(referrals=800, seed=3))
    b = synthesise(SynthConfig(referrals=800, seed=3))
    c = synthesise(SynthConfig(referrals=800, seed=4))
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert not a.tables["IDS607CodedScoreAssessmentAct"].equals(
        c.tables["IDS607CodedScoreAssessmentAct"]
    )


def test_exactly_n_referrals_received_in_window(small):
    ref = small.tables["IDS101Referral"]
    first, last = (pd.Timestamp(d) for d in small.window)
    d = ref["ReferralRequestReceivedDate"]
    assert int(((d >= first) & (d <= last)).sum()) == 4000
    # run-in referrals are only those still open at the window start
    early = ref[d < first]
    assert (early["ServDischDate"].isna() | (early["ServDischDate"] >= first)).all()


def test_columns_and_codes_follow_the_contract(small):
    for name, df in small.tables.items():
        spec = contract.TABLES_BY_SOURCE[name.lower()]
        names = {c.source for c in spec.columns}
        assert set(df.columns) <= names, name
        for col in spec.required_columns:
            assert col.source in df.columns, (name, col.source)
        for col in spec.columns:
            if col.source not in df.columns:
                continue
            values = df[col.source]
            if not col.nullable:
                assert values.notna().all(), (name, col.source)
            if col.codes is not None:
                allowed = {c.upper() for c in col.codes}
                assert set(values.dropna().astype(str).str.upper()) <= allowed, (name, col.source)
    for key in ("ServiceRequestId",):
        assert small.tables["IDS101Referral"][key].is_unique
    assert small.tables["IDS201CareContact"]["CareContactId"].is_unique
    end = small.tables["IDS101Referral"]["EndCode"].dropna()
    assert set(end) <= contract.END_CODES


def test_every_attended_treatment_contact_has_phq9_and_gad7(small):
    con = small.tables["IDS201CareContact"]
    sc = small.tables["IDS607CodedScoreAssessmentAct"]
    treat = con[con["AppType"].isin(["02", "03"]) & con["AttendOrDNACode"].isin(["5", "6"])]
    for tool in ("720433000", "445455005"):
        have = set(sc.loc[sc["CodedAssToolType"] == tool, "CareContactId"])
        assert set(treat["CareContactId"]) <= have
    missed = con[con["AttendOrDNACode"].isin(["2", "3", "4"])]
    assert not set(missed["CareContactId"]) & set(sc["CareContactId"])


def test_item_vectors_sum_to_totals_and_item9_is_a_minority(small):
    sc = small.tables["IDS607CodedScoreAssessmentAct"]
    for tool, n, top in (("720433000", 9, 3), ("445455005", 7, 3), ("WSAS", 5, 8)):
        s = sc[sc["CodedAssToolType"] == tool]
        items = s["CW_ItemScores"].str.split(",", expand=True).astype(int)
        assert items.shape[1] == n
        assert (items.sum(axis=1).to_numpy() == s["PersScore"].to_numpy()).all()
        assert items.to_numpy().max() <= top
    phq = sc[sc["CodedAssToolType"] == "720433000"]
    item9 = phq["CW_ItemScores"].str[-1].astype(int)
    assert 0.05 < (item9 > 0).mean() < 0.45


def test_proportions_are_sane(small):
    ref = small.tables["IDS101Referral"]
    con = small.tables["IDS201CareContact"]
    mpi = small.tables["IDS001MPI"]
    ended = ref["EndCode"].dropna()
    assert 0.08 < (ended == "50").mean() < 0.25
    assert 0.1 < ended.isin(["47", "48"]).mean() < 0.4
    assert ref["ServDischDate"].isna().mean() > 0.03  # open referrals at the window end
    att = con["AttendOrDNACode"]
    assert 0.04 < (att == "3").mean() < 0.2
    assert (con["AppType"] == "06").any()
    assert ref["LocalPatientId"].duplicated().any()  # re-referrals
    imd = mpi["IndicesOfDeprivationDecile"].dropna()
    assert (imd == 1).sum() > 1.5 * (imd == 10).sum()
    assert 0.6 < mpi["EthnicCategory"].isin(["A", "B", "C"]).mean() < 0.85
    sup = small.tables["CWSupervision"]
    assert set(sup["Type"]) == {"case_management", "clinical_skills"}
    assert set(small.tables["CWStaff"]["CarePersLocalId"]) == set(small.clinicians["clinician_id"])


def test_hard_units_present_with_their_profiles(hard):
    cl = hard.clinicians.set_index("clinician_id")
    for profile, cid in HARD_IDS.items():
        assert cl.loc[cid, "profile"] == profile
    assert (cl["profile"] == "standard").sum() == len(cl) - len(HARD_IDS)
    assert (
        cl.loc[HARD_IDS["excellent"], "effect"]
        > 2 * cl.loc[cl.profile == "standard", "effect"].std()
    )
    con = hard.tables["IDS201CareContact"]
    ref = hard.tables["IDS101Referral"].set_index("ServiceRequestId")
    mpi = hard.tables["IDS001MPI"].set_index("LocalPatientId")

    def patients(cid):
        paths = con.loc[con["CarePersLocalId"] == cid, "ServiceRequestId"].unique()
        return mpi.loc[ref.loc[paths, "LocalPatientId"].unique()]

    assert (patients(HARD_IDS["deprived"])["IndicesOfDeprivationDecile"] == 1).mean() > 0.7
    assert (patients(HARD_IDS["refugee"])["LanguageCodePreferred"] != "en").all()
    first, last = (pd.Timestamp(d) for d in hard.window)
    treat = con[con["AppType"].isin(["02", "03"]) & con["AttendOrDNACode"].isin(["5", "6"])]
    counts = treat["ServiceRequestId"].value_counts()
    mine = treat.loc[treat["CarePersLocalId"] == HARD_IDS["small"], "ServiceRequestId"].unique()
    r = ref.loc[[p for p in mine if counts[p] >= 2]]
    finished = r[(r["ServDischDate"] >= first) & (r["ServDischDate"] <= last)]
    assert 10 <= len(finished) <= 15
    assert (con["CarePersLocalId"] == HARD_IDS["step2_only"]).any()


def test_new_hard_profiles_carry_their_honest_signatures(hard):
    """Refugee: interpreter-mediated, clinician-entered answers, 12-20 planned sessions;
    older adults 65+; perinatal women; a joiner seen only in the second half of the window,
    a leaver taking no referral after its first quarter."""
    t = hard.tables
    con, ref, mpi = t["IDS201CareContact"], t["IDS101Referral"], t["IDS001MPI"]
    s = t["IDS607CodedScoreAssessmentAct"]
    by = con.set_index("CareContactId")["CarePersLocalId"]
    mine = s[s["CareContactId"].map(by) == HARD_IDS["refugee"]]
    assert len(mine) and (mine["CW_EntryMode"] == "clinician").all()
    treat = con[con["AppType"].isin(["02", "03"]) & con["AttendOrDNACode"].isin(["5", "6"])]
    n = treat[treat["CarePersLocalId"] == HARD_IDS["refugee"]].groupby("ServiceRequestId").size()
    assert n.max() <= 20 and n.max() >= 12
    first, last = (pd.Timestamp(d) for d in hard.window)
    people = mpi.set_index("LocalPatientId")
    r = ref.set_index("ServiceRequestId")

    def referrals(cid):
        return r.loc[con.loc[con["CarePersLocalId"] == cid, "ServiceRequestId"].unique()]

    old = referrals(HARD_IDS["older"])
    age = (
        pd.to_datetime(old["ReferralRequestReceivedDate"])
        - pd.to_datetime(people.loc[old["LocalPatientId"], "PersonBirthDate"]).to_numpy()
    ).dt.days / 365.25
    assert (age >= 64.9).mean() > 0.9
    peri = referrals(HARD_IDS["perinatal"])
    assert (people.loc[peri["LocalPatientId"], "Gender"] == "2").mean() > 0.9
    mid = first + (last - first) / 2
    j = con[con["CarePersLocalId"] == HARD_IDS["joiner"]]
    assert len(j) and (pd.to_datetime(j["CareContDate"]) >= mid - pd.Timedelta(days=1)).all()
    lv = referrals(HARD_IDS["leaver"])
    quarter = first + (last - first) / 4
    assert len(lv) and (pd.to_datetime(lv["ReferralRequestReceivedDate"]) < quarter).mean() > 0.9


def test_clinicians_and_caseload_knobs():
    res = synthesise(SynthConfig(referrals=3000, seed=1, teams=1, clinicians_per_team=20))
    assert len(res.clinicians) == 20
    assert set(res.clinicians["role"]) == {"PWP", "HIT", "COUNSELLOR"}


def test_write_csv_and_parquet(tmp_path):
    res = synthesise(SynthConfig(referrals=300, seed=2))
    for fmt in ("csv", "parquet"):
        paths = write_tables(res.tables, tmp_path / fmt, fmt)
        assert {p.stem for p in paths} == set(TABLE_NAMES)
        back = pd.read_csv(paths[1]) if fmt == "csv" else pd.read_parquet(paths[1])
        assert len(back) == len(res.tables[paths[1].stem])
    with pytest.raises(ConfigError):
        write_tables(res.tables, tmp_path / "x", "xlsx")


def test_bad_config_is_a_clear_error():
    with pytest.raises(ConfigError):
        SynthConfig(referrals=0)
    with pytest.raises(ConfigError):
        SynthConfig(clinicians_per_team=1)


def test_item_vectors_known_totals():
    import numpy as np

    rng = np.random.default_rng(0)
    totals = np.array([0, 27, 5, 13])
    v = item_vectors(rng, totals, 9, 3)
    assert (v.sum(axis=1) == totals).all() and v.max() <= 3
    assert vectors_to_strings(v)[1].as_py() == "3,3,3,3,3,3,3,3,3"
    with pytest.raises(ValueError):
        item_vectors(rng, np.array([28]), 9, 3)


def test_loader_accepts_every_row(tmp_path):
    load = pytest.importorskip("clearwater.dataset.load")
    res = synthesise(SynthConfig(referrals=1500, seed=8, hard_units=True))
    write_tables(res.tables, tmp_path, "csv")
    data = load.load_dataset(tmp_path)
    assert int(data.accounting["quarantined"].sum()) == 0
    assert int(data.accounting["accepted"].sum()) == sum(len(t) for t in res.tables.values())
