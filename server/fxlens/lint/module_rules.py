"""Rules for module paths given to ``get_submodule`` / ``get_parameter`` / ``get_buffer`` and to
``dict(model.named_modules())[...]``: a path the model does not have, or one of another kind."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.lint.suggest import closest_paths, did_you_mean_finding
from fxlens.nodes import ModuleEntry, ModuleEntryKind, NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, NodeQuery

WANTED: dict[str, ModuleEntryKind] = {
    "get_submodule": "module",
    "named_modules": "module",
    "named_modules_loop": "module",
    "get_parameter": "parameter",
    "get_buffer": "buffer",
}
NOUNS: dict[ModuleEntryKind, str] = {"module": "submodule", "parameter": "parameter", "buffer": "buffer"}
GETTERS: dict[ModuleEntryKind, str] = {"module": "get_submodule", "parameter": "get_parameter", "buffer": "get_buffer"}
LOOPS: dict[ModuleEntryKind, str] = {
    "module": "named_modules()",
    "parameter": "named_parameters()",
    "buffer": "named_buffers()",
}


def path_queries(site: CallSite, state: ModelState) -> Iterator[tuple[NodeQuery, NodeTable, ModuleEntryKind]]:
    """The typed module-path strings of a getter or ``named_modules()`` site on a traced model."""
    wanted = WANTED.get(site.function)
    if wanted is None or not isinstance(state, NodeTable) or not state.modules:
        return
    for argument in site.node_arguments:
        for query in argument.queries:
            if query.name.terminated and query.name.value and not query.name.computed:
                yield query, state, wanted


@rule(
    "FXL016",
    "unknown-module-path",
    "error",
    Scope.SITE,
    "the model has no submodule, parameter or buffer at that path",
    needs_trace=True,
)
def unknown_module_path(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """A path in no ``named_modules()`` / parameter / buffer listing, with did-you-mean fixes."""
    for query, table, wanted in path_queries(site, state):
        path = query.name.value
        if table.module(path) is not None:
            continue
        suggestions = closest_paths(path, [e for e in table.modules if e.kind == wanted])
        yield did_you_mean_finding(
            "FXL016",
            f"`{path}` is not a {NOUNS[wanted]} of {table.model_type.rsplit('.', 1)[-1]}: {raises(site)}",
            query.name.range,
            suggestions,
        )


@rule(
    "FXL017",
    "wrong-path-kind",
    "error",
    Scope.SITE,
    "the path names a parameter, buffer or submodule, but the call wants another kind",
    needs_trace=True,
)
def wrong_path_kind(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """``get_submodule("conv1.weight")`` (a parameter), ``get_parameter("layer1")`` (a module), ..."""
    for query, table, wanted in path_queries(site, state):
        entry = table.module(query.name.value)
        if entry is None or entry.kind == wanted:
            continue
        yield finding(
            "FXL017",
            f"`{entry.path}` is {describe_entry(entry)}, not a {NOUNS[wanted]}: {raises(site)}; "
            f"use {LOOPS[entry.kind] if site.function == 'named_modules_loop' else GETTERS[entry.kind]}",
            query.name.range,
        )


def raises(site: CallSite) -> str:
    """What the site raises at run time on a wrong path."""
    if site.function == "named_modules":
        return "the `dict(model.named_modules())` lookup raises KeyError"
    if site.function == "named_modules_loop":
        return "no name named_modules() yields equals it, so the comparison never holds"
    return f"{site.function} raises AttributeError"


def describe_entry(entry: ModuleEntry) -> str:
    """``a parameter (64×64×3×3)``, ``a buffer (64)``, ``a submodule (torch.nn.Conv2d)``."""
    if entry.kind == "module":
        return f"a submodule ({entry.type_name})"
    dims = "×".join(map(str, entry.shape)) if entry.shape else "scalar"
    return f"a {entry.kind} ({dims})"
