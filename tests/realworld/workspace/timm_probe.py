"""The same probes on timm's ResNet-18, through timm's and torchvision's extractors."""

import timm
import torch
from timm.models import create_feature_extractor
from torchvision.models.feature_extraction import create_feature_extractor as tv_create_feature_extractor

model = timm.create_model("resnet18", pretrained=False)
sample = torch.rand(1, 3, 96, 96)

stem_and_stage = create_feature_extractor(model, ["act1", "layer2"])  # call: timm-stem-stage
print({k: v.shape for k, v in stem_and_stage(sample).items()})

head = create_feature_extractor(model, ["layer4", "fc("])  # call: timm-invalid-regex
print(head(sample).keys())

pooled = tv_create_feature_extractor(model, return_nodes={"global_pool.flatten": "pooled"})  # call: timm-torchvision
print(pooled(sample)["pooled"].shape)
