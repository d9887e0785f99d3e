"""``fxlens nodes`` targets (``path/to/file.py:ClassName``, ``torchvision:resnet50``, ``timm:resnet50``),
with the constructor arguments and input that configuration and the command line give."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from fxlens.workspace.config import FxlensConfig
from fxlens.workspace.overrides import configured_input
from fxlens.workspace.spec import InputSpec, ModelSpec, TracerSettings

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


class TargetError(ValueError):
    """The target string does not name a model fxlens can build."""


def parse_target(target: str, input_shape: tuple[int, ...] | None = None) -> ModelSpec:
    """The ``ModelSpec`` for a command-line target; ``input_shape`` (``--input``) is the example input."""
    source, sep, name = target.rpartition(":")
    if not sep or not source or not name:
        raise TargetError(
            f"`{target}` is not a target: write path/to/file.py:ClassName, torchvision:resnet50 or timm:resnet50"
        )
    example = InputSpec(shapes=(input_shape,), origin="given") if input_shape else InputSpec()
    if source == "torchvision":
        return ModelSpec(
            "torchvision", "torchvision.models", "get_model", name, args=(repr(name),), example_input=example
        )
    if source == "timm":  # timm's names: its leaf modules and wrapped functions apply, as in timm's own calls
        return ModelSpec(
            "timm",
            "timm",
            "create_model",
            name,
            args=(repr(name),),
            tracer=TracerSettings(library="timm"),
            example_input=example,
        )
    path = Path(source).resolve()
    if path.suffix != ".py" or not path.is_file():
        raise TargetError(f"`{source}` is not a Python file (targets are path/to/file.py:ClassName)")
    root = project_root(path)
    import_root = root / "src" if (root / "src") in path.parents else root
    module = ".".join(path.relative_to(import_root).with_suffix("").parts)
    return ModelSpec(
        "workspace",
        module.removesuffix(".__init__"),
        name,
        name,
        file=str(path),
        workspace_root=str(root),
        example_input=example,
    )


def configured(spec: ModelSpec, config: FxlensConfig, kwargs: Sequence[tuple[str, str]] = ()) -> ModelSpec:
    """``spec`` with ``[tool.fxlens]``: the model's table (by ``module:Class``, then its name) gives
    keyword arguments and an input, the top level an input; ``kwargs`` (``--kwargs``) and an input
    given on the command line win."""
    override = config.model(f"{spec.module}:{spec.callable}", spec.display_name, spec.callable)
    merged = dict(spec.kwargs)
    if override is not None:
        merged.update(override.kwargs)
    merged.update(kwargs)
    example = spec.example_input
    if example.origin != "given":
        example = configured_input(config, override) or example
    return replace(spec, kwargs=tuple(merged.items()), example_input=example)


def parse_kwargs(value: str) -> tuple[tuple[str, str], ...]:
    """``image_size=384,num_classes=10`` as ``(name, literal source)`` pairs; values must be literals."""
    pairs = []
    for item in filter(None, (part.strip() for part in _top_level_commas(value))):
        name, sep, literal = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise TargetError(f"`{item}` is not NAME=VALUE")
        try:
            ast.literal_eval(literal.strip())
        except (ValueError, SyntaxError):
            raise TargetError(f"`{literal.strip()}` (for {name.strip()}) is not a Python literal") from None
        pairs.append((name.strip(), literal.strip()))
    return tuple(pairs)


def _top_level_commas(value: str) -> list[str]:
    """``value`` split at commas outside brackets and quotes (``sizes=(1, 2),k='a,b'``)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(value):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def project_root(path: Path) -> Path:
    """The nearest folder at or above ``path`` holding a project marker, else ``path``'s folder."""
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    return next((p for p in (folder, *folder.parents) if any((p / m).exists() for m in PROJECT_MARKERS)), folder)
