"""Feature maps of the detector's backbone for the neck ablation."""

import torch
from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_320_fpn
from torchvision.models.feature_extraction import create_feature_extractor

detector = fasterrcnn_mobilenet_v3_large_320_fpn(weights=None, weights_backbone=None).eval()

whole = create_feature_extractor(detector, return_nodes=["backbone"])  # call: detector-whole
print(whole([torch.rand(3, 320, 320)]).keys())

body = create_feature_extractor(detector.backbone.body, return_nodes=["3", "16"])  # call: detector-backbone-body
print({k: v.shape for k, v in body(torch.rand(1, 3, 320, 320)).items()})
