"""Node names looked up in the lists ``get_graph_node_names`` returns: each string is looked up in
the real lists, and fxlens flags (FXL023) exactly the ones the lists do not hold."""

from __future__ import annotations

import pytest
from fxlens.fx import node_table
from helpers import codes, findings_by_line

torchvision = pytest.importorskip("torchvision")
from torchvision.models.feature_extraction import get_graph_node_names  # noqa: E402

NAMES = (
    "layer1.0.relu_1", "layer1.0.relu2", "layer4", "layer4.1.add", "fc", "x", "flatten", "layer1.0.relu",
)  # fmt: skip
HEADER = (
    "from torchvision.models import resnet18\n"
    "from torchvision.models.feature_extraction import get_graph_node_names\n"
    "train_nodes, eval_nodes = get_graph_node_names(resnet18())\n"
)
FORMS = (
    'found = "{name}" in eval_nodes',
    'found = "{name}" not in train_nodes',
    'at = train_nodes.index("{name}")',
    'for node in eval_nodes: found = node == "{name}"',
)


def test_a_looked_up_name_is_flagged_exactly_when_the_real_list_lacks_it() -> None:
    model = torchvision.models.resnet18()
    train_nodes, eval_nodes = get_graph_node_names(model)
    cases = [(form, name) for form in FORMS for name in NAMES]
    source = HEADER + "\n".join(form.format(name=name) for form, name in cases) + "\n"
    found = findings_by_line(source, node_table(model))
    for line, (form, name) in enumerate(cases, start=HEADER.count("\n")):
        listed = name in (eval_nodes if "eval_nodes" in form else train_nodes)
        assert ("FXL023" in codes(found.get(line, []))) == (not listed), (form, name)


def test_a_module_prefix_offers_the_node_it_selects() -> None:
    source = HEADER + 'found = "layer4" in eval_nodes\n'
    (finding,) = findings_by_line(source, node_table(torchvision.models.resnet18()))[3]
    assert finding.message.startswith(
        "`layer4` is not in the eval-mode list get_graph_node_names returns (a module prefix, not a node name)"
    )
    assert finding.fixes[0].edits[0].new_text == "layer4.1.relu_1"
    assert finding.fixes[0].edits[0].new_text in get_graph_node_names(torchvision.models.resnet18())[1]


def test_lookups_in_another_scope_or_before_the_call_are_not_read() -> None:
    source = (
        'eval_nodes = ["layer9"]\nbefore = "layer9" in eval_nodes\n' + HEADER + "def f(eval_nodes):\n"
        '    return "layer9" in eval_nodes\n'
    )
    assert findings_by_line(source, node_table(torchvision.models.resnet18())) == {}
