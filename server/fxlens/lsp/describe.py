"""What a site's string means for a traced model: the node, or the node a module prefix selects;
for a module-path site, the module (``fxlens.lsp.module_paths``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types

from fxlens.lsp.module_paths import path_hover_markdown
from fxlens.nodes import MODES, Mode, NodeInfo, NodeTable, SourceLocation
from fxlens.workspace.callsite import MODULE_ARG_KINDS, NodeArgKind

ARGUMENT_MODES: dict[NodeArgKind, tuple[Mode, ...]] = {
    "return_nodes": MODES,
    "train_return_nodes": ("train",),
    "eval_return_nodes": ("eval",),
    "module_path": MODES,  # a module's output, as the node that gives it (``NodeTable.selected``)
    "return_layers": MODES,
    "train_names": ("train",),
    "eval_names": ("eval",),
    "attention_names": MODES,
    "attention_modules": MODES,
}


@dataclass(frozen=True)
class Meaning:
    """A query resolved per mode: the node it returns there (None when absent)."""

    query: str
    nodes: dict[Mode, NodeInfo | None]

    @property
    def is_prefix(self) -> bool:
        return any(node is not None and node.name != self.query for node in self.nodes.values())

    def any_node(self) -> NodeInfo | None:
        return next((n for n in self.nodes.values() if n is not None), None)


def meaning(query: str, table: NodeTable) -> Meaning | None:
    """The node ``query`` selects in each mode (exactly as create_feature_extractor would), or None."""
    nodes = {mode: table.selected(mode, query) for mode in MODES}
    return Meaning(query, nodes) if any(nodes.values()) else None


def as_markup(markdown: str, formats: Sequence[str] | None) -> types.MarkupContent:
    """``markdown`` in a format the client lists: Markdown when it lists that one (or none), else
    plain text without the Markdown marks."""
    if formats is None or types.MarkupKind.Markdown in formats:
        return types.MarkupContent(types.MarkupKind.Markdown, markdown)
    plain = markdown.replace("**", "").replace("`", "").replace("  \n", "\n")
    return types.MarkupContent(types.MarkupKind.PlainText, plain)


def hover_markdown(query: str, table: NodeTable, kind: NodeArgKind = "return_nodes") -> str | None:
    """Markdown for a site's string: for a node name what it is, its output per mode, where it comes
    from; for a module path (``kind`` in ``MODULE_ARG_KINDS``) ``path_hover_markdown``."""
    if kind in MODULE_ARG_KINDS:
        return path_hover_markdown(query, table)
    found = meaning(query, table)
    if found is None:
        return None
    node = found.any_node()
    if found.is_prefix:
        lines = [f"**`{query}`** — {_prefix_what(query, node, table)}"]
        lines.append(f"module prefix: selects `{node.name}`, the last node executed under `{query}`")
    else:
        lines = [f"**`{query}`** — {_what(node)}"]
        if node.op == "call_module":
            lines.append(f"module `{node.module_path}` ({node.module_type})")
        elif node.module_path:
            lines.append(f"inside `{node.module_path}` ({node.module_type})")
    lines += ["", "| mode | output |", "| --- | --- |"]
    for mode in MODES:
        chosen = found.nodes[mode]
        lines.append(f"| {mode} | {_output(chosen, found.is_prefix) if chosen else f'absent in {mode}'} |")
    lines.append("")
    lines += _unavailable_reasons(found, table)
    if node.source is not None:
        lines.append(f"from `{_short(node.source)}`: `{node.source.text}`")
    if node.overwritten_by:
        lines.append(f"overwritten in place by `{node.overwritten_by}`")
    if table.example_input is not None:
        lines.append(f"input: {table.example_input.describe()}")
    return "  \n".join(lines)


def _what(node: NodeInfo) -> str:
    return f"{node.op} `{node.target}`"


def _prefix_what(query: str, node: NodeInfo, table: NodeTable) -> str:
    """``module `Sequential`, selects `layer3.5.relu_2`, a `ReLU``: the module a prefix names first, then
    the node it selects (the prefix is the module's path; the node is what the extractor returns)."""
    entry = table.module(query)
    module = (
        f"module `{entry.type_name.rsplit('.', 1)[-1]}`"
        if entry is not None and entry.kind == "module"
        else "module prefix"
    )
    return f"{module}, selects `{node.name}`, {_short_what(node)}"


def _short_what(node: NodeInfo) -> str:
    """``a `ReLU``` for a module's call, ```torch.add``` for a function or method."""
    if node.op == "call_module":
        return f"a `{(node.module_type or node.target).rsplit('.', 1)[-1]}`"
    return f"`{node.target}`"


def _output(chosen: NodeInfo, is_prefix: bool) -> str:
    text = chosen.output.describe() if chosen.output is not None else "shape unavailable"
    if chosen.output is not None and chosen.output.kind == "tensor":
        text += f" {chosen.output.tensors[0].dtype}" if chosen.output.tensors[0].dtype == "float32" else ""
    return f"{text} (`{chosen.name}`)" if is_prefix else text


def _unavailable_reasons(found: Meaning, table: NodeTable) -> list[str]:
    """For each mode where the node has no shape: ``train: shape unavailable: why (file:line)``."""
    reasons = []
    for mode in MODES:
        chosen, failure = found.nodes[mode], table.shape_failure_in(mode)
        if chosen is None or chosen.output is not None or failure is None:
            continue
        where = f" (`{_short(failure.location)}`)" if failure.location is not None else ""
        reasons.append(f"{mode}: {failure.describe()}{where}")
    return reasons


def _short(location: SourceLocation) -> str:
    return f"{location.file.rsplit('/', 1)[-1]}:{location.line}"


def detail(node: NodeInfo) -> str:
    """``call_module Conv2d · 1×64×56×56`` for a completion item."""
    what = node.module_type if node.op == "call_module" else node.target
    shape = node.output.describe() if node.output is not None else "shape unavailable"
    return f"{node.op} {what} · {shape}"
