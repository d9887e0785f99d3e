"""Attention-probe experiments on a small ViT trained from scratch on 32×32 crops."""

import torch
from torch import nn
from torchvision.models import VisionTransformer
from torchvision.models.feature_extraction import create_feature_extractor


class Classifier(nn.Module):
    def __init__(self, image_size: int = 32, depth: int = 2, num_classes: int = 10):
        super().__init__()
        self.vit = VisionTransformer(
            image_size=image_size,
            patch_size=8,
            num_layers=depth,
            num_heads=2,
            hidden_dim=32,
            mlp_dim=64,
            num_classes=num_classes,
        )

    def forward(self, x):
        return self.vit(x)


crops = torch.rand(4, 3, 32, 32)
clf = Classifier()

tokens = create_feature_extractor(  # call: vit-tokens
    clf, return_nodes={"vit.encoder.ln": "tokens", "vit.encoder.layers.encoder_layer_0.mlp": "mlp0"}
)
print({k: v.shape for k, v in tokens(crops).items()})

second_norm = create_feature_extractor(clf, ["vit.encoder.layers.encoder_layer_1.ln_2"])  # call: vit-ln2
print(second_norm(crops).keys())

blocks = {f"vit.encoder.layers.encoder_layer_{i}": f"block{i}" for i in range(2)}
per_block = create_feature_extractor(clf, return_nodes=blocks)  # call: vit-block-comprehension
print({k: v.shape for k, v in per_block(crops).items()})
