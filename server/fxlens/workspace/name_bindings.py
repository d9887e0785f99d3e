"""The binding of a name as code at a point sees it: its function, each enclosing function, the module.

Like ``fxlens.workspace.scopes.find_binding`` (and giving the same ``NameBinding``), but closures
see the functions around them, and module-level names come from the ``Symbols`` index rather than
a scan of the whole file: following the names of 80 calls in a 2,000-line file stays cheap
(``bench/bench_bindings.py``). Module-level bindings ``Symbols`` does not index (under ``if``,
``try``, ``with``) are still found, by ``find_binding``'s scan.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from fxlens.workspace.scopes import NameBinding, enclosing_function, enclosing_scope, find_binding
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax

_IDENTIFIER = re.compile(rb"\w")
_TARGET_FIELDS = {  # node type → the field whose identifier it binds
    "for_statement": "left",
    "augmented_assignment": "left",
    "named_expression": "name",
}
_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "as_pattern_target", "list_splat_pattern"})


def name_binding(syntax: Syntax, symbols: Symbols, name: str, at: Node) -> NameBinding | None:
    """The binding of ``name`` in force where ``at`` is evaluated; None for imports and unknown names."""
    point = at
    function = enclosing_function(point)
    while function is not None:
        local = _local_binding(syntax, name, function, point.start_byte)
        if local is not None:
            return local
        parameter = parameter_named(syntax, function, name)
        if parameter is not None:
            return NameBinding("parameter", parameter, function)
        point, function = function, enclosing_function(function)
    indexed = symbols.lookup(name, point.start_byte)
    if indexed is not None and indexed.kind == "assign" and indexed.node is not None:
        return NameBinding("value", indexed.node, _statement(indexed.node))
    if indexed is not None:
        return None  # an import, a def or a class
    return find_binding(syntax, name, point)


def parameter_named(syntax: Syntax, function: Node, name: str) -> Node | None:
    """The parameter node of ``function`` that binds ``name`` (plain, typed, with a default, splat)."""
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        target = parameter_name(parameter)
        if target is not None and syntax.text(target) == name:
            return parameter
    return None


def parameter_name(parameter: Node) -> Node | None:
    """The identifier a parameter binds."""
    if parameter.type == "identifier":
        return parameter
    name = parameter.child_by_field_name("name")
    if name is None and parameter.named_children:
        name = parameter.named_children[0]
    return name if name is not None and name.type == "identifier" else None


def _local_binding(syntax: Syntax, name: str, function: Node, before: int) -> NameBinding | None:
    """The last binding of ``name`` directly in ``function``'s body that ends before byte ``before``."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    needle, source = name.encode(), syntax.source
    end = min(body.end_byte, before)
    found: NameBinding | None = None
    at = source.find(needle, body.start_byte, end)
    while at != -1:
        after = at + len(needle)
        if not (at and _IDENTIFIER.match(source, at - 1)) and not _IDENTIFIER.match(source, after):
            node = syntax.root.descendant_for_byte_range(at, after)
            binding = _binding_of(node) if node is not None and node.type == "identifier" else None
            # parents are costly in tree-sitter: the scope is checked only for the (few) bindings
            if binding is not None and binding.statement.end_byte <= before and _same(enclosing_scope(node), function):
                found = binding
        at = source.find(needle, after, end)
    return found


def _binding_of(identifier: Node) -> NameBinding | None:
    """How an identifier is bound when it is a target: ``value`` for ``name = value``, else ``other``."""
    parent = identifier.parent
    if parent is None:
        return None
    if parent.type == "assignment" and _same(parent.child_by_field_name("left"), identifier):
        value = parent.child_by_field_name("right")
        while value is not None and value.type == "assignment":  # a = b = value
            value = value.child_by_field_name("right")
        return NameBinding("value", value, _statement(parent)) if value is not None else None
    field = _TARGET_FIELDS.get(parent.type)
    if (field is not None and _same(parent.child_by_field_name(field), identifier)) or parent.type in _PATTERNS:
        return NameBinding("other", parent, _statement(parent))
    return None


def _statement(node: Node) -> Node:
    parent = node.parent
    while parent is not None and parent.type not in ("module", "block"):
        node, parent = parent, parent.parent
    return node


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.id == b.id
