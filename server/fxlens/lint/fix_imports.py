"""What a verified trace fix needs in the file of the call it edits: an import of each class or function
it names that the file does not already bind, placed at the end of the file's imports.

The worker names each class or function as ``module:QualName``. The file either defines it (it is the
model's own file), imports it under its own name, or leaves the name free — then the fix adds
``from module import Name``. A name the file binds to something else would change meaning: no fix.
"""

from __future__ import annotations

import os
from dataclasses import replace

from tree_sitter import Node

from fxlens.nodes import Problem
from fxlens.state import ModelState
from fxlens.workspace.modules import path_of
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.spec import ModelSpec, Unresolved
from fxlens.workspace.symbols import absolute_module

_IMPORT_TYPES = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
_BLOCK_TYPES = frozenset({"try_statement", "if_statement"})
_CLAUSE_TYPES = frozenset({"block", "except_clause", "else_clause", "elif_clause", "finally_clause"})


def fix_in_reach(state: ModelState, spec: ModelSpec | Unresolved, doc: ParsedDocument) -> ModelState:
    """``state`` with the imports its fix needs in ``doc`` (``Problem.fix_imports``), or without its fix
    when a name the fix writes is bound to something else in ``doc``."""
    if not isinstance(state, Problem) or not (state.leaf_fix or state.wrap_fix):
        return state
    own_file = isinstance(spec, ModelSpec) and bool(spec.file) and _same_file(spec.file, doc.uri)
    own_module = spec.module if isinstance(spec, ModelSpec) and own_file else None
    imports: list[str] = []
    for reference in (*state.leaf_fix, *state.wrap_fix):
        module, _, qualname = reference.partition(":")
        needed = _import_needed(doc, module, qualname.split(".")[0], own_module)
        if needed is None:
            return replace(state, leaf_fix=(), leaf_paths=(), wrap_fix=(), concrete_fix=())
        imports += [needed] if needed else []
    return replace(state, fix_imports=tuple(dict.fromkeys(imports)), fix_import_line=end_of_imports(doc))


def end_of_imports(doc: ParsedDocument) -> int:
    """The 0-based line after the file's last top-level import, or ``try`` / ``if`` block of imports
    (after a module docstring when there is none)."""
    children = doc.tree.root_node.named_children
    line = 0
    if children and children[0].type == "expression_statement" and children[0].named_children[0].type == "string":
        line = children[0].end_point[0] + 1
    for child in children:
        if child.type in _IMPORT_TYPES or (child.type in _BLOCK_TYPES and _holds_import(child)):
            line = child.end_point[0] + 1
    return line


def _holds_import(node: Node) -> bool:
    """True for a top-level ``try`` / ``if`` block that imports (``try: import timm``)."""
    return any(c.type in _IMPORT_TYPES or (c.type in _CLAUSE_TYPES and _holds_import(c)) for c in node.named_children)


def _import_needed(doc: ParsedDocument, module: str, name: str, own_module: str | None) -> str | None:
    """ "" when ``doc`` already binds ``name`` to ``module.name``; the import statement when ``name`` is
    free there; None when ``doc`` binds it to something else."""
    binding = doc.symbols.top_level(name)
    if binding is None:
        return f"from {module} import {name}"
    if binding.kind in ("class", "def"):
        return "" if module == own_module else None
    if binding.kind == "import" and absolute_module(binding.target, binding.level, "", False) == f"{module}.{name}":
        return ""
    return None


def _same_file(file: str, uri: str) -> bool:
    return os.path.realpath(file) == os.path.realpath(path_of(uri))
