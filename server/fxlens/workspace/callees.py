"""Which callable a call calls, statically: the absolute dotted name behind the call's function.

Beyond a plain imported or defined name (``resnet18``, ``models.resnet50``), the function may be
looked up by a string: ``getattr(models, "resnet50")``, ``models.__dict__["resnet50"]``, or a dict
display indexed by a constant or a parameter's default (``{"resnet18": resnet18, ...}[arch]``),
possibly through names bound to any of these (``builder = BUILDERS[ARCH]``). ``element`` is that
lookup for any dict, list or tuple display (models too: ``MODELS[0]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tree_sitter import Node

from fxlens.workspace.construction import CannotResolve
from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.reader import MAX_DEPTH, Place, Reader
from fxlens.workspace.scopes import find_binding

DISPLAYS = frozenset({"dictionary", "list", "tuple"})


@dataclass(frozen=True)
class Callee:
    """What a call calls: its absolute dotted name, seen from ``place`` where ``node`` names it."""

    place: Place
    qualified: str
    node: Node


def callee_of(reader: Reader, place: Place, function: Node, depth: int = 0) -> Callee:
    """The callable the expression ``function`` evaluates to, or ``CannotResolve`` saying why not."""
    if depth > MAX_DEPTH:
        raise CannotResolve("the called name refers to itself", function)
    text = place.text(function)
    if function.type in ("identifier", "attribute"):
        qualified = place.qualify(text, function)
        if qualified is not None:
            definition = reader.locate(qualified, place, depth)
            if definition is not None and definition.kind == "assign" and definition.node is not None:
                return callee_of(reader, definition.place, definition.node, depth + 1)  # BUILDER = resnet18
            return Callee(place, qualified, function)
        binding = find_binding(place.doc.syntax, text, function) if function.type == "identifier" else None
        if binding is not None and binding.form == "value":
            return callee_of(reader, place, binding.value, depth + 1)
        head = text.split(".")[0]
        if binding is not None or find_binding(place.doc.syntax, head, function) is not None:
            raise CannotResolve(f"`{text}` is a variable, not a model class or builder fxlens can follow", function)
        raise CannotResolve(f"`{text}` is not imported or defined; fxlens cannot tell what it builds", function)
    if function.type == "call":
        return _getattr(reader, place, function, depth)
    if function.type == "subscript":
        return _lookup(reader, place, function, depth)
    raise CannotResolve(f"fxlens cannot tell what `{text}` calls; call a model class or builder by name", function)


def _getattr(reader: Reader, place: Place, call: Node, depth: int) -> Callee:
    """``getattr(module, "name")`` (a default, if given, is ignored)."""
    function, arguments = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    items = [a for a in arguments.named_children if a.type != "comment"] if arguments is not None else []
    if (
        function is None
        or place.text(function) != "getattr"
        or place.qualify("getattr", call) is not None
        or len(items) not in (2, 3)
        or items[0].type not in ("identifier", "attribute")
    ):
        raise CannotResolve(f"fxlens cannot tell what `{place.text(call)}` returns; call a model builder by name", call)
    owner = place.qualify(place.text(items[0]), items[0])
    name = _key(reader, place, items[1], "the attribute name")
    if owner is None or not isinstance(name, str):
        raise CannotResolve(f"`{place.text(call)}` must name an imported module and a string", call)
    return Callee(place, f"{owner}.{name}", call)


def _lookup(reader: Reader, place: Place, subscript: Node, depth: int) -> Callee:
    """``module.__dict__["name"]``, ``vars(module)["name"]`` or ``{"name": builder, ...}[key]``."""
    value, index = subscript.child_by_field_name("value"), subscript.child_by_field_name("subscript")
    if value is None or index is None:
        raise CannotResolve(f"`{place.text(subscript)}` is incomplete", subscript)
    module = _namespace_of(place, value)
    if module is not None:
        key = _key(reader, place, index, "the key")
        if not isinstance(key, str):
            raise CannotResolve(f"`{place.text(index)}` must be a string naming a builder", index)
        return Callee(place, f"{module}.{key}", subscript)
    found = element(reader, place, subscript, depth)
    if found is None:
        raise CannotResolve(
            f"`{place.text(value)}` is not a dict written in this workspace; fxlens can look a builder up only "
            'in a dict display such as {"resnet18": resnet18}',
            value,
        )
    return callee_of(reader, *found, depth + 1)


def element(reader: Reader, place: Place, subscript: Node, depth: int = 0) -> tuple[Place, Node] | None:
    """The expression ``{...}[key]`` or ``[...][i]`` selects from a display written in the workspace
    (directly or through names), with its place; None when the subscripted value is not a display."""
    value, index = subscript.child_by_field_name("value"), subscript.child_by_field_name("subscript")
    found = _display(reader, place, value, depth) if value is not None and index is not None else None
    if found is None or index is None:
        return None
    holder, display = found
    key = _key(reader, place, index, "the key")
    if display.type == "dictionary":
        for pair in display.named_children:
            pair_key, pair_value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type != "pair" or pair_key is None or pair_value is None:
                continue
            try:
                matches = reader.value(holder, pair_key) == key
            except NotLiteral:
                continue
            if matches:
                return holder, pair_value
    else:
        items = [item for item in display.named_children if item.type != "comment"]
        whole = not any(item.type in ("list_splat", "parenthesized_list_splat") for item in items)
        if whole and isinstance(key, int) and not isinstance(key, bool) and -len(items) <= key < len(items):
            return holder, items[key]
    raise CannotResolve(f"`{place.text(value)}` has no entry {key!r}; fxlens follows the entry the key names", index)


def _namespace_of(place: Place, node: Node) -> str | None:
    """The module of ``module.__dict__`` or ``vars(module)``, None for anything else."""
    if node.type == "attribute":
        obj, attribute = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if obj is not None and attribute is not None and place.text(attribute) == "__dict__":
            return place.qualify(place.text(obj), obj)
    if node.type == "call":
        function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        items = arguments.named_children if arguments is not None else []
        if function is not None and place.text(function) == "vars" and len(items) == 1:
            return place.qualify(place.text(items[0]), items[0])
    return None


def _display(reader: Reader, place: Place, node: Node, depth: int) -> tuple[Place, Node] | None:
    """The dict, list or tuple display ``node`` evaluates to (through names and module constants)."""
    if depth > MAX_DEPTH:
        raise CannotResolve("the collection refers to itself", node)
    if node.type in DISPLAYS:
        return place, node
    if node.type in ("identifier", "attribute"):
        text = place.text(node)
        binding = find_binding(place.doc.syntax, text, node) if node.type == "identifier" else None
        if binding is not None and binding.form == "value":
            return _display(reader, place, binding.value, depth + 1)
        qualified = place.qualify(text, node) if binding is None else None
        definition = reader.locate(qualified, place, depth) if qualified else None
        if definition is not None and definition.kind == "assign" and definition.node is not None:
            return _display(reader, definition.place, definition.node, depth + 1)
    return None


def _key(reader: Reader, place: Place, node: Node, what: str) -> Any:
    try:
        return reader.value(place, node)
    except NotLiteral as exc:
        raise CannotResolve(
            f"{what} `{place.text(node)}` is not a constant ({exc}); write the name, or give the parameter a default",
            node,
        ) from exc
