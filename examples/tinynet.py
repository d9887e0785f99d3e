"""A small workspace model: the example that `fxlens check examples/` and the README use."""

import torch.nn.functional as F
from torch import nn

WIDTH = 16


class Block(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.bn(self.conv(x))) + x


class TinyNet(nn.Module):
    def __init__(self, width: int = WIDTH, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, stride=2, padding=1)
        self.blocks = nn.Sequential(Block(width), Block(width))
        self.head = nn.Linear(width, num_classes)
        self.aux = nn.Linear(width, num_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.blocks(x)
        pooled = x.mean((2, 3))
        logits = self.head(pooled)
        if self.training:
            return logits + 0.1 * self.aux(pooled)
        return logits
