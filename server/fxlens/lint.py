"""The lint rules: what is wrong with a ``create_feature_extractor`` call, with stable codes.

Each rule is a plain function of a call site and, when the model has been traced, its node table
(or the ``Problem`` that prevented one, or the reason it could not be resolved). The language
server and ``fxlens check`` both report these ``Finding``s; the verdicts come from
``fxlens.selection``, the same code the library runs, not from a description of it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from fxlens.nodes import MODES, Mode, NodeInfo, NodeTable, Problem, SourceLocation
from fxlens.selection import argument_error, query_is_present, query_pattern, select_outputs
from fxlens.workspace.callsite import CallSite, NodeArgKind, NodeArgument, NodeQuery, Position, Range
from fxlens.workspace.spec import Unresolved

Severity = Literal["error", "warning", "information", "hint"]
Model = NodeTable | Problem | Unresolved | None  # None: not traced (yet); only static rules run


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("FXL001", "unknown-node", "error", "the model has no node of that name"),
        Rule("FXL002", "mode-only-node", "warning", "the node exists in only one of train and eval mode"),
        Rule(
            "FXL003",
            "dot-wildcard-query",
            "error",
            "the name passes torchvision's check only because `.` is a regex wildcard, and selects nothing",
        ),
        Rule(
            "FXL004",
            "invalid-regex-query",
            "error",
            "the name is not a valid regular expression, so torchvision's check crashes",
        ),
        Rule("FXL005", "overlapping-queries", "warning", "an earlier query consumes the node a later one would select"),
        Rule(
            "FXL006", "duplicate-output-name", "error", "two queries share an output name and collapse into one output"
        ),
        Rule("FXL007", "overwritten-in-place", "warning", "a later in-place operation overwrites the selected output"),
        Rule("FXL008", "non-tensor-node", "warning", "the selected node's output is not a tensor"),
        Rule("FXL009", "invalid-arguments", "error", "create_feature_extractor rejects this combination of arguments"),
        Rule("FXL010", "renumbered-module-name", "error", "torchvision lists this module under another name"),
        Rule("FXL011", "untraceable-model", "error", "the model cannot be imported, built or traced"),
        Rule("FXL012", "unresolved-model", "information", "the model cannot be determined without running the code"),
    )
}


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    range: Range
    fixes: tuple[Fix, ...] = ()
    related: tuple[tuple[SourceLocation, str], ...] = ()


def lint_call_site(site: CallSite, model: Model, text: str) -> list[Finding]:
    """Every finding for one call site, in source order. ``text`` is the document's text."""
    if site.function != "create_feature_extractor":
        return _model_findings(site, model)
    findings = _argument_findings(site) + _output_name_findings(site)
    for argument in site.node_arguments:
        for query in argument.queries:
            findings += _regex_findings(query)
    findings += _model_findings(site, model)
    if isinstance(model, NodeTable):
        lines = text.splitlines()
        for argument in site.node_arguments:
            findings += _table_findings(site, argument, model, lines)
    return sorted(findings, key=lambda f: (f.range.start, f.code))


def _finding(code: str, message: str, range_: Range, **extra: object) -> Finding:
    rule = RULES[code]
    return Finding(code, rule.name, rule.severity, message, range_, **extra)  # type: ignore[arg-type]


# -- static rules: no table needed ---------------------------------------------------------------


def _argument_findings(site: CallSite) -> list[Finding]:
    """FXL009: the argument combinations torchvision rejects, with its own message."""
    given = {a.kind for a in site.node_arguments}
    error = argument_error("return_nodes" in given, "train_return_nodes" in given, "eval_return_nodes" in given)
    if error is None:
        return []
    return [_finding("FXL009", f"create_feature_extractor raises ValueError: {error}", site.range)]


def _output_name_findings(site: CallSite) -> list[Finding]:
    """FXL006: repeated output names (dict values, or list items) collapse into one output."""
    findings = []
    for argument in site.node_arguments:
        seen: dict[str, NodeQuery] = {}
        for query in argument.queries:
            literal = query.output or (query.name if argument.form != "dict" else None)
            if literal is None or not literal.terminated:
                continue
            first = seen.setdefault(literal.value, query)
            if first is not query:
                findings.append(
                    _finding(
                        "FXL006",
                        f"output name `{literal.value}` is already used for `{first.name.value}` in {argument.kind}: "
                        "the two outputs collapse into one",
                        literal.range,
                    )
                )
    return findings


def _regex_findings(query: NodeQuery) -> list[Finding]:
    """FXL004: torchvision uses the name as a regular expression and crashes on an invalid one."""
    error = _regex_error(query.name.value) if query.name.terminated else None
    if error is not None:
        return [
            _finding(
                "FXL004",
                f"`{query.name.value}` is not a valid regular expression ({error}); torchvision's name check "
                "raises re.error on it",
                query.name.range,
            )
        ]
    return []


def _regex_error(query: str) -> re.error | None:
    try:
        query_pattern(query)
    except re.error as error:
        return error
    return None


def _model_findings(site: CallSite, model: Model) -> list[Finding]:
    """FXL011 for a model that failed in the worker, FXL012 for one that could not be resolved."""
    where = site.model_range or site.range
    if isinstance(model, Unresolved):
        return [_finding("FXL012", f"fxlens cannot tell which model this is: {model.reason}", model.range)]
    if not isinstance(model, Problem):
        return []
    message = f"the model cannot be used ({model.kind} error): {model.message}"
    related: tuple[tuple[SourceLocation, str], ...] = ()
    if model.location is not None:
        message += f" at {model.location.file}:{model.location.line}"
        if model.location.text:
            message += f": {model.location.text}"
        related = ((model.location, f"{model.kind} error here: {model.message}"),)
    if model.hint:
        message += f". Hint: {model.hint}"
    return [_finding("FXL011", message, where, related=related)]


# -- rules that need the node table --------------------------------------------------------------


def _modes(kind: NodeArgKind) -> tuple[Mode, ...]:
    return {"return_nodes": MODES, "train_return_nodes": ("train",), "eval_return_nodes": ("eval",)}[kind]


def _table_findings(site: CallSite, argument: NodeArgument, table: NodeTable, lines: list[str]) -> list[Finding]:
    queries = [q for q in argument.queries if q.name.terminated and _regex_error(q.name.value) is None]
    findings: list[Finding] = []
    present: dict[str, list[Mode]] = {
        q.name.value: [m for m in MODES if query_is_present(q.name.value, table.names(m))] for q in queries
    }
    for query in queries:
        findings += _presence_findings(site, argument, query, present[query.name.value], table, lines)
    modes = _modes(argument.kind)
    same_graphs = len(modes) == 2 and table.names("train") == table.names("eval")
    for mode in modes[1:] if same_graphs else modes:
        usable = [q for q in queries if mode in present[q.name.value]]
        findings += _selection_findings(usable, table, mode, "" if same_graphs else f" in {mode} mode")
    return _one_per_range_and_code(findings)


def _presence_findings(
    site: CallSite, argument: NodeArgument, query: NodeQuery, present: list[Mode], table: NodeTable, lines: list[str]
) -> list[Finding]:
    """FXL001 (unknown), FXL010 (renumbered module name) and FXL002 (only in one mode)."""
    name, wanted = query.name.value, _modes(argument.kind)
    if all(mode in present for mode in wanted):
        return []
    if not present:
        renamed = _renumbered(name, table)
        if renamed is not None:
            return [
                _finding(
                    "FXL010",
                    f"`{name}` is the module `{renamed.module_path}`, but torchvision strips a final "
                    f"`_<digits>` and renumbers, so it is listed as `{renamed.name}`",
                    query.name.range,
                    fixes=(Fix(f"Use `{renamed.name}`", (TextEdit(query.name.range, renamed.name),)),),
                )
            ]
        suggestions = did_you_mean(name, table)
        hint = f"; did you mean {', '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
        return [
            _finding(
                "FXL001",
                f"`{name}` is not a node of {_short(table.model_type)}{hint}",
                query.name.range,
                fixes=tuple(Fix(f"Change to `{s}`", (TextEdit(query.name.range, s),)) for s in suggestions),
            )
        ]
    only = present[0]
    missing = next(m for m in wanted if m not in present)
    if argument.kind == "return_nodes":
        return [
            _finding(
                "FXL002",
                f"`{name}` exists only in {only} mode: create_feature_extractor raises ValueError for "
                f"{missing} mode; give train_return_nodes and eval_return_nodes separately",
                query.name.range,
                fixes=_split_fix(site, argument, table, lines),
            )
        ]
    return [
        Finding(
            "FXL002",
            RULES["FXL002"].name,
            "error",
            f"`{name}` does not exist in {missing} mode (only in {only} mode): create_feature_extractor "
            f"raises ValueError for {argument.kind}",
            query.name.range,
        )
    ]


def _selection_findings(queries: list[NodeQuery], table: NodeTable, mode: Mode, in_mode: str) -> list[Finding]:
    """FXL003, FXL005, FXL007 and FXL008: what each accepted query really returns in ``mode``.

    ``in_mode`` is how messages name the mode (empty when both modes have the same nodes).
    """
    nodes = table.nodes(mode)
    names = [n.name for n in nodes]
    together = select_outputs(names, {q.name.value: q.name.value for q in queries})
    findings = []
    for query in queries:
        name = query.name.value
        alone = select_outputs(names, {name: name}).get(name)
        chosen = together.get(name)
        if alone is None:
            matched = next(n for n in names if query_pattern(name).match(n))
            findings.append(
                _finding(
                    "FXL003",
                    f"`{name}` passes torchvision's check only because `.` is a regex wildcard (it matches "
                    f"`{matched}`), but selects no node: the key is silently missing from the output",
                    query.name.range,
                    fixes=(Fix(f"Change to `{matched}`", (TextEdit(query.name.range, matched),)),),
                )
            )
            continue
        if chosen != alone:
            taker = next(q.name.value for q in queries if together.get(q.name.value) == alone)
            gets = (
                f"returns `{names[chosen]}`"
                if chosen is not None
                else "selects nothing (its key is missing from the output)"
            )
            findings.append(
                _finding(
                    "FXL005",
                    f"`{name}` {gets}{in_mode} instead of `{names[alone]}`: the earlier query `{taker}` "
                    f"takes that node (each node goes to the first query that matches it)",
                    query.name.range,
                )
            )
        if chosen is not None:
            findings += _output_findings(query, nodes[chosen], in_mode)
    return findings


def _output_findings(query: NodeQuery, node: NodeInfo, in_mode: str) -> list[Finding]:
    findings = []
    selected = f"`{query.name.value}`" + ("" if node.name == query.name.value else f" (node `{node.name}`)")
    if node.overwritten_by:
        findings.append(
            _finding(
                "FXL007",
                f"{selected} is overwritten in place by `{node.overwritten_by}` later{in_mode}: the "
                f"extractor returns the values after `{node.overwritten_by}`, not the ones `{node.name}` computed",
                query.name.range,
            )
        )
    if node.output is not None and node.output.kind == "other":
        findings.append(
            _finding(
                "FXL008",
                f"{selected} returns {node.output.describe()}{in_mode}, not a tensor",
                query.name.range,
            )
        )
    return findings


def _one_per_range_and_code(findings: list[Finding]) -> list[Finding]:
    """The same finding in both modes is reported once (the first mode's wording)."""
    seen: set[tuple[Position, str]] = set()
    unique = []
    for finding in findings:
        key = (finding.range.start, finding.code)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def _renumbered(query: str, table: NodeTable) -> NodeInfo | None:
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


def did_you_mean(query: str, table: NodeTable, limit: int = 3) -> list[str]:
    """The closest node names and module prefixes to ``query``, best first: the similar ones
    (difflib), fewest edits first (``layer5`` → ``layer4`` before ``layer3.5``)."""
    candidates = list(dict.fromkeys(_names_and_prefixes(table)))
    similar = difflib.get_close_matches(query, candidates, n=max(limit, 10), cutoff=0.6)
    return sorted(similar, key=lambda name: _edit_distance(query, name))[:limit]  # stable: ties stay by similarity


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def _names_and_prefixes(table: NodeTable) -> Iterator[str]:
    for mode in MODES:
        for name in table.names(mode):
            parts = name.split(".")
            for depth in range(1, len(parts)):
                yield ".".join(parts[:depth])
            yield name


def _short(model_type: str) -> str:
    return model_type.rsplit(".", 1)[-1]


def _split_fix(site: CallSite, argument: NodeArgument, table: NodeTable, lines: list[str]) -> tuple[Fix, ...]:
    """Replace ``return_nodes=[...]`` with ``train_return_nodes=[...], eval_return_nodes=[...]``,
    each keeping the queries that exist in that mode (only when nothing else would break)."""
    if argument.form not in ("list", "tuple", "dict") or not argument.complete:
        return ()
    start = _keyword_start(argument, lines) if argument.by_keyword else argument.range.start
    if start is None:
        return ()

    def keep(mode: Mode) -> str:
        kept = [
            q
            for q in argument.queries
            if _regex_error(q.name.value) is None and query_is_present(q.name.value, table.names(mode))
        ]
        if argument.form == "dict":
            return (
                "{"
                + ", ".join(f"{q.name.value!r}: {(q.output.value if q.output else q.name.value)!r}" for q in kept)
                + "}"
            )
        return "[" + ", ".join(repr(q.name.value) for q in kept) + "]"

    new_text = f"train_return_nodes={keep('train')}, eval_return_nodes={keep('eval')}"
    return (
        Fix(
            "Split into train_return_nodes and eval_return_nodes",
            (TextEdit(Range(start, argument.range.end), new_text),),
        ),
    )


def _keyword_start(argument: NodeArgument, lines: list[str]) -> Position | None:
    """Where ``return_nodes=`` begins: just before the value, or at the end of the line above."""
    keyword = re.compile(r"return_nodes\s*=\s*$")
    row = argument.range.start.line
    before = lines[row][: argument.range.start.column] if row < len(lines) else ""
    if match := keyword.search(before):
        return Position(row, match.start())
    if not before.strip() and row > 0 and (match := keyword.search(lines[row - 1].rstrip())):
        return Position(row - 1, match.start())
    return None
