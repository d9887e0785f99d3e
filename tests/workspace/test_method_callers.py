"""A model that is a method's parameter is the model the class's own ``self.method(...)`` calls pass.

``def __init__(self, arch="resnet50"): self.body = self._extractor(build(arch))`` with
``def _extractor(self, backbone): create_feature_extractor(backbone, ...)``: the argument is
resolved where the call is written, where ``arch`` is its default.
"""

from __future__ import annotations

from pathlib import Path

from fxlens.workspace.parse import parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved

HEAD = (
    "import torch.nn as nn\n"
    "from torchvision.models import resnet18, resnet34, get_model\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
)


def resolve(root: Path, text: str) -> ModelSpec | Unresolved:
    doc = parse_document(str(root / "main.py"), HEAD + text, 1)
    assert doc.call_sites, "the snippet has a call site"
    return resolve_model(doc, doc.call_sites[-1], root)


def built(spec: ModelSpec | Unresolved) -> tuple:
    assert isinstance(spec, ModelSpec), spec
    return (spec.callable, spec.args, spec.kwargs)


def test_a_method_parameter_is_what_the_init_passes_through_self_with_its_default(tmp_path: Path) -> None:
    text = (
        "class Net(nn.Module):\n"
        "    def __init__(self, arch: str = 'resnet50', classes=7):\n"
        "        super().__init__()\n"
        "        self.body = self._extractor(get_model(arch, num_classes=classes))\n"
        "    def _extractor(self, backbone: nn.Module):\n"
        "        return create_feature_extractor(backbone, return_nodes=['layer1'])\n"
    )
    assert built(resolve(tmp_path, text)) == ("get_model", ("'resnet50'",), (("num_classes", "7"),))


def test_positional_arguments_through_self_start_after_self(tmp_path: Path) -> None:
    text = (
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.body = self._tap('layer2', resnet34(num_classes=3))\n"
        "    def _tap(self, node, backbone):\n"
        "        return create_feature_extractor(backbone, [node])\n"
    )
    assert built(resolve(tmp_path, text)) == ("resnet34", (), (("num_classes", "3"),))


def test_a_static_method_called_through_self_takes_its_first_argument(tmp_path: Path) -> None:
    text = (
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.body = self._tap(resnet34())\n"
        "    @staticmethod\n"
        "    def _tap(backbone):\n"
        "        return create_feature_extractor(backbone, ['layer1'])\n"
    )
    assert built(resolve(tmp_path, text)) == ("resnet34", (), ())


def test_calls_through_self_in_several_methods_that_disagree_are_named(tmp_path: Path) -> None:
    text = (
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.small = self._tap(resnet18())\n"
        "    def big(self):\n"
        "        return self._tap(resnet34())\n"
        "    def _tap(self, backbone):\n"
        "        return create_feature_extractor(backbone, ['layer1'])\n"
    )
    words = reason(resolve(tmp_path, text))
    assert "pass different models" in words and "line 7" in words and "line 9" in words


def test_calls_through_self_that_agree_give_the_model(tmp_path: Path) -> None:
    text = (
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.a = self._tap(resnet18(num_classes=4))\n"
        "        self.b = self._tap(resnet18(num_classes=4))\n"
        "    def _tap(self, backbone):\n"
        "        return create_feature_extractor(backbone, ['layer1'])\n"
    )
    assert built(resolve(tmp_path, text)) == ("resnet18", (), (("num_classes", "4"),))


def test_a_same_named_method_of_another_class_or_object_is_not_a_caller(tmp_path: Path) -> None:
    text = (
        "class Other:\n"
        "    def __init__(self, net):\n"
        "        self._tap(resnet18())\n"
        "        net._tap(resnet18())\n"
        "    def _tap(self, backbone):\n"
        "        return backbone\n"
        "class Net(nn.Module):\n"
        "    def __init__(self, other):\n"
        "        super().__init__()\n"
        "        other._tap(resnet34())\n"
        "    def _tap(self, backbone):\n"
        "        return create_feature_extractor(backbone, ['layer1'])\n"
    )
    assert "no single call of it in the workspace passes a model" in reason(resolve(tmp_path, text))


def reason(spec: ModelSpec | Unresolved) -> str:
    assert isinstance(spec, Unresolved), spec
    return spec.reason
