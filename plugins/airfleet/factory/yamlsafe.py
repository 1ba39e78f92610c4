"""Load factory YAML with limits, so a hostile or careless file costs milliseconds, not the parse.

PyYAML's safe loader shares the object an alias points to, so loading an alias bomb ("billion
laughs") is cheap, but everything that walks the result afterwards (validation, JSON for the
tables) expands it exponentially; a self-referencing anchor builds a cyclic structure that any
walk turns into a RecursionError. The node graph is checked before anything is constructed: a
cycle, aliases repeating more values than a spec can sensibly need, or too deep a nesting is
refused with one line that says which. A large spec written out in full is not limited (but for
its size). A key given twice in one mapping, which PyYAML would silently let the last one win, is a
YAML error; so are bytes that are not UTF-8 text (a binary file).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 2_000_000  # far above any spec file; the tables hold each record separately
MAX_REPEATS = 100_000  # values repeated through aliases; a spec's own values are bounded by MAX_BYTES
MAX_DEPTH = 64
FIX = "write the values out instead of through aliases that expand them (or contain themselves)"
SYNTAX_FIX = "fix the YAML syntax (yamllint shows the spot)"
TEXT_FIX = "save the file as UTF-8 text (YAML or JSON)"
MERGE = "tag:yaml.org,2002:merge"  # `<<: *base`: keys after it override the merged ones, as meant

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(ValueError):
    """The text is valid YAML but beyond the factory's limits; the message says which and why."""


class NotTextError(ValueError):
    """The bytes are not UTF-8 text (a binary file, or another encoding); the message says where."""


def _duplicate_key(node: yaml.MappingNode) -> None:
    keys: set[tuple[str, str]] = set()
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != MERGE:
            if (key.tag, key.value) in keys:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"key '{key.value}' appears twice in one mapping (only the last would count)", key.start_mark)
            keys.add((key.tag, key.value))


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
        first = id(node) not in seen
        if not first:
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
        if first and isinstance(node, yaml.MappingNode):
            _duplicate_key(node)
        path.add(id(node))
        stack.append((node, depth, True))
        children = node.value if isinstance(node, yaml.SequenceNode) else [part for pair in node.value for part in pair]
        stack += [(child, depth + 1, False) for child in reversed(children)]


def load(text: str | bytes) -> Any:
    """Like yaml.safe_load, with the limits above; YamlLimitError, NotTextError or yaml.YAMLError say
    what is wrong. Bytes (a file as read) must be UTF-8."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(f"{len(text)} bytes, more than the {MAX_BYTES} a spec file may have")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise NotTextError(f"not UTF-8 text (byte 0x{text[error.start]:02x} at offset {error.start})") from None
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


def describe(error: yaml.YAMLError) -> tuple[str, str]:
    """Where a YAML error is ("line 3", or "(document)") and what it is, one line each (PyYAML's own
    text spans several lines)."""
    mark = getattr(error, "problem_mark", None)
    what = getattr(error, "problem", None) or (str(error).splitlines() or [type(error).__name__])[0]
    context = getattr(error, "context", None)
    if context and str(what).startswith("but "):  # "expected a single document in the stream, but found another"
        what = f"{context}, {what}"
    return (f"line {mark.line + 1}" if mark else "(document)"), " ".join(str(what).split())
