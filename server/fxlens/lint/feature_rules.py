"""Rules for the integers that index a timm model's ``feature_info``: ``out_indices`` of
``create_model(..., features_only=True)`` (out of range raises IndexError; the same feature twice
collapses into one output) and ``indices`` of ``model.forward_intermediates(x, indices=...)`` (an int
``n`` takes the last ``n``, a list those positions; out of range raises, and the intermediates come
back once each, in block order, whatever the list says)."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.nodes import FeatureEntry, NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, IntArgument, IntItem
from fxlens.workspace.module_sites import INDEX_PARAMETERS


def feature_position(index: int, count: int) -> int | None:
    """The entry of a ``count``-long ``feature_info`` that list index ``index`` names (None: out of range)."""
    return index % count if -count <= index < count else None


def feature_listing(features: tuple[FeatureEntry, ...]) -> str:
    """``0 `act1` (64 ch, /2), 1 `layer1` (64 ch, /4), ...``: each feature with its module, channels, reduction."""
    return ", ".join(f"{i} `{f.module}` ({f.channels} ch, /{f.reduction})" for i, f in enumerate(features))


def indexed_features(site: CallSite, state: ModelState, function: str) -> tuple[IntArgument, NodeTable] | None:
    """For a site of ``function``: its written ``out_indices`` / ``indices`` and the table with the model's
    ``feature_info``, when both are known."""
    given = site.int_argument(INDEX_PARAMETERS[function]) if site.function == function else None
    if given is None or not isinstance(state, NodeTable) or not state.features:
        return None
    return given, state


def last_count(given: IntArgument) -> int | None:
    """``k`` of an argument written as one int (take the last ``k``; its range is ``given.range``); None for
    a list or what is not an integer literal."""
    return given.items[0].value if not given.is_list and given.items else None


def listed_positions(given: IntArgument, count: int) -> Iterator[tuple[IntItem, int | None]]:
    """Each integer of a written list with the feature position it names (None: out of range)."""
    for item in given.items if given.is_list else ():
        if item.value is not None:
            yield item, feature_position(item.value, count)


def _model_name(table: NodeTable) -> str:
    return table.model_type.rsplit(".", 1)[-1]


@rule(
    "FXL024",
    "feature-index-out-of-range",
    "error",
    Scope.SITE,
    "an out_indices entry the model's feature_info does not have: create_model raises IndexError (an int "
    "k, the last k features, above their number raises too; below 1 it takes none)",
    needs_trace=True,
)
def feature_index_out_of_range(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """``out_indices`` index ``feature_info`` like a list: ``-n`` … ``n - 1`` for ``n`` features; an int
    ``k`` takes the last ``k``, 1 to ``n``."""
    found = indexed_features(site, state, "create_model")
    if found is None:
        return
    given, table = found
    count = len(table.features)
    listing = f"features: {feature_listing(table.features)}"
    last = last_count(given)
    if last is not None and last > count:
        yield finding(
            "FXL024",
            f"out_indices={last} asks for the last {last} features, but {_model_name(table)} has "
            f"{count} (an int takes the last 1 to {count}), so create_model raises IndexError; {listing}",
            given.range,
        )
    elif last is not None and last < 1:
        yield finding(
            "FXL024",
            f"out_indices={last} takes the last {last} features: none, so the model returns an empty "
            f"list (an int takes the last 1 to {count}); {listing}",
            given.range,
        )
    for item, position in listed_positions(given, count):
        if position is None:
            yield finding(
                "FXL024",
                f"out_indices {item.value} is out of range: {_model_name(table)} has {count} "
                f"features (0 to {count - 1}, or -{count} to -1), so create_model raises IndexError; {listing}",
                item.range,
            )


def _duplicates(given: IntArgument, count: int) -> Iterator[tuple[IntItem, IntItem, int]]:
    """Each written index naming the same feature as an earlier one: (it, the earlier one, the position)."""
    seen: dict[int, IntItem] = {}
    for item, position in listed_positions(given, count):
        if position is not None and seen.setdefault(position, item) is not item:
            yield item, seen[position], position


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
    found = indexed_features(site, state, "create_model")
    if found is None:
        return
    given, table = found
    for item, first, position in _duplicates(given, len(table.features)):
        yield finding(
            "FXL025",
            f"out_indices {item.value} names the same feature as {first.value} (`{table.features[position].module}`): "
            "the model returns one output for both, while its feature_info lists two",
            item.range,
        )


@rule(
    "FXL028",
    "intermediate-index-out-of-range",
    "error",
    Scope.SITE,
    "forward_intermediates indices the model does not have (an int n outside 1 to n blocks, a list entry "
    "outside -n to n - 1, or an empty list): forward_intermediates raises",
    needs_trace=True,
)
def intermediate_index_out_of_range(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """timm's ``feature_take_indices``: an int ``k`` takes the last ``k`` of the ``n`` intermediates (one per
    ``feature_info`` entry) and must be 1 to ``n``; a list entry indexes them like a list."""
    found = indexed_features(site, state, "forward_intermediates")
    if found is None:
        return
    given, table = found
    count = len(table.features)
    listing = f"intermediates: {feature_listing(table.features)}"
    has = f"{_model_name(table)} has {count} intermediates"
    last = last_count(given)
    if last is not None and not 1 <= last <= count:
        yield finding(
            "FXL028",
            f"indices={last} asks for the last {last} intermediates, but {has} (an int takes the "
            f"last 1 to {count}), so forward_intermediates raises AssertionError; {listing}",
            given.range,
        )
    if given.is_list and not given.items:
        yield finding(
            "FXL028",
            f"indices=[] takes no intermediate: forward_intermediates raises ValueError (max() of an empty "
            f"sequence); leave indices out (or None) to take all {count}",
            given.range,
        )
    for item, position in listed_positions(given, count):
        if position is None:
            yield finding(
                "FXL028",
                f"indices entry {item.value} is out of range: {has} (0 to {count - 1}, or -{count} to -1), "
                f"so forward_intermediates raises AssertionError; {listing}",
                item.range,
            )


@rule(
    "FXL029",
    "intermediates-not-as-written",
    "warning",
    Scope.SITE,
    "forward_intermediates returns each intermediate once, in block order: a repeated index or a list out of "
    "block order gives a list that does not match the indices written",
    needs_trace=True,
)
def intermediates_not_as_written(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """``[1, 1]`` or ``[4, -1]`` give one output; ``[3, 1]`` gives block 1's output first."""
    found = indexed_features(site, state, "forward_intermediates")
    if found is None:
        return
    given, table = found
    count = len(table.features)
    written = list(listed_positions(given, count))
    if any(position is None for _, position in written):
        return  # the call raises (FXL028): no list comes back
    repeated = {item.range: first for item, first, _ in _duplicates(given, count)}
    latest: tuple[IntItem, int] | None = None  # the written index of the latest block so far
    for item, position in written:
        if position is None:
            continue
        module = table.features[position].module
        if item.range in repeated:
            yield finding(
                "FXL029",
                f"indices entry {item.value} names the same intermediate as {repeated[item.range].value} (`{module}`): "
                "forward_intermediates returns it once, so the list has fewer outputs than indices",
                item.range,
            )
            continue
        if latest is not None and position < latest[1]:
            later = table.features[latest[1]].module
            yield finding(
                "FXL029",
                f"indices entry {item.value} (`{module}`) is written after {latest[0].value} (`{later}`), but "
                f"forward_intermediates returns the intermediates in block order: `{module}` comes first",
                item.range,
            )
        if latest is None or position > latest[1]:
            latest = (item, position)
