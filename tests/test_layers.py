"""The package import graph of `service/` has no cycle: data flows text → Doc → matches → events
→ protobuf, and the authoring tools sit beside the serving path, not under it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"


def _unit(module: str) -> str | None:
    """The graph node of a dotted module: `service.<package or top-level module>`."""
    parts = module.split(".")
    return parts[1] if parts[0] == "service" and len(parts) > 1 else None


def _is_unit(name: str) -> bool:
    """A package or module of `service/`, not a name imported from `service/__init__.py`."""
    return (SERVICE / name).is_dir() or (SERVICE / f"{name}.py").is_file()


def _imports(path: Path) -> Iterator[str]:
    """Every module imported anywhere in the file, function-level imports included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SERVICE.rglob("*.py"):
        source = _unit("service." + ".".join(path.relative_to(SERVICE).with_suffix("").parts))
        if source is None:  # service/__init__.py
            continue
        edges = graph.setdefault(source, set())
        for module in _imports(path):
            target = _unit(module)
            if target is not None and target != source and _is_unit(target):
                edges.add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle as a path [a, b, ..., a], or [] when the graph is acyclic."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_service_packages_import_without_cycles() -> None:
    graph = package_graph()
    assert {"api", "authoring", "engine", "events", "rules"} <= set(graph)
    assert find_cycle(graph) == [], " → ".join(find_cycle(graph))


def test_serving_and_model_layers_do_not_reach_up() -> None:
    """The event model knows no engine; the engine and rules know no api or authoring."""
    graph = package_graph()
    assert graph["events"] == set(), graph["events"]
    for low in ("engine", "rules", "events"):
        assert not graph[low] & {"api", "authoring", "cli"}, (low, graph[low])


def test_cycle_finder_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []
