"""torchvision's ``IntermediateLayerGetter``, ``BackboneWithFPN`` and ``resnet_fpn_backbone``: each
argument is given to the real constructor (and the result run on an image), and fxlens flags exactly
what raises (FXL018, FXL020-FXL022) or silently loses an output (FXL019)."""

from __future__ import annotations

import pytest
from fxlens.fx import node_table
from fxlens.lint import Finding
from helpers import codes, findings_by_line

torchvision = pytest.importorskip("torchvision")
torch = pytest.importorskip("torch")
from torchvision.models._utils import IntermediateLayerGetter  # noqa: E402
from torchvision.models.detection.backbone_utils import BackboneWithFPN, resnet_fpn_backbone  # noqa: E402

IMPORTS = (
    "from torchvision.models import {builder}\n"
    "from torchvision.models._utils import IntermediateLayerGetter\n"
    "from torchvision.models.detection.backbone_utils import BackboneWithFPN, resnet_fpn_backbone\n"
    "model = {builder}()\n"
)
HEADER_LINES = 4
RETURN_LAYERS = (
    {"layer4": "out"},
    {"layer4.1": "out"},
    {"layer2": "a", "layer3": "b"},
    {"layer3": "feat", "layer4": "feat"},
    {"layer5": "x"},
    {"features": "x"},
    {"avgpool": "pooled", "fc": "logits"},
)
FPN_CASES = (
    ({"layer3": "0", "layer4": "1"}, [256, 512]),
    ({"layer3": "0", "layer4": "1"}, [1024, 2048]),
    ({"layer4": "1", "layer3": "0"}, [512, 256]),  # the getter returns in the order of the children
    ({"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}, [64, 128, 256, 512]),
    ({"layer1": "0"}, [256]),
)


def lines_of(builder: str, calls: list[str]) -> dict[int, list[Finding]]:
    model = getattr(torchvision.models, builder)()
    source = IMPORTS.format(builder=builder) + "\n".join(calls) + "\n"
    found = findings_by_line(source, node_table(model))
    return {i: found.get(i + HEADER_LINES, []) for i in range(len(calls))}


@pytest.mark.parametrize("builder", ["resnet18", "mobilenet_v3_small"])
def test_return_layers_are_flagged_exactly_when_the_getter_raises_or_collapses(builder: str) -> None:
    found = lines_of(builder, [f"body = IntermediateLayerGetter(model, return_layers={r!r})" for r in RETURN_LAYERS])
    for index, layers in enumerate(RETURN_LAYERS):
        model = getattr(torchvision.models, builder)()
        try:
            body = IntermediateLayerGetter(model, return_layers=dict(layers))
        except ValueError as error:
            assert str(error) == "return_layers are not present in model"
            assert "FXL018" in codes(found[index]), layers
            continue
        assert "FXL018" not in codes(found[index]), layers
        outputs = body(torch.zeros(1, 3, 64, 64)) if "fc" not in layers else {}
        collapsed = len(set(layers.values())) < len(layers)
        if "fc" not in layers:
            assert (len(outputs) < len(layers)) == collapsed
        assert ("FXL019" in codes(found[index])) == collapsed, layers


def test_a_grandchild_key_offers_the_child_that_holds_it() -> None:
    (finding,) = lines_of("resnet18", ['body = IntermediateLayerGetter(model, return_layers={"layer4.1": "out"})'])[0]
    assert finding.message == (
        "`layer4.1` is inside `layer4`, not a direct child of the model: IntermediateLayerGetter raises "
        "ValueError: return_layers are not present in model; did you mean `layer4`?"
    )
    assert [fix.edits[0].new_text for fix in finding.fixes] == ["layer4"]


@pytest.mark.parametrize("builder", ["resnet18", "resnet50"])
def test_in_channels_list_is_flagged_exactly_when_the_fpn_fails_and_the_fix_runs(builder: str) -> None:
    calls = [f"fpn = BackboneWithFPN(model, {layers!r}, {channels!r}, 256)" for layers, channels in FPN_CASES]
    found = lines_of(builder, calls)
    for index, (layers, channels) in enumerate(FPN_CASES):
        image = torch.zeros(1, 3, 64, 64)
        model = getattr(torchvision.models, builder)().eval()
        try:
            BackboneWithFPN(model, dict(layers), channels, 256).eval()(image)
        except RuntimeError:
            (finding,) = [f for f in found[index] if f.code == "FXL020"]
            right = [int(c) for c in finding.fixes[0].edits[0].new_text.strip("[]").split(",")]
            fresh = getattr(torchvision.models, builder)().eval()
            BackboneWithFPN(fresh, dict(layers), right, 256).eval()(image)  # the fix's list runs
            continue
        assert "FXL020" not in codes(found[index]), (builder, layers, channels)


RANGES = (
    {"returned_layers": [1, 2, 3, 4]},
    {"returned_layers": [0, 2]},
    {"returned_layers": [5]},
    {"returned_layers": [2, 4], "trainable_layers": 0},
    {"trainable_layers": 5},
    {"trainable_layers": 6},
    {"trainable_layers": -1},
)


def test_returned_and_trainable_layers_are_flagged_exactly_when_the_builder_raises() -> None:
    def text(kwargs: dict) -> str:
        given = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        return f'backbone = resnet_fpn_backbone(backbone_name="resnet18", weights=None, {given})'

    found = lines_of("resnet18", [text(kwargs) for kwargs in RANGES])
    for index, kwargs in enumerate(RANGES):
        try:
            resnet_fpn_backbone(backbone_name="resnet18", weights=None, **kwargs)
        except ValueError as error:
            expected = "FXL021" if "returned layer" in str(error) else "FXL022"
            assert expected in codes(found[index]), (kwargs, error)
            continue
        assert not codes(found[index]) & {"FXL021", "FXL022"}, kwargs
