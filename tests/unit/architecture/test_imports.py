"""No import cycles in src/clearwater, and imports follow the layers (docs/architecture.md):

    core -> dataset -> engine -> analyses -> report -> commands

A module may import its own layer or a lower one.  Every import counts, including those inside
functions: a lazy import hides a cycle from Python, not from the design.  The graph is built from
the source with ``ast`` (nothing is imported), so the test is quick and sees every file.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"
LAYERS = ("core", "dataset", "engine", "analyses", "report", "commands")
CORE = {"", "errors", "instruments", "stats", "outputs", "cli_common", "backend"}
COMMANDS = {"cli", "pipeline", "web", "pipeline_commands"}
REPORT_MODULES = {"report", "charts"}  # an area's own report and chart modules

# Imports against the layers that are known and not yet fixed, each with why.  The test fails if
# one of them is fixed and still listed here, so the list stays true.
KNOWN_LAYER_EXCEPTIONS = {
    # the audit result carries its evidence charts (issue #11 "detectors own their evidence";
    # integrity/ is owned by the integrity work)
    ("clearwater.integrity.evidence", "clearwater.integrity.charts"),
}


def module_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module -> the clearwater modules it imports (package ``__init__`` included)."""
    files = {}
    for path in sorted((src / "clearwater").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                found = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in found:
                # importing one's own package runs its __init__ anyway: not an edge
                if target in files and target != name and not name.startswith(target + "."):
                    targets.add(target)
        graph[name] = targets
    return graph


def cycles(nodes: Iterable[str], successors: Callable[[str], Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(successors(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(successors(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    top, leaf = (parts[1] if len(parts) > 1 else ""), parts[-1]
    if top in CORE:
        return "core"
    if top in COMMANDS or leaf == "commands":
        return "commands"
    if top == "report" or (len(parts) > 2 and leaf in REPORT_MODULES):
        return "report"
    if top in ("dataset", "engine"):
        return top
    return "analyses"


def node(module: str) -> str:
    """A package, or 'commands' for the commands layer wherever its modules sit."""
    if layer(module) == "commands":
        return "commands"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "clearwater"


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        for target in targets:
            if node(module) != node(target):
                out[node(module)].add(node(target))
    return out


def layer_violations(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    rank = {name: i for i, name in enumerate(LAYERS)}
    return {
        (module, target)
        for module, targets in graph.items()
        for target in targets
        if rank[layer(target)] > rank[layer(module)]
    }


GRAPH = module_graph()


def test_no_module_imports_itself_round_a_cycle():
    found = cycles(sorted(GRAPH), lambda m: GRAPH.get(m, ()))
    assert not found, f"import cycles between modules: {found}"


def test_no_package_import_cycles():
    packages = package_graph(GRAPH)
    found = cycles(sorted(packages), lambda p: packages.get(p, ()))
    detail = [
        f"{m} -> {t}"
        for m, ts in sorted(GRAPH.items())
        for t in sorted(ts)
        if any(node(m) in c and node(t) in c and node(m) != node(t) for c in found)
    ]
    assert not found, f"import cycles between packages {found}:\n" + "\n".join(detail)


def test_imports_follow_the_layers():
    found = layer_violations(GRAPH)
    new = sorted(found - KNOWN_LAYER_EXCEPTIONS)
    assert not new, "imports from a higher layer:\n" + "\n".join(
        f"{m} ({layer(m)}) -> {t} ({layer(t)})" for m, t in new
    )
    fixed = sorted(KNOWN_LAYER_EXCEPTIONS - found)
    assert not fixed, f"fixed: take these out of KNOWN_LAYER_EXCEPTIONS: {fixed}"


def test_the_checks_see_a_cycle_and_a_layer_breach(tmp_path):
    pkg = tmp_path / "clearwater"
    for rel, text in {
        "__init__.py": "",
        "dataset/__init__.py": "",
        "dataset/load.py": "from clearwater.engine import pathways\n",
        "engine/__init__.py": "",
        "engine/pathways.py": "def f():\n    from clearwater.dataset.load import x\n",
        "benchmark/__init__.py": "",
        "benchmark/record.py": "from .report import y\n",
        "benchmark/report.py": "from . import record\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(text, encoding="utf-8")
    graph = module_graph(tmp_path)
    assert cycles(sorted(graph), lambda m: graph[m]) == [
        ["clearwater.benchmark.record", "clearwater.benchmark.report"],
        ["clearwater.dataset.load", "clearwater.engine.pathways"],
    ]
    packages = package_graph(graph)
    assert cycles(sorted(packages), lambda p: packages.get(p, ())) == [["dataset", "engine"]]
    assert layer_violations(graph) == {
        ("clearwater.dataset.load", "clearwater.engine"),
        ("clearwater.dataset.load", "clearwater.engine.pathways"),
        ("clearwater.benchmark.record", "clearwater.benchmark.report"),
    }
