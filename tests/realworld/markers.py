"""The `# call: ID` and `# nodes: ID...` comments of the workspace, tied to the source spans they mark.

A `# call: ID` comment sits on a line of a `create_feature_extractor` / `get_graph_node_names` call and
names that call; a `# nodes: ID [ID...]` comment sits on a statement that binds node names used by
those calls elsewhere (a constant, an attribute, a dataclass default). Spans are 1-based, inclusive.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

MARKER = re.compile(r"#\s*(call|nodes):\s*(\S.*?)\s*$")
CALLEES = ("create_feature_extractor", "get_graph_node_names")


@dataclass(frozen=True)
class Span:
    file: str  # relative to the workspace, with `/`
    line: int
    end_line: int

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "end_line": self.end_line}


@dataclass
class Markers:
    calls: dict[str, Span] = field(default_factory=dict)
    literals: dict[str, list[Span]] = field(default_factory=dict)

    def call_at(self, file: str, line: int) -> str | None:
        """The id of the innermost marked call in ``file`` whose span holds ``line``."""
        holding = [
            (s.end_line - s.line, i) for i, s in self.calls.items() if s.file == file and s.line <= line <= s.end_line
        ]
        return min(holding)[1] if holding else None


def workspace_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def read_markers(root: Path) -> Markers:
    """Every marker of the workspace; a marker that marks nothing, or an id used twice, is an error."""
    markers = Markers()
    for path in workspace_files(root):
        text = path.read_text()
        tree = ast.parse(text)
        relative = path.relative_to(root).as_posix()
        for line, kind, ids in _comments(text):
            if kind == "call":
                call = _marked_call(tree, line)
                if call is None or len(ids) != 1:
                    raise ValueError(
                        f"{relative}:{line}: `# call:` needs one id on a line of a feature-extraction call"
                    )
                if ids[0] in markers.calls:
                    raise ValueError(f"{relative}:{line}: call id {ids[0]!r} is used twice")
                markers.calls[ids[0]] = Span(relative, call.lineno, call.end_lineno or call.lineno)
            else:
                statement = _statement_at(tree, line)
                span = Span(relative, statement.lineno, statement.end_lineno or statement.lineno)
                for call_id in ids:
                    markers.literals.setdefault(call_id, []).append(span)
    unknown = sorted(set(markers.literals) - set(markers.calls))
    if unknown:
        raise ValueError(f"`# nodes:` names calls that no `# call:` marks: {', '.join(unknown)}")
    return markers


def _comments(text: str) -> list[tuple[int, str, list[str]]]:
    found = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT and (match := MARKER.search(token.string)):
            found.append((token.start[0], match.group(1), match.group(2).split()))
    return found


def _marked_call(tree: ast.AST, line: int) -> ast.Call | None:
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _callee(node).endswith(CALLEES) and node.lineno <= line <= node.end_lineno
    ]
    return min(calls, key=lambda c: c.end_lineno - c.lineno, default=None)


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _statement_at(tree: ast.AST, line: int) -> ast.stmt:
    statements = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt)
        and not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.If))
        and node.lineno <= line <= node.end_lineno
    ]
    if not statements:
        raise ValueError(f"line {line}: `# nodes:` is not on a statement")
    return min(statements, key=lambda s: s.end_lineno - s.lineno)
