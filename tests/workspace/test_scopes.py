"""Which statement binds a name where it is used: ``scopes.find_binding`` (one function, then the module)
and ``name_bindings.name_binding`` (each enclosing function, then the module) walk scopes the same way."""

from __future__ import annotations

from fxlens.workspace.name_bindings import name_binding
from fxlens.workspace.parse import ParsedDocument, parse_document
from fxlens.workspace.scopes import NameBinding, bindings_of, find_binding
from tree_sitter import Node


def _use(doc: ParsedDocument, name: str, line: int) -> Node:
    """The last identifier ``name`` on 0-based ``line``."""
    lines = doc.syntax.source.split(b"\n")
    start = sum(len(text) + 1 for text in lines[:line]) + lines[line].rindex(name.encode())
    node = doc.syntax.root.descendant_for_byte_range(start, start + len(name.encode()))
    assert node is not None and node.type == "identifier", node
    return node


def _both(doc: ParsedDocument, name: str, line: int) -> tuple[NameBinding | None, NameBinding | None]:
    at = _use(doc, name, line)
    return find_binding(doc.syntax, name, at), name_binding(doc.syntax, doc.symbols, name, at)


def _line(doc: ParsedDocument, binding: NameBinding) -> int:
    return binding.statement.start_point[0]


def test_starred_and_nested_unpacking_bind_the_name_by_unpacking() -> None:
    doc = parse_document(
        "file:///m.py",
        "taps = ['a']\ndef f(pairs):\n    head, *taps = pairs\n    (x, (y, model)), z = pairs\n    use(taps, model)\n",
    )
    for name in ("taps", "model"):
        found, followed = _both(doc, name, 4)
        assert found is not None and (found.form, _line(doc, found)) == ("unpacked", 2 if name == "taps" else 3)
        assert followed is not None and (followed.form, _line(doc, followed)) == (found.form, _line(doc, found))


def test_a_starred_loop_target_is_bound_by_the_loop_after_it() -> None:
    doc = parse_document("file:///m.py", "def f(rows):\n    for first, *rest in rows:\n        pass\n    use(rest)\n")
    found, followed = _both(doc, "rest", 3)
    assert found is not None and (found.form, found.value.type) == ("loop", "for_statement")
    assert followed == found


def test_a_comprehension_variable_does_not_bind_the_name_after_it() -> None:
    doc = parse_document(
        "file:///m.py",
        "def f(items):\n    taps = ['layer1']\n    keys = [k for k, taps in items]\n    use(taps)\n",
    )
    found, followed = _both(doc, "taps", 3)
    assert found is not None and (found.form, _line(doc, found), doc.syntax.text(found.value)) == (
        "value",
        1,
        "['layer1']",
    )
    assert followed == found


def test_a_closure_sees_the_enclosing_function_only_through_name_binding() -> None:
    doc = parse_document(
        "file:///m.py",
        "taps = ['fc']\ndef outer():\n    taps = ['layer1']\n    def inner():\n        return taps\n    return inner\n",
    )
    found, followed = _both(doc, "taps", 4)
    assert found is not None and (found.form, _line(doc, found)) == ("value", 0)
    assert followed is not None and (followed.form, _line(doc, followed)) == ("value", 2)


def test_branches_give_every_binding_in_order_and_the_last_is_find_bindings() -> None:
    doc = parse_document(
        "file:///m.py",
        "def f(big):\n    if big:\n        model = a()\n    else:\n        model = b()\n    use(model)\n",
    )
    at = _use(doc, "model", 5)
    everything = bindings_of(doc.syntax, "model", at)
    assert [_line(doc, b) for b in everything] == [2, 4]
    assert everything[-1] == find_binding(doc.syntax, "model", at)


def test_a_parameter_binds_when_the_body_does_not_before_the_use() -> None:
    doc = parse_document("file:///m.py", "def f(model=None):\n    use(model)\n    model = b()\n")
    found, followed = _both(doc, "model", 1)
    assert found is not None and (found.form, found.value.type) == ("parameter", "default_parameter")
    assert followed == found
