"""The verified fix of an untraceable model as an edit of the call, and what it costs.

The worker traced the model with the fix (``Problem.leaf_fix``, ``wrap_fix``, ``concrete_fix``); this
module writes it into the call — ``tracer_kwargs={"leaf_modules": [Gate]}``, ``{"autowrap_functions":
[gated]}`` merged into a ``tracer_kwargs`` dict the call writes, ``concrete_args={"flag": False}`` — with
the imports the call's file needs (``Problem.fix_imports``). Not offered when a node the call asks for
lies inside a leaf module: the fix would make it vanish.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from fxlens.lint.findings import Fix, TextEdit
from fxlens.nodes import Problem
from fxlens.workspace.callsite import CallSite, Position, Range

FIXABLE_FUNCTIONS = ("create_feature_extractor", "get_graph_node_names")  # they take tracer_kwargs


@dataclass(frozen=True)
class LeafFixOffer:
    """The fix (None when not offered) and the sentence the finding adds about it."""

    fix: Fix | None
    sentence: str


def leaf_fix_offer(site: CallSite, problem: Problem) -> LeafFixOffer | None:
    """The verified fix (leaf modules, wrapped functions, concrete arguments) for ``site`` whose model
    failed with ``problem``; None when the worker found none or the call cannot take it as written."""
    if not problem.has_fix or site.function not in FIXABLE_FUNCTIONS:
        return None
    leaves = [reference.partition(":")[2] for reference in problem.leaf_fix]
    wrapped = [reference.partition(":")[2] for reference in problem.wrap_fix]
    inside = [p for p in problem.leaf_paths if p]
    vanishing = [
        q.name.value
        for argument in site.node_arguments
        for q in argument.queries
        if any(q.name.value.startswith(f"{path}.") for path in inside)
    ]
    if vanishing:
        lost = ", ".join(f"`{v}`" for v in dict.fromkeys(vanishing))
        return LeafFixOffer(None, f"making {_shown(leaves)} a leaf would trace, but the requested {lost} would vanish")
    entries = {"leaf_modules": leaves, "autowrap_functions": wrapped}
    edits = _call_edits(site, {key: names for key, names in entries.items() if names}, problem.concrete_fix)
    if edits is None:
        return None
    if problem.fix_imports:
        at = Position(problem.fix_import_line, 0)
        edits = (TextEdit(Range(at, at), "".join(f"{line}\n" for line in problem.fix_imports)), *edits)
    return LeafFixOffer(Fix(_title(entries, problem.concrete_fix), edits, True), _sentence(problem, leaves, wrapped))


def _shown(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _title(entries: dict[str, list[str]], concrete: tuple[tuple[str, str], ...]) -> str:
    """``Make `Gate` a leaf: tracer_kwargs={"leaf_modules": [Gate]}`` and the like, joined by ``; ``."""
    parts = []
    if entries["leaf_modules"]:
        parts.append(f"Make {_shown(entries['leaf_modules'])} a leaf")
    if entries["autowrap_functions"]:
        parts.append(f"Wrap {_shown(entries['autowrap_functions'])}")
    if concrete:
        parts.append(f"Trace with {', '.join(f'`{name}={value}`' for name, value in concrete)}")
    settings = [f"tracer_kwargs={_display({k: v for k, v in entries.items() if v})}"] if any(entries.values()) else []
    settings += [f"concrete_args={_concrete_display(concrete)}"] if concrete else []
    return f"{'; '.join(parts)}: {', '.join(settings)}"


def _sentence(problem: Problem, leaves: list[str], wrapped: list[str]) -> str:
    """``fix: make `Gate` a leaf (the model then traces); the nodes inside `gate` stop being selectable``."""
    changes, costs = [], []
    inside = [p for p in problem.leaf_paths if p]
    if leaves:
        changes.append(f"make {_shown(leaves)} a leaf")
        costs += [f"the nodes inside {_shown(inside)} stop being selectable"] if inside else []
    if wrapped:
        changes.append(f"wrap {_shown(wrapped)} with autowrap_functions")
        costs.append(f"what {_shown(wrapped)} computes is one node")
    if problem.concrete_fix:
        arguments = ", ".join(f"`{name}={value}`" for name, value in problem.concrete_fix)
        changes.append(f"trace with {arguments}, the default, in concrete_args")
        costs.append("the graph has only the branches of that value")
    return "; ".join([f"fix: {' and '.join(changes)} (the model then traces)", *costs])


def _display(entries: dict[str, list[str]]) -> str:
    return "{" + ", ".join(f'"{key}": [{", ".join(names)}]' for key, names in entries.items()) + "}"


def _concrete_display(concrete: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f'"{name}": {value}' for name, value in concrete) + "}"


def _call_edits(
    site: CallSite, entries: dict[str, list[str]], concrete: tuple[tuple[str, str], ...]
) -> tuple[TextEdit, ...] | None:
    """The call's edits: new ``tracer_kwargs`` / ``concrete_args`` arguments, or ``entries`` merged into
    the call's ``tracer_kwargs`` dict display; None when the call writes what cannot take them."""
    if concrete and site.concrete_args:
        return None  # the call gives concrete_args already: the worker traced with them, the fix is beyond them
    new_arguments = []
    edits: list[TextEdit] = []
    if entries and site.tracer_kwargs_range is None:
        new_arguments.append(f"tracer_kwargs={_display(entries)}")
    elif entries:
        merged = _merged(site, entries)
        if merged is None:
            return None
        edits += merged
    if concrete:
        new_arguments.append(f"concrete_args={_concrete_display(concrete)}")
    if new_arguments:
        at = _insertion_point(site)
        if at is None:
            return None
        edits.append(TextEdit(Range(at, at), "".join(f", {argument}" for argument in new_arguments)))
    return tuple(edits)


def _merged(site: CallSite, entries: dict[str, list[str]]) -> list[TextEdit] | None:
    """``entries`` merged into the call's ``tracer_kwargs`` dict display: appended to a key's list or
    tuple, the other keys added at its end; None for a ``tracer_kwargs`` that is no display."""
    if not site.tracer_kwargs or site.tracer_kwargs_range is None:
        return None
    try:
        display = ast.parse(site.tracer_kwargs, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(display, ast.Dict):
        return None
    edits, missing = [], dict(entries)
    for key, value in zip(display.keys, display.values, strict=True):
        if isinstance(key, ast.Constant) and key.value in missing:
            if not isinstance(value, (ast.List, ast.Tuple)):
                return None
            names = missing.pop(key.value)
            edits.append(_appended(site.tracer_kwargs, site.tracer_kwargs_range.start, value, ", ".join(names)))
    if missing:
        added = ", ".join(f'"{key}": [{", ".join(names)}]' for key, names in missing.items())
        edits.append(_appended(site.tracer_kwargs, site.tracer_kwargs_range.start, display, added))
    return edits


def _appended(text: str, start: Position, display: ast.expr, item: str) -> TextEdit:
    """An insertion of ``item`` as the last entry of the bracketed ``display`` in ``text`` (at ``start``)."""
    lines = text.split("\n")
    end_line = lines[display.end_lineno - 1]
    closing = sum(len(line) + 1 for line in lines[: display.end_lineno - 1])
    closing += len(end_line.encode()[: display.end_col_offset].decode()) - 1  # ast columns count UTF-8 bytes
    before = text[:closing].rstrip()
    separator = "" if before.endswith(("[", "(", "{")) else " " if before.endswith(",") else ", "
    written = before.split("\n")
    line = start.line + len(written) - 1
    column = start.column + len(written[0]) if len(written) == 1 else len(written[-1])
    at = Position(line, column)
    return TextEdit(Range(at, at), separator + item)


def _insertion_point(site: CallSite) -> Position | None:
    """Just after the last positional argument (the model or a node argument): a keyword argument
    written there keeps the call valid whatever follows."""
    ends = [site.model_range.end] if site.model_range is not None else []
    ends += [a.range.end for a in site.node_arguments if not a.by_keyword]
    return max(ends) if ends else None
