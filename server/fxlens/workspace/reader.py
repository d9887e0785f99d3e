"""Reading definitions and constants across the workspace, from a position in one of its files.

A ``Reader`` answers, without changing the workspace: which workspace definition an absolute
dotted name refers to (through imports and package re-exports), and the literal value of an
expression (names followed to constants in the same scope, the module, or another module; a
parameter is the argument of the call being followed, else its default; ``cfg.field`` of a
dataclass parameter is read by ``dataclass_fields``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from tree_sitter import Node

from fxlens.workspace.construction import CannotResolve
from fxlens.workspace.literals import NotLiteral, evaluate, literal_text
from fxlens.workspace.modules import WorkspaceView, path_of
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.scopes import NameBinding, find_binding

MAX_DEPTH = 24  # how many names, imports or expressions a chain may go through


@dataclass(frozen=True)
class Place:
    """A parsed module being read: the document and its module name."""

    doc: ParsedDocument
    module: str
    is_package: bool
    file: str

    def text(self, node: Node) -> str:
        return self.doc.syntax.text(node)

    def qualify(self, dotted: str, at: Node | None) -> str | None:
        offset = at.start_byte if at is not None else None
        return self.doc.symbols.qualify(dotted, offset, self.module, self.is_package)


@dataclass(frozen=True)
class Definition:
    """A top-level (or nested class) definition of a workspace module."""

    place: Place
    kind: Literal["class", "def", "assign", "import"]
    node: Node | None
    qualname: str


class Reader:
    """Definitions and literal values as seen from the files of one workspace view."""

    def __init__(self, view: WorkspaceView) -> None:
        self.view = view
        self._passed: dict[int, Mapping[str, Any]] = {}  # function node id -> its parameters' values

    @contextmanager
    def calling(self, function: Node, values: Mapping[str, Any]) -> Iterator[None]:
        """Inside the block, the parameters of ``function`` have ``values`` (a call's literal arguments)."""
        previous = self._passed.get(function.id)
        self._passed[function.id] = values
        try:
            yield
        finally:
            if previous is None:
                del self._passed[function.id]
            else:
                self._passed[function.id] = previous

    def place(self, doc: ParsedDocument) -> Place:
        file = path_of(doc.uri)
        module, is_package = self.view.module_name(file)
        return Place(doc, module, is_package, file)

    def locate(self, qualified: str, importer: Place, depth: int = 0) -> Definition | None:
        """The workspace definition an absolute dotted name imported in ``importer`` refers to, through re-exports."""
        if depth > MAX_DEPTH:
            raise CannotResolve(f"`{qualified}` is imported in a cycle")
        split = self.view.split(qualified, importer.file)
        if split is None:
            return None
        _, attribute, file = split
        doc = self.view.document(file)
        if doc is None:
            return None
        place = self.place(doc)
        head, _, rest = attribute.partition(".")
        binding = doc.symbols.top_level(head)
        if binding is None:
            return None
        if binding.kind == "import":
            target = place.qualify(head, None)
            return self.locate(f"{target}.{rest}" if rest else target, place, depth + 1) if target else None
        node = binding.node
        for inner in rest.split(".") if rest else ():
            node = nested_class(place, node, inner)
            if node is None:
                return None
        return Definition(place, binding.kind, node, attribute)

    def literal(self, place: Place, node: Node, what: str) -> str:
        """Literal source text of an expression, or ``CannotResolve`` naming ``what`` it is."""
        try:
            return literal_text(self.value(place, node))
        except NotLiteral as exc:
            text = place.text(node)
            generic = {f"`{text}` is not {kind}" for kind in ("a literal", "a constant", "a module-level constant")}
            detail = "" if str(exc) in generic else f" ({exc})"
            raise CannotResolve(
                f"{what} `{text}` is not a literal or a module-level constant{detail}; write its value", node
            ) from exc

    def value(self, place: Place, node: Node, depth: int = 0) -> Any:
        """The literal value of an expression node, following names to constants (raises NotLiteral)."""
        if depth > MAX_DEPTH:
            raise NotLiteral("constants refer to each other in a cycle")

        def lookup(name: str) -> Any:
            head, _, field = name.partition(".")
            if field and "." not in field:
                owner = find_binding(place.doc.syntax, head, node)
                if (
                    owner is not None
                    and owner.form == "parameter"
                    and head not in self._passed.get(owner.statement.id, {})
                    and not _is_method_receiver(owner)
                ):
                    from fxlens.workspace.dataclass_fields import parameter_field  # it reads through a Reader

                    return parameter_field(self, place, owner, field, depth + 1)
            binding = None if "." in name else find_binding(place.doc.syntax, name, node)
            if binding is not None and binding.form == "parameter":
                passed = self._passed.get(binding.statement.id, {})
                if name in passed:
                    return passed[name]
                default = binding.value.child_by_field_name("value")
                if default is None:
                    raise NotLiteral(
                        f"`{name}` is a parameter of {function_label(place, binding.statement)} without a default"
                    )
                return self.value(place, default, depth + 1)  # the default is the value fxlens can know
            if binding is not None:
                if binding.form != "value":
                    raise NotLiteral(f"`{name}` is not a constant")
                return self.value(place, binding.value, depth + 1)
            qualified = place.qualify(name, node)
            try:
                definition = self.locate(qualified, place, depth) if qualified else None
            except CannotResolve as exc:
                raise NotLiteral(exc.reason) from exc
            if definition is not None and definition.kind == "assign" and definition.node is not None:
                return self.value(definition.place, definition.node, depth + 1)
            raise NotLiteral(f"`{name}` is not a module-level constant")

        try:
            tree = ast.parse(place.text(node).strip(), mode="eval")
        except SyntaxError as exc:
            raise NotLiteral("not an expression") from exc
        return evaluate(tree.body, lookup)


def _is_method_receiver(binding: NameBinding) -> bool:
    """True for the first parameter of a method (``self``, ``cls``): the instance, not an argument passed in."""
    function, parent = binding.statement, binding.statement.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    in_class = parent is not None and parent.parent is not None and parent.parent.type == "class_definition"
    parameters = function.child_by_field_name("parameters")
    first = parameters.named_children[0] if parameters is not None and parameters.named_children else None
    return in_class and first is not None and first.id == binding.value.id


def nested_class(place: Place, node: Node | None, name: str) -> Node | None:
    """The class ``name`` defined directly in the body of class ``node``."""
    body = node.child_by_field_name("body") if node is not None and node.type == "class_definition" else None
    for statement in body.named_children if body is not None else ():
        statement = (
            statement.child_by_field_name("definition") or statement
            if statement.type == "decorated_definition"
            else statement
        )
        target = statement.child_by_field_name("name")
        if statement.type == "class_definition" and target is not None and place.text(target) == name:
            return statement
    return None


def function_label(place: Place, function: Node) -> str:
    """`` `train()` `` or `` `Net.__init__()` ``: a function as messages name it."""
    name = function.child_by_field_name("name")
    if name is None:
        return "a lambda"
    owner = function.parent
    while owner is not None and owner.type not in ("class_definition", "function_definition", "module"):
        owner = owner.parent
    owner_name = owner.child_by_field_name("name") if owner is not None and owner.type == "class_definition" else None
    prefix = f"{place.text(owner_name)}." if owner_name is not None else ""
    return f"`{prefix}{place.text(name)}()`"
