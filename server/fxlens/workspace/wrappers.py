"""Calls of torch functions that return another model, or part of one, and how each is followed.

``copy.deepcopy(m)`` is ``m``; ``nn.DataParallel(m)`` / ``DistributedDataParallel(m)`` wrap ``m``
until ``.module`` unwraps it; ``nn.Sequential(*list(m.children())[a:b])`` keeps a slice of ``m``'s
children (the worker builds that Sequential); ``torch.hub.load("pytorch/vision", "resnet50")`` is
torchvision's builder (nothing is downloaded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tree_sitter import Node

from fxlens.workspace.construction import CannotResolve, Construction
from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.reader import Place, Reader

Follow = Callable[[Place, Node, int], Construction]  # the model an expression evaluates to

COPIES = frozenset({"copy.deepcopy", "copy.copy"})
PARALLEL = {
    "torch.nn.DataParallel": "DataParallel",
    "torch.nn.parallel.DataParallel": "DataParallel",
    "torch.nn.parallel.data_parallel.DataParallel": "DataParallel",
    "torch.nn.parallel.DistributedDataParallel": "DistributedDataParallel",
    "torch.nn.parallel.distributed.DistributedDataParallel": "DistributedDataParallel",
}
SEQUENTIAL = frozenset({"torch.nn.Sequential", "torch.nn.modules.Sequential", "torch.nn.modules.container.Sequential"})
HUB_LOAD = frozenset({"torch.hub.load"})
TORCHVISION_HUB = "pytorch/vision"
HUB_OPTIONS = frozenset({"repo_or_dir", "model", "source", "trust_repo", "force_reload", "verbose", "skip_validation"})


def positional(call: Node) -> list[Node]:
    """The call's positional arguments (splats included), in order."""
    arguments = call.child_by_field_name("arguments")
    items = arguments.named_children if arguments is not None else []
    return [a for a in items if a.type not in ("keyword_argument", "comment", "dictionary_splat")]


def keyword(place: Place, call: Node, name: str) -> Node | None:
    """The value of keyword argument ``name`` of the call, if given."""
    arguments = call.child_by_field_name("arguments")
    for item in arguments.named_children if arguments is not None else []:
        key = item.child_by_field_name("name") if item.type == "keyword_argument" else None
        if key is not None and place.text(key) == name:
            return item.child_by_field_name("value")
    return None


def wrapped_model(qualified: str, place: Place, call: Node, follow: Follow, depth: int) -> Construction | None:
    """The model a call of a copy, parallel wrapper or ``nn.Sequential`` returns; None for other calls."""
    if qualified in COPIES or qualified in PARALLEL:
        items = positional(call)
        inner = items[0] if items else keyword(place, call, "module")
        if inner is None or inner.type == "list_splat":
            raise CannotResolve(f"`{place.text(call)}`: pass the model as the first argument", call)
        model = follow(place, inner, depth + 1)
        return replace(model, wrapper=PARALLEL[qualified]) if qualified in PARALLEL else model
    if qualified in SEQUENTIAL:
        return _sequential(place, call, follow, depth)
    return None


def unwrapped(place: Place, model: Construction, attribute: Node) -> Construction | None:
    """``wrapper.module`` is the wrapped model; None when ``model`` is not wrapped."""
    if not model.wrapper:
        return None
    if place.text(attribute) != "module":
        raise CannotResolve(
            f"`.{place.text(attribute)}` of an `nn.{model.wrapper}`: reach the model inside through `.module` first",
            attribute,
        )
    return replace(model, wrapper="")


def _sequential(place: Place, call: Node, follow: Follow, depth: int) -> Construction:
    """``nn.Sequential(*list(m.children())[a:b])``, ``nn.Sequential(*m.children())`` and the like."""
    items = positional(call)
    source = items[0].named_children[0] if len(items) == 1 and items[0].type == "list_splat" else None
    bounds: tuple[int | None, int | None] = (None, None)
    if source is not None and source.type == "subscript":
        index = source.child_by_field_name("subscript")
        bounds = _slice(place, index) if index is not None else bounds
        source = source.child_by_field_name("value")
    if source is not None and source.type == "call" and _function_text(place, source) == "list":
        listed = positional(source)
        source = listed[0] if len(listed) == 1 else None
    owner = _children_owner(place, source)
    if owner is None:
        raise CannotResolve(
            f"`{place.text(call)}` assembles layers in place; fxlens follows `nn.Sequential(*list(model.children())"
            "[a:b])` — for other layers, define the network in a function or class of a module and call it",
            call,
        )
    model = follow(place, owner, depth + 1)
    if model.wrapper or model.children is not None:
        raise CannotResolve(f"`{place.text(owner)}`: take the children of the model itself", owner)
    return replace(model, children=bounds)


def _children_owner(place: Place, node: Node | None) -> Node | None:
    """``m`` of ``m.children()``."""
    if node is None or node.type != "call":
        return None
    function = node.child_by_field_name("function")
    if function is None or function.type != "attribute" or positional(node):
        return None
    attribute = function.child_by_field_name("attribute")
    if attribute is None or place.text(attribute) != "children":
        return None
    return function.child_by_field_name("object")


def _function_text(place: Place, call: Node) -> str:
    function = call.child_by_field_name("function")
    return place.text(function) if function is not None else ""


def _slice(place: Place, index: Node) -> tuple[int | None, int | None]:
    """``(start, stop)`` of a ``[a:b]`` slice of integer literals."""
    if index.type != "slice":
        raise CannotResolve(f"`[{place.text(index)}]`: slice the children with integers, e.g. `[:-2]`", index)
    parts: list[str] = [""]
    for child in index.children:
        if child.type == ":":
            parts.append("")
        else:
            parts[-1] += place.text(child)
    if len(parts) > 2 and parts[2].strip():
        raise CannotResolve(f"`[{place.text(index)}]`: a step is not supported; slice with `[start:stop]`", index)
    try:
        start, stop = (int(p) if p.strip() else None for p in parts[:2])
    except ValueError:
        raise CannotResolve(f"`[{place.text(index)}]`: write the slice bounds as integers", index) from None
    return start, stop


def hub_builder(reader: Reader, place: Place, call: Node) -> str:
    """The torchvision builder ``torch.hub.load("pytorch/vision", "resnet50", ...)`` loads."""
    items = positional(call)
    repo = items[0] if items else keyword(place, call, "repo_or_dir")
    name = items[1] if len(items) > 1 else keyword(place, call, "model")
    try:
        repo_value = reader.value(place, repo) if repo is not None else None
        name_value = reader.value(place, name) if name is not None else None
    except NotLiteral:
        repo_value = name_value = None
    if not isinstance(repo_value, str) or not isinstance(name_value, str):
        raise CannotResolve(
            f"`{place.text(call)}`: write the repository and the model name as strings, e.g. "
            '`torch.hub.load("pytorch/vision", "resnet50", weights=None)`',
            call,
        )
    if repo_value.partition(":")[0].rstrip("/") != TORCHVISION_HUB:
        raise CannotResolve(
            f"`{repo_value}` is a torch.hub repository fxlens does not download; build the model from its "
            'package instead, or for torchvision use `torch.hub.load("pytorch/vision", ...)`',
            repo or call,
        )
    return name_value
