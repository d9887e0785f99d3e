"""timm's ``model.forward_intermediates(x, indices=...)``: each ``indices`` is given to the real method
of a real model, and fxlens flags exactly those that raise (FXL028) and those whose returned list is
not one intermediate per written index in the written order (FXL029), judged on the ``feature_info``
of the model's table — whose entries are what the real intermediates are (channels, reduction)."""

from __future__ import annotations

from typing import Any

import pytest
from fxlens.fx import node_table
from fxlens.fx.modules import feature_entries
from fxlens.nodes import NodeTable
from fxlens.workspace.parse import parse_document
from helpers import codes, findings_by_line

timm = pytest.importorskip("timm")
torch = pytest.importorskip("torch")

INPUT_SIZES = {"resnet18": 64, "vit_tiny_patch16_224": 224, "convnext_atto": 64}


class Built:
    """A real timm model in eval mode, an input for it, and its node table."""

    def __init__(self, name: str) -> None:
        torch.manual_seed(0)
        self.name = name
        self.model = timm.create_model(name, pretrained=False).eval()
        size = INPUT_SIZES[name]
        self.input = torch.randn(1, 3, size, size)
        self.table: NodeTable = node_table(self.model)

    def intermediates(self, indices: Any) -> list[Any]:
        with torch.no_grad():
            return self.model.forward_intermediates(self.input, indices=indices, intermediates_only=True)


@pytest.fixture(scope="module", params=sorted(INPUT_SIZES))
def built(request: pytest.FixtureRequest) -> Built:
    return Built(request.param)


def test_the_intermediates_are_the_tables_features_in_order(built: Built) -> None:
    everything = built.intermediates(None)
    assert len(everything) == len(built.table.features) > 0
    for output, feature in zip(everything, built.table.features, strict=True):
        assert output.shape[1] == feature.channels, (built.name, feature)
        assert built.input.shape[-1] // output.shape[-1] == feature.reduction, (built.name, feature)


FAMILIES = ("efficientnet_b0", "swin_tiny_patch4_window7_224", "levit_128", "mobilevit_xxs", "regnetx_002", "vgg11")


@pytest.mark.parametrize("name", FAMILIES)
def test_other_families_give_one_intermediate_per_feature_info_entry(name: str) -> None:
    """What fxlens counts (``feature_info``, read by ``feature_entries``) is what the method returns,
    checked on the meta device (shapes only) for families with other block layouts."""
    with torch.device("meta"):
        model = timm.create_model(name, pretrained=False).eval()
    size = model.pretrained_cfg["input_size"]
    outputs = model.forward_intermediates(torch.empty(1, *size, device="meta"), intermediates_only=True)
    assert [o.shape[1] for o in outputs] == [f.channels for f in feature_entries(model)]


def cases(count: int) -> list[Any]:
    """Last-n ints in and out of range, list entries at and past both ends, repeats, orders, an empty list."""
    n = count
    return [1, n, 0, n + 1, -1, [0], [n - 1], [n], [-n], [-n - 1], [1, 1], [n - 1, -1], [2, 0], [0, 2], (1, 3, 2), []]


def test_indices_are_flagged_exactly_when_the_call_raises_or_returns_another_list(built: Built) -> None:
    count = len(built.table.features)
    written_cases = cases(count)
    lines = [f"out = model.forward_intermediates(x, indices={indices!r})" for indices in written_cases]
    source = f"import timm\nmodel = timm.create_model({built.name!r}, pretrained=False)\n" + "\n".join(lines) + "\n"
    found = findings_by_line(source, built.table)
    reference = [built.intermediates([position])[0] for position in range(count)]
    for line, indices in enumerate(written_cases, start=2):
        flagged = codes(found.get(line, []))
        try:
            outputs = built.intermediates(indices)
        except (AssertionError, ValueError):
            assert flagged == {"FXL028"}, (built.name, indices, flagged)
            continue
        assert "FXL028" not in flagged, (built.name, indices)
        returned = [
            next(p for p, r in enumerate(reference) if r.shape == o.shape and torch.equal(r, o)) for o in outputs
        ]
        asked = list(range(count - indices, count)) if isinstance(indices, int) else [i % count for i in indices]
        assert ("FXL029" in flagged) == (returned != asked), (built.name, indices, returned)


def test_the_messages_say_what_the_model_has() -> None:
    table = node_table(timm.create_model("resnet18", pretrained=False))
    source = (
        "import timm\nmodel = timm.create_model('resnet18', pretrained=False)\n"
        "a = model.forward_intermediates(x, indices=6)\n"
        "b = model.forward_intermediates(x, indices=[3, 1])\n"
        "c = model.forward_intermediates(x, [4, -1])\n"
    )
    found = findings_by_line(source, table)
    assert [f.message for f in found[2]] == [
        "indices=6 asks for the last 6 intermediates, but ResNet has 5 intermediates (an int takes the last 1 to 5), "
        "so forward_intermediates raises AssertionError; intermediates: 0 `act1` (64 ch, /2), 1 `layer1` (64 ch, /4), "
        "2 `layer2` (128 ch, /8), 3 `layer3` (256 ch, /16), 4 `layer4` (512 ch, /32)"
    ]
    assert [f.message for f in found[3]] == [
        "indices entry 1 (`layer1`) is written after 3 (`layer3`), but forward_intermediates returns the "
        "intermediates in block order: `layer1` comes first"
    ]
    assert [(f.code, f.severity) for f in found[4]] == [("FXL029", "warning")]
    assert "names the same intermediate as 4 (`layer4`)" in found[4][0].message


def test_a_call_with_integer_indices_is_a_timm_site_on_its_receiver_and_one_without_is_none() -> None:
    source = (
        "import timm\nmodel = timm.create_model('resnet18', pretrained=False)\n"
        "a = model.eval().forward_intermediates(x, [1, -1], norm=True)\n"
        "b = model.forward_intermediates(x)\n"
        "c = model.forward_intermediates(x, indices=chosen)\n"
        "d = model.forward_intermediates(x, indices=(first, last))\n"
        "class M:\n    def f(self, x):\n        return self.forward_intermediates(x, indices=[9])\n"
    )
    (site,) = parse_document("file:///sites.py", source).call_sites
    assert (site.function, site.library, site.model_expr) == ("forward_intermediates", "timm", "model.eval()")
    indices = site.int_argument("indices")
    assert indices is not None and [item.value for item in indices.items] == [1, -1] and indices.is_list
