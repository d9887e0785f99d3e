"""The node table as people read it: an aligned text table (CLI) or Markdown (editor preview).

One row per node name in execution order, train-mode nodes first as they run, eval-only nodes
after them; each row shows the module the node runs in (``encoder_layer_0.ln_1`` is the module
``ln_2``), the output per mode, and notes: names that exist in one mode only, outputs a later
in-place operation overwrites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fxlens.nodes import NodeInfo, NodeTable

ModeChoice = Literal["train", "eval", "both"]


@dataclass(frozen=True)
class Row:
    name: str
    op: str
    what: str  # the module type for module calls, else the readable target
    module: str  # the path of the module the node runs in ("" at the root)
    train: str  # output in train mode, or "—" when absent
    eval: str
    only: str  # "train only", "eval only" or ""
    notes: str  # ``only``, then "overwritten by X" when a later in-place op overwrites the output


def rows(table: NodeTable, mode: ModeChoice = "both", tensors_only: bool = False) -> list[Row]:
    """The rows to show for ``mode`` (``both``: the union of the two modes' names); with
    ``tensors_only``, the nodes whose output is a tensor (in a mode shown)."""
    train = {n.name: n for n in table.train}
    eval_ = {n.name: n for n in table.eval}
    if mode == "train":
        order = list(train)
    elif mode == "eval":
        order = list(eval_)
    else:
        order = list(train) + [name for name in eval_ if name not in train]
    result = []
    for name in order:
        node = train.get(name) or eval_[name]
        shown = [
            n for n in (train.get(name) if mode != "eval" else None, eval_.get(name) if mode != "train" else None) if n
        ]
        if tensors_only and not any(n.output is not None and n.output.is_tensor for n in shown):
            continue
        only = "" if name in train and name in eval_ else ("train only" if name in train else "eval only")
        overwriters = list(dict.fromkeys(n.overwritten_by for n in shown if n.overwritten_by))
        notes = ", ".join([*([only] if only else []), *(f"overwritten by {w}" for w in overwriters)])
        result.append(
            Row(
                name,
                node.op,
                describe_what(node),
                node.module_path,
                _output(train.get(name)),
                _output(eval_.get(name)),
                only,
                notes,
            )
        )
    return result


def describe_what(node: NodeInfo) -> str:
    """``Conv2d`` for a module call, ``torch.flatten`` or ``Tensor.view`` otherwise."""
    return node.module_type if node.op == "call_module" else node.target


def _output(node: NodeInfo | None) -> str:
    if node is None:
        return "—"
    return node.output.describe() if node.output is not None else "?"


def as_text(table: NodeTable, mode: ModeChoice = "both", tensors_only: bool = False) -> str:
    """An aligned plain-text table, with a header and the table's notes below it."""
    header = ["node", "op", "module/target"] + (["train", "eval"] if mode == "both" else [mode]) + ["module", ""]
    body = [
        [r.name, r.op, r.what]
        + ([r.train, r.eval] if mode == "both" else [r.train if mode == "train" else r.eval])
        + [r.module or "·", r.notes]
        for r in rows(table, mode, tensors_only)
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in [header, *body]
    ]
    footer = _footer(table)
    return "\n".join(lines + (["", *footer] if footer else []))


def as_markdown(table: NodeTable, title: str) -> str:
    """A Markdown document: the title, the input used, and one table row per node."""
    lines = [f"# {title}", "", f"`{table.model_type}`", ""]
    lines += ["| node | op | module/target | train | eval |", "| --- | --- | --- | --- | --- |"]
    for r in rows(table):
        mark = f" *({r.only})*" if r.only else ""
        lines.append(f"| `{r.name}`{mark} | {r.op} | `{r.what}` | {r.train} | {r.eval} |")
    return "\n".join(lines + [""] + [f"- {line}" for line in _footer(table)])


def _footer(table: NodeTable) -> list[str]:
    """The input, why shapes are missing (``?`` in the table), then the table's notes."""
    lines = [f"input: {table.example_input.describe()}"] if table.example_input is not None else []
    for failure in table.shape_failures:
        where = f" ({failure.location.file}:{failure.location.line})" if failure.location is not None else ""
        lines.append(f"{failure.mode} mode, {failure.missing} nodes: {failure.describe()}{where}")
    return lines + list(table.notes)
