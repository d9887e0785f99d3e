"""Code lenses above each call: the model, its node count once traced, and a command that shows the nodes."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from fxlens.nodes import NodeTable, Problem
from fxlens.pipeline import ResolvedCall
from fxlens.state import ModelState
from fxlens.workspace.callsite import Range
from fxlens.workspace.spec import ModelSpec

SHOW_NODES = "fxlens.showNodes"  # the client's command; arguments: the document URI and the call's position


def call_lens(
    uri: str, call: ResolvedCall, state: ModelState, tracing: bool, to_range: Callable[[Range], types.Range]
) -> types.CodeLens | None:
    """The lens of one call (None for a call whose model is not resolved: its FXL012 says why)."""
    if not isinstance(call.spec, ModelSpec):
        return None
    name = call.spec.display_name
    if isinstance(state, NodeTable):
        count = len(state.eval)
        title = f"{name} · {count} node{'s' * (count != 1)} · show nodes"
    elif isinstance(state, Problem):
        title = f"{name} · cannot be used ({state.kind} error)"
    else:
        title = f"{name} · tracing…" if tracing else name
    where = to_range(call.site.range)
    position = {"line": where.start.line, "character": where.start.character}
    return types.CodeLens(
        range=types.Range(where.start, where.start),
        command=types.Command(title=title, command=SHOW_NODES, arguments=[uri, position]),
    )
