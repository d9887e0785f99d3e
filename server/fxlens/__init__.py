"""fxlens: node names for torch.fx feature extraction, checked before you run.

``fxlens.fx`` is the torch-only library (torchvision-compatible ``create_feature_extractor`` plus a
node table with shapes); the rest of the package is the language server, its tracing worker and
the ``fxlens`` command line. Only ``fxlens.fx`` and the worker import torch.
"""

__version__ = "0.1.0"
