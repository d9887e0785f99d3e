"""timm's ``create_model(..., features_only=True, out_indices=...)``: each tuple (or int, the last n) is
given to the real ``create_model`` (and the model run), and fxlens flags exactly the indices that raise
or take nothing (FXL024) or collapse into one output (FXL025), judged on the ``feature_info`` of the
plain model's table."""

from __future__ import annotations

import pytest
from fxlens.fx import node_table
from fxlens.workspace.callsite import Position
from fxlens.workspace.parse import index_context, parse_document
from helpers import codes, findings_by_line

timm = pytest.importorskip("timm")
torch = pytest.importorskip("torch")

INDICES = ((1, 2, 3, 4), (0, 4), (5,), (-1,), (-5,), (-6,), (1, 1), (4, -1), (4, 3), (2, 7))


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv3_small_100"])
def test_out_indices_are_flagged_exactly_when_create_model_raises_or_outputs_collapse(name: str) -> None:
    plain = timm.create_model(name, pretrained=False)
    table = node_table(plain)
    assert [f.module for f in table.features] == [i["module"] for i in plain.feature_info]
    header = "import timm\n"
    calls = [
        f"m = timm.create_model({name!r}, pretrained=False, features_only=True, out_indices={indices!r})"
        for indices in INDICES
    ]
    found = findings_by_line(header + "\n".join(calls) + "\n", table)
    for line, indices in enumerate(INDICES, start=1):
        flagged = codes(found.get(line, []))
        try:
            model = timm.create_model(name, pretrained=False, features_only=True, out_indices=indices).eval()
        except IndexError:
            assert "FXL024" in flagged, (name, indices)
            continue
        assert "FXL024" not in flagged, (name, indices)
        outputs = model(torch.zeros(1, 3, 64, 64))
        assert ("FXL025" in flagged) == (len(outputs) < len(indices)), (name, indices, len(outputs))


@pytest.mark.parametrize("name", ["resnet18", "convnext_atto"])
def test_an_int_out_indices_is_flagged_exactly_when_create_model_raises_or_returns_nothing(name: str) -> None:
    table = node_table(timm.create_model(name, pretrained=False))
    count = len(table.features)
    lasts = (-1, 0, 1, count, count + 1)
    calls = [f"m = timm.create_model({name!r}, pretrained=False, features_only=True, out_indices={k})" for k in lasts]
    found = findings_by_line("import timm\n" + "\n".join(calls) + "\n", table)
    for line, last in enumerate(lasts, start=1):
        flagged = codes(found.get(line, []))
        try:
            model = timm.create_model(name, pretrained=False, features_only=True, out_indices=last).eval()
        except IndexError:
            assert flagged == {"FXL024"}, (name, last)
            continue
        outputs = model(torch.zeros(1, 3, 64, 64))
        assert ("FXL024" in flagged) == (len(outputs) == 0), (name, last, len(outputs))


def test_the_out_of_range_message_lists_the_features() -> None:
    source = 'import timm\nm = timm.create_model("resnet18", pretrained=False, features_only=True, out_indices=(5,))\n'
    (finding,) = findings_by_line(source, node_table(timm.create_model("resnet18", pretrained=False)))[1]
    assert finding.message == (
        "out_indices 5 is out of range: ResNet has 5 features (0 to 4, or -5 to -1), so create_model raises "
        "IndexError; features: 0 `act1` (64 ch, /2), 1 `layer1` (64 ch, /4), 2 `layer2` (128 ch, /8), "
        "3 `layer3` (256 ch, /16), 4 `layer4` (512 ch, /32)"
    )


def test_a_plain_create_model_is_no_site() -> None:
    source = 'import timm\nm = timm.create_model("resnet18", pretrained=False, out_indices=(9,))\n'
    assert findings_by_line(source, node_table(timm.create_model("resnet18", pretrained=False))) == {}


def test_indices_bound_to_a_name_are_read_from_the_literal_and_flagged_there() -> None:
    table = node_table(timm.create_model("resnet18", pretrained=False))
    source = (
        "import timm\n"
        "OUT = (1, 2, 9)\n"
        "\n"
        "class Taps:\n"
        "    def __init__(self):\n"
        "        self.taps = [0, 0]\n"
        '        self.backbone = timm.create_model("resnet18", pretrained=False, features_only=True, out_indices=OUT)\n'
        "\n"
        "    def run(self, x):\n"
        "        return self.backbone.forward_intermediates(x, indices=self.taps)\n"
    )
    with pytest.raises(IndexError):
        timm.create_model("resnet18", pretrained=False, features_only=True, out_indices=(1, 2, 9))
    found = findings_by_line(source, table)
    assert codes(found[1]) == {"FXL024"}  # at the 9 in OUT, where the mistake is written
    (out_of_range,) = found[1]
    assert source.splitlines()[1][out_of_range.range.start.column :].startswith("9")
    plain = timm.create_model("resnet18", pretrained=False)
    _, intermediates = plain.forward_intermediates(torch.zeros(1, 3, 64, 64), indices=[0, 0])
    assert len(intermediates) == 1 and codes(found[5]) == {"FXL029"}  # [0, 0] gives one output: self.taps


def test_an_index_in_a_literal_bound_away_from_the_call_is_one_to_hover() -> None:
    source = 'import timm\nOUT = (1, 2)\nm = timm.create_model("resnet18", features_only=True, out_indices=OUT)\n'
    doc = parse_document("file:///sites.py", source)
    found = index_context(doc, Position(1, source.splitlines()[1].index("2")))
    assert found is not None and (found.call_site.function, found.item.value) == ("create_model", 2)
    assert index_context(doc, Position(2, source.splitlines()[2].index("OUT"))) is None  # the name is no index
