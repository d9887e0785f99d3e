"""The node names a collection literal holds: list, tuple and set items, dict keys with their outputs.

The literal may be written in the call, bound to a name elsewhere, or be a comprehension over
literals (whose values are computed; see ``fxlens.workspace.comprehensions``). Every string keeps
the range where it is written, so rules, completion and fixes act on that text.
"""

from __future__ import annotations

import ast
from typing import Literal

from tree_sitter import Node

from fxlens.workspace.callsite import NodeQuery, Range, StringLiteral
from fxlens.workspace.comprehensions import expand
from fxlens.workspace.syntax import Syntax

Form = Literal["list", "tuple", "set", "dict", "other"]
FORMS: dict[str, Form] = {
    "list": "list",
    "tuple": "tuple",
    "set": "set",
    "dictionary": "dict",
    "list_comprehension": "list",
    "set_comprehension": "set",
    "dictionary_comprehension": "dict",
}
COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension"})


def read_queries(syntax: Syntax, literal: Node) -> tuple[Form, tuple[NodeQuery, ...]]:
    """The form of a collection node and the queries in it; ("other", ()) for anything else."""
    form: Form = FORMS.get(literal.type, "other")
    if literal.type in COMPREHENSIONS:
        queries = _computed_queries(syntax, literal)
        return (form, queries) if queries is not None else ("other", ())
    found: list[NodeQuery] = []
    if form == "dict":
        for pair in literal.named_children:
            key, output = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            name = string_literal(syntax, key) if pair.type == "pair" and key is not None else None
            if name is not None:
                found.append(NodeQuery(name, string_literal(syntax, output) if output is not None else None))
    elif form != "other":
        for item in literal.named_children:
            name = string_literal(syntax, item)
            if name is not None:
                found.append(NodeQuery(name))
    return form, tuple(found)


def _computed_queries(syntax: Syntax, comprehension: Node) -> tuple[NodeQuery, ...] | None:
    """The queries a comprehension yields, each at the expression that yields it; None if not static."""
    pairs = expand(syntax.text(comprehension))
    body = comprehension.child_by_field_name("body")
    if pairs is None or body is None:
        return None
    key = body.child_by_field_name("key") if body.type == "pair" else body
    value = body.child_by_field_name("value") if body.type == "pair" else None
    if key is None:
        return None
    written = _iterated_strings(syntax, comprehension, key)
    queries = []
    for name, output in pairs:
        if not isinstance(name, str):
            continue
        output_literal = _computed(syntax, value, output) if value is not None and isinstance(output, str) else None
        queries.append(NodeQuery(written.get(name) or _computed(syntax, key, name), output_literal))
    return tuple(queries)


def _iterated_strings(syntax: Syntax, comprehension: Node, key: Node) -> dict[str, StringLiteral]:
    """When the names are the loop variable itself over a literal list of strings
    (``{name: ... for name in ["Mixed_6e", "Mixed_7c"]}``), each name's string as written: there it
    is completed, hovered and fixed like any other."""
    clauses = [c for c in comprehension.children if c.type == "for_in_clause"]
    if len(clauses) != 1 or key.type != "identifier":
        return {}
    variable, iterable = clauses[0].child_by_field_name("left"), clauses[0].child_by_field_name("right")
    if variable is None or iterable is None or syntax.text(variable) != syntax.text(key):
        return {}
    if iterable.type not in ("list", "tuple", "set"):
        return {}
    found = {}
    for item in iterable.named_children:
        literal = string_literal(syntax, item)
        if literal is not None:
            found.setdefault(literal.value, literal)
    return found


def _computed(syntax: Syntax, node: Node, value: str) -> StringLiteral:
    """A computed value, placed at the content of the (f-)string that yields it, else at the expression."""
    whole = syntax.range(node)
    start, end = node.child(0), node.child(node.child_count - 1)
    content = whole
    if node.type == "string" and start is not None and end is not None and end.type == "string_end":
        content = Range(syntax.position(start.end_point), syntax.position(end.start_point))
    return StringLiteral(value=value, range=content, literal_range=whole, computed=True)


def string_literal(syntax: Syntax, node: Node) -> StringLiteral | None:
    """A plain or concatenated ``str`` literal (no f-strings, no bytes); None for anything else."""
    parts = node.named_children if node.type == "concatenated_string" else [node]
    if not parts or any(p.type != "string" for p in parts):
        return None
    contents = []
    for part in parts:
        start, end = part.child(0), part.child(part.child_count - 1)
        if start is None or end is None or start.type != "string_start" or end.type != "string_end":
            return None
        prefix = syntax.text(start).lower()
        if "f" in prefix or "b" in prefix:
            return None
        contents.append((start, end))
    first, last = contents[0][0], contents[-1][1]
    content_range = Range(syntax.position(first.end_point), syntax.position(last.start_point))
    return StringLiteral(
        value=_value(syntax, node, contents),
        range=content_range,
        literal_range=syntax.range(node),
        terminated=not syntax.is_repaired(node),
    )


def _value(syntax: Syntax, node: Node, contents: list[tuple[Node, Node]]) -> str:
    """The decoded value; the raw content when it cannot be decoded yet (a trailing backslash)."""
    raw = "".join(syntax.source[a.end_byte : b.start_byte].decode("utf-8", errors="replace") for a, b in contents)
    if "\\" not in raw:
        return raw  # nothing to decode: the common case, without a round trip through ``ast``
    try:
        value = ast.literal_eval(syntax.text(node))
    except (SyntaxError, ValueError):
        value = None
    return value if isinstance(value, str) else raw
