"""A syntax tree together with the text it was parsed from, reporting positions in the original text.

When a document had to be repaired (``fxlens.workspace.repair``) its call sites are read from the
repaired tree; ``Syntax`` maps every node back to where it is in what the user actually typed.
"""

from __future__ import annotations

from tree_sitter import Node, Tree

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.repair import Repair
from fxlens.workspace.text import LineIndex


class Syntax:
    """The tree of ``parsed`` (the original text or its repair) and position mapping to the original."""

    def __init__(self, tree: Tree, parsed: LineIndex, repair: Repair | None = None) -> None:
        self.tree = tree
        self.parsed = parsed
        self.repair = repair
        self.source = parsed.source

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text(self, node: Node) -> str:
        """The node's source text as parsed (including repaired insertions)."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def position(self, point: tuple[int, int]) -> Position:
        """Original code-point position of a tree point."""
        pos = self.parsed.position(point)
        return self.repair.to_original(pos) if self.repair else pos

    def range(self, node: Node) -> Range:
        """Original range of a node."""
        return Range(self.position(node.start_point), self.position(node.end_point))

    def is_repaired(self, node: Node) -> bool:
        """True when the node holds text the user has not typed (a closing quote or bracket)."""
        if self.repair is None:
            return False
        rng = self.range(node)
        return any(
            self.parsed.offset(self.repair.to_repaired(ins.position)) < node.end_byte
            for ins in self.repair.between(rng.start, rng.end)
        )

    def offset(self, pos: Position) -> int:
        """Byte offset in the parsed text of an original position."""
        return self.parsed.offset(self._repaired(pos))

    def _repaired(self, pos: Position) -> Position:
        """The repaired-text position of an original position (before text inserted there)."""
        return pos if self.repair is None else self.repair.to_repaired(pos)
