"""Code lists have one source, the data contract: no module retypes one of its lists."""

from __future__ import annotations

import ast
from pathlib import Path

from clearwater.dataset import contract

SRC = Path(__file__).resolve().parents[3] / "src" / "clearwater"
LISTS = {
    frozenset(value): name
    for name, value in vars(contract).items()
    if name.isupper() and isinstance(value, frozenset) and len(value) >= 2
    if all(isinstance(v, str) for v in value)
}


def _strings(node: ast.AST) -> frozenset[str] | None:
    """The values of a set, tuple or list literal of two or more strings, else None."""
    if not isinstance(node, ast.Set | ast.Tuple | ast.List) or len(node.elts) < 2:
        return None
    if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return None
    return frozenset(e.value for e in node.elts)


def _retyped(path: Path, root: Path = SRC) -> list[str]:
    return [
        f"{path.relative_to(root)}:{node.lineno} retypes {LISTS[values]}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (values := _strings(node)) in LISTS
    ]


def test_the_checker_finds_a_retyped_list(tmp_path):
    (tmp_path / "m.py").write_text('TREAT = {"02", "03", "05"}\nOK = ("02", "03")\n')
    assert _retyped(tmp_path / "m.py", tmp_path) == ["m.py:1 retypes TREATMENT_APP_TYPES"]


def test_no_module_retypes_a_contract_code_list():
    assert LISTS, "the contract has no code lists?"
    found = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "contract.py" or path.parent.name != "dataset"
        for hit in _retyped(path)
    ]
    assert not found, "import these from clearwater.dataset.contract:\n" + "\n".join(found)
