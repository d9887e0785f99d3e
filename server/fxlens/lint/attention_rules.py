"""Rules for timm's ``AttentionExtract(model, names=[...])``: each pattern matched against the names
timm matches it with — the fx node names of the mode (``method="fx"``, the default) or the module
names (``method="hook"``), by ``fnmatch`` or, with ``use_regex=True``, ``re.match``."""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.nodes import NodeTable
from fxlens.state import ModelState
from fxlens.workspace.callsite import CallSite

DEFAULT_PATTERNS = {"fx": ("*attn.softmax",), "hook": ("*attn_drop",)}  # AttentionExtract's defaults


def _option(site: CallSite, name: str, default: object) -> object:
    text = dict(site.options).get(name)
    try:
        return ast.literal_eval(text) if text is not None else default
    except (ValueError, SyntaxError):
        return None  # not a literal: the namespace cannot be told


def matches(pattern: str, names: list[str], use_regex: bool) -> bool:
    """Whether timm's matching keeps any of ``names`` for ``pattern``."""
    if use_regex:
        try:
            compiled = re.compile(pattern)
        except re.error:
            return False
        return any(compiled.match(n) for n in names)
    return any(fnmatch.fnmatch(n, pattern) for n in names)


@rule(
    "FXL026",
    "attention-pattern-matches-nothing",
    "error",
    Scope.SITE,
    "an AttentionExtract name pattern that matches no node (or module): skipped, or RuntimeError if none match",
    needs_trace=True,
)
def attention_pattern_matches_nothing(site: CallSite, state: ModelState) -> Iterator[Finding]:
    """A pattern that matches nothing is silently dropped; when no pattern matches, AttentionExtract
    raises ``RuntimeError`` (a model with fused attention has no ``softmax`` node for the default)."""
    if site.function != "AttentionExtract" or not isinstance(state, NodeTable):
        return
    method, mode, use_regex = (
        _option(site, "method", "fx"),
        _option(site, "mode", "eval"),
        _option(site, "use_regex", False),
    )
    if method not in DEFAULT_PATTERNS or mode not in ("train", "eval") or not isinstance(use_regex, bool):
        return
    if method == "fx":
        names, what = state.names(mode), f"{mode}-mode node"  # type: ignore[arg-type]
    else:
        names, what = ["", *(e.path for e in state.modules if e.kind == "module")], "module"
    argument = site.argument("attention_modules" if method == "hook" else "attention_names")
    if argument is None:
        (pattern,) = DEFAULT_PATTERNS[method]
        if not matches(pattern, names, use_regex):
            yield finding(
                "FXL026",
                f"the default pattern `{pattern}` matches no {what} name of {_short(state)}: AttentionExtract "
                "raises RuntimeError (fused attention has no softmax node); give names=[...]",
                site.range,
            )
        return
    queries = [q for q in argument.queries if q.name.terminated and not q.name.computed]
    if argument.form == "other" or len(queries) != len(argument.queries):
        return
    missing = [q for q in queries if not matches(q.name.value, names, use_regex)]
    none_match = len(missing) == len(queries)
    for query in missing:
        effect = "AttentionExtract raises RuntimeError (no pattern matches)" if none_match else "it is skipped"
        yield finding(
            "FXL026",
            f"`{query.name.value}` matches no {what} name of {_short(state)}: {effect}",
            query.name.range,
        )


def _short(table: NodeTable) -> str:
    return table.model_type.rsplit(".", 1)[-1]
