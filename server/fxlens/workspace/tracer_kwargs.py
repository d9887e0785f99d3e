"""A call's ``tracer_kwargs={...}`` (and configured leaf modules) → ``TracerSettings``, statically.

Classes and functions named in ``leaf_modules`` / ``autowrap_functions`` become ``module:QualName``
references the worker imports; ``autowrap_modules`` become module names; every other key must be a
literal. The dict may be written in the call or bound to a name in scope.
"""

from __future__ import annotations

from tree_sitter import Node

from fxlens.workspace.callsite import CallSite
from fxlens.workspace.config import ModelOverride
from fxlens.workspace.construction import CannotResolve
from fxlens.workspace.reader import Place, Reader
from fxlens.workspace.scopes import find_binding
from fxlens.workspace.spec import TracerSettings


def tracer_settings(
    reader: Reader, place: Place, site: CallSite, given: Node | None, override: ModelOverride | None
) -> TracerSettings:
    """The tracer settings of the call ``site``, whose ``tracer_kwargs`` argument is ``given`` (if any)."""
    leaf: list[str] = list(override.leaf_modules) if override is not None else []
    autowrap_modules: list[str] = []
    autowrap_functions: list[str] = []
    other: list[tuple[str, str]] = []
    node = given
    if node is not None and node.type == "identifier":
        binding = find_binding(place.doc.syntax, place.text(node), node)
        node = binding.value if binding is not None and binding.form == "value" else node
    if node is not None and node.type != "dictionary":
        raise CannotResolve('`tracer_kwargs` must be a dict display such as {"leaf_modules": [MyBlock]}', node)
    for pair in node.named_children if node is not None else ():
        key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
        if pair.type != "pair" or key is None or value is None:
            continue
        if key.type != "string":
            raise CannotResolve("`tracer_kwargs` keys must be string literals", key)
        name = place.text(key)[1:-1]
        if name == "leaf_modules":
            leaf += [_reference(reader, place, item) for item in _items(place, value)]
        elif name == "autowrap_functions":
            autowrap_functions += [_reference(reader, place, item) for item in _items(place, value)]
        elif name == "autowrap_modules":
            autowrap_modules += [_module_name(place, item) for item in _items(place, value)]
        else:
            other.append((name, reader.literal(place, value, f"tracer_kwargs[{name!r}]")))
    return TracerSettings(
        library=site.library,
        leaf_modules=tuple(dict.fromkeys(leaf)),
        autowrap_modules=tuple(autowrap_modules),
        autowrap_functions=tuple(autowrap_functions),
        other=tuple(other),
    )


def _reference(reader: Reader, place: Place, node: Node) -> str:
    """``module:QualName`` of a class or function named in ``tracer_kwargs``."""
    qualified = place.qualify(place.text(node), node) if node.type in ("identifier", "attribute") else None
    if qualified is None:
        raise CannotResolve(f"`{place.text(node)}` is not an imported or defined class or function", node)
    definition = reader.locate(qualified, place)
    if definition is not None:
        return f"{definition.place.module}:{definition.qualname}"
    parts = qualified.split(".")
    cut = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts) - 1)
    return f"{'.'.join(parts[:cut])}:{'.'.join(parts[cut:])}"


def _module_name(place: Place, node: Node) -> str:
    qualified = place.qualify(place.text(node), node) if node.type in ("identifier", "attribute") else None
    if qualified is None:
        raise CannotResolve(f"`{place.text(node)}` is not an imported module", node)
    return qualified


def _items(place: Place, node: Node) -> list[Node]:
    if node.type not in ("list", "tuple", "set"):
        raise CannotResolve(f"`{place.text(node)}` must be a list of names", node)
    return [item for item in node.named_children if item.type != "comment"]
