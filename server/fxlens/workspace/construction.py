"""``Construction``: what a model expression evaluates to, before configuration and tracer settings.

The callable that builds the model, its constructor arguments as literal text (with the ones that
could not be read, so configuration can still supply them), and the attribute path followed after
construction. ``resolve`` produces it, ``overrides`` completes it, and it becomes a ``ModelSpec``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from fxlens.workspace.spec import Builder


class CannotResolve(Exception):
    """Why a model (or its tracer settings) cannot be determined; becomes ``Unresolved`` at the top."""

    def __init__(self, reason: str, node: Node | None = None, slot: int | str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.node = reason, node
        self.slot = slot  # the constructor argument (position or keyword) that could not be read


@dataclass(frozen=True)
class Construction:
    """How the model of an expression is built: ``callable`` of ``module`` called with ``args`` and
    ``kwargs``, then ``attributes`` followed, then (if ``children``) a slice of its children kept."""

    builder: Builder
    module: str
    callable: str
    name: str  # config key and display name: builder/model name or class name
    args: tuple[str, ...] = ()
    kwargs: tuple[tuple[str, str], ...] = ()
    attributes: tuple[str, ...] = ()
    file: str = ""
    weights_requested: bool = False
    unreadable: tuple[CannotResolve, ...] = ()  # constructor arguments that are not literals
    children: tuple[int | None, int | None] | None = None  # then nn.Sequential(*list(m.children())[a:b])
    wrapper: str = ""  # "DataParallel" while the model is still inside a parallel wrapper

    @property
    def config_key(self) -> str:
        """The key of its table under ``[tool.fxlens.models]`` that messages suggest."""
        return f"{self.module}:{self.callable}" if self.builder == "workspace" else self.name

    def display(self) -> str:
        """What progress and messages call it: ``resnet50``, ``MyNet(width=32).backbone``."""
        arguments = [*self.args, *(f"{k}={v}" for k, v in self.kwargs)]
        if self.builder != "workspace" and self.callable in ("get_model", "create_model"):
            arguments = (
                arguments[1:] if self.args else [a for a in arguments if not a.startswith(("name=", "model_name="))]
            )
        text = f"{self.name}({', '.join(arguments)})" if arguments or self.attributes else self.name
        text = "".join([text, *(f"[{a}]" if a.isdigit() else f".{a}" for a in self.attributes)])
        if self.children is None:
            return text
        start, stop = ("" if b is None else str(b) for b in self.children)
        return f"Sequential(*list({text}.children())[{start}:{stop}])"
