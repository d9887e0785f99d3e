"""Each lint rule on real torchvision node tables: the finding, where it points, and its fixes."""

from __future__ import annotations

import pytest
from fxlens.lint import RULES, Finding, did_you_mean, lint_call_site
from fxlens.nodes import NodeTable, Problem, SourceLocation
from fxlens.workspace.parse import parse_document
from fxlens.workspace.spec import Unresolved

torchvision = pytest.importorskip("torchvision", reason="the rules are checked on torchvision's models")
import torch  # noqa: E402
from fxlens.fx import build_model, node_table  # noqa: E402

HEADER = "from torchvision.models.feature_extraction import create_feature_extractor\n"


@pytest.fixture(scope="module")
def resnet() -> NodeTable:
    return node_table(build_model(torchvision.models.resnet18, weights=None).model, [(1, 3, 64, 64)])


@pytest.fixture(scope="module")
def googlenet() -> NodeTable:
    model = build_model(torchvision.models.googlenet, weights=None, init_weights=False).model
    return node_table(model, [(2, 3, 64, 64)])


@pytest.fixture(scope="module")
def vit() -> NodeTable:
    return node_table(build_model(torchvision.models.vit_b_16, weights=None).model)


def lint(call: str, model) -> tuple[str, list[Finding]]:
    text = HEADER + call + "\n"
    doc = parse_document("file:///t.py", text, 1)
    (site,) = doc.call_sites
    return text, lint_call_site(site, model)


def at(text: str, finding: Finding) -> str:
    """The text a finding's range covers (single-line ranges)."""
    line = text.splitlines()[finding.range.start.line]
    return line[finding.range.start.column : finding.range.end.column]


def apply(text: str, finding: Finding, fix: int = 0) -> str:
    (edit,) = finding.fixes[fix].edits
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: edit.range.start.line]) + edit.range.start.column
    end = sum(len(line) for line in lines[: edit.range.end.line]) + edit.range.end.column
    return text[:start] + edit.new_text + text[end:]


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_a_correct_call_has_no_findings(resnet: NodeTable) -> None:
    assert (
        lint('create_feature_extractor(m, return_nodes={"layer1": "a", "layer4.1.relu_1": "b", "fc": "c"})', resnet)[1]
        == []
    )


def test_fxl001_unknown_node_suggests_the_closest_names(resnet: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["layer1.0.relu2"])', resnet)
    assert (finding.code, finding.name, finding.severity) == ("FXL001", "unknown-node", "error")
    assert at(text, finding) == "layer1.0.relu2"
    assert "did you mean `layer1.0.relu_1`" in finding.message or "`layer1.0.relu_1`" in finding.message
    assert 'return_nodes=["layer1.0.relu_1"]' in apply(
        text, finding, [f.title for f in finding.fixes].index("Change to `layer1.0.relu_1`")
    )


def test_fxl001_suggestions_put_the_fewest_edits_first(resnet: NodeTable) -> None:
    _, (finding,) = lint('create_feature_extractor(m, return_nodes=["layer5"])', resnet)
    assert "did you mean `layer4`, `layer3`, `layer2`?" in finding.message  # not `layer3.5`, difflib's favourite


def test_fxl002_a_train_only_node_in_return_nodes_is_split_by_the_fix(googlenet: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["aux1.fc2", "fc"])', googlenet)
    assert (finding.code, finding.severity) == ("FXL002", "warning")
    assert "only in train mode" in finding.message and "raises ValueError for eval mode" in finding.message
    fixed = apply(text, finding)
    assert "train_return_nodes=['aux1.fc2', 'fc'], eval_return_nodes=['fc'])" in fixed
    assert lint(fixed.removeprefix(HEADER).strip(), googlenet)[1] == []


def test_fxl013_a_node_missing_from_its_own_mode_is_an_error(googlenet: NodeTable) -> None:
    _, (finding,) = lint(
        'create_feature_extractor(m, train_return_nodes=["fc"], eval_return_nodes=["aux2.fc2"])', googlenet
    )
    assert (finding.code, finding.severity) == ("FXL013", "error")
    assert "does not exist in eval mode" in finding.message


def test_fxl003_a_dot_wildcard_match_selects_nothing(resnet: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["layer1.0.relu.1", "fc"])', resnet)
    assert finding.code == "FXL003" and "`layer1.0.relu_1`" in finding.message
    assert '["layer1.0.relu_1", "fc"]' in apply(text, finding)


def test_fxl004_regex_metacharacters_crash_torchvisions_check(resnet: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["fc("])', resnet)
    assert finding.code == "FXL004" and at(text, finding) == "fc("


def test_fxl004_needs_no_table() -> None:
    assert codes(lint('create_feature_extractor(m, return_nodes=["fc("])', None)[1]) == ["FXL004"]


def test_fxl005_an_earlier_module_query_consumes_the_later_ones_node(resnet: NodeTable) -> None:
    text, (finding, overwritten) = lint('create_feature_extractor(m, return_nodes=["layer4", "layer4.1"])', resnet)
    assert finding.code == "FXL005" and at(text, finding) == "layer4.1"
    # and the node it gets instead, layer4.1.add, is then overwritten by the in-place ReLU
    assert overwritten.code == "FXL007" and "by `layer4.1.relu_1`" in overwritten.message
    assert "returns `layer4.1.add`" in finding.message and "instead of `layer4.1.relu_1`" in finding.message
    assert "`layer4` takes that node" in finding.message


def test_fxl006_duplicate_output_names_collapse(resnet: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes={"layer1": "feat", "layer2": "feat"})', resnet)
    assert finding.code == "FXL006" and "`feat`" in finding.message
    assert text.splitlines()[1][finding.range.start.column - 1 : finding.range.end.column + 1] == '"feat"'
    assert finding.range.start.column > text.splitlines()[1].index("layer2")


def test_fxl007_an_output_overwritten_in_place_is_warned_about(resnet: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["layer1.0.bn1", "layer1.0.relu"])', resnet)
    assert finding.code == "FXL007" and at(text, finding) == "layer1.0.bn1"
    assert "overwritten in place by `layer1.0.relu`" in finding.message


def test_fxl007_judges_the_graph_the_extractor_prunes_to_its_outputs(resnet: NodeTable) -> None:
    """Alone, ``layer1.0.bn1`` is returned intact: no requested output needs the in-place ReLU after it."""
    assert lint('create_feature_extractor(m, return_nodes=["layer1.0.bn1"])', resnet)[1] == []


def test_fxl008_non_tensor_outputs(vit: NodeTable) -> None:
    _, (finding,) = lint('create_feature_extractor(m, return_nodes=["getitem"])', vit)
    assert finding.code == "FXL008" and finding.message == "`getitem` returns an int, not a tensor"


@pytest.mark.parametrize(
    "arguments",
    ["", 'train_return_nodes=["fc"]', 'return_nodes=["fc"], train_return_nodes=["fc"], eval_return_nodes=["fc"]'],
)
def test_fxl009_rejected_argument_combinations_quote_torchvision(arguments: str) -> None:
    (finding,) = lint(f"create_feature_extractor(m, {arguments})", None)[1]
    assert finding.code == "FXL009" and "raises ValueError: " in finding.message


def test_fxl010_a_renumbered_module_name_is_explained_and_fixed(vit: NodeTable) -> None:
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["encoder.layers.encoder_layer_0.ln_2"])', vit)
    assert finding.code == "FXL010" and "listed as `encoder.layers.encoder_layer_0.ln_1`" in finding.message
    assert '"encoder.layers.encoder_layer_0.ln_1"' in apply(text, finding)


def test_fxl011_a_model_that_fails_points_at_its_line() -> None:
    location = SourceLocation("/w/net.py", 12, "if x.sum() > 0:")
    problem = Problem(
        "trace", "TraceError: symbolically traced variables cannot be used", location, hint="use concrete_args"
    )
    text, (finding,) = lint('create_feature_extractor(MyNet(), return_nodes=["fc"])', problem)
    assert finding.code == "FXL011" and at(text, finding) == "MyNet()"
    assert "/w/net.py:12 (`if x.sum() > 0:`)" in finding.message and finding.message.endswith(
        "; hint: use concrete_args"
    )
    assert finding.related[0][0] == location


def test_fxl012_an_unresolved_model_is_information_with_the_reason() -> None:
    text = HEADER + 'create_feature_extractor(model, return_nodes=["fc"])\n'
    doc = parse_document("file:///t.py", text, 1)
    (site,) = doc.call_sites
    unresolved = Unresolved("`model` is not assigned in this file", site.model_range)
    (finding,) = lint_call_site(site, unresolved)
    assert (finding.code, finding.severity) == (
        "FXL012",
        "information",
    ) and "`model` is not assigned" in finding.message


def test_every_rule_has_a_stable_code_and_a_ruff_like_name() -> None:
    assert list(RULES) == [f"FXL{i:03}" for i in range(1, 30)]
    assert all(rule.name.islower() and " " not in rule.name for rule in RULES.values())


def test_half_typed_strings_are_not_judged_yet(resnet: NodeTable) -> None:
    assert lint('create_feature_extractor(m, return_nodes=["layer1.', resnet)[1] == []


def test_a_name_bound_above_the_call_is_checked_where_it_is_written(resnet: NodeTable) -> None:
    text = HEADER + 'taps = ["layer1.0.relu2", "fc"]\n\n\ncreate_feature_extractor(m, return_nodes=taps)\n'
    doc = parse_document("file:///t.py", text, 1)
    (site,) = doc.call_sites
    (finding,) = lint_call_site(site, resnet)
    assert finding.code == "FXL001" and at(text, finding) == "layer1.0.relu2"
    assert finding.message.endswith("(for the call on line 5, model `m`)")
    assert '["layer1.0.relu", "fc"]' in apply(text, finding)


def test_one_literal_feeding_two_models_is_checked_against_each(resnet: NodeTable, vit: NodeTable) -> None:
    text = (
        HEADER + 'taps = ["layer4", "encoder"]\ncreate_feature_extractor(r, taps)\ncreate_feature_extractor(v, taps)\n'
    )
    doc = parse_document("file:///t.py", text, 1)
    first, second = doc.call_sites
    (on_resnet,) = lint_call_site(first, resnet)
    (on_vit,) = lint_call_site(second, vit)
    assert at(text, on_resnet) == "encoder" and "of ResNet" in on_resnet.message and "model `r`" in on_resnet.message
    assert at(text, on_vit) == "layer4" and "of VisionTransformer" in on_vit.message and "model `v`" in on_vit.message


class _Mnist(torch.nn.Module):  # a 1-channel network
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.fc = torch.nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


def test_fxl014_an_example_input_the_user_gave_that_the_model_cannot_run_is_an_error() -> None:
    table = node_table(_Mnist(), [(1, 3, 28, 28)])  # given: three channels into a 1-channel conv
    text, (finding,) = lint('create_feature_extractor(MyNet(), return_nodes=["fc"])', table)
    assert (finding.code, finding.severity) == ("FXL014", "error") and at(text, finding) == "MyNet()"
    assert finding.message.startswith("the model fails on the example input 1×3×28×28 (")
    assert "conv" in finding.message


def test_fxl014_is_silent_when_fxlens_chose_the_input() -> None:
    table = node_table(_Mnist())  # the default 1×3×224×224: shapes are missing, hover says why
    assert table.shape_failure is not None and not table.example_input.user_given
    assert lint('create_feature_extractor(MyNet(), return_nodes=["fc"])', table)[1] == []


def test_did_you_mean_prefers_names_of_the_same_stage(resnet: NodeTable) -> None:
    assert did_you_mean("layer1.0.relu2", resnet) == ["layer1.0.relu", "layer1.0.relu_1", "layer1.1.relu"]


def test_an_empty_string_being_typed_is_not_a_mistake_yet(resnet: NodeTable) -> None:
    assert lint('create_feature_extractor(m, return_nodes={"": "a", "fc": ""})', resnet)[1] == []
    assert lint('create_feature_extractor(m, return_nodes=["", ""])', resnet)[1] == []


def test_fxl007_an_overwrite_in_one_mode_only_is_reported_for_that_mode() -> None:
    """efficientnet's classifier Dropout is in-place: in training it overwrites ``flatten``, in eval it is a no-op."""
    table = node_table(build_model(torchvision.models.efficientnet_b0, weights=None).model, [(1, 3, 64, 64)])
    text, (finding,) = lint('create_feature_extractor(m, return_nodes=["flatten", "classifier.1"])', table)
    assert finding.code == "FXL007" and at(text, finding) == "flatten"
    assert "overwritten in place by `classifier.0` later in train mode" in finding.message
