"""The lab's own small networks and factories over torchvision backbones."""

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import models
from torchvision.models import resnet18, resnet34, resnet50

from .config import NUM_CLASSES


class MnistNet(nn.Module):
    """Two conv blocks and an MLP head for 1×28×28 digits."""

    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x)), inplace=True))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


class SparseGate(nn.Module):
    """Scales pooled features by the mean of the positive activations (a data-dependent selection)."""

    def __init__(self, width: int = 16, num_classes: int = 5):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, stride=2, padding=1)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x):
        feats = torch.relu(self.stem(x))
        active = feats[feats > 0]
        gate = active.mean()
        pooled = feats.mean((2, 3)) * gate
        return self.head(pooled)


BUILDERS = {"resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50}


def build(arch: str = "resnet50", num_classes: int = 1000) -> nn.Module:
    """A randomly initialised ResNet by name."""
    return BUILDERS[arch](weights=None, num_classes=num_classes)


def build_backbone(arch: str) -> nn.Module:
    """The backbone of an experiment, by its short name."""
    if arch == "mnist":
        return MnistNet()
    elif arch == "mobilenet":
        return models.mobilenet_v3_small(weights=None)
    elif arch == "efficientnet":
        return models.efficientnet_b0(weights=None)
    raise ValueError(f"unknown backbone {arch!r}")
