"""torch.fx feature extraction with torchvision's names and results, plus a node table.

``get_graph_node_names``, ``create_feature_extractor``, ``NodePathTracer`` and
``LeafModuleAwareTracer`` behave as torchvision 0.29's (``torchvision.models.feature_extraction``)
without needing torchvision. ``node_table`` adds what torchvision lacks: each node's op, target,
module, source line and output shapes, computed on the ``meta`` device; ``build_model``
constructs a model there without allocating its weights.
"""

from fxlens.fx.build import BuiltModel, build_model
from fxlens.fx.extractor import DualGraphModule, create_feature_extractor, get_graph_node_names
from fxlens.fx.table import DEFAULT_INPUT_SHAPE, NodeTableError, node_table, trace_problem
from fxlens.fx.tracer import LeafModuleAwareTracer, NodePathTracer

__all__ = [
    "DEFAULT_INPUT_SHAPE",
    "BuiltModel",
    "DualGraphModule",
    "LeafModuleAwareTracer",
    "NodePathTracer",
    "NodeTableError",
    "build_model",
    "create_feature_extractor",
    "get_graph_node_names",
    "node_table",
    "trace_problem",
]
