"""A call site's model expression → ``ModelSpec`` (how the worker builds it), statically.

Follows the model argument through names (the assignment in scope, the branch whose condition
holds, ``self.x`` assigned in ``__init__``, a parameter's default, its one caller's argument or its
annotation, imports across workspace modules and package re-exports), method chains that return the
model (``.eval()``, ``.to(...)``), attributes (``.backbone.body``), integer indexing, copies and
parallel wrappers (``wrappers``), down to a torchvision builder (also looked up by name, ``callees``,
or through ``torch.hub.load``), ``get_model``, ``timm.create_model``, or a workspace class or factory
called with literal arguments (a factory followed into the return it selects, ``factories``).
Whatever it cannot follow becomes ``Unresolved`` with a reason that says, for that case, what to
write or configure. Configuration (``overrides``) and ``tracer_kwargs`` are applied on top, the
example input comes from ``inputs``; the workspace is only read.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import replace

from tree_sitter import Node

from fxlens.workspace.arguments import TORCHVISION_POSITIONAL, constructor_arguments, required_parameters, shifted
from fxlens.workspace.branches import runs
from fxlens.workspace.callees import callee_of, element
from fxlens.workspace.callers import callers
from fxlens.workspace.callsite import CallSite
from fxlens.workspace.callsites import PARAMETERS, call_arguments
from fxlens.workspace.config import FxlensConfig
from fxlens.workspace.construction import CannotResolve, Construction
from fxlens.workspace.factories import returned_model
from fxlens.workspace.foreign import why_foreign
from fxlens.workspace.inputs import file_input
from fxlens.workspace.module_sites import FEATURE_KEYWORDS, SITE_PARAMETERS, named_backbone
from fxlens.workspace.module_sites import model_node as site_model_node
from fxlens.workspace.modules import Workspace
from fxlens.workspace.overrides import apply_override, configured_input, override_for
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.reader import MAX_DEPTH, Definition, Place, Reader, function_label
from fxlens.workspace.scopes import NameBinding, bindings_of, enclosing_function, find_binding, self_attribute
from fxlens.workspace.spec import InputSpec, ModelSpec, Unresolved
from fxlens.workspace.tracer_kwargs import tracer_settings
from fxlens.workspace.wrappers import HUB_LOAD, HUB_OPTIONS, hub_builder, unwrapped, wrapped_model

MODEL_METHODS = frozenset(
    {"eval", "train", "to", "cpu", "cuda", "float", "double", "half", "bfloat16", "requires_grad_", "to_empty"}
)


def resolve_model(
    doc: ParsedDocument,
    call_site: CallSite,
    workspace: Workspace | str | os.PathLike[str],
    config: FxlensConfig | None = None,
    overlays: Mapping[str, str] | None = None,
) -> ModelSpec | Unresolved:
    """The ``ModelSpec`` for the model a call site names, or why it cannot be determined.

    ``doc``'s text wins over the disk for its own file; the workspace is not changed.
    """
    if not isinstance(workspace, Workspace):
        workspace = Workspace(workspace, overlays, config)
    return _Resolver(Reader(workspace.view(doc)), config or workspace.config).resolve(doc, call_site)


class _Resolver:
    def __init__(self, reader: Reader, config: FxlensConfig) -> None:
        self.reader = reader
        self.config = config

    def resolve(self, doc: ParsedDocument, site: CallSite) -> ModelSpec | Unresolved:
        fallback = site.model_range or site.range
        place = self.reader.place(doc)
        call = doc.call_node(site)
        arguments = call_arguments(doc.syntax, call, PARAMETERS[site.function])
        model_node = arguments["model"][0] if "model" in arguments else None
        if site.function in SITE_PARAMETERS:  # a module-path site: the receiver or the model argument
            model_node = site_model_node(doc.syntax, call, site.function, call_arguments)
        try:
            if model_node is None:
                raise CannotResolve(
                    f"`{site.function}` is called without a model; pass the model as its first argument"
                )
            found = named_backbone(doc.syntax, site.function, model_node) or self._model(place, model_node, 0)
            if site.function == "create_model":  # timm features_only: trace the plain model, read its feature_info
                found = replace(found, kwargs=tuple(kv for kv in found.kwargs if kv[0] not in FEATURE_KEYWORDS))
            if found.wrapper:
                raise CannotResolve(
                    f"`{place.text(model_node)}` is the `nn.{found.wrapper}` wrapper, whose node names all start "
                    f"with `module.`; pass the model inside: `{place.text(model_node)}.module`",
                    model_node,
                )
            override = override_for(self.config, found)
            model = apply_override(found, override)
            given = arguments.get("tracer_kwargs")
            tracer = tracer_settings(self.reader, place, site, given[0] if given else None, override)
            concrete = arguments.get("concrete_args")
            concrete_args = self.reader.literal(place, concrete[0], "concrete_args") if concrete else ""
        except CannotResolve as failure:
            node = failure.node
            return Unresolved(failure.reason, doc.syntax.range(node) if node and _belongs(doc, node) else fallback)
        example = file_input(
            doc.syntax, doc.symbols, call, model_node, place.file, lambda n: self.reader.value(place, n)
        )
        return ModelSpec(
            builder=model.builder,
            module=model.module,
            callable=model.callable,
            display_name=model.display(),
            args=model.args,
            kwargs=model.kwargs,
            attributes=model.attributes,
            children=model.children,
            file=model.file,
            workspace_root=str(self.reader.view.workspace.root) if model.builder == "workspace" else "",
            weights_requested=model.weights_requested,
            tracer=tracer,
            concrete_args=concrete_args,
            example_input=example or configured_input(self.config, override) or InputSpec(),
        )

    # -- models -----------------------------------------------------------------------------

    def _model(self, place: Place, node: Node, depth: int) -> Construction:
        if depth > MAX_DEPTH:
            raise CannotResolve("the model expression refers to itself", node)
        kind = node.type
        if kind == "parenthesized_expression" and node.named_children:
            return self._model(place, node.named_children[0], depth + 1)
        if kind == "call":
            return self._call(place, node, depth)
        if kind == "attribute":
            return self._attribute(place, node, depth)
        if kind == "subscript":
            selected = element(self.reader, place, node, depth)
            if selected is not None:
                return self._model(*selected, depth + 1)
            value, index = node.child_by_field_name("value"), node.child_by_field_name("subscript")
            if value is not None and index is not None and index.type == "integer":
                model = _extendable(place, self._model(place, value, depth + 1), node)
                return replace(model, attributes=(*model.attributes, place.text(index)))
            raise CannotResolve(
                f"`{place.text(node)}`: only non-negative integer indexing of a model can be followed", node
            )
        if kind == "identifier":
            return self._name(place, node, depth)
        raise CannotResolve(
            f"fxlens cannot tell which model `{place.text(node)}` is; pass a constructor call such as "
            "`MyNet()` or a variable assigned from one",
            node,
        )

    def _attribute(self, place: Place, node: Node, depth: int) -> Construction:
        obj, attribute = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if obj is None or attribute is None:
            raise CannotResolve(f"`{place.text(node)}` is incomplete", node)
        dotted = place.text(node)
        head = dotted.split(".")[0]
        binding = place.doc.symbols.lookup(head, node.start_byte)
        if binding is not None and binding.kind == "import" and find_binding(place.doc.syntax, head, node) is None:
            qualified = place.qualify(dotted, node)
            definition = self.reader.locate(qualified, place, depth) if qualified else None
            if definition is not None and definition.kind == "assign" and definition.node is not None:
                return self._model(definition.place, definition.node, depth + 1)
        assigned = self_attribute(place.doc.syntax, obj, place.text(attribute))
        if assigned is not None:
            return self._model(place, assigned, depth + 1)
        model = self._model(place, obj, depth + 1)
        inner = unwrapped(place, model, attribute)
        if inner is not None:
            return inner
        model = _extendable(place, model, node)
        return replace(model, attributes=(*model.attributes, place.text(attribute)))

    def _name(self, place: Place, node: Node, depth: int) -> Construction:
        name = place.text(node)
        binding = find_binding(place.doc.syntax, name, node)
        if binding is not None:
            if binding.form == "value":
                return self._model(place, self._branch_taken(place, name, node, binding).value, depth + 1)
            if binding.form == "parameter":
                return self._parameter(place, name, binding.value, binding.statement, depth)
            how = {"unpacked": "by unpacking", "loop": "by a `for` loop", "with": "by a `with` statement"}
            raise CannotResolve(
                f"`{name}` is assigned {how.get(binding.form, 'in a way fxlens cannot follow')}; "
                f"assign it from a constructor call such as `{name} = MyNet()`",
                node,
            )
        qualified = place.qualify(name, node)
        definition = self.reader.locate(qualified, place, depth) if qualified else None
        if definition is not None and definition.kind == "assign" and definition.node is not None:
            return self._model(definition.place, definition.node, depth + 1)
        if definition is not None and definition.kind == "class":
            raise CannotResolve(f"`{name}` is a class, not a model; create one: `{name}()`", node)
        raise CannotResolve(f"`{name}` is not defined in this file or a workspace module fxlens can read", node)

    def _branch_taken(self, place: Place, name: str, node: Node, last: NameBinding) -> NameBinding:
        """Of the bindings of ``name`` in ``if`` branches, the last one whose conditions hold (or may)."""
        scope = enclosing_function(node)
        body = scope.child_by_field_name("body") if scope is not None else None
        for binding in reversed(bindings_of(place.doc.syntax, name, node)):
            if (
                binding.form == "value"
                and runs(binding.statement, body, lambda c: self.reader.value(place, c)) is not False
            ):
                return binding
        return last

    def _parameter(self, place: Place, name: str, parameter: Node, function: Node, depth: int) -> Construction:
        default = parameter.child_by_field_name("value")
        if default is not None and default.type == "call":
            return self._model(place, default, depth + 1)
        owner = function_label(place, function)
        own_class = self._own_class(place, name, function)
        if own_class is not None:
            return self._configurable(own_class, f"`self` is a `{own_class.qualname}`", parameter)
        passed = self._passed(place, name, function, owner, depth)
        if passed is not None:
            return passed
        annotation = parameter.child_by_field_name("type")
        if annotation is None:
            raise CannotResolve(
                f"`{name}` is a parameter of {owner} without a type annotation, and no single call of it in the "
                "workspace passes a model fxlens can follow; annotate it with a model class of this workspace "
                f"whose constructor needs no arguments, or pass `{name}` built in place (e.g. `MyNet()`) to the call",
                parameter,
            )
        qualified = place.qualify(place.text(annotation).strip("'\""), annotation)
        definition = self.reader.locate(qualified, place, depth) if qualified else None
        if definition is None or definition.kind != "class":
            raise CannotResolve(
                f"`{name}` is annotated `{place.text(annotation)}`, which is not a model class of this "
                "workspace; annotate it with one whose constructor needs no arguments",
                annotation,
            )
        return self._configurable(definition, f"`{name}` is annotated `{place.text(annotation)}`", annotation)

    def _configurable(self, definition: Definition, what: str, node: Node) -> Construction:
        """The class built without arguments; its required parameters must then come from configuration."""
        required = required_parameters(definition.place, definition.node)
        needs = ", ".join(f"`{r}`" for r in required)
        reason = f"{what}, whose constructor needs {needs}; build the model in the call instead"
        model = self._workspace_model(definition, (), ())
        return replace(model, unreadable=tuple(CannotResolve(reason, node, r) for r in required))

    def _own_class(self, place: Place, name: str, function: Node) -> Definition | None:
        """The workspace class whose method ``function`` is, when ``name`` is its ``self``."""
        owner = function.parent.parent if function.parent is not None else None
        if owner is not None and owner.type == "decorated_definition":
            owner = owner.parent.parent if owner.parent is not None else None
        if name != "self" or owner is None or owner.type != "class_definition":
            return None
        names = []
        while owner is not None and owner.type == "class_definition":
            class_name = owner.child_by_field_name("name")
            names.insert(0, place.text(class_name) if class_name is not None else "")
            owner = owner.parent.parent if owner.parent is not None else None
        if owner is not None and owner.type != "module":
            return None  # a class defined inside a function
        definition = self.reader.locate(f"{place.module}.{'.'.join(names)}", place)
        return definition if definition is not None and definition.kind == "class" else None

    def _passed(self, place: Place, name: str, function: Node, owner: str, depth: int) -> Construction | None:
        """The model the callers of ``function`` pass for parameter ``name``, when they agree on one."""
        found = [c for c in callers(self.reader, place, function, name) if c.argument is not None]
        models = []
        for caller in found:
            try:
                models.append(self._model(caller.place, caller.argument, depth + 1))
            except CannotResolve:
                continue
        distinct = {(replace(m, unreadable=()), tuple((u.reason, u.slot) for u in m.unreadable)) for m in models}
        if len(distinct) == 1:
            return models[0]
        if len(distinct) > 1:
            lines = ", ".join(f"line {c.call.start_point[0] + 1} of {os.path.basename(c.place.file)}" for c in found)
            raise CannotResolve(
                f"`{name}` is a parameter of {owner}, whose calls pass different models ({lines}); "
                "create the feature extractor where the model is built, or annotate the parameter",
                function.child_by_field_name("name") or function,
            )
        return None

    def _call(self, place: Place, node: Node, depth: int) -> Construction:
        function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is None or arguments is None:
            raise CannotResolve(f"`{place.text(node)}` is incomplete", node)
        if function.type == "attribute":
            obj, method = function.child_by_field_name("object"), function.child_by_field_name("attribute")
            if obj is not None and method is not None and place.text(method) in MODEL_METHODS:
                return self._model(place, obj, depth + 1)
        callee = callee_of(self.reader, place, function, depth)
        qualified, dotted = callee.qualified, place.text(function)
        wrapped = wrapped_model(qualified, place, node, self._model, depth)
        if wrapped is not None:
            return wrapped
        module, _, callable_name = qualified.rpartition(".")
        if qualified in HUB_LOAD:
            name = hub_builder(self.reader, place, node)
            args, kwargs, weights, problems = constructor_arguments(
                self.reader, place, arguments, skip=2, ignore=HUB_OPTIONS
            )
            found = {"weights_requested": weights, "unreadable": shifted(problems, 1)}
            return Construction(
                "torchvision", "torchvision.models", "get_model", name, (repr(name), *args), kwargs, **found
            )
        builder = qualified.startswith("torchvision.models.") and callable_name[:1].islower()
        names = TORCHVISION_POSITIONAL if builder and callable_name != "get_model" else ()
        args, kwargs, weights, problems = constructor_arguments(self.reader, place, arguments, names=names)
        found = {"weights_requested": weights, "unreadable": problems}
        if qualified.startswith("torchvision.models."):
            if callable_name == "get_model":
                model_name = _model_name(args, kwargs, ("name",), dotted, node)
                return Construction("torchvision", module, callable_name, model_name, args, kwargs, **found)
            return Construction("torchvision", module, callable_name, callable_name, args, kwargs, **found)
        if qualified in ("timm.create_model", "timm.models.create_model"):
            model_name = _model_name(args, kwargs, ("model_name",), dotted, node)
            return Construction("timm", "timm", "create_model", model_name, args, kwargs, **found)
        if qualified.startswith("timm.models."):
            return Construction(
                "timm",
                "timm",
                "create_model",
                callable_name,
                (repr(callable_name), *args),
                kwargs,
                weights_requested=weights,
                unreadable=shifted(problems, 1),
            )
        definition = self.reader.locate(qualified, callee.place, depth)
        if definition is None or definition.kind not in ("class", "def"):
            raise CannotResolve(why_foreign(dotted, qualified), callee.node if callee.place == place else function)
        if definition.kind == "def" and not problems:
            returned = returned_model(self.reader, definition, args, kwargs, self._model, depth)
            if returned is not None:
                return replace(returned, weights_requested=returned.weights_requested or weights)
        model = self._workspace_model(definition, args, kwargs)
        return replace(model, weights_requested=weights, unreadable=problems)

    def _workspace_model(
        self, definition: Definition, args: tuple[str, ...], kwargs: tuple[tuple[str, str], ...]
    ) -> Construction:
        place = definition.place
        return Construction(
            "workspace", place.module, definition.qualname, definition.qualname, args, kwargs, file=place.file
        )


def _model_name(
    args: tuple[str, ...], kwargs: tuple[tuple[str, str], ...], keys: tuple[str, ...], dotted: str, node: Node
) -> str:
    text = args[0] if args else next((v for k, v in kwargs if k in keys), "")
    try:
        name = ast.literal_eval(text) if text else None
    except (ValueError, SyntaxError):
        name = None
    if not isinstance(name, str):
        raise CannotResolve(f"`{dotted}` needs the model name as a string literal", node)
    return name


def _belongs(doc: ParsedDocument, node: Node) -> bool:
    """True when ``node`` is a node of ``doc``'s tree (failures may point into other files)."""
    found = doc.syntax.root.descendant_for_byte_range(node.start_byte, node.end_byte)
    while found is not None:
        if found.id == node.id:
            return True
        found = found.parent
    return False


def _extendable(place: Place, model: Construction, node: Node) -> Construction:
    """``model`` itself, when an attribute or index may follow it."""
    if model.children is not None:
        raise CannotResolve(
            f"`{place.text(node)}`: fxlens follows attributes of the model before its children are sliced; "
            "slice the part you want: `nn.Sequential(*list(model.part.children())[a:b])`",
            node,
        )
    return model
