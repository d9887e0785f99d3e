"""The image size a file's torchvision transforms produce: ``Resize`` / ``CenterCrop`` sizes.

In a ``Compose([...])`` the last transform that sets a size decides (``Resize(256)`` then
``CenterCrop(224)`` gives 224 × 224), and ``Grayscale()`` makes one channel; outside a pipeline a
crop wins over a resize. The first pipeline in the file that sets a size is the one used.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.tensors import Evaluate, TensorReader, positive_dims

TRANSFORMS = ("torchvision.transforms.v2.", "torchvision.transforms.")  # the longer prefix first
CROPS = frozenset({"CenterCrop", "RandomResizedCrop", "RandomCrop", "FiveCrop", "TenCrop"})
RESIZES = frozenset({"Resize"})
GRAYSCALE = frozenset({"Grayscale"})


@dataclass(frozen=True)
class ImageSize:
    """Height, width and channels of the images the transforms produce, and the call that sets the size."""

    height: int
    width: int
    channels: int
    shown_by: Node

    def shape(self) -> tuple[int, ...]:
        return (1, self.channels, self.height, self.width)


def transformed_size(reader: TensorReader, value: Evaluate) -> ImageSize | None:
    """The image size the first size-setting transforms of the file produce, or None."""
    calls = [c for c in _transform_calls(reader) if _kind(reader, c) in CROPS | RESIZES | GRAYSCALE]
    pipelines: dict[int, list[Node]] = {}
    loose: list[Node] = []
    for call in calls:
        holder = _pipeline_of(reader, call)
        if holder is None:
            loose.append(call)
        else:
            pipelines.setdefault(holder.start_byte, []).append(call)
    for start in sorted(pipelines):
        found = _size_of(reader, value, pipelines[start], last_wins=True)
        if found is not None:
            return found
    return _size_of(reader, value, loose, last_wins=False)


def _transform_calls(reader: TensorReader) -> list[Node]:
    syntax = reader.syntax
    found = []
    for name in (*CROPS, *RESIZES, *GRAYSCALE):
        needle = (name + "(").encode()
        at = syntax.source.find(needle)
        while at != -1:
            node = syntax.root.descendant_for_byte_range(at, at + len(name))
            function = node.parent if node is not None and node.parent is not None else None
            if function is not None and function.type != "attribute":
                function = node
            call = function.parent if function is not None and node is not None and node.type == "identifier" else None
            if call is not None and call.type == "call" and call.child_by_field_name("function") == function:
                found.append(call)
            at = syntax.source.find(needle, at + len(needle))
    return sorted(found, key=lambda c: c.start_byte)


def _kind(reader: TensorReader, call: Node) -> str:
    function = call.child_by_field_name("function")
    qualified = reader.qualify(function) if function is not None else ""
    prefix = next((p for p in TRANSFORMS if qualified.startswith(p)), None)
    return qualified[len(prefix) :] if prefix is not None else ""


def _pipeline_of(reader: TensorReader, call: Node) -> Node | None:
    """The ``Compose([...])`` call whose list holds ``call``."""
    items = call.parent
    compose = items.parent.parent if items is not None and items.parent is not None else None
    if items is None or items.type != "list" or compose is None or compose.type != "call":
        return None
    return compose if _kind(reader, compose) == "Compose" else None


def _size_of(reader: TensorReader, value: Evaluate, calls: list[Node], last_wins: bool) -> ImageSize | None:
    channels = 1 if any(_kind(reader, c) in GRAYSCALE for c in calls) else 3
    sized = [c for c in calls if _kind(reader, c) in CROPS | RESIZES]
    if not last_wins:
        sized.sort(key=lambda c: _kind(reader, c) not in CROPS)  # a crop first, then a resize
    for call in reversed(sized) if last_wins else sized:
        try:
            height, width = _size(reader, value, call)
        except NotLiteral:
            continue
        return ImageSize(height, width, channels, call)
    return None


def _size(reader: TensorReader, value: Evaluate, call: Node) -> tuple[int, int]:
    arguments = call.child_by_field_name("arguments")
    given = None
    for item in arguments.named_children if arguments is not None else []:
        key = item.child_by_field_name("name") if item.type == "keyword_argument" else None
        if key is not None and reader.syntax.text(key) == "size":
            given = item.child_by_field_name("value")
        elif key is None and item.type != "comment" and given is None:
            given = item
    if given is None:
        raise NotLiteral("no size")
    size = value(given)
    dims = positive_dims(list(size) if isinstance(size, (tuple, list)) else [size])
    if len(dims) == 1:
        return dims[0], dims[0]
    if len(dims) == 2:
        return dims[0], dims[1]
    raise NotLiteral("a size has one or two dimensions")
