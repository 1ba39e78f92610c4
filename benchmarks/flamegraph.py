"""A flame graph (SVG) from py-spy's raw stacks. py-spy renders one itself, but only from a second
sampling run (one output format per run), which would double the sampler's own CPU during the profile."""

from __future__ import annotations

import hashlib
from collections import Counter
from html import escape

WIDTH = 1200.0
ROW = 16
MIN_WIDTH = 0.3  # px: narrower frames are left out, as flamegraph.pl does


class Node:
    __slots__ = ("children", "count")

    def __init__(self) -> None:
        self.count = 0
        self.children: dict[str, Node] = {}


def tree(stacks: Counter[tuple[str, ...]]) -> Node:
    root = Node()
    for stack, n in stacks.items():
        node = root
        node.count += n
        for frame in stack:
            node = node.children.setdefault(frame, Node())
            node.count += n
    return root


def colour(name: str) -> str:
    """A warm colour that depends on the name only, so one function looks the same in every graph."""
    h = hashlib.md5(name.encode(), usedforsecurity=False).digest()
    return f"rgb({205 + h[0] % 50},{80 + h[1] % 130},{h[2] % 55})"


def render(stacks: Counter[tuple[str, ...]], title: str) -> str:
    root = tree(stacks)
    total = root.count or 1
    depth = max((len(stack) for stack in stacks), default=0)
    height = (depth + 3) * ROW
    scale = WIDTH / total
    rects: list[str] = []

    def draw(name: str, node: Node, x: float, level: int) -> None:
        width = node.count * scale
        if width < MIN_WIDTH:
            return
        y = height - (level + 2) * ROW
        label = escape(name[: int(width / 7)] if width > 21 else "")
        rects.append(f'<g><title>{escape(name)} ({node.count} samples, {100 * node.count / total:.2f}%)</title>'
                     f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{ROW - 1}" fill="{colour(name)}"/>'
                     f'<text x="{x + 3:.1f}" y="{y + ROW - 4}">{label}</text></g>')
        for child_name in sorted(node.children):  # alphabetical, as flamegraph.pl: same stacks, same picture
            child = node.children[child_name]
            draw(child_name, child, x, level + 1)
            x += child.count * scale

    draw("all", root, 0.0, 0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0f}" height="{height}" '
            f'font-family="monospace" font-size="11">'
            f'<text x="{WIDTH / 2:.0f}" y="{ROW}" text-anchor="middle" font-size="14">{escape(title)}</text>'
            + "".join(rects) + "</svg>\n")
