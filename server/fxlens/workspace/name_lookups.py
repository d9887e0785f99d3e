"""Node names looked up in the lists ``get_graph_node_names`` returns.

``train_nodes, eval_nodes = get_graph_node_names(model)`` followed, in the same scope, by
``"layer4" in eval_nodes``, ``eval_nodes.index("layer4.1.relu_1")`` or a loop
``for name in eval_nodes: if name == "layer4": ...``: each string is an exact node name of that
mode (a module prefix such as ``layer4`` is never in the list), read as a one-string argument of the
``get_graph_node_names`` site so that completion, hover and the rules treat it like a node string.
"""

from __future__ import annotations

from tree_sitter import Node

from fxlens.workspace.callsite import NodeArgKind, NodeArgument, NodeQuery
from fxlens.workspace.queries import string_literal
from fxlens.workspace.syntax import Syntax

LIST_KINDS: tuple[NodeArgKind, NodeArgKind] = ("train_names", "eval_names")  # the two returned lists, in order
LIST_METHODS = frozenset({"index", "count"})
_SCOPES = frozenset({"function_definition", "class_definition", "lambda"})


def lookup_strings(syntax: Syntax, call: Node) -> list[tuple[NodeArgKind, Node]]:
    """The strings looked up in the lists of ``a, b = <call>``, after it in its scope, in source order."""
    assignment = call.parent
    if assignment is None or assignment.type != "assignment" or assignment.child_by_field_name("right") != call:
        return []
    left = assignment.child_by_field_name("left")
    if left is None or left.type not in ("pattern_list", "tuple_pattern") or len(left.named_children) != 2:
        return []
    lists = {syntax.text(n): kind for n, kind in zip(left.named_children, LIST_KINDS, strict=True)}
    if any(not name.isidentifier() for name in lists):
        return []
    statement = assignment.parent
    scope = statement.parent if statement is not None else None
    if scope is None:
        return []
    found: list[tuple[NodeArgKind, Node]] = []
    for sibling in scope.named_children:
        if sibling.start_byte > assignment.end_byte:
            _scan(syntax, sibling, lists, {}, found)
    return sorted(found, key=lambda pair: pair[1].start_byte)


def _scan(
    syntax: Syntax, node: Node, lists: dict[str, NodeArgKind], loops: dict[str, NodeArgKind], found: list
) -> None:
    """Collect the lookups under ``node``; ``loops`` maps loop variables to the list they walk."""
    if node.type in _SCOPES:
        return
    if node.type == "for_statement":
        target, walked = node.child_by_field_name("left"), node.child_by_field_name("right")
        if target is not None and walked is not None and target.type == "identifier" and syntax.text(walked) in lists:
            loops = {**loops, syntax.text(target): lists[syntax.text(walked)]}
    elif node.type == "comparison_operator" and len(node.named_children) == 2:
        _comparison(syntax, node, lists, loops, found)
    elif node.type == "call":
        function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is not None and function.type == "attribute" and arguments is not None:
            owner, method = function.child_by_field_name("object"), function.child_by_field_name("attribute")
            given = [a for a in arguments.named_children if a.type != "comment"]
            listed = owner is not None and syntax.text(owner) in lists
            asked = method is not None and syntax.text(method) in LIST_METHODS
            if listed and asked and len(given) == 1 and given[0].type == "string":
                found.append((lists[syntax.text(owner)], given[0]))
    for child in node.named_children:
        _scan(syntax, child, lists, loops, found)


def _comparison(
    syntax: Syntax, node: Node, lists: dict[str, NodeArgKind], loops: dict[str, NodeArgKind], found: list
) -> None:
    """``"x" in names``, ``name == "x"`` / ``"x" == name`` and ``name in ("x", "y")`` for a loop's name."""
    left, right = node.named_children
    operator = syntax.source[left.end_byte : right.start_byte].decode().strip()
    if operator in ("in", "not in") and left.type == "string" and syntax.text(right) in lists:
        found.append((lists[syntax.text(right)], left))
    elif operator in ("==", "!=") and {left.type, right.type} == {"identifier", "string"}:
        variable, string = (left, right) if left.type == "identifier" else (right, left)
        if syntax.text(variable) in loops:
            found.append((loops[syntax.text(variable)], string))
    elif operator in ("in", "not in") and syntax.text(left) in loops and right.type in ("tuple", "list", "set"):
        found += [(loops[syntax.text(left)], item) for item in right.named_children if item.type == "string"]


def lookup_arguments(syntax: Syntax, lookups: list[tuple[NodeArgKind, Node]]) -> tuple[NodeArgument, ...]:
    """Each looked-up string as a one-string argument of its list's kind."""
    arguments = []
    for kind, node in lookups:
        string = string_literal(syntax, node)
        if string is not None:
            arguments.append(
                NodeArgument(
                    kind=kind,
                    form="string",
                    queries=(NodeQuery(string),),
                    range=syntax.range(node),
                    by_keyword=False,
                    complete=not (node.has_error or syntax.is_repaired(node)),
                    literal_range=string.literal_range,
                )
            )
    return tuple(arguments)
