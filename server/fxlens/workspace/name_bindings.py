"""The binding of a name as code at a point sees it: its function, each enclosing function, the module.

Like ``fxlens.workspace.scopes.find_binding`` (and built on its walk of one scope), but closures
see the functions around them, and module-level names come from the ``Symbols`` index rather than
a scan of the whole file: following the names of 80 calls in a 2,000-line file stays cheap
(``bench/bench_bindings.py``). Module-level bindings ``Symbols`` does not index (under ``if``,
``try``, ``with``) are still found, by ``find_binding``'s scan.
"""

from __future__ import annotations

from tree_sitter import Node

from fxlens.workspace.scopes import (
    NameBinding,
    enclosing_function,
    find_binding,
    last_binding,
    parameter_named,
    statement_of,
)
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax


def name_binding(syntax: Syntax, symbols: Symbols, name: str, at: Node) -> NameBinding | None:
    """The binding of ``name`` in force where ``at`` is evaluated; None for imports and unknown names."""
    point = at
    function = enclosing_function(point)
    while function is not None:
        local = last_binding(syntax, name, function, point.start_byte)
        if local is not None:
            return local
        parameter = parameter_named(syntax, function, name)
        if parameter is not None:
            return NameBinding("parameter", parameter, function)
        point, function = function, enclosing_function(function)
    indexed = symbols.lookup(name, point.start_byte)
    if indexed is not None and indexed.kind == "assign" and indexed.node is not None:
        return NameBinding("value", indexed.node, statement_of(indexed.node))
    if indexed is not None:
        return None  # an import, a def or a class
    return find_binding(syntax, name, point)
