"""torch.fx's trace failures in plain words: which Python construct met a traced value, and the remedy.

While tracing, a tensor is a placeholder (a ``Proxy``) with no values: Python code that needs a real
value of it — a branch, a loop over it, ``len``, ``int``/``float``/``bool``, numpy — cannot run.
The construct is told from torch.fx's message and, where messages are shared, the failing line and
the failed trace's frames (``fxlens.fx.trace_frames``): an ``assert``, ``*args``, arithmetic on tensor
sizes, or code in an object that is not an ``nn.Module``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import Any

from fxlens.fx.trace_frames import asked_proxies, frames_of, from_sizes, plain_object

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

C_FUNCTION = Explanation(
    "a traced value passed to a C function",
    "a function written in C (cmath, struct, round() ...) needs a real number, but while tracing it gets a placeholder",
    f"use the torch equivalent (torch operations, or math, which torch.fx records), or {LEAF_REMEDY}",
)
STARRED = Explanation(
    "*args unpacking of a traced value",
    "`*x` spreads a tensor's items into separate arguments, which needs its length, which tracing does not have",
    f"pass the tensor itself (torch.cat(x.unbind(0)), torch.stack), or {LEAF_REMEDY}",
)
ASSERT = Explanation(
    "assert on a traced value",
    "`assert` needs True or False, but while tracing the tensor has no values",
    f"use torch._assert(condition, message), which tracing records, or {LEAF_REMEDY}",
)
SIZE_ARITHMETIC = Explanation(
    "torch.Size arithmetic deciding control flow",
    "while tracing, x.shape and x.size() are traced values too, so arithmetic on them is recorded, not computed,"
    " and an `if` on the result cannot be decided",
    f"decide from constructor arguments instead of the input's sizes, or {LEAF_REMEDY}",
)
ARGUMENT_BRANCH = Explanation(
    "control flow on a non-tensor argument of forward",
    "while tracing every argument of the model's forward is a placeholder, also a flag or a mode string,"
    " so a branch on it cannot be decided",
    'give its value in concrete_args (concrete_args={"flag": False}): the graph then has that branch',
)
NOT_A_SUBMODULE = Explanation(
    "a call into a module that is not a submodule",
    "an nn.Module created in forward or held in a plain list, dict or object is not registered in the model,"
    " so torch.fx cannot name it",
    f"create it in __init__ as an attribute, or in an nn.ModuleList / nn.ModuleDict, or {LEAF_REMEDY}",
)

_BY_MESSAGE: tuple[tuple[str, Explanation], ...] = (
    ("symbolically traced variables cannot be used as inputs to control flow", CONTROL_FLOW),
    ("Proxy object cannot be iterated", ITERATION),
    ("'len' is not supported in symbolic tracing", LEN),
    ("int() argument must be", INT),
    ("float() argument must be", FLOAT),
    ("'Proxy' object cannot be interpreted as an integer", RANGE),
    ("__array", NUMPY),  # numpy's "invalid __array_struct__" / "__array__" on a Proxy
    ("module is not installed as a submodule", NOT_A_SUBMODULE),
    ("not Proxy", C_FUNCTION),  # cmath's "must be real number, not Proxy"
    ("not 'Proxy'", C_FUNCTION),
    ("Proxy doesn't define", C_FUNCTION),  # round(): "type Proxy doesn't define __round__ method"
)
_BOOL_CALL = re.compile(r"\bbool\(")


def explain_trace_failure(message: str, line: str = "") -> Explanation | None:
    """The explanation for torch.fx's error ``message`` raised at source ``line``, or None if unknown."""
    found = next((e for needle, e in _BY_MESSAGE if needle in message), None)
    statement = line.strip()
    if found is CONTROL_FLOW and re.match(r"assert\b", statement):
        return ASSERT
    if found is CONTROL_FLOW and _BOOL_CALL.search(line) and not re.match(r"(if|elif|while)\b", statement):
        return BOOL
    if found is ITERATION and _has_starred(statement):
        return STARRED
    if (found is None or found is C_FUNCTION) and "Proxy" in message and "numpy" in line:
        return NUMPY
    return found


def explain_error(error: BaseException, line: str = "") -> Explanation | None:
    """``explain_trace_failure`` for a failed trace's ``error``, refined by its frames: a branch on values
    computed from tensor sizes, or a failure inside an object that is not an ``nn.Module``."""
    found = explain_trace_failure(str(error), line)
    asked = asked_proxies(error) if found is CONTROL_FLOW else []
    if asked and all(_defaulted_argument(p) for p in asked):
        found = ARGUMENT_BRANCH
    elif any(from_sizes(p) for p in asked):
        found = SIZE_ARITHMETIC
    objects = [o for o in map(plain_object, frames_of(error)) if o is not None]
    if found is None or not objects:
        return found
    name = type(objects[-1]).__qualname__
    return replace(
        found,
        construct="a call into an object that is not an nn.Module",
        what=f"`{name}` is plain Python, so torch.fx traces through its code, and there: {found.construct}"
        f" ({found.what}); only an nn.Module can be a leaf",
        remedy=f"make `{name}` an nn.Module (then it can be a leaf), or {LEAF_REMEDY}",
    )


def _defaulted_argument(proxy: Any) -> bool:
    """True for a root ``forward`` argument whose default is a literal, not a tensor (``flag=False``)."""
    node = proxy.node
    return node.op == "placeholder" and bool(node.args) and isinstance(node.args[0], (bool, int, float, str))


def _has_starred(statement: str) -> bool:
    """True when the statement (or its header, for a compound one) unpacks with ``*``."""
    for text in (statement, f"{statement} pass"):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        return any(isinstance(node, ast.Starred) for node in ast.walk(tree))
    return re.search(r"[(\[,]\s*\*(?!\*)\s*[A-Za-z_]", statement) is not None
