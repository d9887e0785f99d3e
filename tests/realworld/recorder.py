"""What each marked feature-extraction call really does, observed while the workspace runs.

The recorder replaces torchvision's and timm's `create_feature_extractor` / `get_graph_node_names`
with wrappers that call the originals unchanged and note, per call: the model's node names, the
outcome (returned, raised, timed out), the warnings, and — when the workspace runs the extractor —
what it returns for that input in both modes: the keys in order, the node behind each key, its
shape, whether it still equals that node's own value (in-place overwrites), and which node each
query selects when asked for alone (what an overlap took away).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import torch
import torchvision.models.feature_extraction as tv_fx
from markers import Markers
from torch import fx, nn

MODES = ("train", "eval")
NOT_PRESENT = re.compile(r"node: '(.*)' is not present in model")
ORIGINAL_TRACER = tv_fx.NodePathTracer


class RecordingTracer(ORIGINAL_TRACER):
    """torchvision's NodePathTracer, remembering every instance so the selected nodes can be named."""

    made: ClassVar[list[ORIGINAL_TRACER]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        RecordingTracer.made.append(self)


class Recorder:
    """Collects the truth of every marked call; `wrap` makes the observing stand-ins of the API."""

    def __init__(self, markers: Markers, root: str, tv_create: Callable, tv_names: Callable) -> None:
        self.markers, self.root = markers, root
        self.tv_create, self.tv_names = tv_create, tv_names
        self.calls: dict[str, dict] = {}
        self.models: dict[str, dict] = {}
        self.pending: dict[str, tuple[nn.Module, nn.Module, dict, Callable[[], dict]]] = {}

    # -- interception -------------------------------------------------------------------------

    def wrap(self, original: Callable, library: str, tracer_kwargs: Callable[[], dict | None]) -> Callable:
        """A stand-in for ``original`` that records the marked call it is invoked from.

        ``tracer_kwargs`` makes the tracer arguments the library passes to torchvision (timm's leaf
        modules and wrapped functions), fresh each time since torchvision mutates the dict it gets.
        """
        name = original.__name__

        def observed(model: nn.Module, *args: Any, **kwargs: Any) -> Any:
            call_id = self._caller_id(sys._getframe(1))
            span = self.markers.calls[call_id]
            record = self.calls.setdefault(call_id, {**span.to_json(), "function": name, "library": library})
            if "outcome" in record:
                raise RuntimeError(f"call {call_id!r} ran twice: give each run its own marked call")
            record["model"] = self._model_key(model, {"tracer_kwargs": kwargs.get("tracer_kwargs", tracer_kwargs())})
            if name == "create_feature_extractor":
                record["arguments"] = _arguments(args, kwargs)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                RecordingTracer.made.clear()
                try:
                    result = original(model, *args, **kwargs)
                except TimeoutError:
                    record["outcome"] = "timeout"
                    raise
                except Exception as error:
                    record["outcome"] = "raises"
                    record["exception"] = _exception(error, model, record.get("model"), self.models)
                    raise
                finally:
                    record["warnings"] = [{"category": w.category.__name__, "message": str(w.message)} for w in caught]
            record["outcome"] = "returns"
            if name == "create_feature_extractor":
                selected = _selected(result, RecordingTracer.made[-2:])
                own_kwargs = {k: v for k, v in kwargs.items() if not k.endswith("return_nodes")}
                self._expect_a_run(
                    call_id, model, result, selected, lambda: {"tracer_kwargs": tracer_kwargs(), **own_kwargs}
                )
            return result

        observed.__name__ = name
        observed.__wrapped__ = original  # type: ignore[attr-defined]
        return observed

    def _caller_id(self, frame: Any) -> str:
        path = frame.f_code.co_filename
        relative = path[len(self.root) + 1 :] if path.startswith(self.root + "/") else path
        call_id = self.markers.call_at(relative, frame.f_lineno)
        if call_id is None:
            raise RuntimeError(f"{relative}:{frame.f_lineno}: a feature-extraction call without a `# call: ID` marker")
        return call_id

    def _model_key(self, model: nn.Module, kwargs: dict) -> str | None:
        """The key of the model's node names in ``models`` (None when torchvision cannot trace it)."""
        try:
            train, eval_ = self.tv_names(model, suppress_diff_warning=True, **kwargs)
        except Exception:  # noqa: BLE001 - a model torchvision cannot trace has no names; the call records why
            return None
        digest = hashlib.sha1(json.dumps([train, eval_]).encode()).hexdigest()[:10]
        key = f"{type(model).__name__}-{digest}"
        self.models.setdefault(key, {"class": type(model).__name__, "train": train, "eval": eval_})
        return key

    # -- runs ---------------------------------------------------------------------------------

    def _expect_a_run(
        self, call_id: str, model: nn.Module, extractor: nn.Module, selected: dict, kwargs: Callable[[], dict]
    ) -> None:
        """Measure the extractor on the first input the workspace gives it."""
        self.pending[call_id] = (model, extractor, selected, kwargs)

        def first_run(module: nn.Module, args: tuple) -> None:
            handle.remove()
            try:
                self._measure(call_id, args)
            except Exception as error:  # noqa: BLE001 - reported by `unfinished`, the workspace run goes on
                self.calls[call_id]["measure_error"] = f"{type(error).__name__}: {error}"

        handle = extractor.register_forward_pre_hook(first_run)

    def _measure(self, call_id: str, args: tuple) -> None:
        model, extractor, selected, kwargs = self.pending.pop(call_id)
        record = self.calls[call_id]
        record["input"] = [list(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__ for a in args]
        queries = {mode: dict(record["arguments"][f"{mode}_return_nodes"]) for mode in MODES}
        alone = self._alone(model, queries, selected, kwargs)
        was_training = extractor.training
        record["modes"] = {m: _run_mode(extractor, m, args, selected[m], alone[m], queries[m]) for m in MODES}
        extractor.train(was_training)

    def _alone(
        self, model: nn.Module, queries: dict[str, dict[str, str]], selected: dict, kwargs: Callable[[], dict]
    ) -> dict[str, dict[str, str | None]]:
        """Per mode, the node each query selects when it is the only query (None: it selects nothing)."""
        alone: dict[str, dict[str, str | None]] = {mode: {} for mode in MODES}
        for mode in MODES:
            if len(queries[mode]) == 1:  # the call itself asked for it alone
                ((query, key),) = queries[mode].items()
                alone[mode][query] = selected[mode].get(key)
        for mode in MODES:
            for query, key in queries[mode].items():
                if query in alone[mode]:
                    continue
                # a query the call gives for both modes exists in both: one extractor answers for both
                both = [m for m in MODES if queries[m].get(query) == key and query not in alone[m]]
                nodes = {f"{m}_return_nodes": {query: key} if m in both else {} for m in MODES}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    RecordingTracer.made.clear()
                    extractor = self.tv_create(model, **nodes, **{**kwargs(), "suppress_diff_warning": True})
                chosen = _selected(extractor, RecordingTracer.made[-2:])
                for m in both:
                    alone[m][query] = chosen[m].get(key)
        return alone

    def unfinished(self) -> list[str]:
        """Why the recording is incomplete: marked calls never run, extractors never run."""
        problems = [f"call {i!r} never ran" for i in self.markers.calls if "outcome" not in self.calls.get(i, {})]
        problems += [f"the extractor of call {i!r} is never run by the workspace" for i in self.pending]
        problems += [f"call {i!r}: {r['measure_error']}" for i, r in self.calls.items() if "measure_error" in r]
        return problems


class Snapshots(fx.Interpreter):
    """Runs a graph and keeps a copy of every tensor as it was produced."""

    def __init__(self, module: nn.Module, graph: fx.Graph) -> None:
        super().__init__(module, graph=graph)
        self.values: dict[fx.Node, torch.Tensor] = {}

    def run_node(self, n: fx.Node) -> Any:
        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            self.values[n] = result.detach().clone()
        return result


def _run_mode(
    extractor: nn.Module, mode: str, args: tuple, selected: dict, alone: dict, queries: dict[str, str]
) -> dict:
    """The outputs of ``extractor`` in ``mode`` on ``args`` and, per query, whether it got its node."""
    extractor.train(mode == "train")
    graph = extractor.train_graph if mode == "train" else extractor.eval_graph
    output = next(n for n in reversed(graph.nodes) if n.op == "output").args[0]
    found: dict[str, Any] = {"outputs": [], "queries": []}
    try:
        with torch.no_grad():
            interpreter = Snapshots(extractor, graph)
            values = interpreter.run(*args)
    except Exception as error:  # noqa: BLE001 - a model that fails on this input in this mode is a fact to record
        found["run_error"] = f"{type(error).__name__}: {error}"
        values = None
    for key, node in output.items():
        entry: dict[str, Any] = {"key": key, "node": selected[key]}
        if values is not None:
            value = values[key]
            if isinstance(value, torch.Tensor):
                own = interpreter.values[node]
                entry |= {"shape": list(value.shape), "dtype": str(value.dtype).removeprefix("torch.")}
                entry["equals_own_value"] = bool(value.shape == own.shape and torch.equal(value, own))
            else:
                entry["type"] = type(value).__name__
        found["outputs"].append(entry)
    for query, key in queries.items():
        served = alone[query] is not None and selected.get(key) == alone[query]
        found["queries"].append({"query": query, "key": key, "alone": alone[query], "served": served})
    return found


def _selected(extractor: nn.Module, tracers: list) -> dict[str, dict[str, str]]:
    """Per mode, the qualified name of the node behind each output key."""
    train_tracer, eval_tracer = tracers
    chosen = {}
    for mode, graph, tracer in (
        ("train", extractor.train_graph, train_tracer),
        ("eval", extractor.eval_graph, eval_tracer),
    ):
        output = next(n for n in reversed(graph.nodes) if n.op == "output").args[0]
        chosen[mode] = {key: tracer.node_to_qualname[node] for key, node in output.items()}
    return chosen


def _arguments(args: tuple, kwargs: dict) -> dict:
    """The node arguments as torchvision normalises them (`str()` of each, a list as `{s: s}`)."""
    names = ("return_nodes", "train_return_nodes", "eval_return_nodes")
    given = dict(zip(names, args, strict=False)) | {k: v for k, v in kwargs.items() if k in names}

    def pairs(nodes: Any) -> list[list[str]] | None:
        if nodes is None:
            return None
        if isinstance(nodes, dict):
            return [[str(k), str(v)] for k, v in nodes.items()]
        return [[str(n), str(n)] for n in nodes]

    found = {name: pairs(given.get(name)) for name in names}
    found["given_as"] = {name: type(given[name]).__name__ for name in names if given.get(name) is not None}
    if found["return_nodes"] is not None:
        found["train_return_nodes"] = found["eval_return_nodes"] = found["return_nodes"]
    return found


def _exception(error: Exception, model: nn.Module, model_key: str | None, models: dict) -> dict:
    """The exception, and for a missing node: which query, and whether the other mode or a module has it."""
    found: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    match = NOT_PRESENT.search(str(error))
    if match and model_key is not None:
        query, names = match.group(1), models[model_key]
        try:
            model.get_submodule(query)
            is_module = True
        except AttributeError:
            is_module = False
        in_modes = [m for m in MODES if any(n == query or n.startswith(query + ".") for n in names[m])]
        found["not_present"] = {"query": query, "in_modes": in_modes, "is_module_path": is_module}
    return found
