"""The committed measures reference is the one the declarations generate."""

from __future__ import annotations

from clearwater.measures.definitions import MEASURES
from clearwater.measures.docs import DOC_PATH, render_measures_markdown


def test_committed_measures_page_is_current():
    assert DOC_PATH.read_text(encoding="utf-8") == render_measures_markdown(), (
        "docs/reference/measures.md is stale: regenerate with "
        '.venv/bin/python -c "from clearwater.measures.docs import write; write()"'
    )


def test_every_measure_is_documented_with_its_definition():
    text = render_measures_markdown()
    for m in MEASURES.values():
        assert f"## {m.id}\n" in text
        assert m.definition in text
