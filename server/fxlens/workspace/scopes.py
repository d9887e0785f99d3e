"""Which statement gave a local or module-level name its value at a given point of a file.

Python scoping, simplified for reading models statically: inside a function, the last binding of
the name in that function's body before the point (nested functions and classes excluded), else
the function's parameter, else the last module-level binding (before the point if there is one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node

from fxlens.workspace.syntax import Syntax

BindingForm = Literal["value", "parameter", "unpacked", "loop", "with", "other"]
_SCOPE_TYPES = frozenset({"function_definition", "lambda", "class_definition"})
_IDENTIFIER = re.compile(rb"[A-Za-z0-9_]")
_PATTERNS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "list_splat_pattern"})


@dataclass(frozen=True)
class NameBinding:
    """How a name got its value: ``value`` is the assigned expression or the parameter node."""

    form: BindingForm
    value: Node
    statement: Node  # the binding statement (the function definition, for parameters)


def enclosing_scope(node: Node) -> Node | None:
    """The innermost function, lambda or class around ``node``; None at module level."""
    parent = node.parent
    while parent is not None and parent.type not in _SCOPE_TYPES:
        parent = parent.parent
    return parent


def enclosing_function(node: Node) -> Node | None:
    """The innermost ``def`` around ``node`` (skipping classes); None at module level."""
    parent = node.parent
    while parent is not None and parent.type != "function_definition":
        parent = parent.parent
    return parent


def find_binding(syntax: Syntax, name: str, at: Node) -> NameBinding | None:
    """The binding of ``name`` in force where ``at`` is evaluated."""
    function = enclosing_function(at)
    if function is not None:
        local = last_binding(syntax, name, function, at.start_byte)
        if local is not None:
            return local
        parameter = parameter_named(syntax, function, name)
        if parameter is not None:
            return NameBinding("parameter", parameter, function)
    before = last_binding(syntax, name, None, at.start_byte)
    return before if before is not None else last_binding(syntax, name, None, None)


def bindings_of(syntax: Syntax, name: str, at: Node) -> list[NameBinding]:
    """Every binding of ``name`` in the scope ``find_binding`` takes its answer from, in order.

    Several, when branches assign the name (``if ...: model = a()`` / ``else: model = b()``);
    the last is ``find_binding``'s.
    """
    function = enclosing_function(at)
    if function is not None:
        local = scope_bindings(syntax, name, function, at.start_byte)
        if local:
            return local
        if parameter_named(syntax, function, name) is not None:
            return []
    return scope_bindings(syntax, name, None, at.start_byte) or scope_bindings(syntax, name, None, None)


def last_binding(syntax: Syntax, name: str, scope: Node | None, before: int | None) -> NameBinding | None:
    """The last binding of ``name`` directly in ``scope`` (None: module) ending before byte ``before``."""
    found = scope_bindings(syntax, name, scope, before)
    return found[-1] if found else None


def scope_bindings(syntax: Syntax, name: str, scope: Node | None, before: int | None) -> list[NameBinding]:
    """The bindings of ``name`` directly in ``scope``'s body (None: the module) ending before byte ``before``.

    A text search for the name, then the tree for the few hits: cheap even in a 2,000-line file.
    """
    needle, source = name.encode(), syntax.source
    body = scope.child_by_field_name("body") if scope is not None else None
    start, end = (body.start_byte, body.end_byte) if body is not None else (0, len(source))
    if before is not None:
        end = min(end, before)
    found: list[NameBinding] = []
    if (scope is not None and body is None) or not needle:  # a MISSING identifier (zero-width) names nothing
        return found
    at = source.find(needle, start, end)
    while at != -1:
        after = at + len(needle)
        if not (at and _IDENTIFIER.match(source, at - 1)) and not _IDENTIFIER.match(source, after):
            node = syntax.root.descendant_for_byte_range(at, after)
            binding = _binding_of(node) if node is not None and node.type == "identifier" else None
            # parents are costly in tree-sitter: the scope is checked only for the (few) bindings
            if (
                binding is not None
                and (before is None or binding.statement.end_byte <= before)
                and _in_scope(node, scope)
            ):
                found.append(binding)
        at = source.find(needle, after, end)
    return found


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


def statement_of(node: Node) -> Node:
    """The statement ``node`` is part of (the child of a module or block that holds it)."""
    while node.parent is not None and node.parent.type not in ("module", "block"):
        node = node.parent
    return node


def _in_scope(node: Node, scope: Node | None) -> bool:
    inner = enclosing_scope(node)
    if scope is None:
        return inner is None
    return inner is not None and inner.id == scope.id


def _binding_of(identifier: Node) -> NameBinding | None:
    """The binding an identifier is the target of, if it is one (in an unpacking, at any depth)."""
    parent = identifier.parent
    if parent is None:
        return None
    if parent.type == "assignment" and _same(parent.child_by_field_name("left"), identifier):
        value = parent.child_by_field_name("right")
        while value is not None and value.type == "assignment":  # a = b = value
            value = value.child_by_field_name("right")
        if value is None:
            return None
        return NameBinding("value", value, statement_of(parent))
    if parent.type in _PATTERNS:  # a, (b, *c) = ... / for a, b in ...
        holder = parent.parent
        while holder is not None and holder.type in _PATTERNS:
            holder = holder.parent
        if holder is not None and holder.type == "assignment":
            return NameBinding("unpacked", holder, statement_of(holder))
        if holder is not None and holder.type == "for_statement":
            return NameBinding("loop", holder, holder)
    if parent.type == "for_statement" and _same(parent.child_by_field_name("left"), identifier):
        return NameBinding("loop", parent, parent)
    if parent.type == "as_pattern_target":
        return NameBinding("with", parent, statement_of(parent))
    if parent.type in ("augmented_assignment", "named_expression") and _same(
        parent.child_by_field_name("left") or parent.child_by_field_name("name"), identifier
    ):
        return NameBinding("other", parent, statement_of(parent))
    return None


def _same(a: Node | None, b: Node) -> bool:
    return a is not None and a.id == b.id


def self_attribute(syntax: Syntax, obj: Node, attribute: str) -> Node | None:
    """The value assigned to ``self.<attribute>`` in the class whose method ``obj`` (its ``self``) is in.

    ``__init__``'s last assignment wins, else the only assignment in the class; None when ``obj``
    is not the first parameter of a method or the class assigns the attribute nowhere or in several
    methods. The value is evaluated in its method's scope (its names are that method's).
    """
    function = enclosing_function(obj)
    if obj.type != "identifier" or function is None or not attribute:
        return None
    owner = function.parent.parent if function.parent is not None else None
    if owner is not None and owner.type == "decorated_definition":
        owner = owner.parent.parent if owner.parent is not None else None
    if owner is None or owner.type != "class_definition" or _first_parameter(syntax, function) != syntax.text(obj):
        return None
    assigned: dict[str, list[Node]] = {}
    needle = attribute.encode()
    at = syntax.source.find(needle, owner.start_byte, owner.end_byte)
    while at != -1:
        node = syntax.root.descendant_for_byte_range(at, at + len(needle))
        value = _assigned_to_self(syntax, node, attribute)
        if value is not None:
            method = enclosing_function(value)
            name = method.child_by_field_name("name") if method is not None else None
            if name is not None:
                assigned.setdefault(syntax.text(name), []).append(value)
        at = syntax.source.find(needle, at + len(needle), owner.end_byte)
    if "__init__" in assigned:
        return assigned["__init__"][-1]
    values = [v for vs in assigned.values() for v in vs]
    return values[0] if len(values) == 1 else None


def _assigned_to_self(syntax: Syntax, node: Node | None, attribute: str) -> Node | None:
    """The right side of ``self.<attribute> = value`` when ``node`` is that attribute's name."""
    target = node.parent if node is not None and node.type == "identifier" else None
    if target is None or target.type != "attribute" or not _same(target.child_by_field_name("attribute"), node):
        return None
    obj, assignment = target.child_by_field_name("object"), target.parent
    method = enclosing_function(target)
    if obj is None or method is None or syntax.text(obj) != _first_parameter(syntax, method):
        return None
    if (
        assignment is None
        or assignment.type != "assignment"
        or not _same(assignment.child_by_field_name("left"), target)
    ):
        return None
    return assignment.child_by_field_name("right")


def _first_parameter(syntax: Syntax, function: Node) -> str:
    parameters = function.child_by_field_name("parameters")
    first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    name = parameter_name(first) if first is not None else None
    return syntax.text(name) if name is not None else ""
