"""Whether a statement inside ``if`` / ``elif`` / ``else`` runs, when the conditions are constants.

``if arch == "resnet18": ... elif arch == "resnet50": ...`` with ``arch`` a constant, a parameter's
default or a factory's literal argument: the conditions are folded like any literal, and the
statement runs (True), does not (False), or fxlens cannot tell (None).
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from fxlens.workspace.literals import NotLiteral

Truth = Callable[[Node], object]  # the folded value of a condition, raising NotLiteral


def conditions(node: Node, stop: Node | None) -> list[tuple[Node, bool]]:
    """The (condition, value it must have) pairs for ``node`` to run, up to the block ``stop``."""
    found: list[tuple[Node, bool]] = []
    child, parent = node, node.parent
    while parent is not None and (stop is None or parent.id != stop.id):
        if parent.type == "if_statement":
            found += _if_conditions(parent, child)
        elif parent.type in ("function_definition", "class_definition", "lambda"):
            break
        child, parent = parent, parent.parent
    return found


def runs(node: Node, stop: Node | None, truth: Truth) -> bool | None:
    """True when every condition guarding ``node`` holds, False when one does not, None when unknown."""
    known = True
    for condition, expected in conditions(node, stop):
        try:
            value = bool(truth(condition))
        except NotLiteral:
            known = False
            continue
        if value != expected:
            return False
    return True if known else None


def _if_conditions(statement: Node, child: Node) -> list[tuple[Node, bool]]:
    """What must hold for ``child`` (a part of ``statement``) to run."""
    condition = statement.child_by_field_name("condition")
    if child.type not in ("elif_clause", "else_clause"):
        return [(condition, True)] if condition is not None and child.id != condition.id else []
    found = [(condition, False)] if condition is not None else []
    for clause in statement.children_by_field_name("alternative"):
        clause_condition = clause.child_by_field_name("condition")
        if clause.id == child.id:
            if clause_condition is not None:
                found.append((clause_condition, True))
            return found
        if clause_condition is not None:
            found.append((clause_condition, False))
    return found
