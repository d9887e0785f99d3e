"""Sites whose strings name module paths: ``get_submodule`` & co, ``named_modules()`` lookups
(``dict(...)[...]`` and a loop's ``name == "..."`` comparisons), and torchvision's
``IntermediateLayerGetter`` / ``BackboneWithFPN`` / ``resnet_fpn_backbone``, and timm's
``create_model(..., features_only=True, out_indices=...)``, ``model.forward_intermediates(x, indices=...)``
and ``AttentionExtract(model, names=[...])``.

``fxlens.workspace.callsites`` finds the candidate calls by their names; this module tells which
ones are such sites and reads them into ``CallSite``s whose model expression the resolver follows
(the method's receiver, the ``model`` / ``backbone`` argument, or for ``resnet_fpn_backbone`` the
``backbone_name`` string, a torchvision builder's name).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from tree_sitter import Node

from fxlens.workspace.bindings import Followed, follow
from fxlens.workspace.callsite import (
    CallSite,
    IntArgument,
    IntItem,
    NodeArgKind,
    NodeArgument,
    NodeQuery,
    SiteFunction,
)
from fxlens.workspace.construction import Construction
from fxlens.workspace.queries import Form, read_queries, string_literal
from fxlens.workspace.symbols import Symbols
from fxlens.workspace.syntax import Syntax

METHODS: tuple[SiteFunction, ...] = ("get_submodule", "get_parameter", "get_buffer")
INDEX_METHODS: tuple[SiteFunction, ...] = ("forward_intermediates",)  # timm: integers index the model's feature_info
BACKBONE_UTILS = "torchvision.models.detection.backbone_utils"
CLASSES: dict[str, SiteFunction] = {
    "torchvision.models._utils.IntermediateLayerGetter": "IntermediateLayerGetter",
    f"{BACKBONE_UTILS}.IntermediateLayerGetter": "IntermediateLayerGetter",
    f"{BACKBONE_UTILS}.BackboneWithFPN": "BackboneWithFPN",
    f"{BACKBONE_UTILS}.resnet_fpn_backbone": "resnet_fpn_backbone",
    "timm.create_model": "create_model",
    "timm.models.create_model": "create_model",
    "timm.utils.AttentionExtract": "AttentionExtract",
    "timm.utils.attention_extract.AttentionExtract": "AttentionExtract",
}
FEATURE_KEYWORDS = ("features_only", "out_indices", "feature_cls", "output_stride")  # not for the traced model
WORDS: tuple[str, ...] = (
    *METHODS,
    *INDEX_METHODS,
    "named_modules",
    "IntermediateLayerGetter",
    "BackboneWithFPN",
    "resnet_fpn_backbone",
    "create_model",
    "AttentionExtract",
)
SITE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "get_submodule": ("target",),
    "get_parameter": ("target",),
    "get_buffer": ("target",),
    "forward_intermediates": ("x", "indices"),
    "named_modules": (),
    "named_modules_loop": (),
    "IntermediateLayerGetter": ("model", "return_layers"),
    "BackboneWithFPN": ("backbone", "return_layers", "in_channels_list", "out_channels"),
    "resnet_fpn_backbone": (),  # keyword-only
    "create_model": ("model_name",),
    "AttentionExtract": ("model", "names", "mode", "method", "hook_type", "use_regex"),
}
MODEL_PARAMETER = {"IntermediateLayerGetter": "model", "BackboneWithFPN": "backbone", "AttentionExtract": "model"}
OPTIONS = {"AttentionExtract": ("mode", "method", "use_regex")}  # read as literal text into CallSite.options
COLLECTIONS: dict[str, tuple[str, NodeArgKind]] = {
    "IntermediateLayerGetter": ("return_layers", "return_layers"),
    "BackboneWithFPN": ("return_layers", "return_layers"),
    "AttentionExtract": ("names", "attention_names"),
}
INT_PARAMETERS = {
    "BackboneWithFPN": ("in_channels_list", "out_channels"),
    "resnet_fpn_backbone": ("returned_layers", "trainable_layers"),
    "create_model": ("out_indices",),
    "forward_intermediates": ("indices",),
}
INDEX_PARAMETERS = {"create_model": "out_indices", "forward_intermediates": "indices"}  # integers into feature_info
_NAMES = ("identifier", "attribute")  # an integer argument given by name, followed to its literal
TIMM_SITES = ("create_model", "forward_intermediates", "AttentionExtract")

Arguments = Callable[[Syntax, Node, tuple[str, ...]], dict[str, tuple[Node, bool]]]


class ModuleSite(NamedTuple):
    """A recognised module-path call: which function, its call node, the node holding its model."""

    function: SiteFunction
    call: Node
    model: Node | None
    extent: Node  # the text the site is read from (the call, or the ``dict(...)[...]`` around it)


def module_site_of(syntax: Syntax, symbols: Symbols, call: Node, arguments: Arguments) -> ModuleSite | None:
    """The module-path site ``call`` is, or None."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "attribute":
        name = function.child_by_field_name("attribute")
        receiver = function.child_by_field_name("object")
        method = syntax.text(name) if name is not None else ""
        if method in (*METHODS, *INDEX_METHODS) and receiver is not None:
            return ModuleSite(method, call, receiver, call)  # type: ignore[arg-type]
        if method == "named_modules" and receiver is not None:
            lookup = _dict_lookup(syntax, call)
            if lookup is not None:
                return ModuleSite("named_modules", call, receiver, lookup)
            loop = _loop_over(call)
            return ModuleSite("named_modules_loop", call, receiver, loop) if loop is not None else None
    dotted = "".join(syntax.text(function).split())
    qualified = (
        symbols.qualify(dotted, call.start_byte, module="__main__") if dotted.replace(".", "").isidentifier() else None
    )
    found = CLASSES.get(qualified or "")
    if found is None:
        return None
    given = arguments(syntax, call, SITE_PARAMETERS[found])
    if found == "create_model":  # a site only as a feature extractor: its model is the plain model
        features_only = given.get("features_only")
        return ModuleSite(found, call, call, call) if features_only and features_only[0].type == "true" else None
    model = given.get(MODEL_PARAMETER.get(found, "backbone_name"))
    return ModuleSite(found, call, model[0] if model else None, call)


def _dict_lookup(syntax: Syntax, call: Node) -> Node | None:
    """The ``dict(<call>)["..."]`` subscript around a ``named_modules()`` call, or None."""
    arguments = call.parent
    outer = arguments.parent if arguments is not None and arguments.type == "argument_list" else None
    if outer is None or outer.type != "call" or len(arguments.named_children) != 1:
        return None
    name = outer.child_by_field_name("function")
    lookup = outer.parent
    if name is None or syntax.text(name) != "dict" or lookup is None or lookup.type != "subscript":
        return None
    if lookup.child_by_field_name("value") != outer:
        return None
    return lookup


def _loop_over(call: Node) -> Node | None:
    """The ``for name, module in <call>:`` statement iterating over a ``named_modules()`` call, or None."""
    loop = call.parent
    if loop is None or loop.type != "for_statement" or loop.child_by_field_name("right") != call:
        return None
    return loop if _loop_name(loop) is not None else None


def _loop_name(loop: Node) -> Node | None:
    """The loop's name variable: the first of ``name, module`` (or ``(name, module)``)."""
    target = loop.child_by_field_name("left")
    if target is not None and target.type in ("pattern_list", "tuple_pattern") and target.named_children:
        first = target.named_children[0]
        return first if first.type == "identifier" else None
    return None


def compared_strings(syntax: Syntax, loop: Node) -> list[Node]:
    """The string literals the loop's name is compared with in its body: ``name == "layer4"``,
    ``"layer4" == name``, ``name in ("layer3", "layer4")`` (in source order)."""
    name_node, body = _loop_name(loop), loop.child_by_field_name("body")
    if name_node is None or body is None:
        return []
    name = syntax.text(name_node)
    found: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "comparison_operator" and len(node.named_children) == 2:
            left, right = node.named_children
            operator = syntax.text(node)[len(syntax.text(left)) : len(syntax.text(node)) - len(syntax.text(right))]
            operator = operator.strip()
            if operator in ("==", "!=") and {left.type, right.type} == {"identifier", "string"}:
                named, other = (left, right) if left.type == "identifier" else (right, left)
                if syntax.text(named) == name:
                    found.append(other)
            elif operator in ("in", "not in") and syntax.text(left) == name and right.type in ("tuple", "list", "set"):
                found += [item for item in right.named_children if item.type == "string"]
        elif node.type in ("function_definition", "class_definition", "lambda"):
            continue  # another scope: its ``name`` is another variable
        stack.extend(reversed(node.named_children))
    return sorted(found, key=lambda n: n.start_byte)


def site_following(syntax: Syntax, symbols: Symbols, found: ModuleSite, arguments: Arguments) -> dict[str, Followed]:
    """Where the site's collection arguments lead (``return_layers`` bound to a name included), and
    its integer lists given by name (``out_indices=OUT``, ``indices=self.taps``)."""
    wanted = [COLLECTIONS[found.function][0]] if found.function in COLLECTIONS else []
    named = INT_PARAMETERS.get(found.function, ())
    if not wanted and not named:
        return {}
    given = arguments(syntax, found.call, SITE_PARAMETERS[found.function])
    wanted += [name for name in named if name in given and given[name][0].type in _NAMES]
    return {parameter: follow(syntax, symbols, given[parameter][0]) for parameter in wanted if parameter in given}


def module_call_site(
    syntax: Syntax, found: ModuleSite, followed: dict[str, Followed], arguments: Arguments
) -> CallSite:
    """The ``CallSite`` of a module-path site: its strings as a ``module_path`` or ``return_layers``
    argument, its integers (channel lists, layer numbers) as ``int_arguments``."""
    given = arguments(syntax, found.call, SITE_PARAMETERS[found.function])
    node_arguments: tuple[NodeArgument, ...] = ()
    if found.function in METHODS and "target" in given:
        node_arguments = _string_argument(syntax, *given["target"])
    elif found.function == "named_modules":
        index = found.extent.child_by_field_name("subscript")
        node_arguments = _string_argument(syntax, index, False) if index is not None else ()
    elif found.function == "named_modules_loop":
        node_arguments = tuple(
            a for node in compared_strings(syntax, found.extent) for a in _string_argument(syntax, node, False)
        )
    elif found.function in COLLECTIONS and COLLECTIONS[found.function][0] in followed:
        parameter, kind = COLLECTIONS[found.function]
        method = given.get("method") if found.function == "AttentionExtract" else None
        chosen = string_literal(syntax, method[0]) if method else None
        if chosen is not None and chosen.value == "hook":
            kind = "attention_modules"  # hooks: the patterns match module paths
        value, by_keyword = given[parameter]
        node_arguments = (node_argument(syntax, kind, value, by_keyword, followed[parameter]),)
    ints = tuple(
        _int_argument(syntax, name, _int_literal(given[name][0], followed.get(name)))
        for name in INT_PARAMETERS.get(found.function, ())
        if name in given
    )
    if found.function in INDEX_METHODS:  # ``indices=self.indices``: nothing to check, so no site
        ints = tuple(a for a in ints if any(i.value is not None for i in a.items) or (a.is_list and not a.items))
    model = found.model
    return CallSite(
        function=found.function,
        library="timm" if found.function in TIMM_SITES else "torchvision",
        range=syntax.range(found.extent),
        model_expr=syntax.text(model) if model is not None else "",
        model_range=syntax.range(model) if model is not None else None,
        node_arguments=node_arguments,
        int_arguments=ints,
        options=tuple((name, syntax.text(given[name][0])) for name in OPTIONS.get(found.function, ()) if name in given),
    )


def _string_argument(syntax: Syntax, value: Node, by_keyword: bool) -> tuple[NodeArgument, ...]:
    """A single module-path string as a one-query argument (nothing when it is not a string literal)."""
    string = string_literal(syntax, value)
    if string is None:
        return ()
    return (
        NodeArgument(
            kind="module_path",
            form="string",
            queries=(NodeQuery(string),),
            range=syntax.range(value),
            by_keyword=by_keyword,
            complete=not (value.has_error or syntax.is_repaired(value)),
            literal_range=string.literal_range,
        ),
    )


def node_argument(
    syntax: Syntax,
    kind: NodeArgKind,
    value: Node,
    by_keyword: bool,
    followed: Followed,
    read: dict[int, tuple[Form, tuple[NodeQuery, ...]]] | None = None,
) -> NodeArgument:
    """The names given in one argument, read from the literal it leads to (``read``: literals
    already read in this pass, by node id, so a literal shared by many calls is read once)."""
    literal = followed.literal
    form: Form = "other"
    queries: tuple[NodeQuery, ...] = ()
    if literal is not None:
        if read is None:
            form, queries = read_queries(syntax, literal)
        else:
            if literal.id not in read:
                read[literal.id] = read_queries(syntax, literal)
            form, queries = read[literal.id]
    checked = literal if literal is not None else value
    keyword = value.parent if by_keyword else None
    return NodeArgument(
        kind=kind,
        form=form,
        queries=queries,
        range=syntax.range(value),
        by_keyword=by_keyword,
        complete=not (checked.has_error or syntax.is_repaired(checked)),
        keyword_range=syntax.range(keyword) if keyword is not None else None,
        literal_range=syntax.range(literal) if literal is not None and form != "other" else None,
        via=followed.via,
        imported=followed.imported,
    )


def _int_literal(value: Node, leads: Followed | None) -> Node:
    """The list or tuple of this file a named integer argument is bound to, else the value as written."""
    literal = leads.literal if leads is not None else None
    return literal if literal is not None and literal.type in ("list", "tuple") else value


def _int_argument(syntax: Syntax, name: str, value: Node) -> IntArgument:
    """An integer or a list/tuple of integers; other items keep their range with value None."""
    is_list = value.type in ("list", "tuple")
    items = value.named_children if is_list else [value]
    return IntArgument(
        name=name,
        items=tuple(IntItem(_int(syntax, item), syntax.range(item)) for item in items if item.type != "comment"),
        range=syntax.range(value),
        is_list=is_list,
    )


def _int(syntax: Syntax, node: Node) -> int | None:
    if node.type == "integer":
        try:
            return int(syntax.text(node).replace("_", ""), 0)
        except ValueError:
            return None
    if node.type == "unary_operator" and syntax.text(node).startswith("-"):
        operand = node.child_by_field_name("argument")
        inner = _int(syntax, operand) if operand is not None else None
        return -inner if inner is not None else None
    return None


def model_node(syntax: Syntax, call: Node, function: str, arguments: Arguments) -> Node | None:
    """The node of a site's model: a method's receiver, else the model (or backbone name) argument."""
    if function == "create_model":
        return call
    if function in (*METHODS, *INDEX_METHODS, "named_modules", "named_modules_loop"):
        callee = call.child_by_field_name("function")
        return callee.child_by_field_name("object") if callee is not None and callee.type == "attribute" else None
    given = arguments(syntax, call, SITE_PARAMETERS[function])
    found = given.get(MODEL_PARAMETER.get(function, "backbone_name"))
    return found[0] if found else None


def named_backbone(syntax: Syntax, function: str, node: Node | None) -> Construction | None:
    """For ``resnet_fpn_backbone(backbone_name="resnet50", ...)``: the torchvision builder it calls."""
    name = string_literal(syntax, node) if function == "resnet_fpn_backbone" and node is not None else None
    if name is None or not name.value.isidentifier():
        return None
    return Construction(builder="torchvision", module="torchvision.models", callable=name.value, name=name.value)
