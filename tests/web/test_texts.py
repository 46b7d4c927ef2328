"""Item texts as data: free instruments ship their text; others only from a service's
licensed copy (versioned), otherwise clinician-entered scores only."""

from __future__ import annotations

import pytest

from clearwater.errors import ConfigError
from clearwater.instruments.items import load_item_texts, parse_texts


def test_shipped_texts_are_the_free_instruments_only():
    reg = load_item_texts()
    assert set(reg.texts) == {"PHQ9", "GAD7"}
    phq = reg.texts["PHQ9"]
    assert len(phq.items) == 9 and phq.risk_item == 9
    assert [v for v, _ in phq.anchors] == [0, 1, 2, 3]
    assert reg.texts["GAD7"].anchors[0] == (0, "Not at all")
    assert {"WSAS", "SPIN", "PDSS", "IESR"} <= set(reg.restricted)


def test_texts_are_checked_against_the_instrument():
    with pytest.raises(ConfigError, match="2 items, the instrument has 5"):
        parse_texts("WSAS", {"items": ["a", "b"], "anchors": [[0, "x"]], "licence": "x"}, 5)
    with pytest.raises(ConfigError, match="anchors"):
        parse_texts("WSAS", {"items": ["a"], "anchors": ["bad"], "licence": "x"})


def test_a_licensed_copy_makes_the_instrument_self_completable(world):
    from clearwater.web.records.models import InstrumentText
    from clearwater.web.records.services import create_link, load_licensed_texts, texts_for

    assert texts_for("WSAS") is None
    content = {
        "stem": "Rate each from 0 (not at all) to 8 (very severely).",
        "items": [f"Licensed item {i}" for i in range(1, 6)],
        "anchors": [[v, str(v)] for v in range(9)],
    }
    load_licensed_texts("WSAS", "v1", "Our licence 2026", "Service copy", content, "admin")
    load_licensed_texts("WSAS", "v2", "Our licence 2026", "Service copy", content, "admin")
    assert list(InstrumentText.objects.values_list("version", "active")) == [
        ("v1", False),
        ("v2", True),
    ]
    assert texts_for("WSAS").items[0] == "Licensed item 1"
    link, _ = create_link(world.mine.appointment, world.users["clinician"])
    assert "WSAS" in link.instrument_list()
