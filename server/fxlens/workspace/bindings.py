"""Follow a call's node argument to the collection literal bound to it, within one file.

Real code rarely writes ``return_nodes`` inside the call: it names a literal in the same or an
enclosing function, a module constant, ``self.taps`` assigned in a method of the class, a class or
dataclass field default (``field(default_factory=lambda: [...])``), or an attribute of a dataclass
instance (``self.cfg.taps``, the constructor's keyword winning over the field's default). A name
imported from another module ends the chain here with the import it came through; following it
across files needs the workspace (``fxlens.workspace.imported``).
"""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from fxlens.workspace.name_bindings import name_binding
from fxlens.workspace.queries import FORMS
from fxlens.workspace.scopes import NameBinding, enclosing_function, parameter_name
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax

_MAX_DEPTH = 16
_FIELD_FUNCTIONS = frozenset({"field", "dataclasses.field"})
_PREFERRED_METHODS = ("__init__", "__post_init__", "setup")
_NAMED = frozenset({"keyword_argument", "list_splat", "dictionary_splat", "comment"})


class Followed(NamedTuple):
    """Where a node argument's value leads."""

    literal: Node | None  # the collection literal, in this file; None when the chain ends elsewhere
    via: str  # the expression followed from the call ("" when the value is the literal itself)
    imported: str  # the import the chain leaves the file through (``.config.TAPS``), else ""


def follow(syntax: Syntax, symbols: Symbols, value: Node) -> Followed:
    """The collection literal ``value`` evaluates to, following names and attributes."""
    if value.type in FORMS:
        return Followed(value, "", "")
    found = _Follower(syntax, symbols).value(value, 0)
    if isinstance(found, str):
        return Followed(None, syntax.text(value), found)
    return Followed(found, syntax.text(value) if found is not None else "", "")


class _Follower:
    def __init__(self, syntax: Syntax, symbols: Symbols) -> None:
        self.syntax = syntax
        self.symbols = symbols

    def value(self, node: Node | None, depth: int) -> Node | str | None:
        """The collection node (or the import spelled as imported) an expression evaluates to."""
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type in FORMS:
            return node
        if node.type == "parenthesized_expression" and node.named_children:
            return self.value(node.named_children[0], depth + 1)
        if node.type == "identifier":
            binding = self.binding(self.text(node), node)
            if binding is not None:
                return self.value(_bound_expression(binding), depth + 1)
            return self.imported(self.text(node), node) or None
        if node.type == "attribute":
            return self.attribute(node, depth)
        return None

    def attribute(self, node: Node, depth: int) -> Node | str | None:
        """``self.x``, ``instance.x`` (a class of this file) or ``module.X`` (an imported module)."""
        obj, attribute = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if obj is None or attribute is None:
            return None
        name = self.text(attribute)
        owner = self.self_class(obj)
        if owner is not None:
            return self.value(self.member(owner, name, node), depth + 1)
        instance = self.instance(obj, depth + 1)
        if instance is not None:
            owner, constructor = instance
            given = self.constructor_argument(owner, constructor, name) if constructor is not None else None
            return self.value(given if given is not None else self.member(owner, name, None), depth + 1)
        if obj.type == "identifier" and self.binding(self.text(obj), obj) is None:
            module = self.imported(self.text(obj), obj)
            return f"{module}.{name}" if module else None
        return None

    # -- names ------------------------------------------------------------------------------

    def binding(self, name: str, at: Node) -> NameBinding | None:
        return name_binding(self.syntax, self.symbols, name, at)

    def imported(self, name: str, at: Node) -> str:
        """``.config.TAPS`` when ``name`` is bound by an import at ``at``, else ""."""
        binding = self.symbols.lookup(name, at.start_byte)
        if binding is None or binding.kind != "import":
            return ""
        return "." * binding.level + binding.target

    # -- classes ----------------------------------------------------------------------------

    def self_class(self, obj: Node) -> Node | None:
        """The class whose method ``obj`` is the first parameter of (``self``, ``cls``)."""
        if obj.type != "identifier":
            return None
        name = self.text(obj)
        function = enclosing_function(obj)
        while function is not None:
            first = _first_parameter(function)
            if first is not None and self.text(first) == name:
                return _class_of(function)
            if _parameter_names(self.syntax, function) & {name}:
                return None
            function = enclosing_function(function)
        return None

    def instance(self, obj: Node, depth: int) -> tuple[Node, Node | None] | None:
        """(class of this file, its constructor call if seen) for an expression holding an instance."""
        if depth > _MAX_DEPTH:
            return None
        if obj.type == "call":
            function = obj.child_by_field_name("function")
            owner = self.class_named(self.text(function)) if function is not None else None
            return (owner, obj) if owner is not None else None
        if obj.type == "identifier":
            binding = self.binding(self.text(obj), obj)
            if binding is None:
                return None
            expression = _bound_expression(binding)
            if expression is not None:
                return self.instance(expression, depth + 1)
            annotation = binding.value.child_by_field_name("type") if binding.form == "parameter" else None
            owner = self.class_named(self.text(annotation)) if annotation is not None else None
            return (owner, None) if owner is not None else None
        if obj.type == "attribute":
            inner, attribute = obj.child_by_field_name("object"), obj.child_by_field_name("attribute")
            owner = self.self_class(inner) if inner is not None else None
            if owner is not None and attribute is not None:
                expression = self.member(owner, self.text(attribute), obj)
                return self.instance(expression, depth + 1) if expression is not None else None
        return None

    def class_named(self, name: str) -> Node | None:
        binding = self.symbols.top_level(name.strip())
        if binding is None or binding.kind != "class" or binding.node is None:
            return None
        return binding.node

    def member(self, owner: Node, name: str, at: Node | None) -> Node | None:
        """The expression an instance attribute gets: assigned in a method, else the class body's default.

        The method around ``at`` (assignments before it) wins, then ``__init__`` (``__post_init__``,
        ``setup``), then the first other method that assigns it.
        """
        assigned = self.assignments(owner, name)
        if at is not None:
            method = enclosing_function(at)
            here = [v for m, v in assigned if method is not None and m.id == method.id and v.end_byte <= at.start_byte]
            if here:
                return here[-1]
        names = [self.text(m.child_by_field_name("name") or m) for m, _ in assigned]
        for preferred in _PREFERRED_METHODS:
            chosen = [v for (_, v), n in zip(assigned, names, strict=True) if n == preferred]
            if chosen:
                return chosen[-1]
        if assigned:
            return assigned[0][1]
        return self.class_default(owner, name)

    def assignments(self, owner: Node, name: str) -> list[tuple[Node, Node]]:
        """(method, value) of every ``self.<name> = value`` in the methods of ``owner``, in order."""
        found = []
        needle = b"." + name.encode()
        source = self.syntax.source
        at = source.find(needle, owner.start_byte, owner.end_byte)
        while at != -1:
            end = at + len(needle)
            if not (end < len(source) and (source[end : end + 1].isalnum() or source[end : end + 1] == b"_")):
                node = self.syntax.root.descendant_for_byte_range(at + 1, end)
                value = self.assigned_value(node, owner) if node is not None else None
                if value is not None:
                    found.append(value)
            at = source.find(needle, end, owner.end_byte)
        return found

    def assigned_value(self, identifier: Node, owner: Node) -> tuple[Node, Node] | None:
        """(method, value) when ``identifier`` is ``x`` in ``self.x = value`` in a method of ``owner``."""
        attribute = identifier.parent
        if (
            attribute is None
            or attribute.type != "attribute"
            or not _same(attribute.child_by_field_name("attribute"), identifier)
        ):
            return None
        assignment = attribute.parent
        if assignment is None or assignment.type != "assignment":
            return None
        if not _same(assignment.child_by_field_name("left"), attribute):
            return None
        obj = attribute.child_by_field_name("object")
        method = enclosing_function(assignment)
        if obj is None or method is None or not _same(_class_of(method), owner):
            return None
        first = _first_parameter(method)
        if first is None or self.text(first) != self.text(obj):
            return None
        value = assignment.child_by_field_name("right")
        while value is not None and value.type == "assignment":
            value = value.child_by_field_name("right")
        return (method, value) if value is not None else None

    def constructor_argument(self, owner: Node, constructor: Node, name: str) -> Node | None:
        """The argument a constructor call gives field ``name``: by keyword, or by position for a class
        without its own ``__init__`` (a dataclass: fields in the order they are annotated)."""
        given = _keyword(constructor, name)
        if given is not None or self.method(owner, "__init__") is not None:
            return given
        fields = [self.text(target) for target, _, annotated in self.class_body(owner) if annotated]
        arguments = constructor.child_by_field_name("arguments")
        positional = [a for a in (arguments.named_children if arguments is not None else ()) if a.type not in _NAMED]
        index = fields.index(name) if name in fields else len(positional)
        return positional[index] if index < len(positional) else None

    def method(self, owner: Node, name: str) -> Node | None:
        """The method ``name`` defined directly in the class body."""
        body = owner.child_by_field_name("body")
        for statement in body.named_children if body is not None else ():
            definition = (
                statement.child_by_field_name("definition") if statement.type == "decorated_definition" else statement
            )
            if definition is None or definition.type != "function_definition":
                continue
            function_name = definition.child_by_field_name("name")
            if function_name is not None and self.text(function_name) == name:
                return definition
        return None

    def class_body(self, owner: Node) -> list[tuple[Node, Node | None, bool]]:
        """(name, value, annotated) of each ``name = value`` / ``name: T [= value]`` in the class body, in order."""
        found: list[tuple[Node, Node | None, bool]] = []
        body = owner.child_by_field_name("body")
        for statement in body.named_children if body is not None else ():
            assignment = statement.named_children[0] if statement.type == "expression_statement" else None
            left = assignment.child_by_field_name("left") if assignment is not None else None
            if (
                assignment is not None
                and assignment.type == "assignment"
                and left is not None
                and left.type == "identifier"
            ):
                annotated = assignment.child_by_field_name("type") is not None
                found.append((left, assignment.child_by_field_name("right"), annotated))
        return found

    def class_default(self, owner: Node, name: str) -> Node | None:
        """The class body's ``name = value`` (``name: T = value``), through a dataclass ``field(...)``."""
        values = [
            value for target, value, _ in self.class_body(owner) if value is not None and self.text(target) == name
        ]
        value = values[-1] if values else None
        if value is not None and value.type == "call":
            function = value.child_by_field_name("function")
            if function is not None and self.text(function) in _FIELD_FUNCTIONS:
                return self.field_default(value)
        return value

    def field_default(self, call: Node) -> Node | None:
        """``default=X`` → X; ``default_factory=lambda: X`` → X (any other factory has no literal)."""
        default = _keyword(call, "default")
        if default is not None:
            return default
        factory = _keyword(call, "default_factory")
        if factory is not None and factory.type == "lambda":
            return factory.child_by_field_name("body")
        return None

    def text(self, node: Node) -> str:
        return self.syntax.text(node)


def _bound_expression(binding: NameBinding) -> Node | None:
    """The expression a binding gives the name: the assigned value, or a parameter's default."""
    if binding.form == "value":
        return binding.value
    if binding.form == "parameter":
        return binding.value.child_by_field_name("value")
    return None


def _keyword(call: Node, name: str) -> Node | None:
    """The value of keyword argument ``name`` in a call."""
    arguments = call.child_by_field_name("arguments")
    for child in arguments.named_children if arguments is not None else ():
        key = child.child_by_field_name("name") if child.type == "keyword_argument" else None
        if key is not None and key.text == name.encode():
            return child.child_by_field_name("value")
    return None


def _class_of(function: Node) -> Node | None:
    """The class a function is a method of (directly in its body), else None."""
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    if parent is not None and parent.type == "block" and parent.parent is not None:
        return parent.parent if parent.parent.type == "class_definition" else None
    return None


def _first_parameter(function: Node) -> Node | None:
    parameters = function.child_by_field_name("parameters")
    first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    return parameter_name(first) if first is not None else None


def _parameter_names(syntax: Syntax, function: Node) -> set[str]:
    parameters = function.child_by_field_name("parameters")
    names = (parameter_name(p) for p in (parameters.named_children if parameters is not None else ()))
    return {syntax.text(name) for name in names if name is not None}


def _same(a: Node | None, b: Node | None) -> bool:
    return a is not None and b is not None and a.id == b.id
