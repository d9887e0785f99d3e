"""The shape and dtype of a tensor expression, statically: ``torch.rand(1, 3, 64, 64)`` and what follows it.

Reads tensor factories (``torch.rand/randn/zeros/ones/empty`` of literal dimensions, ``size=``,
``dtype=``), device and dtype moves (``.to(...)``, ``.float()``), ``.unsqueeze(0)``, and
``F.interpolate(t, size=...)`` (the batch and channels of ``t`` when known, else 1 and 3), through
variables. A non-literal dimension makes the expression unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node

from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.scopes import find_binding
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax

TENSOR_FACTORIES = frozenset(f"torch.{name}" for name in ("rand", "randn", "zeros", "ones", "empty"))
INTERPOLATE = frozenset({"torch.nn.functional.interpolate", "torch.nn.functional.upsample"})
MOVES = frozenset({"to", "float", "cpu", "cuda", "requires_grad_", "contiguous", "detach", "clone"})
_DTYPES = frozenset(
    {"float16", "float32", "float64", "bfloat16", "half", "float", "double", "int64", "int32", "uint8", "bool"}
)
_DTYPE_ALIASES = {"half": "float16", "float": "float32", "double": "float64"}
_MAX_DEPTH = 8

Evaluate = Callable[[Node], Any]  # a node's literal value, raising NotLiteral


@dataclass(frozen=True)
class Tensor:
    """A tensor the file builds: its shape, dtype and the call that shows it."""

    shape: tuple[int, ...]
    dtype: str
    shown_by: Node


class TensorReader:
    """Shapes of tensor expressions in one parsed file."""

    def __init__(self, syntax: Syntax, symbols: Symbols, value: Evaluate) -> None:
        self.syntax, self.symbols, self.value = syntax, symbols, value

    def qualify(self, node: Node) -> str:
        return self.symbols.qualify(self.syntax.text(node), node.start_byte, module="__main__") or ""

    def tensor(self, node: Node, depth: int = 0) -> Tensor | None:
        """The tensor ``node`` evaluates to, or None when the file does not show its shape."""
        if depth > _MAX_DEPTH:
            return None
        if node.type == "identifier":
            binding = find_binding(self.syntax, self.syntax.text(node), node)
            return self.tensor(binding.value, depth + 1) if binding and binding.form == "value" else None
        if node.type == "parenthesized_expression" and node.named_children:
            return self.tensor(node.named_children[0], depth + 1)
        function = node.child_by_field_name("function") if node.type == "call" else None
        if function is None:
            return None
        if function.type == "attribute":
            moved = self._method(function, node, depth)
            if moved is not None:
                return moved
        qualified = self.qualify(function) if function.type in ("identifier", "attribute") else ""
        try:
            if qualified in TENSOR_FACTORIES:
                shape, dtype = self._factory(node)
                return Tensor(shape, dtype, node)
            if qualified in INTERPOLATE:
                return self._interpolated(node, depth)
        except NotLiteral:
            return None
        return None

    def _method(self, function: Node, call: Node, depth: int) -> Tensor | None:
        obj, attribute = function.child_by_field_name("object"), function.child_by_field_name("attribute")
        if obj is None or attribute is None or obj.type not in ("call", "identifier", "parenthesized_expression"):
            return None
        name = self.syntax.text(attribute)
        if name not in MOVES and name != "unsqueeze":
            return None
        inner = self.tensor(obj, depth + 1)
        if inner is None or name in MOVES:
            return inner
        arguments = _positional(call)
        try:
            dim = self.value(arguments[0]) if len(arguments) == 1 else None
        except NotLiteral:
            return None
        if dim != 0:
            return None
        return Tensor((1, *inner.shape), inner.dtype, inner.shown_by)

    def _factory(self, factory: Node) -> tuple[tuple[int, ...], str]:
        """Dimensions (``rand(1, 3, 8, 8)``, ``rand((1, 3, 8, 8))``, ``rand(size=...)``) and dtype."""
        arguments = factory.child_by_field_name("arguments")
        dims: list[Any] = []
        dtype = "float32"
        for argument in arguments.named_children if arguments is not None else ():
            if argument.type == "keyword_argument":
                key, given = argument.child_by_field_name("name"), argument.child_by_field_name("value")
                if key is None or given is None:
                    raise NotLiteral("incomplete keyword argument")
                if self.syntax.text(key) == "size":
                    dims.append(self.value(given))
                elif self.syntax.text(key) == "dtype":
                    dtype = self._dtype(given)
            elif argument.type != "comment":
                dims.append(self.value(argument))
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = list(dims[0])
        return positive_dims(dims), dtype

    def _interpolated(self, call: Node, depth: int) -> Tensor | None:
        """``F.interpolate(t, size=(h, w))``: ``t``'s batch and channels (1 and 3 unknown) at ``h × w``."""
        size = _keyword(self.syntax, call, "size")
        arguments = _positional(call)
        if size is None and len(arguments) > 1:
            size = arguments[1]
        if size is None:
            return None
        value = self.value(size)
        spatial = positive_dims(list(value) if isinstance(value, (tuple, list)) else [value, value])
        inner = self.tensor(arguments[0], depth + 1) if arguments else None
        leading = (
            inner.shape[: len(inner.shape) - len(spatial)] if inner and len(inner.shape) > len(spatial) else (1, 3)
        )
        return Tensor((*leading, *spatial), inner.dtype if inner else "float32", call)

    def _dtype(self, node: Node) -> str:
        module, _, name = self.qualify(node).rpartition(".")
        if module != "torch" or name not in _DTYPES:
            raise NotLiteral(f"unknown dtype `{self.syntax.text(node)}`")
        return _DTYPE_ALIASES.get(name, name)


def positive_dims(dims: list[Any]) -> tuple[int, ...]:
    """``dims`` as a shape, or NotLiteral when they are not all positive integers."""
    if not dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims):
        raise NotLiteral("dimensions are not positive integers")
    return tuple(dims)


def _positional(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    items = arguments.named_children if arguments is not None else []
    return [a for a in items if a.type not in ("keyword_argument", "comment")]


def _keyword(syntax: Syntax, call: Node, name: str) -> Node | None:
    arguments = call.child_by_field_name("arguments")
    for item in arguments.named_children if arguments is not None else []:
        key = item.child_by_field_name("name") if item.type == "keyword_argument" else None
        if key is not None and syntax.text(key) == name:
            return item.child_by_field_name("value")
    return None
