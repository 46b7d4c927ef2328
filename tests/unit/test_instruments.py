from pathlib import Path

import pytest

from clearwater.errors import ConfigError
from clearwater.instruments import load_instruments


def test_core_thresholds(instruments):
    phq, gad = instruments["PHQ9"], instruments["GAD7"]
    assert (phq.caseness, phq.reliable_change, phq.max) == (10, 6, 27)
    assert (gad.caseness, gad.reliable_change, gad.max) == (8, 4, 21)
    assert phq.is_case(10) and not phq.is_case(9)
    assert gad.is_case(8) and not gad.is_case(7)


def test_mobility_inventory_caseness_is_strict(instruments):
    mi = instruments["MI"]
    assert not mi.is_case(2.3) and mi.is_case(2.31)
    assert mi.status == "UNCERTAIN"


@pytest.mark.parametrize(
    ("code", "descriptor"),
    [
        ("F32.1", "depression"),
        ("f33", "depression"),
        ("F41.1", "gad"),
        ("F411", "gad"),
        ("F41.2", "mixed_anxiety_depression"),
        ("F40.0", "agoraphobia"),
        ("F40.1", "social_phobia"),
        ("F40.2", "specific_phobia"),
        ("F40.8", "other_anxiety"),
        ("F41.0", "panic"),
        ("F42.2", "ocd"),
        ("F43.1", "ptsd"),
        ("F43.2", "other_anxiety"),
        ("F45.2", "health_anxiety"),
        ("723916001", "mus"),
        ("83482000", "bdd"),
        ("G93.3", "cfs"),
        ("K58.0", "ibs"),
        ("Z63", "other"),
        ("", None),
    ],
)
def test_descriptor_for_code(instruments, code, descriptor):
    assert instruments.descriptor_for_code(code) == descriptor


def test_tool_lookup(instruments):
    assert instruments.resolve_tool("720433000") == "PHQ9"
    assert instruments.resolve_tool("445455005") == "GAD7"
    assert instruments.resolve_tool("phq9") == "PHQ9"
    assert instruments.resolve_tool("IES-R") == "IESR"
    assert instruments.resolve_tool("nonsense") is None


def test_override_replaces_values(tmp_path: Path):
    f = tmp_path / "t.toml"
    f.write_text('version = "local"\n[instruments.SPIN]\ncaseness = 21\n')
    inst = load_instruments(f)
    assert inst.version == "local" and inst["SPIN"].caseness == 21
    assert inst["PHQ9"].caseness == 10


def test_bad_override_is_a_clear_error(tmp_path: Path):
    f = tmp_path / "t.toml"
    f.write_text("[instruments.PHQ9]\ncaseness_operator = '<'\n")
    with pytest.raises(ConfigError, match="caseness_operator"):
        load_instruments(f)
    with pytest.raises(ConfigError, match="not found"):
        load_instruments(tmp_path / "missing.toml")
