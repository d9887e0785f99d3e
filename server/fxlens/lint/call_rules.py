"""Rules that need only the call's text: argument combinations, output names, regular expressions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.selection import argument_error, query_pattern
from fxlens.workspace.callsite import CallSite, NodeArgument, NodeQuery, StringLiteral


@rule(
    "FXL009",
    "invalid-arguments",
    "error",
    Scope.CALL,
    "create_feature_extractor rejects this combination of arguments",
)
def invalid_arguments(site: CallSite) -> Iterator[Finding]:
    """The argument combinations torchvision rejects, with its own message."""
    given = {a.kind for a in site.node_arguments}
    error = argument_error("return_nodes" in given, "train_return_nodes" in given, "eval_return_nodes" in given)
    if error is not None:
        yield finding("FXL009", f"create_feature_extractor raises ValueError: {error}", site.range)


@rule(
    "FXL006",
    "duplicate-output-name",
    "error",
    Scope.ARGUMENT,
    "two queries share an output name and collapse into one output",
)
def duplicate_output_name(site: CallSite, argument: NodeArgument) -> Iterator[Finding]:
    """Repeated output names (dict values, or list items) collapse into one output."""
    outputs = ((q, q.output or (q.name if argument.form != "dict" else None)) for q in argument.queries)
    yield from collapsed_outputs("FXL006", ((q, o) for q, o in outputs if o is not None and o.value), argument.kind)


def collapsed_outputs(code: str, outputs: Iterable[tuple[NodeQuery, StringLiteral]], where: str) -> Iterator[Finding]:
    """Rule ``code``'s finding at each typed output name an earlier query of ``where`` already uses:
    the extractor's output dict keeps one of the two."""
    seen: dict[str, NodeQuery] = {}
    for query, output in outputs:
        if not output.terminated:
            continue
        first = seen.setdefault(output.value, query)
        if first is not query:
            yield finding(
                code,
                f"output name `{output.value}` is already used for `{first.name.value}` in {where}: "
                "the two outputs collapse into one",
                output.range,
            )


@rule(
    "FXL004",
    "invalid-regex-query",
    "error",
    Scope.ARGUMENT,
    "the name is not a valid regular expression, so torchvision's check crashes",
)
def invalid_regex_query(site: CallSite, argument: NodeArgument) -> Iterator[Finding]:
    """torchvision uses each name as a regular expression and crashes on an invalid one."""
    for query in argument.queries:
        error = regex_error(query.name.value) if query.name.terminated else None
        if error is not None:
            yield finding(
                "FXL004",
                f"`{query.name.value}` is not a valid regular expression ({error}); torchvision's name check "
                "raises re.error on it",
                query.name.range,
            )


def regex_error(query: str) -> re.error | None:
    """The error torchvision's name check raises on ``query``, if any."""
    try:
        query_pattern(query)
    except re.error as error:
        return error
    return None
