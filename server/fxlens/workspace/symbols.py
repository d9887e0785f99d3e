"""What each name in a module refers to: imports (any form, any scope), top-level definitions.

Used to decide whether ``cfe(...)`` really is torchvision's ``create_feature_extractor`` and to
turn ``models.resnet18`` or ``MyNet`` into an absolute dotted name. Static: nothing is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node, Tree

BindingKind = Literal["import", "def", "class", "assign"]
_FUNCTION_TYPES = frozenset({"function_definition", "lambda"})
_NESTED_BLOCK_TYPES = frozenset(
    {
        "if_statement",
        "else_clause",
        "elif_clause",
        "try_statement",
        "except_clause",
        "finally_clause",
        "with_statement",
        "block",
        "decorated_definition",
    }
)


@dataclass(frozen=True)
class Binding:
    """One statement that binds ``name``.

    For imports ``target`` is the dotted name imported (``level`` leading dots for relative
    imports); for definitions and assignments ``node`` is the definition or the assigned value.
    """

    name: str
    kind: BindingKind
    start: int  # byte offset of the binding statement
    scope: tuple[int, int]  # byte span of the enclosing function; the whole file at module level
    target: str = ""
    level: int = 0
    node: Node | None = None


class Symbols:
    """The bindings of one parsed module, looked up by name and position."""

    def __init__(self, tree: Tree, source: bytes) -> None:
        self._by_name: dict[str, list[Binding]] = {}
        self._module_scope = (0, len(source))
        self.imported: list[tuple[str, int]] = []  # (module, level) of every import, for dependencies
        for node in _import_statements(tree, source):
            for binding in _import_bindings(node, _scope(node, self._module_scope)):
                self._by_name.setdefault(binding.name, []).append(binding)
            self.imported.extend(_imported_modules(node))
        for binding in _top_level_definitions(tree.root_node, self._module_scope):
            self._by_name.setdefault(binding.name, []).append(binding)
        for bindings in self._by_name.values():
            bindings.sort(key=lambda b: b.start)

    def lookup(self, name: str, offset: int | None = None) -> Binding | None:
        """The binding in force for ``name`` at byte ``offset`` (None: at the end of the module).

        The innermost scope wins; within it the last binding before ``offset``, else (module
        scope only: code in a function runs after the whole module executed) the last one.
        """
        bindings = self._by_name.get(name, ())
        if offset is None:
            offset = self._module_scope[1]
        visible = [b for b in bindings if b.scope[0] <= offset <= b.scope[1]]
        if not visible:
            return None
        innermost = max(b.scope[0] for b in visible)
        visible = [b for b in visible if b.scope[0] == innermost]
        before = [b for b in visible if b.start <= offset]
        if before:
            return before[-1]
        return visible[-1] if innermost == self._module_scope[0] else None

    def qualify(self, dotted: str, offset: int | None, module: str, is_package: bool = False) -> str | None:
        """The absolute dotted name of ``dotted`` as seen at ``offset`` in module ``module``.

        Imported names expand to what was imported, names defined at the top level of the module
        to ``module.name``; local variables and unknown names give None.
        """
        head, _, rest = dotted.partition(".")
        binding = self.lookup(head, offset)
        if binding is None:
            return None
        if binding.kind == "import":
            base = absolute_module(binding.target, binding.level, module, is_package)
            if base is None:
                return None
        elif binding.scope == self._module_scope:
            base = f"{module}.{head}"
        else:
            return None
        return f"{base}.{rest}" if rest else base

    def aliases_of(self, functions: tuple[str, ...]) -> set[str]:
        """Local names bound by importing one of ``functions`` (``cfe`` in ``import … as cfe``)."""
        return {
            name
            for name, bindings in self._by_name.items()
            if any(b.kind == "import" and b.target.rpartition(".")[2] in functions for b in bindings)
        }

    def top_level(self, name: str) -> Binding | None:
        """The last module-level binding of ``name``."""
        bindings = [b for b in self._by_name.get(name, ()) if b.scope == self._module_scope]
        return bindings[-1] if bindings else None


def absolute_module(target: str, level: int, module: str, is_package: bool) -> str | None:
    """Resolve a (possibly relative) import target against the importing module's name."""
    if level == 0:
        return target
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return ".".join(p for p in (base, target) if p) or None


def _import_statements(tree: Tree, source: bytes) -> list[Node]:
    """Every import statement, found by searching the text for ``import`` (fast on big files)."""
    found: dict[int, Node] = {}
    at = source.find(b"import")
    while at != -1:
        node = tree.root_node.descendant_for_byte_range(at, at + 6)
        while node is not None and node.type not in ("import_statement", "import_from_statement"):
            node = node.parent if node.type in ("import", "dotted_name", "identifier") else None
        if node is not None:
            found[node.start_byte] = node
        at = source.find(b"import", at + 6)
    return list(found.values())


def _scope(node: Node, module_scope: tuple[int, int]) -> tuple[int, int]:
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTION_TYPES:
            return (parent.start_byte, parent.end_byte)
        parent = parent.parent
    return module_scope


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def _import_bindings(node: Node, scope: tuple[int, int]) -> list[Binding]:
    """``import a.b as c`` binds c → a.b; ``import a.b`` binds a → a; ``from .m import x as y`` binds y → m.x."""
    bindings: list[Binding] = []
    if node.type == "import_statement":
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                dotted, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
                if dotted is not None and alias is not None:
                    bindings.append(Binding(_text(alias), "import", node.start_byte, scope, _text(dotted)))
            else:
                head = _text(item).split(".")[0]
                bindings.append(Binding(head, "import", node.start_byte, scope, head))
        return bindings
    module_node = node.child_by_field_name("module_name")
    if module_node is None:
        return bindings
    module = _text(module_node).lstrip(".")
    level = len(_text(module_node)) - len(module)
    for item in node.children_by_field_name("name"):
        if item.type == "aliased_import":
            name_node, alias = item.child_by_field_name("name"), item.child_by_field_name("alias")
            if name_node is None or alias is None:
                continue
            name, local = _text(name_node), _text(alias)
        else:
            name = local = _text(item)
        target = f"{module}.{name}" if module else name
        bindings.append(Binding(local, "import", node.start_byte, scope, target, level))
    return bindings


def _imported_modules(node: Node) -> list[tuple[str, int]]:
    """The modules an import statement may load: ``from m import x`` may load ``m`` and ``m.x``."""
    if node.type == "import_statement":
        names = [
            item.child_by_field_name("name") if item.type == "aliased_import" else item
            for item in node.children_by_field_name("name")
        ]
        return [(_text(n), 0) for n in names if n is not None]
    module_node = node.child_by_field_name("module_name")
    if module_node is None:
        return []
    module = _text(module_node).lstrip(".")
    level = len(_text(module_node)) - len(module)
    found = [(module, level)]
    for item in node.children_by_field_name("name"):
        name_node = item.child_by_field_name("name") if item.type == "aliased_import" else item
        if name_node is not None:
            found.append((f"{module}.{_text(name_node)}" if module else _text(name_node), level))
    return found


def _top_level_definitions(root: Node, scope: tuple[int, int]) -> list[Binding]:
    """Module-level ``def``/``class`` (also under ``if``/``try``) and plain ``name = value`` assignments."""
    bindings: list[Binding] = []
    pending = list(root.named_children)
    while pending:
        node = pending.pop()
        if node.type == "decorated_definition":
            definition = node.child_by_field_name("definition")
            node = definition if definition is not None else node
        if node.type in ("function_definition", "class_definition"):
            name = node.child_by_field_name("name")
            if name is not None:
                kind: BindingKind = "def" if node.type == "function_definition" else "class"
                bindings.append(Binding(_text(name), kind, node.start_byte, scope, node=node))
        elif node.type == "expression_statement" and node.parent is not None and node.parent.type == "module":
            bindings.extend(_assignment_bindings(node, scope))
        elif node.type in _NESTED_BLOCK_TYPES:
            pending.extend(node.named_children)
    return bindings


def _assignment_bindings(statement: Node, scope: tuple[int, int]) -> list[Binding]:
    """``a = b = value`` and ``a: T = value`` bind each plain name to ``value``."""
    node = statement.named_children[0] if statement.named_children else None
    targets: list[Node] = []
    while node is not None and node.type == "assignment":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and left.type == "identifier":
            targets.append(left)
        if right is None or right.type != "assignment":
            return [Binding(_text(t), "assign", statement.start_byte, scope, node=right) for t in targets]
        node = right
    return []
