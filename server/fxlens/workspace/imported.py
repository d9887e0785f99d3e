"""Read node arguments whose literal is a constant imported from another workspace module.

Parsing reads one file: a name imported from elsewhere (``from .config import TAPS``) ends there
with the import it came through (``NodeArgument.imported``). Given the workspace, this follows the
import (through re-exports, and names bound to names in that module) to the literal, and reads the
queries from that file, whose path goes in ``NodeArgument.literal_file``.
"""

from __future__ import annotations

from dataclasses import replace

from tree_sitter import Node

from fxlens.workspace.bindings import follow
from fxlens.workspace.callsite import CallSite, NodeArgument
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.parse import ParsedDocument
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
