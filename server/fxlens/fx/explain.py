"""torch.fx's trace failures in plain words: which Python construct met a traced value, and the remedy.

While tracing, a tensor is a placeholder (a ``Proxy``) with no values: Python code that needs a real
value of it — a branch, a loop over it, ``len``, ``int``/``float``/``bool``, numpy — cannot run.
The construct is told from torch.fx's message and, where messages are shared, the failing line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEAF_REMEDY = 'make the module that does it a leaf (tracer_kwargs={"leaf_modules": [...]})'


@dataclass(frozen=True)
class Explanation:
    """What happened, for one kind of failure."""

    construct: str  # "control flow on a traced value"
    what: str  # why that cannot be traced, in plain words
    remedy: str

    def message(self, original: str) -> str:
        """``construct: what (torch.fx's own message)``."""
        return f"{self.construct}: {self.what} ({original})"


CONTROL_FLOW = Explanation(
    "control flow on a traced value",
    "an `if`, `while`, `and`/`or` or `assert` needs True or False, but while tracing the tensor has no values",
    f"{LEAF_REMEDY}, or pass a non-tensor argument that decides the branch in concrete_args",
)
BOOL = Explanation(
    "bool() of a traced value",
    "bool() needs the tensor's value, which tracing does not have",
    LEAF_REMEDY,
)
ITERATION = Explanation(
    "iteration over a traced value",
    "a loop, unpacking or *args over a tensor needs its length, which tracing does not have",
    f"{LEAF_REMEDY}, or index with fixed positions (x[0], x[1]) or use torch.unbind",
)
LEN = Explanation(
    "len() of a traced value",
    "len() needs a real number, but while tracing the tensor's size is not known",
    f"use x.shape[0] / x.size(0), which tracing records, or {LEAF_REMEDY}",
)
INT = Explanation(
    "int() of a traced value",
    "int() needs the tensor's value, which tracing does not have",
    f"keep the value a tensor (x.long(), torch operations), or {LEAF_REMEDY}",
)
FLOAT = Explanation(
    "float() of a traced value",
    "float() needs the tensor's value, which tracing does not have",
    f"keep the value a tensor (x.float(), torch operations), or {LEAF_REMEDY}",
)
RANGE = Explanation(
    "a traced value used as a Python integer",
    "range(), an index or a repeat count needs a real integer, but while tracing it is a placeholder",
    f"give the number as a constant or constructor argument, or {LEAF_REMEDY}",
)
NUMPY = Explanation(
    "a traced value passed to numpy",
    "numpy (or another library outside torch) needs real values, but while tracing the tensor has none",
    f"use the torch equivalent of the numpy call, or {LEAF_REMEDY}",
)

_BY_MESSAGE: tuple[tuple[str, Explanation], ...] = (
    ("symbolically traced variables cannot be used as inputs to control flow", CONTROL_FLOW),
    ("Proxy object cannot be iterated", ITERATION),
    ("'len' is not supported in symbolic tracing", LEN),
    ("int() argument must be", INT),
    ("float() argument must be", FLOAT),
    ("'Proxy' object cannot be interpreted as an integer", RANGE),
    ("__array", NUMPY),  # numpy's "invalid __array_struct__" / "__array__" on a Proxy
)
_BOOL_CALL = re.compile(r"\bbool\(")


def explain_trace_failure(message: str, line: str = "") -> Explanation | None:
    """The explanation for torch.fx's error ``message`` raised at source ``line``, or None if unknown."""
    found = next((e for needle, e in _BY_MESSAGE if needle in message), None)
    if found is CONTROL_FLOW and _BOOL_CALL.search(line) and not re.match(r"(if|elif|while|assert)\b", line):
        return BOOL
    if found is None and "Proxy" in message and "numpy" in line:
        return NUMPY
    return found
