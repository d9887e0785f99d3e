"""Module paths in ``get_submodule`` / ``get_parameter`` / ``get_buffer``, ``dict(named_modules())``
lookups and names compared in a loop over ``named_modules()``: for real torchvision models, each
string is run through the real call, and fxlens flags exactly the ones that raise (or, in a loop,
never match) — FXL016 for a path the model lacks, FXL017 for one of another kind."""

from __future__ import annotations

import pytest
from fxlens.fx import node_table
from helpers import codes, findings_by_line

torchvision = pytest.importorskip("torchvision")

GETTERS = ("get_submodule", "get_parameter", "get_buffer", "named_modules", "loop")
PATHS = {
    "resnet18": (
        "layer3.1", "layer1.0.conv1", "layer1.0.relu", "layer1.0.relu_1", "layer1.0.conv1.weight",
        "layer1.0.bn1.running_mean", "layer1.0.bn1.num_batches_tracked", "fc.bias", "layer3.9", "layer5",
        "layer1.0.conv1.weight.data", "fc",
    ),
    "vit_b_16": (
        "encoder.layers.encoder_layer_0.ln_2", "encoder.layers.encoder_layer_0.ln_1", "class_token",
        "encoder.pos_embedding", "encoder.layers.encoder_layer_0.ln", "heads.head", "conv_proj.weight",
        "encoder.layers.encoder_layer_0.self_attention.in_proj_weight",
    ),
}  # fmt: skip


def run(model: object, getter: str, path: str) -> bool:
    """True when the real call raises for ``path`` (for a loop: no name it yields equals ``path``)."""
    if getter == "loop":
        return all(name != path for name, _ in model.named_modules())  # type: ignore[attr-defined]
    try:
        if getter == "named_modules":
            dict(model.named_modules())[path]  # type: ignore[attr-defined]
        else:
            getattr(model, getter)(path)
    except (AttributeError, KeyError):
        return True
    return False


def call(getter: str, path: str) -> str:
    if getter == "named_modules":
        return f'found = dict(model.named_modules())["{path}"]'
    if getter == "loop":
        return f'for name, module in model.named_modules(): hit = name == "{path}"'
    return f'found = model.{getter}("{path}")'


@pytest.mark.parametrize("builder", sorted(PATHS))
def test_a_path_is_flagged_exactly_when_the_real_call_raises(builder: str) -> None:
    model = getattr(torchvision.models, builder)()
    table = node_table(model)
    cases = [(getter, path) for getter in GETTERS for path in PATHS[builder]]
    header = [f"from torchvision.models import {builder}", f"model = {builder}()"]
    source = "\n".join([*header, *(call(g, p) for g, p in cases)]) + "\n"
    found = findings_by_line(source, table)
    for line, (getter, path) in enumerate(cases, start=len(header)):
        flagged = codes(found.get(line, [])) & {"FXL016", "FXL017"}
        raises = run(model, getter, path)  # for a loop: the comparison never holds
        assert bool(flagged) == raises, (getter, path, found.get(line))
        if raises:  # FXL017 exactly when the path names something of another kind
            assert flagged == ({"FXL017"} if table.module(path) is not None else {"FXL016"}), (getter, path)


def test_an_unknown_path_offers_the_closest_paths_and_the_fix_works() -> None:
    model = torchvision.models.resnet18()
    source = 'from torchvision.models import resnet18\nmodel = resnet18()\nblock = model.get_submodule("layer3.9")\n'
    (finding,) = findings_by_line(source, node_table(model))[2]
    assert finding.code == "FXL016"
    assert finding.message == (
        "`layer3.9` is not a submodule of ResNet: get_submodule raises AttributeError; "
        "did you mean `layer3.1`, `layer3.0`, `layer3`?"
    )
    for fix in finding.fixes:
        model.get_submodule(fix.edits[0].new_text)  # each suggestion is a real submodule


def test_a_parameter_given_to_get_submodule_says_what_it_is() -> None:
    source = 'from torchvision.models import resnet18\nmodel = resnet18()\nw = model.get_submodule("fc.weight")\n'
    (finding,) = findings_by_line(source, node_table(torchvision.models.resnet18()))[2]
    assert finding.message == (
        "`fc.weight` is a parameter (1000×512), not a submodule: get_submodule raises AttributeError; use get_parameter"
    )


def test_a_hook_on_a_submodule_is_checked_like_the_submodule() -> None:
    source = (
        "from torchvision.models import resnet18\nmodel = resnet18()\n"
        'handle = model.get_submodule("layer4.2").register_forward_hook(lambda m, i, o: None)\n'
    )
    model = torchvision.models.resnet18()
    with pytest.raises(AttributeError):
        model.get_submodule("layer4.2").register_forward_hook(lambda m, i, o: None)
    assert codes(findings_by_line(source, node_table(model))[2]) == {"FXL016"}


def test_the_table_lists_each_module_with_its_type_parameters_and_output_node() -> None:
    model = torchvision.models.resnet18()
    table = node_table(model)
    entry = table.module("layer3.1")
    assert entry is not None and entry.kind == "module"
    assert entry.type_name == "torchvision.models.resnet.BasicBlock"
    assert entry.parameters == sum(p.numel() for p in model.layer3[1].parameters())
    assert entry.output_node("train") == entry.output_node("eval") == "layer3.1.relu_1"
    assert [e.path for e in table.modules if e.kind == "module"] == [p for p, _ in model.named_modules() if p]
    assert [e.path for e in table.modules if e.kind == "buffer"] == [p for p, _ in model.named_buffers()]
    weight = table.module("layer1.0.conv1.weight")
    assert weight is not None and (weight.kind, weight.shape, weight.parameters) == ("parameter", (64, 64, 3, 3), 36864)
    assert type(table).from_json(table.to_json()) == table


def test_names_compared_in_a_loop_over_named_modules_are_checked() -> None:
    source = (
        "from torchvision.models import resnet18\nmodel = resnet18()\n"
        "for name, module in model.named_modules():\n"
        '    if name == "layer4" or name in ("layer3.9", "layer1.0.relu_1"):\n'
        "        print(module)\n"
    )
    found = findings_by_line(source, node_table(torchvision.models.resnet18()))[3]
    assert [(f.code, f.message.split(":")[0]) for f in found] == [
        ("FXL016", "`layer3.9` is not a submodule of ResNet"),
        ("FXL016", "`layer1.0.relu_1` is not a submodule of ResNet"),
    ]
    assert found[1].fixes[0].edits[0].new_text == "layer1.0.relu"  # the module behind the node name
