"""Every node's output in a traced graph: on meta tensors, else fake tensors, else a real CPU run.

A node whose output cannot be computed does not stop the run: nodes that do not depend on it still
get their outputs. When a path fails for a reason that is its own limitation (meta tensors hold no
data; fake tensors have no data-dependent values), the next path fills in what is missing: fake
tensors on the CPU, then — for a model small enough for the memory limit — a real CPU run on a
copy with random weights. A genuine error (a wrong input size) is not retried.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import fx, nn
from torch._subclasses.fake_tensor import (
    DataDependentOutputException,
    DynamicOutputShapeException,
    FakeTensorMode,
    UnsupportedOperatorException,
)
from torch.utils import _pytree as pytree

from fxlens.nodes import ShapePath, TensorMeta

try:
    import resource
except ImportError:  # not on Windows: no address-space limit to respect
    resource = None

InputLike = torch.Tensor | Sequence[int]
REAL_RUN_MAX_BYTES = 512 * 2**20  # weights of a model that may run for real (a quarter of the free limit at most)

_FAKE_LIMITS = (DataDependentOutputException, DynamicOutputShapeException, UnsupportedOperatorException)
_META_WORD = re.compile(r"\bmeta\b", re.IGNORECASE)


@dataclass(frozen=True)
class NodeFailure:
    """The first node a run could not compute, what it was given, and the error."""

    node: fx.Node
    error: BaseException
    path: ShapePath
    given: str  # the tensor inputs it was given: "1×3×28×28"


@dataclass
class Propagation:
    """The outputs a graph's runs computed, which paths contributed, and what is still missing."""

    outputs: dict[fx.Node, Any] = field(default_factory=dict)
    owners: dict[fx.Node, fx.Node] = field(default_factory=dict)  # node -> the node whose tensor it returns
    path: ShapePath | None = None  # the deepest path that produced an output
    tried: tuple[ShapePath, ...] = ()
    failure: NodeFailure | None = None  # the last run's first failure, None when complete
    first_failure: NodeFailure | None = None  # the first run's, which made the next path run


def propagate(graph_module: fx.GraphModule, inputs: list[InputLike]) -> Propagation:
    """Every node's output, from meta (fake when the weights are real), then fake, then a real run."""
    primary: ShapePath = "meta" if _weights_device(graph_module).type == "meta" else "fake"
    result = Propagation()
    for path in ("meta", "fake", "real")[("meta", "fake").index(primary) :]:
        if result.failure is not None and not _limitation_of(result.failure.path, result.failure.error):
            break
        if path == "real" and not _small_enough(graph_module):
            break
        outputs, owners, failure = _run(graph_module, inputs, path)
        added = {node: value for node, value in outputs.items() if node not in result.outputs}
        result.outputs.update(added)
        result.owners.update({node: owner for node, owner in owners.items() if node in added})
        result.path = path if added else result.path
        result.tried += (path,)
        result.failure = failure
        result.first_failure = result.first_failure or failure
        if failure is None:
            break
    return result


def _limitation_of(path: ShapePath, error: BaseException) -> bool:
    """True when ``error`` says the path cannot compute this (no data), not that the model is wrong."""
    if path == "meta":
        return isinstance(error, NotImplementedError) or bool(_META_WORD.search(str(error)))
    if path == "fake":
        return isinstance(error, (*_FAKE_LIMITS, NotImplementedError)) or "tensor subclass" in str(error)
    return False


def _run(
    graph_module: fx.GraphModule, inputs: list[InputLike], path: ShapePath
) -> tuple[dict[fx.Node, Any], dict[fx.Node, fx.Node], NodeFailure | None]:
    """One run on ``path``: outputs and tensor owners by node of ``graph_module`` (also when a copy
    ran), and the first failure."""
    if path == "meta":
        recorder = _OutputRecorder(graph_module, path, reuse_leaf_calls=True)
        failure = recorder.run_all(_materialise(inputs, torch.device("meta")))
        return recorder.outputs, recorder.owners, failure
    if path == "fake":
        on_meta = _weights_device(graph_module).type == "meta"
        module = copy.deepcopy(graph_module) if on_meta else graph_module
        with FakeTensorMode(allow_non_fake_inputs=True):
            if on_meta:
                module.to_empty(device="cpu")
            recorder = _OutputRecorder(module, path)
            failure = recorder.run_all(_materialise(inputs, torch.device("cpu")))
    else:
        module = _with_random_weights(graph_module)
        with torch.no_grad():
            recorder = _OutputRecorder(module, path)
            failure = recorder.run_all(_random_inputs(inputs))
    original = dict(zip(module.graph.nodes, graph_module.graph.nodes, strict=True))
    if failure is not None:
        failure = replace(failure, node=original[failure.node])
    owners = {original[node]: original[owner] for node, owner in recorder.owners.items()}
    return {original[node]: value for node, value in recorder.outputs.items()}, owners, failure


class _OutputRecorder(fx.Interpreter):
    """An ``fx.Interpreter`` that runs every node it can, remembers each output and the first failure.

    It also notes whose tensor each node returns: an in-place op returns its input's tensor, a view
    shares its base's storage; ``owners`` maps such nodes to the node that created the tensor.

    With ``reuse_leaf_calls`` (meta tensors only), a call of a torch/torchvision.ops leaf module
    that repeats an earlier call (same class, configuration, weight shapes and input metadata,
    as in a transformer's 24 identical blocks) gets fresh meta tensors of the earlier call's
    shapes instead of running again: meta kernels run in Python and dominate the table's cost.
    """

    def __init__(self, module: fx.GraphModule, path: ShapePath, reuse_leaf_calls: bool = False):
        super().__init__(module, garbage_collect_values=False)
        self.outputs: dict[fx.Node, Any] = {}
        self.owners: dict[fx.Node, fx.Node] = {}
        self._created_by: dict[int, fx.Node] = {}  # id of a tensor a node returned -> the first such node
        self._path = path
        self._reuse = reuse_leaf_calls
        self._earlier_calls: dict[tuple, Any] = {}

    def run_all(self, args: list[Any]) -> NodeFailure | None:
        """Run each node whose inputs were computed; the first node that raises, or None."""
        self.env = self.outputs
        self.args_iter = iter(args)
        failure = None
        for node in self.graph.nodes:
            if node.op == "output" or any(i not in self.env for i in node.all_input_nodes):
                continue
            try:
                self.env[node] = self.run_node(node)
                self._note_owner(node, self.env[node])
            except Exception as error:  # noqa: BLE001 - the model's error becomes the failure report
                if failure is None:
                    failure = NodeFailure(node, error, self._path, self._given(node))
        return failure

    def _note_owner(self, node: fx.Node, value: Any) -> None:
        if not isinstance(value, torch.Tensor):
            return
        base = value._base if value._base is not None else value
        owner = self._created_by.get(id(base))
        if owner is not None:
            self.owners[node] = owner
        self._created_by.setdefault(id(value), owner or node)  # env keeps every output alive: ids stay unique

    def _given(self, node: fx.Node) -> str:
        leaves = pytree.tree_leaves([self.env.get(i) for i in node.all_input_nodes])
        return ", ".join(tensor_meta(t).describe() for t in leaves if isinstance(t, torch.Tensor))

    def call_module(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        module = self.fetch_attr(target)
        key = _leaf_call_key(module, args, kwargs) if self._reuse else None
        if key is None:
            return super().call_module(target, args, kwargs)
        if key not in self._earlier_calls:
            self._earlier_calls[key] = super().call_module(target, args, kwargs)
        return pytree.tree_map_only(torch.Tensor, _fresh_meta, self._earlier_calls[key])


def _leaf_call_key(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple | None:
    """What determines a torch/torchvision.ops module call's output metadata, or None if unsure."""
    if not type(module).__module__.startswith(("torch.nn.", "torchvision.ops.")) or getattr(module, "inplace", False):
        return None  # an in-place module returns its input tensor, which a fresh one would hide
    values = []
    for leaf in pytree.tree_leaves((args, kwargs)):
        if isinstance(leaf, torch.Tensor):
            values.append((tuple(leaf.shape), leaf.stride(), leaf.dtype))
        elif leaf is None or isinstance(leaf, (bool, int, float, str)):
            values.append(leaf)
        else:
            return None
    weights = tuple(
        (name, tuple(t.shape), t.dtype) for name, t in (*module.named_parameters(), *module.named_buffers())
    )
    return (type(module), repr(module), module.training, weights, pytree.tree_structure((args, kwargs)), tuple(values))


def _fresh_meta(tensor: torch.Tensor) -> torch.Tensor:
    return torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype, device="meta")


def _weights_device(module: nn.Module) -> torch.device:
    tensor = next(module.parameters(), None)
    if tensor is None:
        tensor = next(module.buffers(), None)
    return tensor.device if tensor is not None else torch.device("meta")


def _materialise(inputs: list[InputLike], device: torch.device) -> list[torch.Tensor]:
    return [x.to(device) if isinstance(x, torch.Tensor) else torch.empty(tuple(x), device=device) for x in inputs]


def _random_inputs(inputs: list[InputLike]) -> list[torch.Tensor]:
    """Real tensors: given CPU tensors as they are, uniform [0, 1) floats (as ``torch.rand``), zeros else."""
    generator = torch.Generator().manual_seed(0)
    real = []
    for x in inputs:
        if isinstance(x, torch.Tensor) and x.device.type == "cpu":
            real.append(x)
        elif isinstance(x, torch.Tensor) and not x.dtype.is_floating_point:
            real.append(torch.zeros(x.shape, dtype=x.dtype))
        else:
            shape, dtype = (x.shape, x.dtype) if isinstance(x, torch.Tensor) else (tuple(x), torch.float32)
            real.append(torch.rand(shape, dtype=dtype, generator=generator))
    return real


def _with_random_weights(graph_module: fx.GraphModule) -> fx.GraphModule:
    """A CPU copy whose weights are real: kept if they were, else random (torch.nn's own init where it
    has one; batch-norm statistics at their initial values)."""
    module = copy.deepcopy(graph_module)
    if _weights_device(module).type == "cpu":
        return module
    module.to_empty(device="cpu")
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # the same weights every time, and the caller's random state untouched
        for parameter in module.parameters():
            parameter.normal_(0.0, 0.02)
        for name, buffer in module.named_buffers():
            buffer.fill_(1 if name.endswith("running_var") else 0)
        for submodule in module.modules():
            if type(submodule).__module__.startswith("torch.nn.") and hasattr(submodule, "reset_parameters"):
                submodule.reset_parameters()
    return module


def _small_enough(module: nn.Module) -> bool:
    """True when the model's weights fit the real-run budget: a quarter of the free address space."""
    size = sum(t.numel() * t.element_size() for t in (*module.parameters(), *module.buffers()))
    return size <= _real_run_budget()


def _real_run_budget() -> int:
    if resource is None:
        return REAL_RUN_MAX_BYTES
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return REAL_RUN_MAX_BYTES
    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        in_use = 0
    return max(0, min(REAL_RUN_MAX_BYTES, (soft - in_use) // 4))


def tensor_meta(tensor: torch.Tensor) -> TensorMeta:
    return TensorMeta(tuple(int(d) for d in tensor.shape), str(tensor.dtype).removeprefix("torch."))
