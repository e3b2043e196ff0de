"""The package tree keeps the shape the README describes: stage subpackages, small modules, no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kaifaqu_llm"
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    """Return every module of the package by dotted name (``kaifaqu_llm.pages.segment``)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """Return the dotted names a ``from … import …`` statement in ``importer`` may load."""
    if node.level:
        base = importer.split(".") if is_package else importer.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return [target] + [f"{target}.{alias.name}" for alias in node.names]


def _import_graph() -> dict[str, set[str]]:
    """Return module → package modules it imports at module level (imports inside functions are lazy on purpose)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks do not run
                continue
            if isinstance(node, ast.ImportFrom):
                candidates = _resolve(name, path.name == "__init__.py", node)
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            edges.update(c for c in candidates if c in modules and c != name)
        graph[name] = edges
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one import cycle as a list of modules, or None when the graph is acyclic."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ importing its own children is how packages re-export, not a cycle
            if node != "kaifaqu_llm" and nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycle_between_package_modules():
    graph = _import_graph()
    # the top package re-exports everything; a stage module importing it back would be a cycle
    assert not any("kaifaqu_llm" in edges for name, edges in graph.items() if name != "kaifaqu_llm")
    without_top = {k: v - {"kaifaqu_llm"} for k, v in graph.items() if k != "kaifaqu_llm"}
    assert _find_cycle(without_top) is None, " → ".join(_find_cycle(without_top) or [])


def test_cycle_finder_sees_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_stage_subpackages_and_few_loose_modules():
    subpackages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    loose = [p.name for p in PACKAGE.glob("*.py")]
    assert len(subpackages) >= 5, subpackages
    assert len(loose) <= 6, loose
    for sub in subpackages:
        assert ast.get_docstring(ast.parse((sub / "__init__.py").read_text(encoding="utf-8"))), f"{sub.name} says nothing"


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_is_small(name):
    lines = _modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (at most {MAX_LINES})"
