"""The value of ``cfg.arch`` when the parameter ``cfg`` is a dataclass instance built with literal fields.

``def probe(cfg: ProbeConfig): build(cfg.arch)`` called as ``probe(ProbeConfig())`` reads the field
``arch`` of the instance the callers pass (the argument the call gives for the field, else the
field's default); the callers must agree. When no call passes the parameter, the annotation's
dataclass gives the field's default.
"""

from __future__ import annotations

from typing import Any

from tree_sitter import Node

from fxlens.workspace.callers import callers
from fxlens.workspace.construction import CannotResolve
from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.reader import Definition, Place, Reader, function_label
from fxlens.workspace.scopes import NameBinding, find_binding
from fxlens.workspace.wrappers import keyword, positional

_UNSET = object()


def parameter_field(reader: Reader, place: Place, binding: NameBinding, field: str, depth: int) -> Any:
    """The literal value of ``parameter.field`` for the parameter ``binding`` (raises NotLiteral)."""
    name_node = binding.value if binding.value.type == "identifier" else binding.value.child_by_field_name("name")
    if name_node is None and binding.value.named_children:
        name_node = binding.value.named_children[0]
    name = place.text(name_node) if name_node is not None else ""
    owner = function_label(place, binding.statement)
    values = []
    for caller in callers(reader, place, binding.statement, name):
        instance = _instance(caller.place, caller.argument) if caller.argument is not None else None
        if instance is None:
            raise NotLiteral(f"a call of {owner} passes `{name}` that is not a dataclass built in place")
        values.append(_field_value(reader, *instance, field, depth))
    if values:
        if any(v != values[0] or type(v) is not type(values[0]) for v in values):
            raise NotLiteral(f"the calls of {owner} pass `{name}` with different `{field}`")
        return values[0]
    annotation = binding.value.child_by_field_name("type")
    if annotation is None:
        raise NotLiteral(f"`{name}` is a parameter of {owner} without a caller or a dataclass annotation")
    definition = _dataclass(reader, place, annotation, depth)
    value = _default(reader, definition, field, depth)
    if value is _UNSET:
        raise NotLiteral(f"field `{field}` of `{definition.qualname}` has no default")
    return value


def _instance(place: Place, argument: Node) -> tuple[Place, Node] | None:
    """The ``Config(...)`` call the argument is, directly or through a name assigned from one."""
    if argument.type == "identifier":
        binding = find_binding(place.doc.syntax, place.text(argument), argument)
        argument = binding.value if binding is not None and binding.form == "value" else argument
    return (place, argument) if argument.type == "call" else None


def _field_value(reader: Reader, place: Place, call: Node, field: str, depth: int) -> Any:
    function = call.child_by_field_name("function")
    if function is None:
        raise NotLiteral(f"`{place.text(call)}` is incomplete")
    definition = _dataclass(reader, place, function, depth)
    given = keyword(place, call, field)
    if given is None:
        arguments = positional(call)
        if any(a.type == "list_splat" for a in arguments):
            raise NotLiteral(f"`{place.text(call)}`: write the fields out one by one")
        names = [n for n, _ in _fields(definition)]
        index = names.index(field) if field in names else len(arguments)
        given = arguments[index] if index < len(arguments) else None
    if given is not None:
        return reader.value(place, given, depth + 1)
    value = _default(reader, definition, field, depth)
    if value is _UNSET:
        raise NotLiteral(f"`{place.text(call)}` does not give field `{field}` of `{definition.qualname}`")
    return value


def _dataclass(reader: Reader, place: Place, node: Node, depth: int) -> Definition:
    """The workspace ``@dataclass`` that ``node`` (a class name or annotation) names."""
    text = place.text(node).strip("'\"")
    try:
        qualified = place.qualify(text, node)
        definition = reader.locate(qualified, place, depth + 1) if qualified else None
    except CannotResolve as exc:
        raise NotLiteral(exc.reason) from exc
    decorated = definition.node.parent if definition is not None and definition.node is not None else None
    if (
        definition is None
        or definition.kind != "class"
        or decorated is None
        or not _is_dataclass(definition.place, decorated)
    ):
        raise NotLiteral(f"`{text}` is not a dataclass of this workspace")
    return definition


def _is_dataclass(place: Place, decorated: Node) -> bool:
    if decorated.type != "decorated_definition":
        return False
    for decorator in decorated.named_children:
        if decorator.type == "decorator":
            head = place.text(decorator).lstrip("@").split("(")[0].strip()
            if head in ("dataclass", "dataclasses.dataclass"):
                return True
    return False


def _fields(definition: Definition) -> list[tuple[str, Node | None]]:
    """The dataclass's annotated fields in order, with their default expressions."""
    place, body = definition.place, definition.node.child_by_field_name("body") if definition.node else None
    found = []
    for statement in body.named_children if body is not None else ():
        assignment = statement.named_children[0] if statement.type == "expression_statement" else None
        if assignment is None or assignment.type != "assignment" or assignment.child_by_field_name("type") is None:
            continue
        target = assignment.child_by_field_name("left")
        if target is not None and target.type == "identifier":
            found.append((place.text(target), assignment.child_by_field_name("right")))
    return found


def _default(reader: Reader, definition: Definition, field: str, depth: int) -> Any:
    """The field's default (``= value`` or ``= field(default=value)``); ``_UNSET`` without one."""
    place = definition.place
    for name, default in _fields(definition):
        if name != field or default is None:
            continue
        function = default.child_by_field_name("function") if default.type == "call" else None
        if function is not None and place.text(function) in ("field", "dataclasses.field"):
            default = keyword(place, default, "default")
            if default is None:
                return _UNSET
        return reader.value(place, default, depth + 1)
    return _UNSET
