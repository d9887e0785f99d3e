"""Fold an argument expression into Python literal source text, without running user code.

Constructor arguments travel to the worker as text it reads with ``ast.literal_eval``, so
``width=BASE * 2`` with ``BASE = 16`` at module level must become ``"32"``. Literals, containers,
names (looked up by the caller), arithmetic on numbers, strings and tuples, comparisons, ``and`` /
``or`` and conditional expressions are folded; anything else is not a literal.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: lambda a, b: _identical(a, b),
    ast.IsNot: lambda a, b: not _identical(a, b),
}
_MAX_SIZE = 10_000  # refuse to build huge values (``[0] * 10**9``, ``10 ** 10**6``)


class NotLiteral(Exception):
    """The expression is not a literal; the message names what stopped the folding."""


def fold(source: str, lookup: Callable[[str], Any]) -> str:
    """Literal source text equal in value to ``source``; names are resolved by ``lookup``."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise NotLiteral(f"`{source}` is not an expression") from exc
    return literal_text(evaluate(tree.body, lookup))


def literal_text(value: Any) -> str:
    """``repr`` of a value that reads back with ``ast.literal_eval``."""
    text = repr(value)
    try:
        if ast.literal_eval(text) == value:
            return text
    except (ValueError, SyntaxError):
        pass
    raise NotLiteral(f"`{text}` cannot be written as a literal")


def evaluate(node: ast.expr, lookup: Callable[[str], Any]) -> Any:
    """The value of a literal-only expression tree."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = [evaluate(e, lookup) for e in node.elts]
        return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NotLiteral("`**` in a dict is not a literal")
        return {
            evaluate(k, lookup): evaluate(v, lookup)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.Name):
        return lookup(node.id)
    if isinstance(node, ast.Attribute) and _dotted(node):
        return lookup(_dotted(node))  # a constant of an imported module: ``settings.WIDTH``
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _checked(_UNARY[type(node.op)], evaluate(node.operand, lookup))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = evaluate(node.left, lookup), evaluate(node.right, lookup)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > 64:
            raise NotLiteral("exponent too large to fold")
        if isinstance(node.op, ast.Mult) and _repeat_size(left, right) > _MAX_SIZE:
            raise NotLiteral("value too large to fold")
        return _checked(_BINARY[type(node.op)], left, right)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        return compare(node, lambda operand: evaluate(operand, lookup))
    if isinstance(node, ast.BoolOp):  # short-circuits like Python: ``a or b`` needs ``b`` only if ``a`` is false
        value = evaluate(node.values[0], lookup)
        for operand in node.values[1:]:
            if bool(value) == isinstance(node.op, ast.Or):
                return value
            value = evaluate(operand, lookup)
        return value
    if isinstance(node, ast.IfExp):
        return evaluate(node.body if evaluate(node.test, lookup) else node.orelse, lookup)
    raise NotLiteral(f"`{ast.unparse(node)}` is not a literal")


def compare(node: ast.Compare, value: Callable[[ast.expr], Any]) -> bool:
    """A comparison chain (``a < b <= c``) folded as Python does, left to right, stopping at the first false
    link; ``value`` evaluates each operand. Raises ``NotLiteral`` where Python would raise."""
    left = value(node.left)
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        right = value(comparator)
        if not _checked(_COMPARE[type(op)], left, right):
            return False
        left = right
    return True


def _identical(a: Any, b: Any) -> bool:
    """``a is b`` where identity is defined for folded values: against None, True or False."""
    if not any(v is None or isinstance(v, bool) for v in (a, b)):
        raise TypeError("`is` compares identities only with None, True or False")
    return a is b


def _dotted(node: ast.expr) -> str:
    """``a.b.c`` for a chain of names, "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _repeat_size(left: Any, right: Any) -> int:
    """Length of ``sequence * count`` (0 when it is not a repetition)."""
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, bytes, tuple, list)) and isinstance(count, int):
            return len(sequence) * count
    return 0


def _checked(function: Callable[..., Any], *args: Any) -> Any:
    try:
        value = function(*args)
    except (TypeError, ArithmeticError, ValueError) as exc:
        raise NotLiteral(str(exc)) from exc
    if isinstance(value, (str, bytes, tuple, list)) and len(value) > _MAX_SIZE:
        raise NotLiteral("value too large to fold")
    if isinstance(value, float) and not math.isfinite(value):
        raise NotLiteral("not a finite number")
    return value
