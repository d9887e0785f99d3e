"""What a failed trace's frames show: where the failing code ran and which traced value it asked about.

torch.fx raises from deep inside its own code; the traceback still holds every frame with its locals.
From them: the ``forward`` of each module being traced, a plain function or a non-``nn.Module`` object
the failing line ran in, and the ``Proxy`` whose truth, length or items Python asked for — whose graph
says whether it came from an argument of the root ``forward`` or from tensor sizes.
"""

from __future__ import annotations

import linecache
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from torch import fx, nn

_SIZE_METHODS = frozenset({"size", "dim", "numel", "nelement"})
_SIZE_ATTRIBUTES = frozenset({"shape", "ndim"})
_TOOLING = frozenset({"torch", "torchvision", "fxlens"})
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Frame:
    """One frame of the failed trace: its code's ``self`` (if any) and its locals."""

    frame: FrameType
    line: int

    @property
    def owner(self) -> Any:
        return self.frame.f_locals.get("self")

    @property
    def is_tooling(self) -> bool:
        """A frame of torch's, torchvision's or fxlens's own code (the tracer, ``Module.__call__``, ``Proxy``)."""
        module = self.frame.f_globals.get("__name__", "")
        return module.partition(".")[0] in _TOOLING

    def is_forward(self) -> bool:
        """The ``forward`` of an ``nn.Module``."""
        owner = self.owner
        return isinstance(owner, nn.Module) and self.frame.f_code is getattr(type(owner).forward, "__code__", None)


def frames_of(error: BaseException) -> list[Frame]:
    """The traceback's frames, outermost first."""
    return [Frame(frame, line) for frame, line in traceback.walk_tb(error.__traceback__)]


def forward_modules(error: BaseException) -> list[nn.Module]:
    """The module of every ``forward`` frame of the traceback, outermost first."""
    return [f.owner for f in frames_of(error) if f.is_forward()]


def called_from_forward(error: BaseException) -> list[Frame]:
    """The frames the innermost ``forward`` called into, down to the raise (empty without a ``forward``)."""
    frames = frames_of(error)
    forwards = [i for i, f in enumerate(frames) if f.is_forward()]
    return frames[forwards[-1] + 1 :] if forwards else []


def plain_function(frame: Frame) -> Callable[..., Any] | None:
    """The module-level function (outside torch and fxlens) ``frame`` runs, or None for a method, a nested
    function, a lambda or the tools' own code: only a module-level function can be ``autowrap``-ped."""
    code = frame.frame.f_code
    found = frame.frame.f_globals.get(code.co_name)
    if frame.is_tooling or getattr(found, "__code__", None) is not code or "<locals>" in found.__qualname__:
        return None
    return found


def plain_object(frame: Frame) -> object | None:
    """The object whose method ``frame`` runs when that object is not an ``nn.Module`` (outside torch and fxlens)."""
    owner = frame.owner
    if frame.is_tooling or owner is None or isinstance(owner, (nn.Module, fx.Proxy, fx.Tracer)):
        return None
    return owner if getattr(type(owner), frame.frame.f_code.co_name, None) is not None else None


def asked_proxies(error: BaseException) -> list[fx.Proxy]:
    """The traced values the failing code asked Python questions of: the ``Proxy`` whose ``__bool__``
    / ``__iter__`` / ``__len__`` raised, else the proxies the failing user line names."""
    frames = frames_of(error)
    for frame in frames:
        if isinstance(frame.owner, fx.Proxy):
            return [frame.owner]
    user = [f for f in frames if not f.is_tooling]
    if not user:
        return []
    innermost = user[-1]
    names = set(_IDENTIFIER.findall(_line_text(innermost)))
    return [v for k, v in innermost.frame.f_locals.items() if k in names and isinstance(v, fx.Proxy)]


def root_arguments(proxy: fx.Proxy) -> set[str]:
    """The root ``forward`` arguments (placeholders) ``proxy``'s value is computed from."""
    return {n.target for n in _ancestors(proxy.node) if n.op == "placeholder"}


def from_sizes(proxy: fx.Proxy) -> bool:
    """True when ``proxy`` is computed only from tensor sizes (``x.shape``, ``x.size()``, ``x.dim()``)
    and constants: Python arithmetic on sizes, which tracing records instead of computing."""
    return _sized(proxy.node, {})


def _sized(node: fx.Node, seen: dict[fx.Node, bool]) -> bool:
    if node in seen:
        return seen[node]
    if node.op == "call_method" and node.target in _SIZE_METHODS:
        found = True
    elif node.op == "call_function" and node.target is getattr and len(node.args) > 1:
        found = node.args[1] in _SIZE_ATTRIBUTES
        found = True
    elif node.op in ("placeholder", "get_attr", "call_module"):
        found = False
    else:
        inputs = node.all_input_nodes
        found = bool(inputs) and all(_sized(n, seen) for n in inputs)
    seen[node] = found
    return found


def _ancestors(node: fx.Node) -> list[fx.Node]:
    found: dict[fx.Node, None] = {}
    pending = [node]
    while pending:
        current = pending.pop()
        if current not in found:
            found[current] = None
            pending.extend(current.all_input_nodes)
    return list(found)


def _line_text(frame: Frame) -> str:
    return linecache.getline(frame.frame.f_code.co_filename, frame.line)
