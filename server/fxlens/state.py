"""What is known of a call's model at a moment: the pipeline's one currency between its stages."""

from __future__ import annotations

from fxlens.nodes import NodeTable, Problem
from fxlens.workspace.spec import Unresolved

# NodeTable: traced; Problem: the worker could not import, build or trace it; Unresolved: the
# model cannot be told statically; None: not traced (yet, or tracing is off) — only static rules run.
ModelState = NodeTable | Problem | Unresolved | None
