"""Inside the worker: a ``ModelSpec`` becomes a model, and the model a ``NodeTable`` or a ``Problem``.

Every step that runs user code (import, construction, tracing) is guarded; what it raises —
``SystemExit`` included — becomes a ``Problem`` of the matching kind. Torchvision models are built
with ``weights=None`` (and ``weights_backbone=None`` where the builder takes it), timm models with
``pretrained=False``: nothing is ever downloaded.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal

import torch
from torch import nn

from fxlens.fx import NodeTableError, build_model, node_table
from fxlens.fx.inputs import wanted_input
from fxlens.nodes import ORIGIN_LABELS, InputInfo, NodeTable, Problem
from fxlens.worker.errors import is_library_file, is_memory_error, problem_from_exception
from fxlens.worker.loader import WorkspaceImporter
from fxlens.worker.trace_failure import explained_trace_problem
from fxlens.workspace.spec import ModelSpec, TracerSettings, script_folder

Phase = Literal["import", "build", "trace"]
USER_ERRORS = (Exception, SystemExit)  # what user code may raise without ending the worker

COMMON_IMAGE_SIZES = (28, 32, 64, 96, 128, 256, 299)  # MNIST, CIFAR, ... tried for a first layer's channels
SIZE_SEARCH_MAX_PARAMETERS = 20_000_000  # models small enough to trace again per size

WEIGHTS_NOTE = (
    "the code asks for pretrained weights; fxlens builds the model without them "
    "(names and shapes do not depend on weights)"
)


class _Failed(Exception):
    """Carries a ``Problem`` out of a step."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def build_table(spec: ModelSpec, overlays: Mapping[str, str], phase: Callable[[Phase], None]) -> NodeTable | Problem:
    """Import, build and trace the model ``spec`` describes; ``phase`` is told each step first."""
    roots = [*map(str, script_folder(spec.file)), spec.workspace_root] if spec.workspace_root else []
    with WorkspaceImporter(roots, overlays) as importer:
        is_user_file = importer.owns if importer.roots else (lambda f: not is_library_file(f))
        try:
            return _build_table(spec, importer, is_user_file, phase)
        except _Failed as failed:
            return failed.problem


def _build_table(
    spec: ModelSpec, importer: WorkspaceImporter, is_user_file: Callable[[str], bool], phase: Callable[[Phase], None]
) -> NodeTable:
    args, kwargs = _arguments(spec)
    phase("import")
    try:
        factory, kwargs = _factory(spec, args, kwargs)
    except _Failed:
        raise
    except USER_ERRORS as error:
        raise _Failed(
            problem_from_exception("import", error, is_user_file=is_user_file, context=f"importing `{spec.module}`")
        ) from error
    phase("build")
    try:
        built = build_model(factory, *args, **kwargs)
        model = _children(_follow(built.model, spec.attributes), spec.children)
    except USER_ERRORS as error:
        hint = _definitions_only_hint(importer) if isinstance(error, NameError) else ""
        raise _Failed(
            problem_from_exception(
                "construction", error, is_user_file=is_user_file, context=f"building {spec.display_name}", hint=hint
            )
        ) from error
    phase("trace")
    example = _input_info(spec, built.model, model, factory, args, kwargs)
    inputs, tracer_kwargs, concrete_args = _trace_arguments(spec, example, built.device)
    try:
        table = _traced_table(model, inputs, tracer_kwargs, concrete_args, is_user_file)
    except _Failed as failed:
        problem = explained_trace_problem(
            failed.problem, failed.__cause__, model, tracer_kwargs, concrete_args, spec.file
        )
        raise _Failed(problem) from failed
    if example.origin == "first-layer" and table.shape_failures:
        table, example = _common_size(model, table, example, spec.example_input.dtype, (tracer_kwargs, concrete_args))
    notes = [built.note, WEIGHTS_NOTE if spec.weights_requested else ""]
    if not example.user_given:
        asked = "" if example.origin == "default" else f", which the {ORIGIN_LABELS[example.origin]} asks for"
        notes.append(f"no example input in the file or configuration: shapes assume {_dims(example.shapes)}{asked}")
    notes += [
        f"{path} was loaded definitions-only: its other top-level statements did not run" for path in importer.scripts
    ]
    return replace(
        table,
        built_on=built.device,
        example_input=example,
        notes=tuple(dict.fromkeys(n for n in (*table.notes, *notes) if n)),
    )


def _arguments(spec: ModelSpec) -> tuple[list[Any], dict[str, Any]]:
    try:
        return [ast.literal_eval(a) for a in spec.args], {k: ast.literal_eval(v) for k, v in spec.kwargs}
    except (ValueError, SyntaxError) as error:
        raise _Failed(
            Problem("resolve", f"a constructor argument of {spec.display_name} is not a literal: {error}")
        ) from error


def _factory(
    spec: ModelSpec, args: list[Any], kwargs: dict[str, Any]
) -> tuple[Callable[..., nn.Module], dict[str, Any]]:
    """The callable to build with, and the keyword arguments that keep it from downloading weights."""
    factory = _follow(importlib.import_module(spec.module), tuple(spec.callable.split(".")))
    if spec.builder == "timm":
        if spec.callable == "create_model" and args and isinstance(args[0], str):
            _known_name(args[0], "timm", importlib.import_module("timm").list_models())
        return factory, {**kwargs, "pretrained": False}
    if spec.builder == "torchvision":
        kwargs = {k: v for k, v in kwargs.items() if k not in ("pretrained", "pretrained_backbone")}
        builder = factory
        if spec.callable == "get_model" and args:
            models = importlib.import_module("torchvision.models")
            _known_name(str(args[0]), "torchvision", models.list_models())
            builder = models.get_model_builder(args[0])
        parameters = inspect.signature(builder).parameters
        kwargs["weights"] = None
        if "weights_backbone" in parameters:
            kwargs["weights_backbone"] = None
    return factory, kwargs


def _known_name(name: str, library: str, names: list[str]) -> None:
    """A model name the library does not have is said as such, with the closest names it has."""
    if name in names:
        return
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    raise _Failed(Problem("construction", f"{library} has no model `{name}`{hint}"))


def _follow(value: Any, attributes: tuple[str, ...]) -> Any:
    for name in attributes:
        value = getattr(value, name)
    return value


def _children(model: nn.Module, bounds: tuple[int | None, int | None] | None) -> nn.Module:
    """``nn.Sequential(*list(model.children())[start:stop])`` when the spec keeps a slice of the children."""
    return model if bounds is None else nn.Sequential(*list(model.children())[slice(*bounds)])


def _traced_table(
    model: nn.Module,
    inputs: list[Any],
    tracer_kwargs: dict[str, Any],
    concrete_args: dict[str, Any] | None,
    is_user_file: Callable[[str], bool],
) -> NodeTable:
    try:
        return node_table(model, inputs, tracer_kwargs=tracer_kwargs, concrete_args=concrete_args)
    except NodeTableError as error:
        if is_memory_error(error.__cause__):
            raise _Failed(problem_from_exception("memory", error.__cause__, is_user_file=is_user_file)) from error
        if isinstance(error.__cause__, RecursionError):  # located at the user's recursive call
            raise _Failed(problem_from_exception("trace", error.__cause__, is_user_file=is_user_file)) from error
        raise _Failed(error.problem) from error
    except USER_ERRORS as error:
        raise _Failed(problem_from_exception("trace", error, is_user_file=is_user_file)) from error


def _common_size(
    model: nn.Module, table: NodeTable, example: InputInfo, dtype: str, tracing: tuple[dict, dict | None]
) -> tuple[NodeTable, InputInfo]:
    """For a small image model whose first layer gave only the channels: the first common image size
    (MNIST's 28, CIFAR's 32, ...) at which every shape computes; else the table as it is."""
    shape = example.shapes[0]
    if len(shape) != 4 or sum(p.numel() for p in model.parameters()) > SIZE_SEARCH_MAX_PARAMETERS:
        return table, example
    for size in COMMON_IMAGE_SIZES:
        candidate = replace(example, shapes=((*shape[:2], size, size),))
        try:
            found = node_table(model, _example_inputs(candidate.shapes, dtype, "meta"), tracer_kwargs=tracing[0],
                               concrete_args=tracing[1])  # fmt: skip
        except USER_ERRORS:
            break
        if not found.shape_failures:
            detail = f"{example.detail}; {size}×{size}, the first common image size at which every shape computes"
            return found, replace(candidate, detail=detail)
    return table, example


def _input_info(
    spec: ModelSpec, root: nn.Module, model: nn.Module, factory: Callable[..., Any], args: list[Any], kwargs: dict
) -> InputInfo:
    """The spec's input; for a default one, what the model's metadata or first layer asks for instead
    (a first layer that asks for the default leaves it labelled the default)."""
    given = spec.example_input
    default = InputInfo(given.shapes, given.origin, given.location)
    if given.origin != "default" or len(given.shapes) != 1:
        return default
    builder = None
    if spec.builder == "torchvision":
        builder = args[0] if spec.callable == "get_model" and args else spec.callable.rsplit(".", 1)[-1]
    try:
        chosen = wanted_input(model, root=root, factory=factory, kwargs=kwargs, torchvision_builder=builder)
    except USER_ERRORS:  # a model attribute that raises must not cost the table
        chosen = None
    if chosen is None or (chosen.origin == "first-layer" and chosen.shapes == given.shapes):
        return default
    return chosen


def _trace_arguments(
    spec: ModelSpec, example: InputInfo, device: str
) -> tuple[list[Any], dict[str, Any], dict[str, Any] | None]:
    """Example inputs, tracer kwargs and concrete args; a ``config`` problem when they are invalid."""
    try:
        concrete_args = ast.literal_eval(spec.concrete_args) if spec.concrete_args else None
        return (
            _example_inputs(example.shapes, spec.example_input.dtype, device),
            _tracer_kwargs(spec.tracer),
            concrete_args,
        )
    except USER_ERRORS as error:
        raise _Failed(problem_from_exception("config", error, context="tracer settings or example input")) from error


def _tracer_kwargs(settings: TracerSettings) -> dict[str, Any]:
    """``tracer_kwargs`` for ``node_table``: references imported, literals evaluated, timm's registries added."""
    kwargs: dict[str, Any] = {name: ast.literal_eval(text) for name, text in settings.other}
    leaf_modules = [import_reference(r) for r in settings.leaf_modules]
    autowrap_functions = [import_reference(r) for r in settings.autowrap_functions]
    autowrap_modules = [importlib.import_module(m) for m in settings.autowrap_modules]
    if settings.library == "timm":
        try:
            timm_fx = importlib.import_module("timm.layers._fx")
        except ImportError:
            timm_fx = None
        if timm_fx is not None:
            leaf_modules += list(timm_fx._leaf_modules)
            autowrap_functions += list(timm_fx._autowrap_functions)
    for key, values in (
        ("leaf_modules", leaf_modules),
        ("autowrap_functions", autowrap_functions),
        ("autowrap_modules", autowrap_modules),
    ):
        if values:
            kwargs[key] = [*kwargs.get(key, ()), *values]
    return kwargs


def import_reference(reference: str) -> Any:
    """The object a ``"module:QualName"`` reference names."""
    module, _, qualname = reference.partition(":")
    if not qualname:
        raise ValueError(f"{reference!r} is not a 'module:QualName' reference")
    return _follow(importlib.import_module(module), tuple(qualname.split(".")))


def _example_inputs(shapes: tuple[tuple[int, ...], ...], dtype: str, device: str) -> list[Any]:
    """Shapes for float32 (``node_table`` makes the tensors); zero tensors for other dtypes."""
    if dtype == "float32":
        return list(shapes)
    return [torch.zeros(shape, dtype=getattr(torch, dtype), device=device) for shape in shapes]


def _dims(shapes: tuple[tuple[int, ...], ...]) -> str:
    return ", ".join("×".join(map(str, s)) for s in shapes)


def _definitions_only_hint(importer: WorkspaceImporter) -> str:
    if not importer.scripts:
        return ""
    return (
        "fxlens runs only the imports, definitions and constants of a script; a name assigned by other "
        "top-level code is undefined here: pass it as a constructor argument or make it a constant"
    )
