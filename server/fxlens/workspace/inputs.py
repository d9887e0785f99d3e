"""The example input a file shows for a call: ``extractor(torch.rand(1, 3, 64, 64))`` and the like.

Looks, in the scope of the ``create_feature_extractor`` call, for a call of the extractor it
returned (or of the model) whose arguments are ``torch.rand/randn/zeros/ones/empty`` of literal
dimensions, directly or through a variable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tree_sitter import Node

from fxlens.nodes import SourceLocation
from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.scopes import enclosing_function, find_binding
from fxlens.workspace.spec import InputSpec
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax

TENSOR_FACTORIES = frozenset(f"torch.{name}" for name in ("rand", "randn", "zeros", "ones", "empty"))
_DTYPES = frozenset(
    {"float16", "float32", "float64", "bfloat16", "half", "float", "double", "int64", "int32", "uint8", "bool"}
)
_DTYPE_ALIASES = {"half": "float16", "float": "float32", "double": "float64"}

Evaluate = Callable[[Node], Any]  # a node's literal value, raising NotLiteral


def file_input(
    syntax: Syntax, symbols: Symbols, call: Node, model: Node | None, file: str, value: Evaluate
) -> InputSpec | None:
    """The input the file feeds to the extractor (or model) of ``call``; None when it shows none."""
    callees = []
    if call.parent is not None and call.parent.type == "call" and call.parent.child_by_field_name("function") == call:
        callees.append(call.parent)  # create_feature_extractor(...)(x)
    names = []
    holder = call.parent
    if holder is not None and holder.type == "assignment" and holder.child_by_field_name("right") == call:
        left = holder.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            names.append(syntax.text(left))
    if model is not None and model.type == "identifier":
        names.append(syntax.text(model))
    scope = enclosing_function(call)
    for name in names:
        callees.extend(_calls_of(syntax, name, scope, call.end_byte))
    for callee in callees:
        spec = _tensors(syntax, symbols, callee, file, value)
        if spec is not None:
            return spec
    return None


def _calls_of(syntax: Syntax, name: str, scope: Node | None, after: int) -> list[Node]:
    """Calls ``name(...)`` in ``scope`` (module: whole file), those after byte ``after`` first."""
    start = scope.start_byte if scope is not None else 0
    end = scope.end_byte if scope is not None else len(syntax.source)
    found = []
    needle = (name + "(").encode()
    at = syntax.source.find(needle, start, end)
    while at != -1:
        node = syntax.root.descendant_for_byte_range(at, at + len(name))
        parent = node.parent if node is not None else None
        if (
            node is not None
            and node.type == "identifier"
            and parent is not None
            and parent.type == "call"
            and parent.child_by_field_name("function") == node
        ):
            found.append(parent)
        at = syntax.source.find(needle, at + len(needle), end)
    return sorted(found, key=lambda n: (n.start_byte < after, n.start_byte))


def _tensors(syntax: Syntax, symbols: Symbols, callee: Node, file: str, value: Evaluate) -> InputSpec | None:
    arguments = callee.child_by_field_name("arguments")
    if arguments is None:
        return None
    positional = [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment")]
    if not positional or len(positional) != len(arguments.named_children):
        return None
    shapes, dtypes, first = [], set(), None
    for argument in positional:
        factory = _factory(syntax, symbols, argument)
        if factory is None:
            return None
        try:
            shape, dtype = _shape(syntax, symbols, factory, value)
        except NotLiteral:
            return None
        shapes.append(shape)
        dtypes.add(dtype)
        first = first or factory
    if len(dtypes) != 1 or first is None:
        return None
    line = first.start_point[0]  # repairs never add lines, so this is the line as typed
    location = SourceLocation(file, line + 1, syntax.parsed.lines[line].strip())
    return InputSpec(shapes=tuple(shapes), dtype=dtypes.pop(), origin="file", location=location)


def _factory(syntax: Syntax, symbols: Symbols, node: Node, depth: int = 0) -> Node | None:
    """The ``torch.rand(...)``-like call that produces ``node`` (through ``.to(...)`` and variables)."""
    if depth > 8:
        return None
    if node.type == "identifier":
        binding = find_binding(syntax, syntax.text(node), node)
        return _factory(syntax, symbols, binding.value, depth + 1) if binding and binding.form == "value" else None
    if node.type != "call":
        return None
    function = node.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "attribute":
        obj, attribute = function.child_by_field_name("object"), function.child_by_field_name("attribute")
        if (
            obj is not None
            and attribute is not None
            and obj.type == "call"
            and syntax.text(attribute) in ("to", "float", "cpu", "cuda", "requires_grad_")
        ):
            return _factory(syntax, symbols, obj, depth + 1)
    qualified = symbols.qualify(syntax.text(function), node.start_byte, module="__main__")
    return node if qualified in TENSOR_FACTORIES else None


def _shape(syntax: Syntax, symbols: Symbols, factory: Node, value: Evaluate) -> tuple[tuple[int, ...], str]:
    """Dimensions (``rand(1, 3, 8, 8)``, ``rand((1, 3, 8, 8))``, ``rand(size=...)``) and dtype."""
    arguments = factory.child_by_field_name("arguments")
    dims: list[Any] = []
    dtype = "float32"
    for argument in arguments.named_children if arguments is not None else ():
        if argument.type == "keyword_argument":
            key, given = argument.child_by_field_name("name"), argument.child_by_field_name("value")
            if key is None or given is None:
                raise NotLiteral("incomplete keyword argument")
            if syntax.text(key) == "size":
                dims.append(value(given))
            elif syntax.text(key) == "dtype":
                dtype = _dtype(syntax, symbols, given)
        elif argument.type != "comment":
            dims.append(value(argument))
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise NotLiteral("dimensions are not positive integers")
    return tuple(dims), dtype


def _dtype(syntax: Syntax, symbols: Symbols, node: Node) -> str:
    qualified = symbols.qualify(syntax.text(node), node.start_byte, module="__main__") or ""
    module, _, name = qualified.rpartition(".")
    if module != "torch" or name not in _DTYPES:
        raise NotLiteral(f"unknown dtype `{syntax.text(node)}`")
    return _DTYPE_ALIASES.get(name, name)
