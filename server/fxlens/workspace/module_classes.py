"""The ``nn.Module`` subclasses a document defines, each with the ``ModelSpec`` that builds it alone.

A class counts when a base is ``torch.nn.Module`` (however imported) or a class of this document or
of another workspace module that counts, and when it has a ``forward`` of its own or inherited from
such a class (an abstract base has none to trace). It is built with no arguments, or with those
``[tool.fxlens.models."module:Class"]`` gives (``overrides``, as for a call's model); a constructor
parameter without a default that neither supplies is reported, with the table to write. Static:
nothing is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tree_sitter import Node

from fxlens.workspace.arguments import required_parameters
from fxlens.workspace.callsite import Range
from fxlens.workspace.construction import CannotResolve, Construction
from fxlens.workspace.modules import Workspace
from fxlens.workspace.overrides import apply_override, configured_input, override_for
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.reader import MAX_DEPTH, Place, Reader
from fxlens.workspace.spec import InputSpec, ModelSpec, TracerSettings

TORCH_MODULE = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module", "torch.nn.modules.Module"})


@dataclass(frozen=True)
class NeedsArguments:
    """A class whose constructor needs ``parameters`` that no default and no configuration give."""

    parameters: tuple[str, ...]
    config_key: str  # ``module:Class``, the key of its table under [tool.fxlens.models]

    @property
    def table(self) -> str:
        """The pyproject table to write: ``[tool.fxlens.models."nets:Net"]``."""
        return f'[tool.fxlens.models."{self.config_key}"]'

    def describe(self) -> str:
        """``needs arguments `width`, `depth`: set them as kwargs under [tool.fxlens.models."nets:Net"]``."""
        names = ", ".join(f"`{p}`" for p in self.parameters)
        example = ", ".join(f"{p} = ..." for p in self.parameters)
        return f"needs arguments {names}: set them under {self.table} as kwargs = {{ {example} }}"


@dataclass(frozen=True)
class ModuleClass:
    """One ``nn.Module`` subclass of a document, where its name is, and how to build it."""

    name: str  # its qualified name in the module (top-level classes: the class name)
    name_range: Range  # the class name in the ``class`` statement
    line: int  # 0-based line of the ``class`` keyword
    build: ModelSpec | NeedsArguments


def module_classes(
    doc: ParsedDocument, workspace: Workspace, kwargs: tuple[tuple[str, str], ...] = ()
) -> list[ModuleClass]:
    """Every top-level ``nn.Module`` subclass of ``doc`` with a ``forward``, in source order; ``kwargs``
    (``fxlens trace --kwargs``, literal text) are given to every constructor, over the configured ones."""
    reader = Reader(workspace.view(doc))
    place = reader.place(doc)
    found = []
    for node in _top_level_classes(doc.syntax.root):
        name = node.child_by_field_name("name")
        if name is None or not _is_module(reader, place, node, 0):
            continue
        found.append(
            ModuleClass(
                name=place.text(name),
                name_range=doc.syntax.range(name),
                line=doc.syntax.range(node).start.line,
                build=_build(reader, place, node, place.text(name), workspace, kwargs),
            )
        )
    return found


def class_at_line(classes: list[ModuleClass], line: int) -> ModuleClass | None:
    """The class whose ``class`` statement (or name) is on 0-based ``line``."""
    return next((c for c in classes if line in (c.line, c.name_range.start.line)), None)


def _top_level_classes(root: Node) -> list[Node]:
    classes = []
    for statement in root.named_children:
        if statement.type == "decorated_definition":
            statement = statement.child_by_field_name("definition") or statement
        if statement.type == "class_definition":
            classes.append(statement)
    return classes


def _is_module(reader: Reader, place: Place, node: Node, depth: int) -> bool:
    """Whether class ``node`` derives from ``torch.nn.Module`` and has (or inherits) a ``forward``."""
    found = _module_bases(reader, place, node, depth)
    return found is not None and (found or _defines(place, node, "forward"))


def _module_bases(reader: Reader, place: Place, node: Node, depth: int) -> bool | None:
    """None: not an ``nn.Module``; else whether a workspace base already defines ``forward``."""
    if depth > MAX_DEPTH:
        return None
    bases = node.child_by_field_name("superclasses")
    module, forward = False, False
    for base in bases.named_children if bases is not None else ():
        if base.type not in ("identifier", "attribute"):
            continue  # keyword arguments (metaclass=...) and computed bases
        qualified = place.qualify(place.text(base), base)
        if qualified is None:
            continue
        if qualified in TORCH_MODULE:
            module = True
            continue
        try:
            definition = reader.locate(qualified, place, depth)
        except CannotResolve:
            continue
        if definition is None or definition.kind != "class" or definition.node is None:
            continue
        inherited = _module_bases(reader, definition.place, definition.node, depth + 1)
        if inherited is not None:
            module = True
            forward = forward or inherited or _defines(definition.place, definition.node, "forward")
    return forward if module else None


def _defines(place: Place, node: Node, method: str) -> bool:
    """Whether class ``node``'s own body defines ``method``."""
    return _method(place, node, method) is not None


def _method(place: Place, node: Node, method: str) -> Node | None:
    body = node.child_by_field_name("body")
    for statement in body.named_children if body is not None else ():
        if statement.type == "decorated_definition":
            statement = statement.child_by_field_name("definition") or statement
        name = statement.child_by_field_name("name")
        if statement.type == "function_definition" and name is not None and place.text(name) == method:
            return statement
    return None


def _required(reader: Reader, place: Place, node: Node, depth: int = 0) -> list[str]:
    """The required ``__init__`` parameters of the class, its own or the first workspace base's that has one."""
    if _defines(place, node, "__init__") or depth > MAX_DEPTH:
        return required_parameters(place, node)
    bases = node.child_by_field_name("superclasses")
    for base in bases.named_children if bases is not None else ():
        qualified = place.qualify(place.text(base), base) if base.type in ("identifier", "attribute") else None
        if qualified is None or qualified in TORCH_MODULE:
            continue
        try:
            definition = reader.locate(qualified, place, depth)
        except CannotResolve:
            continue
        if definition is not None and definition.kind == "class" and definition.node is not None:
            return _required(reader, definition.place, definition.node, depth + 1)
    return []


def _build(
    reader: Reader, place: Place, node: Node, name: str, workspace: Workspace, kwargs: tuple[tuple[str, str], ...]
) -> ModelSpec | NeedsArguments:
    """The spec of the class built alone, or the constructor parameters configuration must give."""
    config = workspace.config
    found = Construction("workspace", place.module, name, name, file=place.file)
    override = override_for(config, found)
    model = apply_override(found, override)
    model = replace(model, kwargs=tuple({**dict(model.kwargs), **dict(kwargs)}.items()))
    given = set(dict(model.kwargs))
    missing = [p for i, p in enumerate(_required(reader, place, node)) if i >= len(model.args) and p not in given]
    if missing:
        return NeedsArguments(tuple(missing), found.config_key)
    leaves = override.leaf_modules if override is not None else ()
    return ModelSpec(
        builder="workspace",
        module=model.module,
        callable=model.callable,
        display_name=model.display(),
        args=model.args,
        kwargs=model.kwargs,
        file=model.file,
        workspace_root=str(workspace.root),
        tracer=replace(TracerSettings(), leaf_modules=leaves),
        example_input=configured_input(config, override) or InputSpec(),
    )
