"""Find the sites of a syntax tree: ``create_feature_extractor`` / ``get_graph_node_names`` calls and
the calls whose strings name module paths (``fxlens.workspace.module_sites``).

A call counts only when the function really comes from torchvision's feature extraction module,
timm (``timm.models`` / ``timm.layers``) or ``fxlens.fx``, whatever the import form. Candidates
are found by searching the text for the function names and their import aliases, so a big file
costs little more than a small one.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import replace
from typing import Literal, NamedTuple

from tree_sitter import Node

from fxlens.workspace.bindings import Followed, follow
from fxlens.workspace.callsite import NODE_ARG_KINDS, CallSite, Library, NodeArgKind, NodeQuery
from fxlens.workspace.module_sites import (
    CLASSES,
    SITE_PARAMETERS,
    WORDS,
    module_call_site,
    module_site_of,
    node_argument,
    site_following,
)
from fxlens.workspace.name_lookups import lookup_arguments, lookup_strings
from fxlens.workspace.queries import Form
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax

FunctionName = Literal["create_feature_extractor", "get_graph_node_names"]
FUNCTIONS: tuple[FunctionName, ...] = ("create_feature_extractor", "get_graph_node_names")
PARAMETERS: dict[str, tuple[str, ...]] = {
    "create_feature_extractor": (
        "model",
        "return_nodes",
        "train_return_nodes",
        "eval_return_nodes",
        "tracer_kwargs",
        "suppress_diff_warning",
        "concrete_args",
    ),
    "get_graph_node_names": ("model", "tracer_kwargs", "suppress_diff_warning", "concrete_args"),
    **SITE_PARAMETERS,
}
MODEL_CLASSES = frozenset(CLASSES.values())  # module-path sites that are checked even without strings
SITE_WORDS: tuple[str, ...] = (*FUNCTIONS, *WORDS)  # a file without any of these has no site
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_WORD = re.compile(rb"\w")


def library_of(qualified: str) -> tuple[FunctionName, Library] | None:
    """Which feature-extraction function an absolute dotted name is, and from which library."""
    module, _, function = qualified.rpartition(".")
    if function not in FUNCTIONS:
        return None
    name: FunctionName = "create_feature_extractor" if function == FUNCTIONS[0] else "get_graph_node_names"
    if module == "torchvision.models.feature_extraction":
        return name, "torchvision"
    if module.split(".")[:2] in (["timm", "models"], ["timm", "layers"]):
        return name, "timm"
    if module.split(".")[:2] == ["fxlens", "fx"]:
        return name, "fxlens"
    return None


class FoundSite(NamedTuple):
    """A recognised call: its ``CallSite``, its tree node, and the key that determines the site."""

    site: CallSite
    node: Node
    key: Hashable


def find_call_sites(
    syntax: Syntax, symbols: Symbols, known: Mapping[Hashable, CallSite] | None = None
) -> list[FoundSite]:
    """Every recognised call, in source order, with its tree node and key.

    ``known`` maps the keys of an earlier version's sites to those sites: a call whose key is there
    is not rebuilt, so an edit costs only the calls it touched (see ``_site_key``).
    """
    words = set(FUNCTIONS) | symbols.aliases_of(FUNCTIONS) | set(WORDS) | symbols.aliases_of(WORDS)
    calls: dict[int, Node] = {}
    for word in words:
        needle = word.encode()
        at = syntax.source.find(needle)
        while at != -1:
            end = at + len(needle)
            if not (at and _WORD.match(syntax.source, at - 1)) and not _WORD.match(syntax.source, end):
                call = _call_named_at(syntax, at, end)
                if call is not None:
                    calls[call.start_byte] = call
            at = syntax.source.find(needle, end)
    sites = []
    read: dict[int, tuple[Form, tuple[NodeQuery, ...]]] = {}  # literal node id → its queries, once per pass
    for start in sorted(calls):
        call = calls[start]
        found = _function_of(syntax, symbols, call)
        if found is None:
            module_site = _module_site(syntax, symbols, call, known)
            if module_site is not None:
                sites.append(module_site)
            continue
        own = (found, _node_key(syntax, call)) if not call.has_error else None
        lookups = lookup_strings(syntax, call) if found[0] == "get_graph_node_names" else []
        if lookups and own is not None:  # the site also depends on the strings looked up in its lists
            own = (own, tuple(_node_key(syntax, node) for _, node in lookups))
        if known and own is not None and (own, ()) in known:  # its node names are all in the call's own text
            sites.append(FoundSite(known[(own, ())], call, (own, ())))
            continue
        given = call_arguments(syntax, call, PARAMETERS[found[0]])
        followed = {kind: follow(syntax, symbols, given[kind][0]) for kind in NODE_ARG_KINDS if kind in given}
        key = _site_key(syntax, own, followed)
        reused = known.get(key) if known and key is not None else None
        site = reused or _call_site(syntax, call, found, given, followed, read)
        if lookups and reused is None:
            site = replace(site, node_arguments=(*site.node_arguments, *lookup_arguments(syntax, lookups)))
        sites.append(FoundSite(site, call, key))
    return sites


def _module_site(
    syntax: Syntax, symbols: Symbols, call: Node, known: Mapping[Hashable, CallSite] | None
) -> FoundSite | None:
    """The module-path site ``call`` is (reused from ``known`` when its text and literals are the same)."""
    found = module_site_of(syntax, symbols, call, call_arguments)
    if found is None:
        return None
    if found.model is not None and syntax.text(found.model) == "self":
        return None  # a module looking up its own paths: which model ``self`` is, is not known here
    followed = site_following(syntax, symbols, found, call_arguments)
    own = (found.function, _node_key(syntax, found.extent)) if not found.extent.has_error else None
    key = _site_key(syntax, own, followed)  # type: ignore[arg-type]
    reused = known.get(key) if known and key is not None else None
    site = reused or module_call_site(syntax, found, followed, call_arguments)
    if not site.node_arguments and not site.int_arguments and found.function not in MODEL_CLASSES:
        return None  # ``m.get_submodule(name)``: no string to check
    return FoundSite(site, call, key)


def _site_key(syntax: Syntax, own: Hashable | None, followed: Mapping[str, Followed]) -> Hashable | None:
    """What a call's ``CallSite`` depends on, or None when that cannot be told from the text alone.

    ``own`` is the key of the call's own text (None when it has a syntax error: error recovery may
    depend on context). The site is read from that text and from the literals its node arguments
    lead to, each keyed the same way; ``(own, ())`` means nothing outside the call. Positions map
    back to the typed text through start positions and the repair insertions on their lines
    (insertions never span lines).
    """
    if own is None:
        return None
    outside: list[Hashable] = []
    for kind, leads in followed.items():
        literal = leads.literal
        if literal is not None and not leads.via:
            continue  # the value is the literal itself: part of the call's text
        if literal is not None and literal.has_error:
            return None
        outside.append((kind, leads.via, _node_key(syntax, literal) if literal is not None else leads.imported))
    return (own, tuple(outside))


def _node_key(syntax: Syntax, node: Node) -> Hashable:
    """A node's start (in the typed text), its text and the repair insertions on its lines."""
    start = syntax.position(node.start_point)
    insertions: tuple[object, ...] = ()
    if syntax.repair is not None:
        first, last = start.line, start.line + node.end_point[0] - node.start_point[0]
        insertions = syntax.repair.on_lines(first, last)
    return (start, syntax.source[node.start_byte : node.end_byte], insertions)


def _call_named_at(syntax: Syntax, start: int, end: int) -> Node | None:
    """The call whose function expression ends with the identifier at [start, end)."""
    node = syntax.root.descendant_for_byte_range(start, end)
    if node is None or node.type != "identifier":
        return None
    function = node.parent if node.parent is not None and node.parent.type == "attribute" else node
    if function.type == "attribute" and function.child_by_field_name("attribute") != node:
        return None
    call = function.parent
    if call is None or call.type != "call" or call.child_by_field_name("function") != function:
        return None
    return call


def _function_of(syntax: Syntax, symbols: Symbols, call: Node) -> tuple[str, Library] | None:
    """(function name, library) when the call is one of the recognised functions, else None."""
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if function is None or arguments is None or arguments.type != "argument_list":
        return None
    dotted = "".join(syntax.text(function).split())
    if not _DOTTED.fullmatch(dotted):
        return None
    qualified = symbols.qualify(dotted, call.start_byte, module="__main__")
    return library_of(qualified) if qualified else None


def _call_site(
    syntax: Syntax,
    call: Node,
    found: tuple[str, Library],
    given: Mapping[str, tuple[Node, bool]],
    followed: Mapping[NodeArgKind, Followed],
    read: dict[int, tuple[Form, tuple[NodeQuery, ...]]],
) -> CallSite:
    name, library = found
    model = given.get("model")
    node_arguments = tuple(node_argument(syntax, kind, *given[kind], followed[kind], read) for kind in followed)
    tracer_kwargs = given.get("tracer_kwargs")
    concrete_args = given.get("concrete_args")
    suppress = given.get("suppress_diff_warning")
    return CallSite(
        function=name,
        library=library,
        range=syntax.range(call),
        model_expr=syntax.text(model[0]) if model else "",
        model_range=syntax.range(model[0]) if model else None,
        node_arguments=node_arguments,
        tracer_kwargs=_dict_text(syntax, tracer_kwargs[0]) if tracer_kwargs else "",
        tracer_kwargs_range=syntax.range(tracer_kwargs[0]) if tracer_kwargs else None,
        concrete_args=_dict_text(syntax, concrete_args[0]) if concrete_args else "",
        suppress_diff_warning=_bool(suppress[0]) if suppress else None,
    )


def call_arguments(syntax: Syntax, call: Node, parameters: tuple[str, ...]) -> dict[str, tuple[Node, bool]]:
    """Parameter name → (value node, given by keyword), for positional and keyword arguments."""
    given: dict[str, tuple[Node, bool]] = {}
    arguments = call.child_by_field_name("arguments")
    if arguments is None:
        return given
    position = 0
    for child in arguments.named_children:
        if child.type == "keyword_argument":
            key, value = child.child_by_field_name("name"), child.child_by_field_name("value")
            if key is not None and value is not None:
                given[syntax.text(key)] = (value, True)
        elif child.type in ("list_splat", "dictionary_splat", "comment"):
            continue
        else:
            if position < len(parameters):
                given[parameters[position]] = (child, False)
            position += 1
    return given


def _dict_text(syntax: Syntax, node: Node) -> str:
    """Source text of a dict display (entries may name classes); "" for anything else."""
    return syntax.text(node) if node.type == "dictionary" else ""


def _bool(node: Node) -> bool | None:
    return {"true": True, "false": False}.get(node.type)
