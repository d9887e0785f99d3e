"""Backbones in the forms the training code hands them around: wrapped, copied, loaded by name, cut."""

import copy

import torch
import torchvision
from pkg.config import BACKBONE_NODES, MOBILE_TAPS
from torch import nn
from torchvision import models
from torchvision.models import MobileNet_V3_Small_Weights, ResNet18_Weights, mobilenet_v3_small, resnet18
from torchvision.models.feature_extraction import create_feature_extractor

PRETRAINED = False
x = torch.rand(1, 3, 128, 128)

# DataParallel and the EMA copy of the model, as the trainer keeps them
parallel = nn.DataParallel(resnet18(weights=None)).module
dp = create_feature_extractor(parallel, return_nodes=["layer3"])  # call: dataparallel-module
print(dp(x)["layer3"].shape)

ema = copy.deepcopy(parallel)
ema_features = create_feature_extractor(ema, return_nodes={"layer2.1.relu_1": "mid"})  # call: deepcopy-ema
print(ema_features(x)["mid"].shape)

# torch.hub, as in the paper's reference code
hub = torch.hub.load("pytorch/vision", "resnet50", weights=None)
hub_features = create_feature_extractor(hub, BACKBONE_NODES)  # call: hub-resnet50
print(hub_features(x)["out"].shape)

# the convolutional trunk only
trunk = nn.Sequential(*list(resnet18(weights=None).children())[:-2])
trunk_features = create_feature_extractor(trunk, return_nodes=["4", "7.1.relu_1"])  # call: sequential-trunk
print(trunk_features(x)["7.1.relu_1"].shape)

weights = ResNet18_Weights.DEFAULT if PRETRAINED else None
conditional = resnet18(weights=weights)
conditional_features = create_feature_extractor(conditional, return_nodes=["layer4"])  # call: conditional-weights
print(conditional_features(x)["layer4"].shape)

mobile = mobilenet_v3_small(MobileNet_V3_Small_Weights.DEFAULT)
mobile_features = create_feature_extractor(mobile, return_nodes=MOBILE_TAPS)  # call: mobilenet-positional-weights
print([v.shape for v in mobile_features(x).values()])
mobile_neck = create_feature_extractor(mobile, return_nodes=BACKBONE_NODES)  # call: mobilenet-backbone-nodes
print(mobile_neck(x).keys())

DEEP_ARCH = "resnet34"
by_name = getattr(torchvision.models, DEEP_ARCH)(weights=None)
by_name_features = create_feature_extractor(by_name, return_nodes=["layer3.5.relu_1"])  # call: getattr-resnet34
print(by_name_features(x)["layer3.5.relu_1"].shape)

from_dict = models.__dict__["resnet50"](weights=None)
from_dict_features = create_feature_extractor(from_dict, {"layer4.2.relu_2": "last"})  # call: models-dict-resnet50
print(from_dict_features(x)["last"].shape)
