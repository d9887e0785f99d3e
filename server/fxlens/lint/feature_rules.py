"""Rules for timm's ``create_model(..., features_only=True, out_indices=...)``: each index against
the model's ``feature_info`` (out of range raises IndexError; the same feature twice collapses into one output)."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.nodes import NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, IntItem


def feature_indices(site: CallSite, state: ModelState) -> tuple[list[IntItem], NodeTable] | None:
    """The written ``out_indices`` and the table with the model's ``feature_info``, when both are known."""
    given = site.int_argument("out_indices") if site.function == "create_model" else None
    if given is None or not given.is_list or not isinstance(state, NodeTable) or not state.features:
        return None
    return [item for item in given.items if item.value is not None], state


@rule(
    "FXL024",
    "feature-index-out-of-range",
    "error",
    Scope.SITE,
    "an out_indices entry the model's feature_info does not have: create_model raises IndexError",
    needs_trace=True,
)
def feature_index_out_of_range(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """``out_indices`` index ``feature_info`` like a list: ``-n`` … ``n - 1`` for ``n`` features."""
    found = feature_indices(site, state)
    if found is None:
        return
    items, table = found
    count = len(table.features)
    listed = ", ".join(f"{i} `{f.module}` ({f.channels} ch, /{f.reduction})" for i, f in enumerate(table.features))
    for item in items:
        if not -count <= item.value < count:  # type: ignore[operator]
            yield finding(
                "FXL024",
                f"out_indices {item.value} is out of range: {table.model_type.rsplit('.', 1)[-1]} has {count} "
                f"features (0 to {count - 1}, or -{count} to -1), so create_model raises IndexError; "
                f"features: {listed}",
                item.range,
            )


@rule(
    "FXL025",
    "duplicate-feature-index",
    "error",
    Scope.SITE,
    "two out_indices entries name the same feature: they collapse into one output",
    needs_trace=True,
)
def duplicate_feature_index(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """``(1, 1)`` or ``(4, -1)`` on five features: one output, while ``feature_info`` lists two."""
    found = feature_indices(site, state)
    if found is None:
        return
    items, table = found
    count = len(table.features)
    seen: dict[int, IntItem] = {}
    for item in items:
        value = item.value
        if value is None or not -count <= value < count:
            continue
        first = seen.setdefault(value % count, item)
        if first is not item:
            module = table.features[value % count].module
            yield finding(
                "FXL025",
                f"out_indices {value} names the same feature as {first.value} (`{module}`): the model returns one "
                "output for both, while its feature_info lists two",
                item.range,
            )
