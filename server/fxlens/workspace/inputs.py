"""The example input a file shows for a call: the tensor the model or its extractor is run on.

In the scope of the ``create_feature_extractor`` call (the whole file at module level), every name
that holds the extractor or the model (and the names assigned from them, ``net = model.eval()``)
is looked for: called (``extractor(x)``, ``model(x)``, ``model.forward(x)``, or the call itself,
``create_feature_extractor(...)(x)``), or handed to a tool that runs it on an example
(``torch.jit.trace(model, x)``, ``torch.onnx.export(model, x, f)``, ``torchinfo.summary(model,
input_size=...)``, ``torchsummary.summary(model, (c, h, w))``), with arguments whose shapes
``tensors`` reads. Failing that, the image size of the file's torchvision transforms.
"""

from __future__ import annotations

from tree_sitter import Node

from fxlens.nodes import SourceLocation
from fxlens.workspace.literals import NotLiteral
from fxlens.workspace.scopes import enclosing_function
from fxlens.workspace.spec import InputSpec
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax
from fxlens.workspace.tensors import Evaluate, Tensor, TensorReader, positive_dims
from fxlens.workspace.transforms import transformed_size

RUNNERS = {  # a tool that runs a model on an example: the argument (position, keyword) holding it
    "torch.jit.trace": (1, "example_inputs"),
    "torch.onnx.export": (1, "args"),
}
SIZED_RUNNERS = {  # a tool given the input's size: (position, keyword, whether the size includes the batch)
    "torchinfo.summary": (1, "input_size", True),
    "torchsummary.summary": (1, "input_size", False),
}
ALIAS_METHODS = frozenset({"eval", "train", "to", "cpu", "cuda", "float", "half", "requires_grad_"})
_MAX_ALIASES = 16


def file_input(
    syntax: Syntax, symbols: Symbols, call: Node, model: Node | None, file: str, value: Evaluate
) -> InputSpec | None:
    """The input the file feeds to the extractor (or model) of ``call``; None when it shows none."""
    reader = TensorReader(syntax, symbols, value)
    scope = enclosing_function(call)
    callees = []
    if call.parent is not None and call.parent.type == "call" and call.parent.child_by_field_name("function") == call:
        callees.append(call.parent)  # create_feature_extractor(...)(x)
    names = []
    holder = call.parent
    if holder is not None and holder.type == "assignment" and holder.child_by_field_name("right") == call:
        left = holder.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            names.append(syntax.text(left))
    if model is not None and model.type == "identifier":
        names.append(syntax.text(model))
    names = _with_aliases(syntax, names, scope)
    for name in names:
        callees.extend(_calls_of(syntax, name, scope, call.end_byte))
    for callee in callees:
        tensors = _tensors(reader, _arguments(callee))
        if tensors is not None:
            return _spec(syntax, file, tensors)
    sized = _run_by_tools(reader, names, scope)
    if sized is not None:
        return _spec(syntax, file, sized)
    image = transformed_size(reader, value)
    if image is not None:
        return _spec(syntax, file, [Tensor(image.shape(), "float32", image.shown_by)])
    return None


def _spec(syntax: Syntax, file: str, tensors: list[Tensor]) -> InputSpec | None:
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) != 1:
        return None
    line = tensors[0].shown_by.start_point[0]  # repairs never add lines, so this is the line as typed
    location = SourceLocation(file, line + 1, syntax.parsed.lines[line].strip())
    return InputSpec(shapes=tuple(t.shape for t in tensors), dtype=dtypes.pop(), origin="file", location=location)


def _arguments(callee: Node) -> list[Node] | None:
    """The positional arguments of a call, None when it has keyword or splat arguments."""
    arguments = callee.child_by_field_name("arguments")
    if arguments is None:
        return None
    items = [a for a in arguments.named_children if a.type != "comment"]
    if not items or any(a.type in ("keyword_argument", "list_splat", "dictionary_splat") for a in items):
        return None
    return items


def _tensors(reader: TensorReader, nodes: list[Node] | None) -> list[Tensor] | None:
    tensors = [reader.tensor(node) for node in nodes or ()]
    if not tensors or any(t is None for t in tensors):
        return None
    return [t for t in tensors if t is not None]


def _with_aliases(syntax: Syntax, names: list[str], scope: Node | None) -> list[str]:
    """``names`` and the names assigned from them (``net = model``, ``net = model.eval().to(dev)``)."""
    found = list(dict.fromkeys(names))
    for name in found:
        if len(found) >= _MAX_ALIASES:
            break
        for use in _identifiers(syntax, name, scope):
            node = use
            while node.parent is not None and node.parent.type in ("attribute", "call"):
                parent = node.parent
                if parent.type == "attribute":
                    attribute = parent.child_by_field_name("attribute")
                    if attribute is None or syntax.text(attribute) not in ALIAS_METHODS:
                        break
                node = parent
            assignment = node.parent
            left = assignment.child_by_field_name("left") if assignment is not None else None
            if (
                assignment is not None
                and assignment.type == "assignment"
                and assignment.child_by_field_name("right") == node
                and node.type in ("identifier", "call")
                and left is not None
                and left.type == "identifier"
                and syntax.text(left) not in found
            ):
                found.append(syntax.text(left))
    return found


def _identifiers(syntax: Syntax, name: str, scope: Node | None) -> list[Node]:
    """The identifiers ``name`` in ``scope`` (module: the whole file)."""
    start = scope.start_byte if scope is not None else 0
    end = scope.end_byte if scope is not None else len(syntax.source)
    found: list[Node] = []
    needle = name.encode()
    if not needle:  # a MISSING identifier (zero-width, in broken code) names nothing
        return found
    at = syntax.source.find(needle, start, end)
    while at != -1:
        node = syntax.root.descendant_for_byte_range(at, at + len(needle))
        if node is not None and node.type == "identifier" and syntax.text(node) == name:
            found.append(node)
        at = syntax.source.find(needle, at + len(needle), end)
    return found


def _calls_of(syntax: Syntax, name: str, scope: Node | None, after: int) -> list[Node]:
    """Calls ``name(...)`` and ``name.forward(...)`` in ``scope``, those after byte ``after`` first."""
    found = []
    for node in _identifiers(syntax, name, scope):
        function = node
        parent = node.parent
        if parent is not None and parent.type == "attribute" and parent.child_by_field_name("object") == node:
            attribute = parent.child_by_field_name("attribute")
            if attribute is None or syntax.text(attribute) != "forward":
                continue
            function = parent
        call = function.parent
        if call is not None and call.type == "call" and call.child_by_field_name("function") == function:
            found.append(call)
    return sorted(found, key=lambda n: (n.start_byte < after, n.start_byte))


def _run_by_tools(reader: TensorReader, names: list[str], scope: Node | None) -> list[Tensor] | None:
    """The example a tracing, export or summary tool is given for one of ``names``."""
    syntax = reader.syntax
    for name in names:
        for use in _identifiers(syntax, name, scope):
            arguments = use.parent
            call = arguments.parent if arguments is not None and arguments.type == "argument_list" else None
            if call is None or call.type != "call" or _positional(call)[:1] != [use]:
                continue
            function = call.child_by_field_name("function")
            qualified = reader.qualify(function) if function is not None else ""
            if qualified in RUNNERS:
                given = _argument(syntax, call, *RUNNERS[qualified])
                tensors = _tensors(reader, _items(given)) if given is not None else None
            elif qualified in SIZED_RUNNERS:
                position, keyword, batched = SIZED_RUNNERS[qualified]
                given = _argument(syntax, call, position, keyword)
                tensors = _sized(reader, given, batched) if given is not None else None
            else:
                continue
            if tensors is not None:
                return tensors
    return None


def _sized(reader: TensorReader, node: Node, batched: bool) -> list[Tensor] | None:
    """``input_size=(1, 3, 224, 224)`` (or a list of such), with a batch of 1 added when not ``batched``."""
    try:
        size = reader.value(node)
        sizes = size if isinstance(size, list) and all(isinstance(s, (tuple, list)) for s in size) else [size]
        shapes = [positive_dims(list(s) if batched else [1, *s]) for s in sizes]
    except (NotLiteral, TypeError):
        return None
    return [Tensor(shape, "float32", node) for shape in shapes]


def _items(node: Node) -> list[Node]:
    """The elements of a tuple display, or the node itself."""
    if node.type == "tuple":
        return [n for n in node.named_children if n.type != "comment"]
    return [node]


def _positional(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    items = arguments.named_children if arguments is not None else []
    return [a for a in items if a.type not in ("keyword_argument", "comment")]


def _argument(syntax: Syntax, call: Node, position: int, keyword: str) -> Node | None:
    arguments = call.child_by_field_name("arguments")
    for item in arguments.named_children if arguments is not None else []:
        key = item.child_by_field_name("name") if item.type == "keyword_argument" else None
        if key is not None and syntax.text(key) == keyword:
            return item.child_by_field_name("value")
    positional = _positional(call)
    return positional[position] if position < len(positional) else None
