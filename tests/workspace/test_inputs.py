"""The example input is read from where the file shows it, then configuration, and its origin is told truly."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from fxlens.workspace.config import FxlensConfig, ModelOverride
from fxlens.workspace.parse import parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import DEFAULT_INPUT_SHAPE, InputOrigin, InputSpec, ModelSpec

HEAD = (
    "import torch\nimport torch.nn.functional as F\nfrom torchvision import transforms\n"
    "from torchvision.models import resnet18\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
)


def example(tmp_path: Path, body: str, config: FxlensConfig | None = None) -> InputSpec:
    doc = parse_document(str(tmp_path / "main.py"), HEAD + body, 1)
    spec = resolve_model(doc, doc.call_sites[0], tmp_path, config or FxlensConfig())
    assert isinstance(spec, ModelSpec), spec
    return spec.example_input


def shown(spec: InputSpec) -> tuple:
    assert spec.location is not None
    return spec.shapes, spec.origin, spec.location.line, spec.location.text


# -- a tensor passed to the model or the extractor ---------------------------------------------------


def test_a_tensor_passed_to_the_model_before_the_call(tmp_path: Path) -> None:
    body = (
        "model = resnet18()\nx = torch.randn(8, 1, 28, 28)\nmodel(x)\n"
        "fe = create_feature_extractor(model, ['layer1'])\n"
    )
    assert shown(example(tmp_path, body)) == (((8, 1, 28, 28),), "file", 7, "x = torch.randn(8, 1, 28, 28)")


def test_a_tensor_passed_to_the_extractor(tmp_path: Path) -> None:
    body = "fe = create_feature_extractor(resnet18(), ['layer1'])\nx = torch.randn(8, 1, 28, 28)\nout = fe(x)\n"
    assert example(tmp_path, body).shapes == ((8, 1, 28, 28),)


def test_a_tensor_passed_to_a_name_assigned_from_the_model(tmp_path: Path) -> None:
    body = (
        "def main():\n    model = resnet18()\n    net = model.eval().to('cpu')\n"
        "    fe = create_feature_extractor(model, ['layer1'])\n    with torch.no_grad():\n"
        "        net(torch.zeros(2, 3, 40, 40))\n"
    )
    assert example(tmp_path, body).shapes == ((2, 3, 40, 40),)


def test_a_tensor_passed_to_forward_after_unsqueeze(tmp_path: Path) -> None:
    body = (
        "model = resnet18()\nimage = torch.rand(3, 96, 96)\nmodel.forward(image.unsqueeze(0))\n"
        "create_feature_extractor(model, ['layer1'])\n"
    )
    assert example(tmp_path, body).shapes == ((1, 3, 96, 96),)


def test_several_inputs_of_one_call(tmp_path: Path) -> None:
    body = (
        "model = resnet18()\nmodel(torch.rand(1, 3, 8, 8), torch.rand(1, 10))\ncreate_feature_extractor(model, ['x'])\n"
    )
    assert example(tmp_path, body).shapes == ((1, 3, 8, 8), (1, 10))


# -- sizes: interpolate, transforms, tools -----------------------------------------------------------


def test_interpolate_keeps_batch_and_channels_of_a_known_tensor(tmp_path: Path) -> None:
    body = (
        "model = resnet18()\nx = F.interpolate(torch.rand(2, 1, 64, 64), size=(299, 299), mode='bilinear')\n"
        "model(x)\ncreate_feature_extractor(model, ['x'])\n"
    )
    assert shown(example(tmp_path, body))[:3] == (((2, 1, 299, 299),), "file", 7)


def test_interpolate_of_an_unknown_tensor_gives_its_size_to_one_rgb_image(tmp_path: Path) -> None:
    body = (
        "def run(batch):\n    model = resnet18()\n    fe = create_feature_extractor(model, ['x'])\n"
        "    return fe(F.interpolate(batch, size=299))\n"
    )
    assert example(tmp_path, body).shapes == ((1, 3, 299, 299),)


@pytest.mark.parametrize(
    ("pipeline", "shape"),
    [
        ("transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])", (224, 224)),
        ("transforms.Compose([transforms.Resize((320, 240)), transforms.ToTensor()])", (320, 240)),
        ("transforms.Compose([transforms.RandomResizedCrop(size=SIZE), transforms.Resize(SIZE + 8)])", (200, 200)),
        ("transforms.Resize(299)", (299, 299)),
    ],
)
def test_the_size_the_transforms_produce(tmp_path: Path, pipeline: str, shape: tuple[int, int]) -> None:
    body = f"SIZE = 192\npreprocess = {pipeline}\ncreate_feature_extractor(resnet18(), ['x'])\n"
    spec = example(tmp_path, body)
    assert (spec.shapes, spec.origin) == (((1, 3, *shape),), "file")
    assert spec.location is not None and spec.location.line == 7


def test_grayscale_in_the_pipeline_means_one_channel(tmp_path: Path) -> None:
    body = (
        "from torchvision.transforms import v2\n"
        "tf = v2.Compose([v2.Grayscale(), v2.Resize((28, 28)), v2.ToTensor()])\n"
        "create_feature_extractor(resnet18(), ['x'])\n"
    )
    assert example(tmp_path, body).shapes == ((1, 1, 28, 28),)


def test_a_tensor_given_to_the_model_wins_over_the_transforms(tmp_path: Path) -> None:
    body = (
        "tf = transforms.CenterCrop(224)\nmodel = resnet18()\nmodel(torch.rand(1, 3, 64, 64))\n"
        "create_feature_extractor(model, ['x'])\n"
    )
    assert example(tmp_path, body).shapes == ((1, 3, 64, 64),)


@pytest.mark.parametrize(
    ("tool", "shape"),
    [
        ("torch.jit.trace(model, torch.rand(1, 3, 32, 32))", (1, 3, 32, 32)),
        ("torch.onnx.export(model, (torch.rand(4, 3, 48, 48),), 'm.onnx')", (4, 3, 48, 48)),
        ("torchinfo.summary(model, input_size=(16, 1, 28, 28))", (16, 1, 28, 28)),
        ("torchsummary.summary(model, (3, 32, 32))", (1, 3, 32, 32)),
    ],
)
def test_the_example_a_tool_runs_the_model_on(tmp_path: Path, tool: str, shape: tuple[int, ...]) -> None:
    body = f"import torchinfo, torchsummary\nmodel = resnet18()\n{tool}\ncreate_feature_extractor(model, ['x'])\n"
    assert example(tmp_path, body).shapes == (shape,)


def test_a_dimension_that_is_not_a_literal_is_not_an_input(tmp_path: Path) -> None:
    body = "import sys\nmodel = resnet18()\nmodel(torch.rand(int(sys.argv[1]), 3, 8, 8))\n"
    body += "create_feature_extractor(model, ['x'])\n"
    assert example(tmp_path, body) == InputSpec()


# -- then configuration, then the default ------------------------------------------------------------


def test_the_file_wins_over_configuration(tmp_path: Path) -> None:
    body = "fe = create_feature_extractor(resnet18(), ['x'])\nfe(torch.rand(1, 3, 50, 50))\n"
    spec = example(tmp_path, body, FxlensConfig(input_shapes=((1, 3, 64, 64),)))
    assert (spec.shapes, spec.origin) == (((1, 3, 50, 50),), "file")


def test_configuration_of_the_model_wins_over_the_workspace_default_shape(tmp_path: Path) -> None:
    config = FxlensConfig(
        input_shapes=((1, 3, 64, 64),), models=(("resnet18", ModelOverride(input_shapes=((1, 3, 32, 32),))),)
    )
    spec = example(tmp_path, "create_feature_extractor(resnet18(), ['x'])\n", config)
    assert (spec.shapes, spec.origin, spec.location) == (((1, 3, 32, 32),), "config", None)


def test_without_file_or_configuration_the_default_is_labelled_default(tmp_path: Path) -> None:
    spec = example(tmp_path, "create_feature_extractor(resnet18(), ['x'])\n")
    assert spec == InputSpec(shapes=(DEFAULT_INPUT_SHAPE,), origin="default", location=None)


def test_the_origins_leave_room_for_what_the_worker_finds() -> None:
    assert typing.get_args(InputOrigin) == ("given", "file", "config", "metadata", "first-layer", "default")
