"""Every prefix of a file that uses the model forms resolves to a spec or a reason: no crash, no hang."""

from __future__ import annotations

from pathlib import Path

from fxlens.workspace.parse import parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved

SOURCE = """\
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import models, transforms
from torchvision.models import resnet18, resnet50, ResNet50_Weights
from torchvision.models.feature_extraction import create_feature_extractor as cfe

ARCH = "resnet50"
BUILDERS = {"resnet18": resnet18, "resnet50": resnet50}
tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])


def build(arch, classes=10):
    if arch == "resnet18":
        return resnet18(num_classes=classes)
    return resnet50(ResNet50_Weights.DEFAULT if classes == 1000 else None, num_classes=classes)


def probe(model):
    return cfe(model, ["layer1"])


class Head(nn.Module):
    def __init__(self, size: int = 96):
        super().__init__()
        self.body = nn.DataParallel(getattr(torchvision.models, ARCH)(num_classes=size))

    def taps(self):
        return cfe(self.body.module, {"layer4": "c5"})


probe(copy.deepcopy(build("resnet18")))
cfe(nn.Sequential(*list(BUILDERS[ARCH]().children())[:-2]), ["7"])
cfe(torch.hub.load("pytorch/vision", "resnet50", weights=None), ["fc"])
m = models.__dict__["resnet18"]()
cfe(m, ["fc"])(F.interpolate(torch.rand(2, 3, 64, 64), size=(128, 128)))
"""


def test_every_prefix_resolves_or_says_why(tmp_path: Path) -> None:
    resolved = 0
    for end in range(0, len(SOURCE) + 1, 5):
        doc = parse_document(str(tmp_path / "main.py"), SOURCE[:end], 1)
        for site in doc.call_sites:
            result = resolve_model(doc, site, tmp_path)
            assert isinstance(result, (ModelSpec, Unresolved))
            resolved += isinstance(result, ModelSpec)
    assert resolved > 0


def test_the_whole_file_resolves_every_call(tmp_path: Path) -> None:
    doc = parse_document(str(tmp_path / "main.py"), SOURCE, 1)
    specs = [resolve_model(doc, site, tmp_path) for site in doc.call_sites]
    assert [s.display_name if isinstance(s, ModelSpec) else s.reason for s in specs] == [
        "resnet18(num_classes=10)",
        "resnet50(num_classes=96)",
        "Sequential(*list(resnet50.children())[:-2])",
        "resnet50",
        "resnet18",
    ]
    assert [s.example_input.shapes for s in specs if isinstance(s, ModelSpec)][-1] == ((2, 3, 128, 128),)
    assert [s.example_input.origin for s in specs if isinstance(s, ModelSpec)] == ["file"] * 5
