"""Applying ``[tool.fxlens.models."..."]`` to a resolved model: the arguments static analysis lacks.

A model's table is found by ``module:Callable``, then its model name, then the callable's name.
Configured ``args`` replace the call's positional arguments, configured ``kwargs`` are merged over
its keyword arguments; an argument the file does not give as a literal must be supplied here.
"""

from __future__ import annotations

from dataclasses import replace

from fxlens.workspace.config import FxlensConfig, ModelOverride
from fxlens.workspace.construction import CannotResolve, Construction
from fxlens.workspace.spec import InputSpec


def override_for(config: FxlensConfig, model: Construction) -> ModelOverride | None:
    """The configured table for this model, if any."""
    return config.model(f"{model.module}:{model.callable}", model.name, model.callable)


def apply_override(model: Construction, override: ModelOverride | None) -> Construction:
    """The model with its configured arguments; ``CannotResolve`` for an unreadable one they do not supply."""
    args, kwargs = model.args, dict(model.kwargs)
    if override is not None:
        args = override.args if override.args is not None else args
        kwargs.update(override.kwargs)
    for problem in model.unreadable:
        supplied = override is not None and (
            override.args is not None if isinstance(problem.slot, int) else problem.slot in dict(override.kwargs)
        )
        if not supplied:
            field = "args" if isinstance(problem.slot, int) else "kwargs"
            raise CannotResolve(
                f'{problem.reason}, or set `{field}` under [tool.fxlens.models."{model.config_key}"]', problem.node
            )
    return replace(model, args=args, kwargs=tuple(kwargs.items()), unreadable=())


def configured_input(config: FxlensConfig, override: ModelOverride | None) -> InputSpec | None:
    """The example input configuration gives (the model's table first), or None when it gives none."""
    if override is not None and override.input_shapes:
        return InputSpec(shapes=override.input_shapes, origin="config")
    if config.input_shapes:
        return InputSpec(shapes=config.input_shapes, origin="config")
    return None
