"""A workspace factory followed statically: the ``return`` its literal arguments select.

``def build(arch, classes=10): if arch == "resnet18": return resnet18(num_classes=classes) ...``
called as ``build("resnet18")`` is ``resnet18(num_classes=10)``: the parameters take the call's
literal arguments (else their defaults), the ``if`` chain is folded, and the return taken is
followed like any model expression. When that cannot be decided, or the returned model is changed
after it is built (``model.fc = ...``), the factory is left to the worker, which calls it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from tree_sitter import Node

from fxlens.workspace.branches import runs
from fxlens.workspace.construction import CannotResolve, Construction
from fxlens.workspace.reader import Definition, Place, Reader

Follow = Callable[[Place, Node, int], Construction]  # (place, expression, depth) -> the model
_NESTED = frozenset({"function_definition", "class_definition", "lambda"})


def returned_model(
    reader: Reader,
    definition: Definition,
    args: tuple[str, ...],
    kwargs: tuple[tuple[str, str], ...],
    follow: Follow,
    depth: int,
) -> Construction | None:
    """The model the factory ``definition`` returns for these literal arguments; None when unknown."""
    function, place = definition.node, definition.place
    body = function.child_by_field_name("body") if function is not None else None
    values = _parameter_values(place.text, function, args, kwargs) if function is not None else None
    if function is None or body is None or values is None:
        return None
    with reader.calling(function, values):
        for statement in _returns(body):
            taken = runs(statement, body, lambda condition: reader.value(place, condition))
            if taken is False:
                continue
            expression = statement.named_children[0] if statement.named_children else None
            if taken is None or expression is None or _changed_after_built(place.text, body, expression):
                return None
            try:
                return follow(place, expression, depth + 1)
            except CannotResolve:
                return None
    return None


def _parameter_values(
    text: Callable[[Node], str], function: Node, args: tuple[str, ...], kwargs: tuple[tuple[str, str], ...]
) -> dict[str, Any] | None:
    """Parameter name → the call's literal value; None when an argument could not be read."""
    texts = [*args, *(v for _, v in kwargs)]
    if any(t == "" for t in texts):
        return None
    parameters = function.child_by_field_name("parameters")
    names = []
    for node in parameters.named_children if parameters is not None else ():
        if node.type in ("list_splat_pattern", "dictionary_splat_pattern", "keyword_separator"):
            break
        target = node if node.type == "identifier" else node.child_by_field_name("name")
        if target is None and node.named_children:
            target = node.named_children[0]
        if target is not None:
            names.append(text(target))
    if len(args) > len(names):
        return None
    try:
        values = {name: ast.literal_eval(value) for name, value in zip(names, args, strict=False)}
        values.update({name: ast.literal_eval(value) for name, value in kwargs})
    except (ValueError, SyntaxError):
        return None
    return values


def _returns(body: Node) -> list[Node]:
    """The function's own ``return`` statements with a value, in source order."""
    found, pending = [], [body]
    while pending:
        node = pending.pop()
        if node.type == "return_statement":
            found.append(node)
        elif node.type not in _NESTED:
            pending.extend(node.named_children)
    return sorted(found, key=lambda n: n.start_byte)


def _changed_after_built(text: Callable[[Node], str], body: Node, expression: Node) -> bool:
    """True when a returned name is used other than by being assigned (``model.fc = ...``, ``f(model)``)."""
    if expression.type != "identifier":
        return False
    name = text(expression)
    pending = [body]
    while pending:
        node = pending.pop()
        if node.type in _NESTED:
            continue
        pending.extend(node.named_children)
        if node.type != "identifier" or text(node) != name or node.id == expression.id:
            continue
        parent = node.parent
        assigned = parent is not None and parent.type == "assignment" and parent.child_by_field_name("left") == node
        if not assigned:
            return True
    return False
