"""Feature extraction with a few of the mistakes `fxlens check examples/` reports."""

import torch
from tinynet import TinyNet
from torchvision.models import resnet18
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet18(weights=None).eval()
extractor = create_feature_extractor(
    model,
    return_nodes={
        "layer1.0.relu2": "low",  # FXL001: the second ReLU of the block is `layer1.0.relu_1`
        "layer4": "high",
        "layer4.1": "last",  # FXL005: `layer4` already took `layer4.1`'s last node
        "layer1.0.bn1": "bn",  # FXL007: ReLU(inplace=True) overwrites it
    },
)
features = extractor(torch.rand(1, 3, 64, 64))

tiny = TinyNet(width=32)
tiny_features = create_feature_extractor(tiny, return_nodes=["blocks.1.add", "aux"])  # FXL002: `aux` is train-only
tiny_features(torch.rand(2, 3, 32, 32))
