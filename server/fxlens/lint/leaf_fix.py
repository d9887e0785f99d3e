"""The verified leaf-module fix of an untraceable model, as an edit of the call, and what it costs.

The worker traced the model with the leaf classes (``Problem.leaf_fix``); this module writes them into
the call as ``tracer_kwargs={"leaf_modules": [Gate]}`` (merged into a ``tracer_kwargs`` dict the call
writes) — unless a node the call asks for lies inside one of the leaf modules: the fix would make it vanish.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, replace

from fxlens.lint.findings import Fix, TextEdit
from fxlens.nodes import Problem
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite, Position, Range
from fxlens.workspace.spec import ModelSpec, Unresolved

FIXABLE_FUNCTIONS = ("create_feature_extractor", "get_graph_node_names")  # they take tracer_kwargs


@dataclass(frozen=True)
class LeafFixOffer:
    """The fix (None when not offered) and the sentence the finding adds about it."""

    fix: Fix | None
    sentence: str


def leaf_fix_offer(site: CallSite, problem: Problem) -> LeafFixOffer | None:
    """The leaf fix for ``site`` whose model failed with ``problem``; None when the worker found none or
    the call's ``tracer_kwargs`` is not a dict display it can be merged into."""
    if not problem.leaf_fix or site.function not in FIXABLE_FUNCTIONS:
        return None
    names = [reference.partition(":")[2] for reference in problem.leaf_fix]
    shown = ", ".join(f"`{n}`" for n in names)
    inside = [p for p in problem.leaf_paths if p]
    vanishing = [
        q.name.value
        for argument in site.node_arguments
        for q in argument.queries
        if any(q.name.value.startswith(f"{path}.") for path in inside)
    ]
    if vanishing:
        lost = ", ".join(f"`{v}`" for v in dict.fromkeys(vanishing))
        return LeafFixOffer(None, f"making {shown} a leaf would trace, but the requested {lost} would vanish")
    edit = _leaf_edit(site, names)
    if edit is None:
        return None
    text = ", ".join(names)
    cost = f"the nodes inside {', '.join(f'`{p}`' for p in inside)} stop being selectable" if inside else ""
    sentence = f"fix: make {shown} a leaf (the model then traces){'; ' + cost if cost else ''}"
    return LeafFixOffer(
        Fix(f'Make {shown} a leaf: tracer_kwargs={{"leaf_modules": [{text}]}}', (edit,), True), sentence
    )


def fix_in_reach(state: ModelState, spec: ModelSpec | Unresolved, document_path: str) -> ModelState:
    """``state`` without its leaf fix unless the call is in the model's own file, which defines the
    leaf classes (the worker offers no others): elsewhere the class names would need an import."""
    if not isinstance(state, Problem) or not state.leaf_fix:
        return state
    if isinstance(spec, ModelSpec) and spec.file and os.path.realpath(spec.file) == os.path.realpath(document_path):
        return state
    return replace(state, leaf_fix=(), leaf_paths=())


def _leaf_edit(site: CallSite, names: list[str]) -> TextEdit | None:
    """A new ``tracer_kwargs`` argument, or the names merged into the call's dict display (into its
    ``leaf_modules`` list or tuple, or as a new key); None for a ``tracer_kwargs`` that is no display."""
    listed = ", ".join(names)
    if site.tracer_kwargs_range is None:
        at = _insertion_point(site)
        return None if at is None else TextEdit(Range(at, at), f', tracer_kwargs={{"leaf_modules": [{listed}]}}')
    if not site.tracer_kwargs:
        return None
    try:
        display = ast.parse(site.tracer_kwargs, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(display, ast.Dict):
        return None
    for key, value in zip(display.keys, display.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "leaf_modules":
            if not isinstance(value, (ast.List, ast.Tuple)):
                return None
            return _appended(site.tracer_kwargs, site.tracer_kwargs_range.start, value, listed)
    return _appended(site.tracer_kwargs, site.tracer_kwargs_range.start, display, f'"leaf_modules": [{listed}]')


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
