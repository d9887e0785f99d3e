"""A constructor call's arguments as literal source text, and the parameters a constructor requires.

Arguments travel to the worker as text it reads with ``ast.literal_eval``; weights arguments are
dropped (nothing is downloaded) and remembered as a request; an argument that is not a literal is
kept as a problem so that configuration can still supply it.
"""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from fxlens.workspace.construction import CannotResolve
from fxlens.workspace.reader import Place, Reader

WEIGHT_ARGUMENTS = frozenset({"weights", "weights_backbone", "pretrained", "pretrained_backbone"})
TORCHVISION_POSITIONAL = ("weights", "progress")  # a builder's parameters, once positional (deprecated)


class Arguments(NamedTuple):
    """The literal arguments of a call, whether it asked for weights, and the arguments it could not read."""

    args: tuple[str, ...]
    kwargs: tuple[tuple[str, str], ...]
    weights_requested: bool
    unreadable: tuple[CannotResolve, ...]


def constructor_arguments(
    reader: Reader,
    place: Place,
    arguments: Node,
    names: tuple[str, ...] = (),
    skip: int = 0,
    ignore: frozenset[str] = frozenset(),
) -> Arguments:
    """Literal texts of a constructor call's arguments; weights arguments are dropped and noted.

    Positional arguments named by ``names`` are read as those keywords (torchvision builders
    take ``weights`` first); the first ``skip`` positional arguments and the keywords in
    ``ignore`` are not constructor arguments. An argument that is not a literal keeps its slot
    with "" as text and is reported in the last element, so that configuration can supply it.
    """
    args: list[str] = []
    kwargs: list[tuple[str, str]] = []
    weights = False
    problems: list[CannotResolve] = []
    position = 0  # of the next positional argument, counting the skipped and the named ones
    for argument in arguments.named_children:
        if argument.type == "comment":
            continue
        if argument.type in ("list_splat", "dictionary_splat"):
            problems.append(
                CannotResolve(f"`{place.text(argument)}`: write the constructor arguments out one by one", argument)
            )
            continue
        value: Node | None = argument
        if argument.type == "keyword_argument":
            key, value = argument.child_by_field_name("name"), argument.child_by_field_name("value")
            if key is None or value is None:
                continue
            slot: int | str = place.text(key)
        else:
            position += 1
            if position <= skip:
                continue
            slot = names[position - skip - 1] if position - skip <= len(names) else len(args)
        if slot in ignore:
            continue
        if slot in WEIGHT_ARGUMENTS:
            weights = weights or place.text(value) not in ("None", "False")
            continue
        try:
            text = reader.literal(
                place, value, f"argument `{slot}`" if isinstance(slot, str) else f"argument {slot + 1}"
            )
        except CannotResolve as failure:
            problems.append(CannotResolve(failure.reason, failure.node, slot))
            text = ""
        if isinstance(slot, str):
            kwargs.append((slot, text))
        else:
            args.append(text)
    return Arguments(tuple(args), tuple(kwargs), weights, tuple(problems))


def shifted(problems: tuple[CannotResolve, ...], by: int) -> tuple[CannotResolve, ...]:
    """Unreadable positional arguments moved ``by`` slots (a model name is put first)."""
    return tuple(CannotResolve(p.reason, p.node, p.slot + by) if isinstance(p.slot, int) else p for p in problems)


def required_parameters(place: Place, node: Node | None) -> list[str]:
    """Names of ``__init__`` parameters without defaults (none when the class defines no ``__init__``)."""
    body = node.child_by_field_name("body") if node is not None else None
    for statement in body.named_children if body is not None else ():
        if statement.type == "decorated_definition":
            statement = statement.child_by_field_name("definition") or statement
        name = statement.child_by_field_name("name")
        if statement.type != "function_definition" or name is None or place.text(name) != "__init__":
            continue
        parameters = statement.child_by_field_name("parameters")
        found = []
        for parameter in (parameters.named_children if parameters is not None else [])[1:]:
            if parameter.type == "identifier":
                found.append(place.text(parameter))
            elif parameter.type == "typed_parameter" and parameter.named_children:
                found.append(place.text(parameter.named_children[0]))
        return found
    return []
