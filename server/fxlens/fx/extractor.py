"""``get_graph_node_names`` and ``create_feature_extractor``, with torchvision 0.29's behaviour.

Same signatures, same names, same errors (word for word) and same outputs as
``torchvision.models.feature_extraction``, on torch.fx alone. Two flaws are not copied: the
caller's ``tracer_kwargs`` dict is never mutated, and tuples are accepted where torchvision
insists on lists.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

from torch import fx, nn
from torch.fx.graph_module import _USER_PRESERVED_ATTRIBUTES_KEY, _CodeOnlyModule, _copy_attr

from fxlens.fx.defaults import with_defaults
from fxlens.fx.tracer import NodePathTracer
from fxlens.selection import argument_error, missing_node_message, query_is_present, select_outputs

NodeSpec = list[str] | tuple[str, ...] | Mapping[str, str]


def get_graph_node_names(
    model: nn.Module,
    tracer_kwargs: dict[str, Any] | None = None,
    suppress_diff_warning: bool = False,
    concrete_args: dict[str, Any] | None = None,
) -> tuple[list[str], list[str]]:
    """The node names of ``model`` traced in train mode and in eval mode, in execution order.

    The model's training flag is restored afterwards, also when tracing fails.
    """
    kwargs = with_defaults(tracer_kwargs)
    was_training = model.training
    try:
        train = trace_names(model.train(), kwargs, concrete_args)
        eval_ = trace_names(model.eval(), kwargs, concrete_args)
    finally:
        model.train(was_training)
    if not suppress_diff_warning:
        warn_graph_differences(train, eval_)
    return train, eval_


def trace_names(model: nn.Module, tracer_kwargs: dict[str, Any], concrete_args: dict[str, Any] | None) -> list[str]:
    """Trace ``model`` in its current mode and return its node names."""
    tracer = NodePathTracer(**tracer_kwargs)
    tracer.trace(model, concrete_args=concrete_args)
    return list(tracer.node_to_qualname.values())


def warn_graph_differences(train: list[str], eval_: list[str]) -> None:
    """Warn, with torchvision's words, when train and eval mode give different nodes."""
    if train == eval_:
        return
    if _is_subsequence(eval_, of=train):
        msg = (
            "NOTE: The nodes obtained by tracing the model in eval mode are a subsequence of those "
            "obtained in train mode. "
        )
    elif _is_subsequence(train, of=eval_):
        msg = (
            "NOTE: The nodes obtained by tracing the model in train mode are a subsequence of those "
            "obtained in eval mode. "
        )
    else:
        msg = "The nodes obtained by tracing the model in train mode are different to those obtained in eval mode. "
    warnings.warn(
        msg + "When choosing nodes for feature extraction, you may need to specify output nodes for "
        "train and eval mode separately.",
        stacklevel=3,
    )


def _is_subsequence(items: list[str], of: list[str]) -> bool:
    remaining = iter(of)
    return all(any(item == other for other in remaining) for item in items)


def normalize_return_nodes(
    return_nodes: NodeSpec | None,
    train_return_nodes: NodeSpec | None,
    eval_return_nodes: NodeSpec | None,
) -> dict[str, dict[str, str]]:
    """``{"train": {query: output_name}, "eval": {...}}``, or torchvision's ``ValueError``."""
    error = argument_error(return_nodes is not None, train_return_nodes is not None, eval_return_nodes is not None)
    if error is not None:
        raise ValueError(error)
    if return_nodes is not None:
        return {"train": _to_str_dict(return_nodes), "eval": _to_str_dict(return_nodes)}
    return {"train": _to_str_dict(train_return_nodes), "eval": _to_str_dict(eval_return_nodes)}


def _to_str_dict(nodes: NodeSpec | Iterable[str]) -> dict[str, str]:
    if isinstance(nodes, Mapping):
        return {str(k): str(v) for k, v in nodes.items()}
    return {str(n): str(n) for n in nodes}


def create_feature_extractor(
    model: nn.Module,
    return_nodes: NodeSpec | None = None,
    train_return_nodes: NodeSpec | None = None,
    eval_return_nodes: NodeSpec | None = None,
    tracer_kwargs: dict[str, Any] | None = None,
    suppress_diff_warning: bool = False,
    concrete_args: dict[str, Any] | None = None,
) -> fx.GraphModule:
    """A module that returns ``{output_name: activation}`` for the requested nodes of ``model``.

    ``return_nodes`` (or ``train_return_nodes`` and ``eval_return_nodes`` together) is a list of
    node names or a ``{node_name: output_name}`` dict; a name may be a module path, which selects
    the last node executed inside that module. The result holds a train and an eval graph and
    switches between them on ``.train()`` / ``.eval()``.
    """
    kwargs = with_defaults(tracer_kwargs)
    mode_queries = normalize_return_nodes(return_nodes, train_return_nodes, eval_return_nodes)
    was_training = model.training
    name = type(model).__name__
    graphs: dict[str, fx.Graph] = {}
    mode_names: dict[str, list[str]] = {}
    try:
        for mode, queries in mode_queries.items():
            model.train(mode == "train")
            graphs[mode], mode_names[mode] = _extraction_graph(model, name, queries, kwargs, concrete_args)
    finally:
        model.train(was_training)
    if not suppress_diff_warning:
        warn_graph_differences(mode_names["train"], mode_names["eval"])
    extractor = DualGraphModule(model, graphs["train"], graphs["eval"], class_name=name)
    extractor.train(was_training)
    return extractor


def _extraction_graph(
    model: nn.Module,
    class_name: str,
    queries: dict[str, str],
    tracer_kwargs: dict[str, Any],
    concrete_args: dict[str, Any] | None,
) -> tuple[fx.Graph, list[str]]:
    """Trace ``model`` in its current mode and rewrite the graph to output the queried nodes."""
    tracer = NodePathTracer(**tracer_kwargs)
    graph = tracer.trace(model, concrete_args=concrete_args)
    graph_module = fx.GraphModule(tracer.root, graph, class_name)
    named = list(tracer.node_to_qualname.items())
    names = [qualname for _, qualname in named]
    if len(set(names)) != len(names):
        raise ValueError("There are duplicate nodes! Please raise an issue https://github.com/pytorch/vision/issues")
    for query in queries:
        if not query_is_present(query, names):
            raise ValueError(missing_node_message(query))

    outputs = [n for n in graph.nodes if n.op == "output"]
    if not outputs:
        raise ValueError("No output nodes found in graph_module.graph.nodes")
    for node in reversed(outputs):
        graph.erase_node(node)
    last = list(graph.nodes)[-1]
    selected = {out: named[i][0] for out, i in select_outputs(names, queries).items()}
    with graph.inserting_after(last):
        graph.output(selected)
    graph.eliminate_dead_code()
    graph_module.recompile()
    return graph, names


class DualGraphModule(fx.GraphModule):
    """A ``GraphModule`` holding a train graph and an eval graph; ``train(mode)`` swaps them.

    Submodules and attributes used by either graph are copied from ``root``.
    """

    def __init__(self, root: nn.Module, train_graph: fx.Graph, eval_graph: fx.Graph, class_name: str = "GraphModule"):
        super(fx.GraphModule, self).__init__()
        self.__class__.__name__ = class_name
        self.train_graph = train_graph
        self.eval_graph = eval_graph
        for node in chain(train_graph.nodes, eval_graph.nodes):
            if node.op in ("get_attr", "call_module"):
                if not isinstance(node.target, str):
                    raise TypeError(f"node.target should be of type str instead of {type(node.target)}")
                _copy_attr(root, self, node.target)
        self.train()
        self.graph = train_graph
        if eval_graph._tracer_cls != train_graph._tracer_cls:
            raise TypeError(
                "Train mode and eval mode should use the same tracer class. Instead got "
                f"{eval_graph._tracer_cls} for eval vs {train_graph._tracer_cls} for train"
            )
        tracer_cls = train_graph._tracer_cls
        self._tracer_cls = tracer_cls if tracer_cls and "<locals>" not in tracer_cls.__qualname__ else None

    def train(self, mode: bool = True) -> DualGraphModule:
        """Switch to the graph of ``mode`` (recompiling only when the mode changes)."""
        if mode and not self.training:
            self.graph = self.train_graph
        elif not mode and self.training:
            self.graph = self.eval_graph
        return super().train(mode=mode)

    def __deepcopy__(self, memo: dict[int, Any]) -> DualGraphModule:
        """``fx.GraphModule.__deepcopy__``, rebuilt from both graphs, in this module's mode.

        (torchvision's copy of an eval-mode extractor comes back in train mode; this one does not.)
        """
        result = type(self).__new__(type(self))
        memo[id(self)] = result
        fake = _CodeOnlyModule(copy.deepcopy(self.__dict__, memo))
        DualGraphModule.__init__(result, fake, fake.__dict__["train_graph"], fake.__dict__["eval_graph"])
        for attr in (
            "_state_dict_hooks",
            "_load_state_dict_pre_hooks",
            "_load_state_dict_post_hooks",
            "_replace_hook",
            "_create_node_hooks",
            "_erase_node_hooks",
        ):
            if attr in self.__dict__:
                setattr(result, attr, copy.deepcopy(self.__dict__[attr], memo))
        result.meta = copy.deepcopy(getattr(self, "meta", {}), memo)
        for attr_name, value in result.meta.get(_USER_PRESERVED_ATTRIBUTES_KEY, {}).items():
            setattr(result, attr_name, value)
        return result.train(self.training)
