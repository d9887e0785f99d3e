"""``cfg.arch`` of a parameter ``cfg: Config`` is the field of the dataclass instance its callers pass.

The caller's argument for the field wins; else the field's default; with no caller, the
annotation's dataclass gives the default. Anything else stays unresolved and says why.
"""

from __future__ import annotations

from pathlib import Path

from fxlens.workspace.parse import parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved

HEAD = (
    "from dataclasses import dataclass, field\n"
    "from torchvision.models import get_model\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
    "\n"
    "@dataclass\n"
    "class Config:\n"
    "    arch: str = 'resnet18'\n"
    "    classes: int = field(default=10)\n"
    "    nodes: list[str] = field(default_factory=lambda: ['layer1'])\n"
    "\n"
    "def build(arch, num_classes=1000):\n"
    "    return get_model(arch, num_classes=num_classes)\n"
    "\n"
    "def probe(cfg: Config):\n"
    "    return create_feature_extractor(build(cfg.arch, num_classes=cfg.classes), cfg.nodes)\n"
)


def resolve(root: Path, text: str, head: str = HEAD) -> ModelSpec | Unresolved:
    doc = parse_document(str(root / "main.py"), head + text, 1)
    assert doc.call_sites, "the snippet has a call site"
    return resolve_model(doc, doc.call_sites[-1], root)


def built(spec: ModelSpec | Unresolved) -> tuple:
    assert isinstance(spec, ModelSpec), spec
    return (spec.callable, spec.args, spec.kwargs)


def reason(spec: ModelSpec | Unresolved) -> str:
    assert isinstance(spec, Unresolved), spec
    return spec.reason


def test_a_caller_passing_the_dataclass_built_without_arguments_gives_the_defaults(tmp_path: Path) -> None:
    spec = resolve(tmp_path, "probe(Config())\n")
    assert built(spec) == ("get_model", ("'resnet18'",), (("num_classes", "10"),))


def test_the_field_the_caller_passes_wins_over_the_default(tmp_path: Path) -> None:
    spec = resolve(tmp_path, "probe(Config(arch='resnet34', classes=3))\n")
    assert built(spec) == ("get_model", ("'resnet34'",), (("num_classes", "3"),))


def test_fields_passed_positionally_follow_the_field_order(tmp_path: Path) -> None:
    spec = resolve(tmp_path, "probe(Config('resnet50', 5))\n")
    assert built(spec) == ("get_model", ("'resnet50'",), (("num_classes", "5"),))


def test_a_name_assigned_from_the_dataclass_in_the_caller(tmp_path: Path) -> None:
    spec = resolve(tmp_path, "def main():\n    c = Config(arch='resnet34')\n    probe(c)\n")
    assert built(spec) == ("get_model", ("'resnet34'",), (("num_classes", "10"),))


def test_with_no_caller_the_annotations_defaults_hold(tmp_path: Path) -> None:
    assert built(resolve(tmp_path, "")) == ("get_model", ("'resnet18'",), (("num_classes", "10"),))


def test_callers_passing_different_fields_are_unresolved(tmp_path: Path) -> None:
    words = reason(resolve(tmp_path, "probe(Config())\nprobe(Config(arch='resnet34'))\n"))
    assert "`cfg.arch`" in words and "different `arch`" in words


def test_a_caller_passing_something_else_is_unresolved(tmp_path: Path) -> None:
    words = reason(resolve(tmp_path, "import sys\nprobe(sys.argv)\n"))
    assert "`cfg.arch`" in words and "not a dataclass built in place" in words


def test_a_plain_class_annotation_is_not_read_as_a_dataclass(tmp_path: Path) -> None:
    head = HEAD.replace("@dataclass\n", "")
    words = reason(resolve(tmp_path, "", head=head))
    assert "`Config` is not a dataclass of this workspace" in words
