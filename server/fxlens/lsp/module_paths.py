"""Module-path strings for completion and hover: what ``named_modules()`` & co. offer at a site.

The namespace is the model's module paths (``layer1.0.relu``), not its fx node names
(``layer1.0.relu_1``); each site wants one kind of path: a getter's submodules, parameters or
buffers, ``IntermediateLayerGetter``'s direct children.
"""

from __future__ import annotations

from fxlens.lint.backbone_rules import GETTERS as LAYER_GETTERS
from fxlens.lint.module_rules import WANTED as PATH_GETTERS
from fxlens.nodes import MODES, ModuleEntry, ModuleEntryKind, NodeTable

NAMESPACE = "module path"  # how completion names this namespace (fx nodes are "fx node")
WANTED: dict[str, ModuleEntryKind] = {**PATH_GETTERS, **dict.fromkeys(LAYER_GETTERS, "module")}
DIRECT_CHILDREN = frozenset(LAYER_GETTERS)  # return_layers keys


def path_candidates(table: NodeTable, function: str) -> list[ModuleEntry]:
    """The paths a site's string may name, in ``named_modules()`` order."""
    wanted = WANTED.get(function, "module")
    return [e for e in table.modules if e.kind == wanted and (function not in DIRECT_CHILDREN or "." not in e.path)]


def path_detail(entry: ModuleEntry, table: NodeTable) -> str:
    """``module path · BasicBlock · 1,180,672 parameters · 1×256×14×14`` for a completion item."""
    parts = [NAMESPACE, _what(entry)]
    output = _output(entry, table, "eval")
    if output:
        parts.append(output)
    return " · ".join(parts)


def path_hover_markdown(path: str, table: NodeTable) -> str | None:
    """Markdown for a module-path string: its type, parameter count and, for a submodule, the output
    of the node that gives the module's output, per mode."""
    entry = table.module(path)
    if entry is None:
        return None
    lines = [f"**`{path}`** — {entry.kind if entry.kind != 'module' else 'submodule'} `{entry.type_name}`"]
    if entry.kind == "module":
        lines.append(f"{entry.parameters:,} parameters")
        lines += ["", "| mode | output |", "| --- | --- |"]
        for mode in MODES:
            node = entry.output_node(mode)
            lines.append(f"| {mode} | {_output(entry, table, mode) or 'shape unavailable'} (`{node}`) |" if node
                         else f"| {mode} | not run in {mode} mode |")  # fmt: skip
        lines.append("")
    else:
        lines.append(f"shape {_dims(entry.shape)}, {entry.parameters:,} elements" if entry.kind == "parameter"
                     else f"shape {_dims(entry.shape)}")  # fmt: skip
    lines.append(f"namespace: {NAMESPACE}s of {table.model_type.rsplit('.', 1)[-1]} (`named_modules()`)")
    if table.example_input is not None and entry.kind == "module":
        lines.append(f"input: {table.example_input.describe()}")
    return "  \n".join(lines)


def _what(entry: ModuleEntry) -> str:
    if entry.kind == "module":
        return f"{entry.type_name.rsplit('.', 1)[-1]} · {entry.parameters:,} parameters"
    return f"{entry.kind} {_dims(entry.shape)}"


def _output(entry: ModuleEntry, table: NodeTable, mode: str) -> str:
    """The module's output shape in ``mode`` ("" when unknown)."""
    name = entry.output_node(mode)  # type: ignore[arg-type]
    node = table.find(mode, name) if name else None  # type: ignore[arg-type]
    return node.output.describe() if node is not None and node.output is not None else ""


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"
