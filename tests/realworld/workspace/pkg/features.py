"""Feature taps: multi-scale maps for the FPN neck and frozen features for linear probes."""

from dataclasses import dataclass, field

from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

from .config import TAPS
from .models import build


class MultiScale(nn.Module):
    """Three feature maps of a ResNet, for an FPN neck."""

    def __init__(self, arch: str = "resnet50"):
        super().__init__()
        self.taps = {"layer2": "c3", "layer3": "c4", "layer4": "c5"}  # nodes: multiscale-self-taps
        self.body = self._extractor(build(arch))

    def _extractor(self, backbone: nn.Module) -> nn.Module:
        return create_feature_extractor(backbone, return_nodes=self.taps)  # call: multiscale-self-taps

    def forward(self, x):
        return list(self.body(x).values())


def fpn_features(arch: str = "resnet18") -> nn.Module:
    """The stages named in the shared config, of a ResNet."""
    model = build(arch)
    return create_feature_extractor(model, return_nodes=TAPS)  # call: fpn-config-taps


@dataclass
class ProbeConfig:
    arch: str = "resnet18"
    nodes: list[str] = field(default_factory=lambda: ["layer1.0.relu_1", "layer3.1.add"])  # nodes: probe-dataclass
    lr: float = 0.1


def linear_probe(cfg: ProbeConfig) -> nn.Module:
    """Frozen features of the configured nodes, for a linear probe."""
    backbone = build(cfg.arch, num_classes=10)
    backbone.requires_grad_(False)
    return create_feature_extractor(backbone, cfg.nodes)  # call: probe-dataclass
