"""Evaluate a list, set or dict comprehension over literals statically, without running user code.

``{f"layer{i}": f"c{i}" for i in range(1, 5)}`` and ``[f"layer{i}" for i in (2, 3)]`` name nodes
as surely as the literals they stand for. Only literals, the comprehension's own variables,
``range``/``enumerate``/``zip``, f-strings, arithmetic, comparisons and conditions are evaluated;
anything else (a name from outside, any other call) is not a literal.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from fxlens.workspace.literals import NotLiteral, compare, evaluate

_MAX_ITEMS = 1_000  # refuse comprehensions that would yield more than this many items
Environment = dict[str, Any]


def expand(source: str) -> list[tuple[Any, Any]] | None:
    """The (key, value) pairs a dict comprehension yields, or (item, None) for a list or set one.

    None when ``source`` is not a comprehension or cannot be evaluated from literals alone.
    """
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return None
    node = tree.body
    if not isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp)):
        return None
    try:
        results = []
        for env in _environments(node.generators, {}):
            if isinstance(node, ast.DictComp):
                results.append((_value(node.key, env), _value(node.value, env)))
            else:
                results.append((_value(node.elt, env), None))
            if len(results) > _MAX_ITEMS:
                return None
        return results
    except (NotLiteral, RecursionError):
        return None


def _environments(generators: list[ast.comprehension], env: Environment) -> Iterator[Environment]:
    """Every binding of the comprehension's variables, in iteration order, that passes its conditions."""
    if not generators:
        yield env
        return
    first, rest = generators[0], generators[1:]
    if first.is_async:
        raise NotLiteral("an async comprehension is not a literal")
    for count, item in enumerate(_iterable(_value(first.iter, env))):
        if count > _MAX_ITEMS:
            raise NotLiteral("too many items to expand")
        inner = {**env}
        _bind(first.target, item, inner)
        if all(_value(condition, inner) for condition in first.ifs):
            yield from _environments(rest, inner)


def _iterable(value: Any) -> tuple[Any, ...] | range:
    if isinstance(value, (tuple, list, str, range)):
        return value if isinstance(value, range) else tuple(value)
    if isinstance(value, (dict, set, frozenset)):
        return tuple(value)
    raise NotLiteral("the comprehension iterates over something that is not a literal")


def _bind(target: ast.expr, value: Any, env: Environment) -> None:
    """Assign ``value`` to a ``for`` target (a name or a tuple of targets)."""
    if isinstance(target, ast.Name):
        env[target.id] = value
        return
    if isinstance(target, (ast.Tuple, ast.List)):
        items = tuple(value) if isinstance(value, (tuple, list, str)) else None
        if items is None or len(items) != len(target.elts):
            raise NotLiteral("cannot unpack the comprehension's items")
        for element, item in zip(target.elts, items, strict=True):
            _bind(element, item, env)
        return
    raise NotLiteral("unsupported comprehension target")


def _value(node: ast.expr, env: Environment) -> Any:
    """The value of one expression inside the comprehension."""
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _value(part, env) if not isinstance(part, ast.Constant) else str(part.value) for part in node.values
        )
    if isinstance(node, ast.FormattedValue):
        return _formatted(node, env)
    if isinstance(node, ast.Compare):
        return compare(node, lambda operand: _value(operand, env))
    if isinstance(node, ast.BoolOp):
        values = (_value(v, env) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):
        return _value(node.body if _value(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Call):
        return _call(node, env)
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_value(e, env) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    return evaluate(node, lambda name: _variable(name, env))


def _variable(name: str, env: Environment) -> Any:
    if name not in env:
        raise NotLiteral(f"`{name}` is not a literal")
    return env[name]


def _formatted(node: ast.FormattedValue, env: Environment) -> str:
    value = _value(node.value, env)
    if node.conversion == ord("r"):
        value = repr(value)
    elif node.conversion == ord("s"):
        value = str(value)
    elif node.conversion == ord("a"):
        value = ascii(value)
    spec = _value(node.format_spec, env) if node.format_spec is not None else ""
    try:
        return format(value, spec)
    except (TypeError, ValueError) as exc:
        raise NotLiteral(str(exc)) from exc


_STR_METHODS = frozenset({"replace", "lower", "upper", "strip", "lstrip", "rstrip", "removeprefix", "removesuffix"})


def _call(node: ast.Call, env: Environment) -> Any:
    """``range``, ``enumerate``, ``zip`` and ``str`` over literal arguments, and a few pure ``str``
    methods (``name.replace(".", "_")``)."""
    if isinstance(node.func, ast.Attribute) and node.func.attr in _STR_METHODS and not node.keywords:
        target, args = _value(node.func.value, env), [_value(a, env) for a in node.args]
        if isinstance(target, str) and all(isinstance(a, str) for a in args):
            try:
                return getattr(target, node.func.attr)(*args)
            except TypeError as exc:
                raise NotLiteral(str(exc)) from exc
        raise NotLiteral(f"`.{node.func.attr}(...)` of a value that is not a string")
    if not isinstance(node.func, ast.Name) or node.keywords or node.func.id in env:
        raise NotLiteral("only range, enumerate, zip and str calls are evaluated")
    args = [_value(a, env) for a in node.args]
    name = node.func.id
    try:
        if name == "range" and all(isinstance(a, int) for a in args):
            values = range(*args)
            if len(values) > _MAX_ITEMS:
                raise NotLiteral("range too long to expand")
            return values
        if name == "enumerate" and 1 <= len(args) <= 2:
            return tuple(enumerate(_iterable(args[0]), *args[1:]))
        if name == "zip":
            return tuple(zip(*(_iterable(a) for a in args), strict=False))  # as Python's zip: the shortest wins
        if name == "str" and len(args) == 1:
            return str(args[0])
    except TypeError as exc:
        raise NotLiteral(str(exc)) from exc
    raise NotLiteral(f"`{name}(...)` is not evaluated")
