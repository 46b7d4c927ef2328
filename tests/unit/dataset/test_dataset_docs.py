"""docs/data-contract.md: its generated tables match the contract."""

from __future__ import annotations

from pathlib import Path

from clearwater.dataset import contract
from clearwater.dataset.docs import generated_region, render_contract_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-contract.md"


def test_committed_contract_doc_is_up_to_date():
    committed = generated_region(DOC.read_text(encoding="utf-8"))
    assert committed == render_contract_markdown(), (
        "docs/data-contract.md is stale: run python -m clearwater.dataset.docs docs/data-contract.md"
    )


def test_every_table_and_column_is_documented():
    text = render_contract_markdown()
    for spec in contract.TABLES:
        assert f"### {spec.source} → `{spec.clean}`" in text
        for col in spec.columns:
            assert f"| {col.source} | `{col.clean}` |" in text
    for name, _ in contract.SCORE_COLUMNS:
        assert f"| `{name}` |" in text
