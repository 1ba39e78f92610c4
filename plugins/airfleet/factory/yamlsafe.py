"""Load factory YAML with limits, so a hostile or careless file costs milliseconds, not the parse.

PyYAML's safe loader shares the object an alias points to, so loading an alias bomb ("billion
laughs") is cheap, but everything that walks the result afterwards (validation, JSON for the
tables) expands it exponentially; a self-referencing anchor builds a cyclic structure that any
walk turns into a RecursionError. The node graph is checked before anything is constructed: a
cycle, aliases repeating more values than a spec can sensibly need, or too deep a nesting is
refused with one line that says which. A large spec written out in full is not limited (but for
its size).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 2_000_000  # far above any spec file; the tables hold each record separately
MAX_REPEATS = 100_000  # values repeated through aliases; a spec's own values are bounded by MAX_BYTES
MAX_DEPTH = 64
FIX = "write the values out instead of through aliases that expand them (or contain themselves)"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(ValueError):
    """The text is valid YAML but beyond the factory's limits; the message says which and why."""


def _check(root: yaml.Node) -> None:
    seen: set[int] = set()
    repeats = 0
    path: set[int] = set()  # ids of the collection nodes on the way down: an alias back to one is a cycle
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            path.discard(id(node))
            continue
        if id(node) in seen:
            repeats += 1
            if repeats > MAX_REPEATS:
                raise YamlLimitError(f"aliases repeat more than {MAX_REPEATS} values (an alias bomb?)")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in path:
            raise YamlLimitError("an anchor refers to itself (a value that contains itself)")
        path.add(id(node))
        stack.append((node, depth, True))
        children = node.value if isinstance(node, yaml.SequenceNode) else [part for pair in node.value for part in pair]
        stack += [(child, depth + 1, False) for child in reversed(children)]


def load(text: str) -> Any:
    """Like yaml.safe_load, with the limits above; YamlLimitError or yaml.YAMLError say what is wrong."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"{len(text)} bytes, more than the {MAX_BYTES} a spec file may have")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node)
        return loader.construct_document(node)
    except RecursionError:
        raise YamlLimitError(f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()
