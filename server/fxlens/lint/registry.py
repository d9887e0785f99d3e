"""The one registry of rules: each code's name, severity, summary and the function that checks it.

A rule is a function registered with ``@rule``; it reports through ``finding``, which takes the
severity from the registry, so a rule cannot report under a severity other than its declared one.
Rules differ in what they look at (their ``Scope``): the call alone, the call's model state, a
query missing from a mode, or what an accepted query selects in one mode.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fxlens.lint.findings import Finding, Fix, Severity
from fxlens.nodes import SourceLocation
from fxlens.workspace.callsite import Range


class Scope(enum.Enum):
    DOCUMENT = "document"  # check(size, limit): the document as a whole, before any parsing
    CALL = "call"  # check(site): the call's arguments together, no model needed
    ARGUMENT = "argument"  # check(site, argument): one node argument's literal, no model needed
    MODEL = "model"  # check(site, state): the model's state itself
    PRESENCE = "presence"  # check(Presence): a query missing from a mode its argument needs
    SELECTION = "selection"  # check(Selected): what an accepted query selects in one mode
    SITE = "site"  # check(site, state): a module-path site (get_submodule, IntermediateLayerGetter, ...)
    MODULE_CLASS = "module-class"  # check(cls, summary): an nn.Module class of the file (--traceability)


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    scope: Scope
    check: Callable[..., Iterable[Finding]]
    needs_trace: bool  # runs only on a model the worker traced (not with tracing off)


RULES: dict[str, Rule] = {}


def rule(
    code: str, name: str, severity: Severity, scope: Scope, summary: str, *, needs_trace: bool | None = None
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the check of rule ``code``; rules that judge the node
    table need a trace, others say so with ``needs_trace``."""
    traced = scope in (Scope.PRESENCE, Scope.SELECTION) if needs_trace is None else needs_trace

    def register(check: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        if code in RULES:
            raise ValueError(f"rule {code} is registered twice")
        registered = sorted({**RULES, code: Rule(code, name, severity, summary, scope, check, traced)}.items())
        RULES.clear()
        RULES.update(registered)  # kept in code order, whatever order the rule modules load in
        return check

    return register


def rules_of(scope: Scope) -> list[Rule]:
    """The rules of one scope, by code."""
    return sorted((r for r in RULES.values() if r.scope is scope), key=lambda r: r.code)


def finding(
    code: str,
    message: str,
    range_: Range,
    fixes: tuple[Fix, ...] = (),
    related: tuple[tuple[SourceLocation, str], ...] = (),
) -> Finding:
    """A finding of rule ``code``, with the rule's registered name and severity."""
    registered = RULES[code]
    return Finding(code, registered.name, registered.severity, message, range_, fixes, related)


def code_range() -> str:
    """The registered codes as a range for messages (``FXL001-FXL013``)."""
    codes = sorted(RULES)
    return f"{codes[0]}-{codes[-1]}" if codes else "none"
