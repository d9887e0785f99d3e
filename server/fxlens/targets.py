"""``fxlens nodes`` targets: ``path/to/file.py:ClassName``, ``torchvision:resnet50``, ``timm:resnet50``."""

from __future__ import annotations

from pathlib import Path

from fxlens.workspace.spec import InputSpec, ModelSpec, TracerSettings

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


class TargetError(ValueError):
    """The target string does not name a model fxlens can build."""


def parse_target(target: str, input_shape: tuple[int, ...] | None = None) -> ModelSpec:
    """The ``ModelSpec`` for a command-line target; ``input_shape`` overrides the default input."""
    source, sep, name = target.rpartition(":")
    if not sep or not source or not name:
        raise TargetError(
            f"`{target}` is not a target: write path/to/file.py:ClassName, torchvision:resnet50 or timm:resnet50"
        )
    example = InputSpec(shapes=(input_shape,), origin="config") if input_shape else InputSpec()
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


def project_root(path: Path) -> Path:
    """The nearest folder at or above ``path`` holding a project marker, else ``path``'s folder."""
    path = path.resolve()
    folder = path if path.is_dir() else path.parent
    return next((p for p in (folder, *folder.parents) if any((p / m).exists() for m in PROJECT_MARKERS)), folder)
