"""Dependency graphs of ids: find a cycle to name it, and route around removed (disabled) nodes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from airfleet.factory.spec import Dependency


def _children(nodes: Sequence[str], edges: Iterable[Dependency]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {node: [] for node in nodes}
    for edge in edges:
        children[edge.parent].append(edge.child)
    return children


def find_cycle(nodes: Sequence[str], edges: Iterable[Dependency]) -> list[str] | None:
    """A cycle as [a, b, ..., a] in dependency order (parent first), or None. Deterministic."""
    children = _children(nodes, edges)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for child in children[node]:
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if child not in state:
                found = visit(child)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for node in nodes:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def bypass(nodes: Sequence[str], edges: Iterable[Dependency], keep: set[str]) -> tuple[Dependency, ...]:
    """Edges between kept nodes, where a path through removed nodes becomes a direct edge, so that
    what ran in order still does (a -> x -> b with x removed gives a -> b). The graph is acyclic."""
    children = _children(nodes, edges)

    def kept_below(node: str, seen: set[str]) -> list[str]:
        found: list[str] = []
        for child in children[node]:
            if child in seen:
                continue
            seen.add(child)
            found += [child] if child in keep else kept_below(child, seen)
        return found

    result = [Dependency(child=child, parent=node)
              for node in nodes if node in keep for child in kept_below(node, set())]
    return tuple(dict.fromkeys(result))
