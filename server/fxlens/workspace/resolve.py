"""A call site's model expression → ``ModelSpec`` (how the worker builds it), statically.

Follows the model argument through names (last assignment in scope, parameters annotated with a
workspace class, imports across workspace modules and package re-exports), method chains that
return the model (``.eval()``, ``.to(...)``), attribute chains (``.backbone.body``) and integer
indexing, down to a torchvision builder, ``get_model``, ``timm.create_model`` or a workspace class
or factory called with literal arguments. Whatever it cannot follow becomes ``Unresolved`` with a
reason that says what to write or configure.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from tree_sitter import Node

from fxlens.workspace.callsite import CallSite
from fxlens.workspace.callsites import PARAMETERS, call_arguments
from fxlens.workspace.config import FxlensConfig, ModelOverride
from fxlens.workspace.inputs import file_input
from fxlens.workspace.literals import NotLiteral, evaluate, literal_text
from fxlens.workspace.modules import Workspace, path_of
from fxlens.workspace.parse import ParsedDocument
from fxlens.workspace.scopes import find_binding
from fxlens.workspace.spec import Builder, InputSpec, ModelSpec, TracerSettings, Unresolved

WEIGHT_ARGUMENTS = frozenset({"weights", "weights_backbone", "pretrained", "pretrained_backbone"})
MODEL_METHODS = frozenset(
    {"eval", "train", "to", "cpu", "cuda", "float", "double", "half", "bfloat16", "requires_grad_", "to_empty"}
)
_MAX_DEPTH = 24


class _Fail(Exception):
    """Raised inside the resolver; becomes ``Unresolved`` at the top."""

    def __init__(self, reason: str, node: Node | None = None, slot: int | str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.node = reason, node
        self.slot = slot  # the constructor argument (position or keyword) that could not be read


@dataclass(frozen=True)
class _Place:
    """A parsed module being read: the document and its module name."""

    doc: ParsedDocument
    module: str
    is_package: bool
    file: str

    def text(self, node: Node) -> str:
        return self.doc.syntax.text(node)

    def qualify(self, dotted: str, at: Node | None) -> str | None:
        offset = at.start_byte if at is not None else None
        return self.doc.symbols.qualify(dotted, offset, self.module, self.is_package)


@dataclass(frozen=True)
class _Model:
    """What a model expression evaluates to, before configuration and tracer settings."""

    builder: Builder
    module: str
    callable: str
    name: str  # config key and display name: builder/model name or class name
    args: tuple[str, ...] = ()
    kwargs: tuple[tuple[str, str], ...] = ()
    attributes: tuple[str, ...] = ()
    file: str = ""
    weights_requested: bool = False
    unreadable: tuple[_Fail, ...] = ()  # constructor arguments that are not literals


@dataclass(frozen=True)
class _Definition:
    place: _Place
    kind: Literal["class", "def", "assign", "import"]
    node: Node | None
    qualname: str


def resolve_model(
    doc: ParsedDocument,
    call_site: CallSite,
    workspace: Workspace | str | os.PathLike[str],
    config: FxlensConfig | None = None,
    overlays: Mapping[str, str] | None = None,
) -> ModelSpec | Unresolved:
    """The ``ModelSpec`` for the model a call site names, or why it cannot be determined."""
    if not isinstance(workspace, Workspace):
        workspace = Workspace(workspace, overlays, config)
    return _Resolver(workspace, config or workspace.config).resolve(doc, call_site)


class _Resolver:
    def __init__(self, workspace: Workspace, config: FxlensConfig) -> None:
        self.workspace = workspace
        self.config = config

    def resolve(self, doc: ParsedDocument, site: CallSite) -> ModelSpec | Unresolved:
        fallback = site.model_range or site.range
        self.workspace.add(doc)  # the document being resolved is the editor's: its text wins
        place = self._place(doc)
        call = doc.call_node(site)
        arguments = call_arguments(doc.syntax, call, PARAMETERS[site.function])
        model_node = arguments["model"][0] if "model" in arguments else None
        try:
            if model_node is None:
                raise _Fail(f"`{site.function}` is called without a model; pass the model as its first argument")
            model = self._model(place, model_node, 0)
            override = self._override(model)
            model = self._configured(model, override)
            tracer = self._tracer(place, site, arguments.get("tracer_kwargs"), override)
            concrete = arguments.get("concrete_args")
            concrete_args = self._literal(place, concrete[0], "concrete_args") if concrete else ""
        except _Fail as failure:
            node = failure.node
            return Unresolved(failure.reason, doc.syntax.range(node) if node and _belongs(doc, node) else fallback)
        example = file_input(doc.syntax, doc.symbols, call, model_node, place.file, lambda n: self._value(place, n, 0))
        return ModelSpec(
            builder=model.builder,
            module=model.module,
            callable=model.callable,
            display_name=_display(model),
            args=model.args,
            kwargs=model.kwargs,
            attributes=model.attributes,
            file=model.file,
            workspace_root=str(self.workspace.root) if model.builder == "workspace" else "",
            weights_requested=model.weights_requested,
            tracer=tracer,
            concrete_args=concrete_args,
            example_input=example or self._configured_input(override),
        )

    # -- places -----------------------------------------------------------------------------

    def _place(self, doc: ParsedDocument) -> _Place:
        file = path_of(doc.uri)
        module, is_package = self.workspace.module_name(file)
        return _Place(doc, module, is_package, file)

    def _locate(self, qualified: str, depth: int, importer: _Place) -> _Definition | None:
        """The workspace definition an absolute dotted name imported in ``importer`` refers to, through re-exports."""
        if depth > _MAX_DEPTH:
            raise _Fail(f"`{qualified}` is imported in a cycle")
        split = self.workspace.split(qualified, importer.file)
        if split is None:
            return None
        module, attribute, file = split
        doc = self.workspace.document(file)
        if doc is None:
            return None
        place = self._place(doc)
        head, _, rest = attribute.partition(".")
        binding = doc.symbols.top_level(head)
        if binding is None:
            return None
        if binding.kind == "import":
            target = place.qualify(head, None)
            return self._locate(f"{target}.{rest}" if rest else target, depth + 1, place) if target else None
        node = binding.node
        for inner in rest.split(".") if rest else ():
            node = _nested_class(place, node, inner)
            if node is None:
                return None
        return _Definition(place, binding.kind, node, attribute)

    # -- models -----------------------------------------------------------------------------

    def _model(self, place: _Place, node: Node, depth: int) -> _Model:
        if depth > _MAX_DEPTH:
            raise _Fail("the model expression refers to itself", node)
        kind = node.type
        if kind == "parenthesized_expression" and node.named_children:
            return self._model(place, node.named_children[0], depth + 1)
        if kind == "call":
            return self._call(place, node, depth)
        if kind == "attribute":
            return self._attribute(place, node, depth)
        if kind == "subscript":
            value, index = node.child_by_field_name("value"), node.child_by_field_name("subscript")
            if value is not None and index is not None and index.type == "integer":
                model = self._model(place, value, depth + 1)
                return replace(model, attributes=(*model.attributes, place.text(index)))
            raise _Fail(f"`{place.text(node)}`: only non-negative integer indexing of a model can be followed", node)
        if kind == "identifier":
            return self._name(place, node, depth)
        raise _Fail(
            f"fxlens cannot tell which model `{place.text(node)}` is; pass a constructor call such as "
            "`MyNet()` or a variable assigned from one",
            node,
        )

    def _attribute(self, place: _Place, node: Node, depth: int) -> _Model:
        obj, attribute = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if obj is None or attribute is None:
            raise _Fail(f"`{place.text(node)}` is incomplete", node)
        dotted = place.text(node)
        head = dotted.split(".")[0]
        binding = place.doc.symbols.lookup(head, node.start_byte)
        if binding is not None and binding.kind == "import" and find_binding(place.doc.syntax, head, node) is None:
            qualified = place.qualify(dotted, node)
            definition = self._locate(qualified, depth, place) if qualified else None
            if definition is not None and definition.kind == "assign" and definition.node is not None:
                return self._model(definition.place, definition.node, depth + 1)
        model = self._model(place, obj, depth + 1)
        return replace(model, attributes=(*model.attributes, place.text(attribute)))

    def _name(self, place: _Place, node: Node, depth: int) -> _Model:
        name = place.text(node)
        binding = find_binding(place.doc.syntax, name, node)
        if binding is not None:
            if binding.form == "value":
                return self._model(place, binding.value, depth + 1)
            if binding.form == "parameter":
                return self._parameter(place, name, binding.value, binding.statement, depth)
            how = {"unpacked": "by unpacking", "loop": "by a `for` loop", "with": "by a `with` statement"}
            raise _Fail(
                f"`{name}` is assigned {how.get(binding.form, 'in a way fxlens cannot follow')}; "
                f"assign it from a constructor call such as `{name} = MyNet()`",
                node,
            )
        qualified = place.qualify(name, node)
        definition = self._locate(qualified, depth, place) if qualified else None
        if definition is not None and definition.kind == "assign" and definition.node is not None:
            return self._model(definition.place, definition.node, depth + 1)
        if definition is not None and definition.kind == "class":
            raise _Fail(f"`{name}` is a class, not a model; create one: `{name}()`", node)
        raise _Fail(f"`{name}` is not defined in this file or a workspace module fxlens can read", node)

    def _parameter(self, place: _Place, name: str, parameter: Node, function: Node, depth: int) -> _Model:
        default = parameter.child_by_field_name("value")
        if default is not None and default.type == "call":
            return self._model(place, default, depth + 1)
        annotation = parameter.child_by_field_name("type")
        function_name = function.child_by_field_name("name")
        owner = f"`{place.text(function_name)}()`" if function_name is not None else "a function"
        if annotation is None:
            raise _Fail(
                f"`{name}` is a parameter of {owner} without a type annotation; annotate it with a model "
                "class of this workspace whose constructor needs no arguments, or pass "
                f"`{name}` built in place (e.g. `MyNet()`) to the call",
                parameter,
            )
        qualified = place.qualify(place.text(annotation).strip("'\""), annotation)
        definition = self._locate(qualified, depth, place) if qualified else None
        if definition is None or definition.kind != "class":
            raise _Fail(
                f"`{name}` is annotated `{place.text(annotation)}`, which is not a model class of this "
                "workspace; annotate it with one whose constructor needs no arguments",
                annotation,
            )
        required = _required_parameters(definition.place, definition.node)
        if required:
            raise _Fail(
                f"`{name}` is annotated `{place.text(annotation)}`, whose constructor needs "
                f"{', '.join(f'`{r}`' for r in required)}; build the model in the call instead",
                annotation,
            )
        return self._workspace_model(definition, (), ())

    def _call(self, place: _Place, node: Node, depth: int) -> _Model:
        function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
        if function is None or arguments is None:
            raise _Fail(f"`{place.text(node)}` is incomplete", node)
        if function.type == "attribute":
            obj, method = function.child_by_field_name("object"), function.child_by_field_name("attribute")
            if obj is not None and method is not None and place.text(method) in MODEL_METHODS:
                return self._model(place, obj, depth + 1)
        dotted = place.text(function)
        qualified = place.qualify(dotted, node) if function.type in ("identifier", "attribute") else None
        if qualified is None:
            if function.type in ("identifier", "attribute") and find_binding(
                place.doc.syntax, dotted.split(".")[0], node
            ):
                raise _Fail(f"`{dotted}` is a variable, not a model class or builder fxlens can follow", function)
            raise _Fail(f"`{dotted}` is not imported or defined; fxlens cannot tell what it builds", function)
        args, kwargs, weights, problems = self._arguments(place, arguments)
        found = {"weights_requested": weights, "unreadable": problems}
        module, _, callable_name = qualified.rpartition(".")
        if qualified.startswith("torchvision.models."):
            if callable_name == "get_model":
                model_name = _model_name(args, kwargs, ("name",), dotted, node)
                return _Model("torchvision", module, callable_name, model_name, args, kwargs, **found)
            return _Model("torchvision", module, callable_name, callable_name, args, kwargs, **found)
        if qualified in ("timm.create_model", "timm.models.create_model"):
            model_name = _model_name(args, kwargs, ("model_name",), dotted, node)
            return _Model("timm", "timm", "create_model", model_name, args, kwargs, **found)
        if qualified.startswith("timm.models."):
            problems = tuple(_Fail(p.reason, p.node, p.slot + 1) if isinstance(p.slot, int) else p for p in problems)
            return _Model(
                "timm",
                "timm",
                "create_model",
                callable_name,
                (repr(callable_name), *args),
                kwargs,
                weights_requested=weights,
                unreadable=problems,
            )
        definition = self._locate(qualified, depth, place)
        if definition is None or definition.kind not in ("class", "def"):
            package = qualified.split(".")[0]
            raise _Fail(
                f"`{dotted}` comes from `{package}`, which is neither torchvision, timm nor a module of "
                "this workspace; fxlens cannot build it",
                function,
            )
        model = self._workspace_model(definition, args, kwargs)
        return replace(model, weights_requested=weights, unreadable=problems)

    def _workspace_model(
        self, definition: _Definition, args: tuple[str, ...], kwargs: tuple[tuple[str, str], ...]
    ) -> _Model:
        place = definition.place
        return _Model(
            "workspace", place.module, definition.qualname, definition.qualname, args, kwargs, file=place.file
        )

    def _arguments(
        self, place: _Place, arguments: Node
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], bool, tuple[_Fail, ...]]:
        """Literal texts of a constructor call's arguments; weights arguments are dropped and noted.

        An argument that is not a literal keeps its slot with "" as text and is reported in the
        last element, so that configuration can still supply it.
        """
        args: list[str] = []
        kwargs: list[tuple[str, str]] = []
        weights = False
        problems: list[_Fail] = []
        for argument in arguments.named_children:
            if argument.type == "comment":
                continue
            if argument.type in ("list_splat", "dictionary_splat"):
                problems.append(
                    _Fail(f"`{place.text(argument)}`: write the constructor arguments out one by one", argument)
                )
                continue
            slot: int | str = len(args)
            value: Node | None = argument
            if argument.type == "keyword_argument":
                key, value = argument.child_by_field_name("name"), argument.child_by_field_name("value")
                if key is None or value is None:
                    continue
                slot = place.text(key)
                if slot in WEIGHT_ARGUMENTS:
                    weights = weights or place.text(value) not in ("None", "False")
                    continue
            try:
                text = self._literal(
                    place, value, f"argument `{slot}`" if isinstance(slot, str) else f"argument {slot + 1}"
                )
            except _Fail as failure:
                problems.append(_Fail(failure.reason, failure.node, slot))
                text = ""
            if isinstance(slot, str):
                kwargs.append((slot, text))
            else:
                args.append(text)
        return tuple(args), tuple(kwargs), weights, tuple(problems)

    def _literal(self, place: _Place, node: Node, what: str) -> str:
        try:
            return literal_text(self._value(place, node, 0))
        except NotLiteral as exc:
            text = place.text(node)
            detail = "" if str(exc).startswith(f"`{text}`") else f" ({exc})"
            raise _Fail(
                f"{what} `{text}` is not a literal or a module-level constant{detail}; write its value", node
            ) from exc

    def _value(self, place: _Place, node: Node, depth: int) -> Any:
        """The literal value of an expression node, following names to constants (raises NotLiteral)."""
        if depth > _MAX_DEPTH:
            raise NotLiteral("constants refer to each other in a cycle")

        def lookup(name: str) -> Any:
            binding = None if "." in name else find_binding(place.doc.syntax, name, node)
            if binding is not None:
                if binding.form != "value":
                    raise NotLiteral(f"`{name}` is not a constant")
                return self._value(place, binding.value, depth + 1)
            qualified = place.qualify(name, node)
            definition = self._locate(qualified, depth, place) if qualified else None
            if definition is not None and definition.kind == "assign" and definition.node is not None:
                return self._value(definition.place, definition.node, depth + 1)
            raise NotLiteral(f"`{name}` is not a module-level constant")

        try:
            tree = ast.parse(place.text(node).strip(), mode="eval")
        except SyntaxError as exc:
            raise NotLiteral("not an expression") from exc
        return evaluate(tree.body, lookup)

    # -- configuration and tracer -------------------------------------------------------------

    def _override(self, model: _Model) -> ModelOverride | None:
        return self.config.model(f"{model.module}:{model.callable}", model.name, model.callable)

    def _configured(self, model: _Model, override: ModelOverride | None) -> _Model:
        """Apply the model's configured arguments; raise for an unreadable one they do not supply."""
        args, kwargs = model.args, dict(model.kwargs)
        if override is not None:
            args = override.args if override.args is not None else args
            kwargs.update(override.kwargs)
        for problem in model.unreadable:
            supplied = override is not None and (
                override.args is not None if isinstance(problem.slot, int) else problem.slot in dict(override.kwargs)
            )
            if not supplied:
                key = f"{model.module}:{model.callable}" if model.builder == "workspace" else model.name
                field = "args" if isinstance(problem.slot, int) else "kwargs"
                raise _Fail(f'{problem.reason}, or set `{field}` under [tool.fxlens.models."{key}"]', problem.node)
        return replace(model, args=args, kwargs=tuple(kwargs.items()), unreadable=())

    def _configured_input(self, override: ModelOverride | None) -> InputSpec:
        if override is not None and override.input_shapes:
            return InputSpec(shapes=override.input_shapes, origin="config")
        if self.config.input_shapes:
            return InputSpec(shapes=self.config.input_shapes, origin="config")
        return InputSpec()

    def _tracer(
        self, place: _Place, site: CallSite, given: tuple[Node, bool] | None, override: ModelOverride | None
    ) -> TracerSettings:
        leaf: list[str] = list(override.leaf_modules) if override is not None else []
        autowrap_modules: list[str] = []
        autowrap_functions: list[str] = []
        other: list[tuple[str, str]] = []
        node = given[0] if given else None
        if node is not None and node.type == "identifier":
            binding = find_binding(place.doc.syntax, place.text(node), node)
            node = binding.value if binding is not None and binding.form == "value" else node
        if node is not None and node.type != "dictionary":
            raise _Fail('`tracer_kwargs` must be a dict display such as {"leaf_modules": [MyBlock]}', node)
        for pair in node.named_children if node is not None else ():
            key, value = pair.child_by_field_name("key"), pair.child_by_field_name("value")
            if pair.type != "pair" or key is None or value is None:
                continue
            if key.type != "string":
                raise _Fail("`tracer_kwargs` keys must be string literals", key)
            name = place.text(key)[1:-1]
            if name == "leaf_modules":
                leaf += [self._qualified_object(place, item) for item in _items(place, value)]
            elif name == "autowrap_functions":
                autowrap_functions += [self._qualified_object(place, item) for item in _items(place, value)]
            elif name == "autowrap_modules":
                autowrap_modules += [self._module_name(place, item) for item in _items(place, value)]
            else:
                other.append((name, self._literal(place, value, f"tracer_kwargs[{name!r}]")))
        return TracerSettings(
            library=site.library,
            leaf_modules=tuple(dict.fromkeys(leaf)),
            autowrap_modules=tuple(autowrap_modules),
            autowrap_functions=tuple(autowrap_functions),
            other=tuple(other),
        )

    def _qualified_object(self, place: _Place, node: Node) -> str:
        """``module:QualName`` of a class or function named in ``tracer_kwargs``."""
        qualified = place.qualify(place.text(node), node) if node.type in ("identifier", "attribute") else None
        if qualified is None:
            raise _Fail(f"`{place.text(node)}` is not an imported or defined class or function", node)
        definition = self._locate(qualified, 0, place)
        if definition is not None:
            return f"{definition.place.module}:{definition.qualname}"
        parts = qualified.split(".")
        cut = next((i for i, p in enumerate(parts) if p[:1].isupper()), len(parts) - 1)
        return f"{'.'.join(parts[:cut])}:{'.'.join(parts[cut:])}"

    def _module_name(self, place: _Place, node: Node) -> str:
        qualified = place.qualify(place.text(node), node) if node.type in ("identifier", "attribute") else None
        if qualified is None:
            raise _Fail(f"`{place.text(node)}` is not an imported module", node)
        return qualified


def _items(place: _Place, node: Node) -> list[Node]:
    if node.type not in ("list", "tuple", "set"):
        raise _Fail(f"`{place.text(node)}` must be a list of names", node)
    return [item for item in node.named_children if item.type != "comment"]


def _model_name(
    args: tuple[str, ...], kwargs: tuple[tuple[str, str], ...], keys: tuple[str, ...], dotted: str, node: Node
) -> str:
    text = args[0] if args else next((v for k, v in kwargs if k in keys), "")
    try:
        name = ast.literal_eval(text) if text else None
    except (ValueError, SyntaxError):
        name = None
    if not isinstance(name, str):
        raise _Fail(f"`{dotted}` needs the model name as a string literal", node)
    return name


def _display(model: _Model) -> str:
    arguments = [*model.args, *(f"{k}={v}" for k, v in model.kwargs)]
    if model.builder != "workspace" and model.callable in ("get_model", "create_model"):
        arguments = (
            arguments[1:] if model.args else [a for a in arguments if not a.startswith(("name=", "model_name="))]
        )
    text = f"{model.name}({', '.join(arguments)})" if arguments or model.attributes else model.name
    return "".join([text, *(f"[{a}]" if a.isdigit() else f".{a}" for a in model.attributes)])


def _belongs(doc: ParsedDocument, node: Node) -> bool:
    """True when ``node`` is a node of ``doc``'s tree (failures may point into other files)."""
    found = doc.syntax.root.descendant_for_byte_range(node.start_byte, node.end_byte)
    while found is not None:
        if found.id == node.id:
            return True
        found = found.parent
    return False


def _nested_class(place: _Place, node: Node | None, name: str) -> Node | None:
    body = node.child_by_field_name("body") if node is not None and node.type == "class_definition" else None
    for statement in body.named_children if body is not None else ():
        statement = (
            statement.child_by_field_name("definition") or statement
            if statement.type == "decorated_definition"
            else statement
        )
        target = statement.child_by_field_name("name")
        if statement.type == "class_definition" and target is not None and place.text(target) == name:
            return statement
    return None


def _required_parameters(place: _Place, node: Node | None) -> list[str]:
    """Names of ``__init__`` parameters without defaults (none when the class defines no ``__init__``)."""
    body = node.child_by_field_name("body") if node is not None else None
    for statement in body.named_children if body is not None else ():
        if statement.type == "decorated_definition":
            statement = statement.child_by_field_name("definition") or statement
        name = statement.child_by_field_name("name")
        if statement.type != "function_definition" or name is None or place.text(name) != "__init__":
            continue
        parameters = statement.child_by_field_name("parameters")
        found = []
        for parameter in (parameters.named_children if parameters is not None else [])[1:]:
            if parameter.type == "identifier":
                found.append(place.text(parameter))
            elif parameter.type == "typed_parameter" and parameter.named_children:
                found.append(place.text(parameter.named_children[0]))
        return found
    return []
