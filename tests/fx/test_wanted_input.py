"""Without an example input, the input comes from the model's metadata, else its first layer, and says so."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch
from fxlens.fx import build_model
from fxlens.fx.inputs import wanted_input
from fxlens.worker.build import build_table
from fxlens.workspace.spec import InputSpec, ModelSpec
from torch import nn
from tv_models import build


def test_torchvision_weights_transforms_give_the_crop_size_without_downloading() -> None:
    chosen = wanted_input(build("inception_v3").model, torchvision_builder="inception_v3")
    assert chosen.shapes == ((1, 3, 299, 299),) and chosen.origin == "metadata"
    assert chosen.detail == "Inception_V3_Weights.DEFAULT transforms: crop size 299"
    assert chosen.describe() == "1×3×299×299 (model metadata: Inception_V3_Weights.DEFAULT transforms: crop size 299)"
    assert wanted_input(build("swin_v2_t").model, torchvision_builder="swin_v2_t").shapes == ((1, 3, 256, 256),)
    assert wanted_input(build("efficientnet_b7").model, torchvision_builder="efficientnet_b7").shapes == (
        (1, 3, 600, 600),
    )


def test_video_models_get_clips_and_detection_backbones_the_transform_min_size() -> None:
    video = wanted_input(build("r3d_18").model, torchvision_builder="r3d_18")
    assert video.shapes == ((1, 3, 16, 112, 112),) and "16 frames" in video.detail
    detector = build("fasterrcnn_mobilenet_v3_large_320_fpn").model
    body = wanted_input(
        detector.backbone.body, root=detector, torchvision_builder="fasterrcnn_mobilenet_v3_large_320_fpn"
    )
    assert body.shapes == ((1, 3, 320, 320),) and body.detail == "detection transform min_size 320"


def test_a_constructor_argument_image_size_wins_over_the_weights_crop() -> None:
    model = build("vit_b_16", image_size=384).model
    chosen = wanted_input(model, kwargs={"image_size": 384}, torchvision_builder="vit_b_16")
    assert chosen.shapes == ((1, 3, 384, 384),) and chosen.detail == "constructor argument image_size=384"


def test_timm_pretrained_cfg_gives_the_input_size() -> None:
    timm = pytest.importorskip("timm", reason="timm's pretrained_cfg")
    model = build_model(timm.create_model, "vit_base_patch16_384", pretrained=False).model
    chosen = wanted_input(model, factory=timm.create_model)
    assert chosen.shapes == ((1, 3, 384, 384),) and chosen.detail == "timm pretrained_cfg input_size (3, 384, 384)"


class MnistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.fc1 = nn.Linear(32 * 26 * 26, 10)

    def forward(self, x):
        return self.fc1(torch.flatten(torch.relu(self.conv1(x)), 1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc1(x)


class SizedNet(nn.Module):
    def __init__(self, image_size: int = 64):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return self.conv(x)


def test_without_metadata_the_first_layer_gives_the_channels_or_the_features() -> None:
    mnist = wanted_input(MnistNet())
    assert mnist.shapes == ((1, 1, 224, 224),) and mnist.origin == "first-layer"
    assert mnist.describe() == "1×1×224×224 (first layer: `conv1` is Conv2d(in_channels=1))"
    assert wanted_input(Mlp()).shapes == ((1, 784),)
    assert wanted_input(build("resnet18").model.fc).shapes == ((1, 512),)
    assert wanted_input(nn.ReLU()) is None


def test_a_constructor_default_image_size_is_metadata() -> None:
    chosen = wanted_input(SizedNet(), factory=SizedNet)
    assert chosen.shapes == ((1, 3, 64, 64),) and chosen.detail == "constructor default image_size=64"


def _workspace_spec(tmp_path: Path, name: str, **fields) -> ModelSpec:
    (tmp_path / "nets.py").write_text(
        textwrap.dedent("""
            import torch
            from torch import nn

            class MnistNet(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv1 = nn.Conv2d(1, 32, 3)
                    self.fc1 = nn.Linear(32 * 26 * 26, 10)

                def forward(self, x):
                    return self.fc1(torch.flatten(torch.relu(self.conv1(x)), 1))

            class RgbNet(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv = nn.Conv2d(3, 8, 3)

                def forward(self, x):
                    return self.conv(x)
        """)
    )
    return ModelSpec(
        "workspace", "nets", name, name, file=str(tmp_path / "nets.py"), workspace_root=str(tmp_path), **fields
    )


def test_the_worker_finds_mnists_28x28_from_its_first_layer_and_a_common_size(tmp_path: Path) -> None:
    table = build_table(_workspace_spec(tmp_path, "MnistNet"), {}, lambda phase: None)
    assert table.example_input.shapes == ((1, 1, 28, 28),) and table.example_input.origin == "first-layer"
    assert "28×28, the first common image size at which every shape computes" in table.example_input.detail
    assert table.shape_failures == () and table.find("eval", "fc1").output.describe() == "1×10"


def test_the_worker_keeps_a_given_input_and_labels_a_default_the_first_layer_agrees_with(tmp_path: Path) -> None:
    given = InputSpec(shapes=((2, 1, 28, 28),), origin="config")
    table = build_table(_workspace_spec(tmp_path, "MnistNet", example_input=given), {}, lambda phase: None)
    assert table.example_input.shapes == ((2, 1, 28, 28),) and table.example_input.origin == "config"
    rgb = build_table(_workspace_spec(tmp_path, "RgbNet"), {}, lambda phase: None)
    assert rgb.example_input.origin == "default" and rgb.example_input.describe() == "1×3×224×224 (default)"


def test_the_worker_gives_inception_v3_its_299_and_every_shape() -> None:
    spec = ModelSpec(
        "torchvision", "torchvision.models", "inception_v3", "inception_v3", kwargs=(("init_weights", "False"),)
    )
    table = build_table(spec, {}, lambda phase: None)
    assert table.example_input.describe() == (
        "1×3×299×299 (model metadata: Inception_V3_Weights.DEFAULT transforms: crop size 299)"
    )
    assert table.shape_failures == () and table.find("train", "AuxLogits.fc").output.describe() == "1×1000"
    assert len(table.train) == 325
