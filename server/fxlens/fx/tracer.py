"""Tracers that name every node the way torchvision's feature extraction does.

``NodePathTracer`` records, for each node it creates, the dot-separated path that
``create_feature_extractor`` accepts (``layer1.0.relu_1``). The naming follows torchvision 0.29
exactly, quirks included; each quirk is spelled out in ``qualified_name``'s docstring because
users meet them as "my node name does not exist" surprises.
"""

from __future__ import annotations

import inspect
import linecache
import os
import re
import sys
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

import torch
from torch import fx, nn

_SUFFIX = re.compile(r".+_[0-9]+$")
# Frames in these directories are machinery, not model code.
_SKIPPED_DIRS = (os.path.dirname(torch.__file__) + os.sep, os.path.dirname(__file__) + os.sep)


class LeafModuleAwareTracer(fx.Tracer):
    """An ``fx.Tracer`` that does not trace into instances of the given ``leaf_modules`` classes.

    Everything else is fx's default: modules defined under ``torch.nn`` / ``torch.ao.nn`` (except
    ``Sequential``) are leaves too.
    """

    def __init__(self, *args: Any, leaf_modules: Iterable[type[nn.Module]] = (), **kwargs: Any):
        self.leaf_modules = tuple(leaf_modules)
        super().__init__(*args, **kwargs)

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return isinstance(m, self.leaf_modules) or super().is_leaf_module(m, module_qualified_name)


class NodePathTracer(LeafModuleAwareTracer):
    """Records each node's qualified name in ``node_to_qualname``, in execution order.

    With ``record_sources=True`` it also records, in ``node_to_source``, the innermost frame of
    model code (outside torch and fxlens) that created each node: ``(file, line)``.
    """

    def __init__(self, *args: Any, record_sources: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.current_module_qualname = ""
        self.node_to_qualname: dict[fx.Node, str] = {}
        self.node_to_module_path: dict[fx.Node, str] = {}
        self.node_to_source: dict[fx.Node, tuple[str, int]] = {}
        self._record_sources = record_sources
        # Earlier names, newest first, one per line: the suffix search is one regex scan over it.
        self._names_newest_first = ""

    def call_module(
        self, m: nn.Module, forward: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Trace into the module (or record a leaf call) with its path as the current scope."""
        outer = self.current_module_qualname
        try:
            path = self.path_of_module(m)
            self.current_module_qualname = path
            if not self.is_leaf_module(m, path):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", path, args, kwargs)
        finally:
            self.current_module_qualname = outer

    def create_proxy(
        self,
        kind: str,
        target: fx.node.Target,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None = None,
        type_expr: Any | None = None,
        proxy_factory_fn: Callable[[fx.Node], fx.Proxy] | None = None,
    ) -> fx.Proxy:
        """Create the node as fx does, then name it; nodes fx makes without a proxy stay unnamed."""
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
        node = proxy.node
        qualname = self.qualified_name(self.current_module_qualname, node)
        self.node_to_qualname[node] = qualname
        self.node_to_module_path[node] = self.current_module_qualname
        self._names_newest_first = f"{qualname}\n{self._names_newest_first}"
        if self._record_sources:
            source = self._forward_definition() if kind == "placeholder" else _model_frame(sys._getframe(1))
            if source is not None:
                self.node_to_source[node] = source
        return proxy

    def _forward_definition(self) -> tuple[str, int] | None:
        """Where the traced ``forward`` is defined: the source of its arguments (placeholders)."""
        code = getattr(inspect.unwrap(getattr(type(self.root), self.traced_func_name)), "__code__", None)
        return (code.co_filename, code.co_firstlineno) if code is not None else None

    def qualified_name(self, module_qualname: str, node: fx.Node) -> str:
        """The name torchvision gives ``node`` when it runs inside the module at ``module_qualname``.

        The rules, with their surprises:

        - A ``call_module`` node is named by the module's path alone (``layer1.0.conv1``).
        - Any other node is the module path, ``.``, and fx's node name (``layer1.0.add``); at the
          root there is no prefix (``flatten``). Parameter reads get fx's flattened attribute name
          under the path (``blocks.0.blocks_0_scale``).
        - A final ``_<digits>`` is stripped first, whatever its origin: fx's global counter
          (``add_3``) but also a module's own name, so modules ``conv_1``, ``conv_2`` are listed
          as ``conv``, ``conv_1``, and vit_b_16's ``ln_2`` is listed as ``ln_1``.
        - Then the newest earlier name of the form ``{name}`` or ``{name}_{k}`` decides the
          suffix: ``_1`` or ``_{k+1}``. Counters are therefore per full name: scoped to the parent
          module, starting at ``_1`` for the first repeat, and a re-invoked module keeps counting.
        - ``{name}`` is used as a regular expression, unescaped, as torchvision does: a ``.`` in it
          matches any character, so ``features.1`` also counts an earlier root node
          ``features_1`` (and torchvision then fails on the suffix, as this does).
        - A root-level function and a later module of the same name collide: ``F.relu`` at the
          root is ``relu`` and a later ``self.relu`` becomes ``relu_1``.
        """
        name = module_qualname
        if node.op != "call_module":
            name = f"{name}.{node.name}" if name else node.name
        if _SUFFIX.match(name):
            name = name.rsplit("_", 1)[0]
        newest = re.search(rf"^{name}(_[0-9]+)?$", self._names_newest_first, re.MULTILINE)
        if newest is None:
            return name
        postfix = newest.group(0).replace(name, "")
        return f"{name}_{int(postfix[1:]) + 1 if postfix else 1}"


def is_model_file(filename: str) -> bool:
    """True for model code: any file outside torch's and fxlens.fx's own directories."""
    return not filename.startswith(_SKIPPED_DIRS)


def _model_frame(frame: FrameType | None) -> tuple[str, int] | None:
    """``(file, line)`` of the innermost frame of model code: the line that created a node."""
    while frame is not None and not is_model_file(frame.f_code.co_filename):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None


def source_line(file: str, line: int) -> str:
    """The stripped text of ``file:line``, or "" when the source is not available."""
    return linecache.getline(file, line).strip()
