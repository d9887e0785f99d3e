"""Rules for a name missing from a mode: unknown, renumbered, or present in only one mode."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fxlens.lint.findings import Finding, Fix, TextEdit
from fxlens.lint.fixes import split_fix
from fxlens.lint.registry import Scope, finding, rule
from fxlens.lint.suggest import did_you_mean, did_you_mean_finding
from fxlens.lint.table_views import Presence
from fxlens.nodes import MODES, NodeInfo, NodeTable


@rule(
    "FXL010",
    "renumbered-module-name",
    "error",
    Scope.PRESENCE,
    "torchvision lists this module under another name",
)
def renumbered_module_name(check: Presence) -> Iterator[Finding]:
    """A module named ``ln_2`` that torchvision lists as ``ln_1`` (it strips and renumbers ``_<digits>``)."""
    renamed = renumbered(check.name, check.table) if not check.present else None
    if renamed is not None:
        yield finding(
            "FXL010",
            f"`{check.name}` is the module `{renamed.module_path}`, but torchvision strips a final "
            f"`_<digits>` and renumbers, so it is listed as `{renamed.name}`",
            check.query.name.range,
            fixes=(Fix(f"Use `{renamed.name}`", (TextEdit(check.query.name.range, renamed.name),), safe=True),),
        )


@rule("FXL001", "unknown-node", "error", Scope.PRESENCE, "the model has no node of that name")
def unknown_node(check: Presence) -> Iterator[Finding]:
    """A name in no mode (and not a renumbered module), with did-you-mean fixes."""
    if check.present or renumbered(check.name, check.table) is not None:
        return
    suggestions = did_you_mean(check.name, check.table)
    yield did_you_mean_finding(
        "FXL001",
        f"`{check.name}` is not a node of {_short(check.table.model_type)}",
        check.query.name.range,
        suggestions,
    )


@rule(
    "FXL002",
    "mode-only-node",
    "warning",
    Scope.PRESENCE,
    "the node exists in only one of train and eval mode",
)
def mode_only_node(check: Presence) -> Iterator[Finding]:
    """A one-mode name in ``return_nodes``, with the fix that splits the argument by mode."""
    if check.present and check.argument.kind == "return_nodes":
        (only,) = check.present
        missing = next(m for m in MODES if m != only)
        yield finding(
            "FXL002",
            f"`{check.name}` exists only in {only} mode: create_feature_extractor raises ValueError for "
            f"{missing} mode; give train_return_nodes and eval_return_nodes separately",
            check.query.name.range,
            fixes=split_fix(check.argument, check.table),
        )


@rule(
    "FXL013",
    "missing-in-mode",
    "error",
    Scope.PRESENCE,
    "a train_return_nodes / eval_return_nodes name that does not exist in that mode",
)
def missing_in_mode(check: Presence) -> Iterator[Finding]:
    """A name in ``train_return_nodes`` that exists only in eval mode, or the reverse."""
    if check.present and check.argument.kind != "return_nodes":
        (only,) = check.present
        (missing,) = check.wanted
        yield finding(
            "FXL013",
            f"`{check.name}` does not exist in {missing} mode (only in {only} mode): create_feature_extractor "
            f"raises ValueError for {check.argument.kind}",
            check.query.name.range,
        )


def renumbered(query: str, table: NodeTable) -> NodeInfo | None:
    """The node of module ``query`` when torchvision lists it under a renumbered name."""
    if not re.search(r"_[0-9]+$", query):
        return None
    return next(
        (
            n
            for m in MODES
            for n in table.nodes(m)
            if n.op == "call_module" and n.module_path == query and n.name != query
        ),
        None,
    )


def _short(model_type: str) -> str:
    return model_type.rsplit(".", 1)[-1]
