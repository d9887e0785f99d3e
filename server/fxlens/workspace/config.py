"""``[tool.fxlens]`` in the workspace's ``pyproject.toml``: what static analysis cannot know.

```toml
[tool.fxlens]
input-shape = [1, 3, 224, 224]      # or a list of shapes, one per forward input
python = ".venv/bin/python"        # the interpreter the worker traces with
trace-timeout = 60                 # seconds

[tool.fxlens.models."mypkg.nets:MyNet"]   # or a builder name: [tool.fxlens.models.resnet50]
input-shape = [1, 3, 32, 32]
args = [3]
kwargs = { width = 32 }
leaf-modules = ["mypkg.blocks:Block"]
```
Keys may be spelled with ``-`` or ``_``. Problems become ``ConfigError`` messages naming the key;
loading never raises.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_QUALIFIED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


_CODE = re.compile(r"FXL[0-9]{0,3}")


@dataclass(frozen=True)
class ConfigError:
    """One problem in the configuration: the dotted key it concerns and what is wrong."""

    key: str
    message: str


@dataclass(frozen=True)
class ModelOverride:
    """Settings for one model, keyed by ``module:Class`` or builder name."""

    input_shapes: tuple[tuple[int, ...], ...] | None = None
    args: tuple[str, ...] | None = None  # replaces the positional arguments; literal source text
    kwargs: tuple[tuple[str, str], ...] = ()  # merged over the call's keyword arguments
    leaf_modules: tuple[str, ...] = ()  # ``module:Class`` names


@dataclass(frozen=True)
class FxlensConfig:
    """The workspace configuration; defaults when nothing is configured."""

    input_shapes: tuple[tuple[int, ...], ...] | None = None
    python: str = ""  # "" means the server's own interpreter
    trace_timeout: float | None = None
    models: tuple[tuple[str, ModelOverride], ...] = ()
    select: tuple[str, ...] = ()  # rule codes or prefixes fxlens check reports (empty: all)
    ignore: tuple[str, ...] = ()  # rule codes or prefixes it does not
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob of project paths, codes)

    def model(self, *keys: str) -> ModelOverride | None:
        """The override for the first of ``keys`` that is configured."""
        configured = dict(self.models)
        return next((configured[k] for k in keys if k in configured), None)


def load_config(root: str | Path) -> tuple[FxlensConfig, list[ConfigError]]:
    """Read ``[tool.fxlens]`` from ``root/pyproject.toml``; a missing file or table gives defaults."""
    path = Path(root) / "pyproject.toml"
    if not path.is_file():
        return FxlensConfig(), []
    try:
        import tomllib as toml  # Python 3.11+
    except ModuleNotFoundError:
        try:
            import tomli as toml  # type: ignore[no-redef]  # the backport, on Python 3.10
        except ModuleNotFoundError:
            return FxlensConfig(), [
                ConfigError("tool.fxlens", "reading pyproject.toml needs Python 3.11+ or the tomli package")
            ]
    try:
        data = toml.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, toml.TOMLDecodeError) as exc:
        return FxlensConfig(), [ConfigError("tool.fxlens", f"cannot read {path.name}: {exc}")]
    table = data.get("tool", {}).get("fxlens", {})
    if not isinstance(table, dict):
        return FxlensConfig(), [ConfigError("tool.fxlens", "must be a table")]
    return parse_config(table)


def parse_config(table: dict[str, Any]) -> tuple[FxlensConfig, list[ConfigError]]:
    """Validate the contents of ``[tool.fxlens]``."""
    errors: list[ConfigError] = []
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        where = f"tool.fxlens.{raw_key}"
        if key == "input_shape":
            values["input_shapes"] = _shapes(value, where, errors)
        elif key == "python":
            if isinstance(value, str) and value.strip():
                values["python"] = value
            else:
                errors.append(ConfigError(where, "must be the path of a Python interpreter"))
        elif key == "trace_timeout":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                values["trace_timeout"] = float(value)
            else:
                errors.append(ConfigError(where, "must be a positive number of seconds"))
        elif key == "models":
            values["models"] = _models(value, where, errors)
        elif key in ("select", "ignore"):
            values[key] = _codes(value, where, errors)
        elif key == "per_file_ignores":
            values["per_file_ignores"] = _per_file_ignores(value, where, errors)
        else:
            known = ("input-shape", "python", "trace-timeout", "models", "select", "ignore", "per-file-ignores")
            errors.append(ConfigError(where, _unknown(raw_key, known)))
    return FxlensConfig(**{k: v for k, v in values.items() if v is not None}), errors


def _codes(value: Any, where: str, errors: list[ConfigError]) -> tuple[str, ...] | None:
    """A list of rule codes or prefixes (``["FXL007", "FXL00"]``)."""
    if isinstance(value, list) and all(isinstance(c, str) and _CODE.fullmatch(c.strip().upper()) for c in value):
        return tuple(c.strip().upper() for c in value)
    errors.append(ConfigError(where, 'must be a list of rule codes or prefixes, such as ["FXL007", "FXL00"]'))
    return None


def _per_file_ignores(
    value: Any, where: str, errors: list[ConfigError]
) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """A table of path globs (relative to the project) to the codes ignored in those files."""
    if not isinstance(value, dict):
        errors.append(ConfigError(where, 'must be a table of path globs to code lists: { "tests/*" = ["FXL012"] }'))
        return None
    found = []
    for glob, codes in value.items():
        parsed = _codes(codes, f"{where}.{glob}", errors)
        if parsed is not None:
            found.append((glob, parsed))
    return tuple(found)


def _unknown(key: str, known: tuple[str, ...]) -> str:
    return f"unknown key `{key}`; known keys: {', '.join(known)}"


def _shapes(value: Any, where: str, errors: list[ConfigError]) -> tuple[tuple[int, ...], ...] | None:
    """``[1, 3, 224, 224]`` (one input) or ``[[1, 3, 224, 224], [1, 10]]`` (several)."""
    shapes = value if isinstance(value, list) and value and all(isinstance(v, list) for v in value) else [value]
    if all(
        isinstance(shape, list)
        and shape
        and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        for shape in shapes
    ):
        return tuple(tuple(shape) for shape in shapes)
    errors.append(
        ConfigError(where, "must be a list of positive integers, e.g. [1, 3, 224, 224], or a list of such lists")
    )
    return None


def _models(value: Any, where: str, errors: list[ConfigError]) -> tuple[tuple[str, ModelOverride], ...] | None:
    if not isinstance(value, dict):
        errors.append(ConfigError(where, 'must be a table of tables, e.g. [tool.fxlens.models."pkg.mod:MyNet"]'))
        return None
    models = []
    for name, settings in value.items():
        here = f"{where}.{name}"
        if not isinstance(settings, dict):
            errors.append(ConfigError(here, "must be a table"))
            continue
        models.append((name, _override(settings, here, errors)))
    return tuple(models)


def _override(settings: dict[str, Any], where: str, errors: list[ConfigError]) -> ModelOverride:
    values: dict[str, Any] = {}
    for raw_key, value in settings.items():
        key = raw_key.replace("-", "_")
        here = f"{where}.{raw_key}"
        if key == "input_shape":
            values["input_shapes"] = _shapes(value, here, errors)
        elif key == "args":
            if isinstance(value, list) and all(_literal(v) for v in value):
                values["args"] = tuple(repr(v) for v in value)
            else:
                errors.append(
                    ConfigError(
                        here, "must be a list of constructor arguments (numbers, strings, booleans, lists, tables)"
                    )
                )
        elif key == "kwargs":
            if isinstance(value, dict) and all(_literal(v) for v in value.values()):
                values["kwargs"] = tuple((k, repr(v)) for k, v in value.items())
            else:
                errors.append(
                    ConfigError(here, "must be a table of constructor keyword arguments, e.g. { width = 32 }")
                )
        elif key == "leaf_modules":
            if isinstance(value, list) and all(isinstance(v, str) and _QUALIFIED.fullmatch(v) for v in value):
                values["leaf_modules"] = tuple(value)
            else:
                errors.append(
                    ConfigError(here, 'must be a list of "module:Class" strings, e.g. ["mypkg.blocks:Block"]')
                )
        else:
            errors.append(ConfigError(here, _unknown(raw_key, ("input-shape", "args", "kwargs", "leaf-modules"))))
    return ModelOverride(**{k: v for k, v in values.items() if v is not None})


def _literal(value: Any) -> bool:
    """True when ``repr(value)`` reads back with ``ast.literal_eval`` (no dates, no inf/nan)."""
    try:
        return bool(ast.literal_eval(repr(value)) == value)
    except (ValueError, SyntaxError):
        return False
