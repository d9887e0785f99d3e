"""The client's settings (``initializationOptions`` / ``workspace/configuration`` section ``fxlens``).

Unknown keys and bad values never stop the server: each becomes a message naming the key, and the
default is used instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from fxlens.lint import RULES, code_range

SEVERITIES = ("error", "warning", "information", "hint", "off")
KNOWN_SETTINGS = (
    "interpreter",
    "traceTimeout",
    "defaultInputShape",
    "rules",
    "inlayHints",
    "executeCode",
    "maxFileSize",
)


@dataclass(frozen=True)
class Settings:
    interpreter: str = ""  # "" = [tool.fxlens] python, else the server's own interpreter
    trace_timeout: float | None = None  # None = [tool.fxlens] trace-timeout, else 30 s
    default_input_shape: tuple[int, ...] | None = None  # below [tool.fxlens] input-shape; None: each model's own
    rules: dict[str, str] = field(default_factory=dict)  # code -> severity or "off"
    inlay_hints: bool = False
    execute_code: bool = True  # False in an untrusted workspace: no model code runs
    max_file_size: int | None = None  # characters; None = the default (5 MB); larger files are not analysed


def trust_stated(data: Any) -> bool:
    """Whether the client's options say outright that code may run (``executeCode: true``), as
    VS Code's client does at ``initialize``: then the worker need not wait for the settings pull."""
    return isinstance(data, dict) and data.get("executeCode") is True


def parse_settings(data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """``base`` updated with the valid entries of ``data``, and a message per invalid one."""
    settings, errors = base or Settings(), []
    if data is None:
        return settings, errors
    if not isinstance(data, dict):
        return settings, [f"fxlens settings must be an object, not {type(data).__name__}"]
    for key, value in data.items():
        if key == "interpreter":
            if value is None or isinstance(value, str):
                settings = replace(settings, interpreter=value or "")
            else:
                errors.append("fxlens.interpreter must be the path of a Python interpreter")
        elif key == "traceTimeout":
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                settings = replace(settings, trace_timeout=float(value))
            else:
                errors.append(f"fxlens.traceTimeout must be a positive number of seconds, not {value!r}")
        elif key == "defaultInputShape":
            if value is None:  # unset: each model's own input
                settings = replace(settings, default_input_shape=None)
            elif (
                isinstance(value, list)
                and value
                and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value)
            ):
                settings = replace(settings, default_input_shape=tuple(value))
            else:
                errors.append(f"fxlens.defaultInputShape must be a list of positive integers, not {value!r}")
        elif key == "rules":
            rules, rule_errors = _rules(value)
            settings = replace(settings, rules={**settings.rules, **rules})
            errors += rule_errors
        elif key == "maxFileSize":
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                settings = replace(settings, max_file_size=value)
            else:
                errors.append(f"fxlens.maxFileSize must be a positive number of characters, not {value!r}")
        elif key in ("inlayHints", "executeCode"):
            if isinstance(value, bool):
                settings = replace(settings, **{"inlay_hints" if key == "inlayHints" else "execute_code": value})
            else:
                errors.append(f"fxlens.{key} must be true or false, not {value!r}")
        else:
            errors.append(f"unknown setting fxlens.{key}; known: {', '.join(KNOWN_SETTINGS)}")
    return settings, errors


def _rules(value: Any) -> tuple[dict[str, str], list[str]]:
    if not isinstance(value, dict):
        return {}, [f"fxlens.rules must be an object of rule codes, not {value!r}"]
    rules, errors = {}, []
    for code, severity in value.items():
        if code not in RULES:
            errors.append(f"fxlens.rules: unknown rule {code}; codes are {code_range()}")
        elif severity not in SEVERITIES:
            errors.append(f"fxlens.rules.{code} must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        else:
            rules[code] = severity
    return rules, errors
