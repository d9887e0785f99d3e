"""Read node arguments whose literal is a constant imported from another workspace module.

Parsing reads one file: a name imported from elsewhere (``from .config import TAPS``) ends there
with the import it came through (``NodeArgument.imported``). Given the workspace, this follows the
import (through re-exports, and names bound to names in that module) to the literal, and reads the
queries from that file, whose path goes in ``NodeArgument.literal_file``. ``imported_uses`` turns
that around for the editor: the calls in other documents that read a literal of this file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from tree_sitter import Node

from fxlens.workspace.bindings import follow
from fxlens.workspace.callsite import CallSite, NodeArgument, Range
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.parse import ArgumentUse, LiteralUse, ParsedDocument
from fxlens.workspace.queries import read_queries
from fxlens.workspace.symbols import absolute_module

_MAX_DEPTH = 16


def with_imported_literals(doc: ParsedDocument, site: CallSite, workspace: Workspace) -> CallSite:
    """``site`` with each argument whose value is imported read from the workspace module it names.

    An import fxlens cannot follow to a literal in the workspace leaves the argument as it is.
    """
    if not any(argument.imported for argument in site.node_arguments):
        return site
    importer = path_of(doc.uri)
    arguments = tuple(_read(workspace, importer, a) if a.imported else a for a in site.node_arguments)
    return replace(site, node_arguments=arguments)


def imported_uses(path: str, readers: Iterable[ParsedDocument], workspace: Workspace) -> tuple[LiteralUse, ...]:
    """The literals of the file ``path`` that node arguments of calls in ``readers`` read.

    Each use names the reader's document and holds the site as that document's ``call_sites`` do;
    pass them to ``cursor_context(doc, pos, elsewhere=...)`` for the cursor in such a literal.
    """
    target = path_of(path)
    grouped: dict[Range, list[ArgumentUse]] = {}
    for reader in readers:
        if path_of(reader.uri) == target:
            continue
        for site in reader.call_sites:
            for argument in with_imported_literals(reader, site, workspace).node_arguments:
                if argument.literal_file == target and argument.literal_range is not None:
                    grouped.setdefault(argument.literal_range, []).append(ArgumentUse(site, argument, reader.uri))
    return tuple(LiteralUse(region, tuple(uses)) for region, uses in grouped.items())


def _read(workspace: Workspace, importer: str, argument: NodeArgument) -> NodeArgument:
    found = _locate(workspace, importer, argument.imported, 0)
    if found is None:
        return argument
    doc, literal = found
    form, queries = read_queries(doc.syntax, literal)
    if form == "other":
        return argument
    return replace(
        argument,
        form=form,
        queries=queries,
        complete=not (literal.has_error or doc.syntax.is_repaired(literal)),
        literal_range=doc.syntax.range(literal),
        literal_file=path_of(doc.uri),
        imported="",
    )


def _locate(workspace: Workspace, importer: str, spelled: str, depth: int) -> tuple[ParsedDocument, Node] | None:
    """The document and collection node an import (spelled as imported, ``.config.TAPS``) leads to."""
    if depth > _MAX_DEPTH:
        return None
    target = spelled.lstrip(".")
    module, is_package = workspace.module_name(importer)
    qualified = absolute_module(target, len(spelled) - len(target), module, is_package)
    split = workspace.split(qualified, importer) if qualified else None
    if split is None or "." in split[1]:
        return None
    _, name, file = split
    doc = workspace.document(file)
    binding = doc.symbols.top_level(name) if doc is not None else None
    if doc is None or binding is None:
        return None
    if binding.kind == "import":
        return _locate(workspace, file, "." * binding.level + binding.target, depth + 1)
    if binding.kind != "assign" or binding.node is None:
        return None
    followed = follow(doc.syntax, doc.symbols, binding.node)
    if followed.literal is not None:
        return doc, followed.literal
    return _locate(workspace, file, followed.imported, depth + 1) if followed.imported else None
