"""Resolving models across the files of a workspace on disk: imports, re-exports, overlays, dependencies."""

from __future__ import annotations

from pathlib import Path

import pytest
from fxlens.workspace.modules import Workspace, workspace_dependencies
from fxlens.workspace.parse import parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved

TV = "from torchvision.models.feature_extraction import create_feature_extractor\n"

PACKAGE = {
    "pkg/__init__.py": "from .nets import MyNet\n",
    "pkg/nets.py": (
        "import torch.nn as nn\nfrom .blocks import Block\nfrom .settings import WIDTH\n"
        "class MyNet(nn.Module):\n    def __init__(self, width=WIDTH, depth=2):\n        super().__init__()\n"
        "def build(width):\n    return MyNet(width)\n"
    ),
    "pkg/blocks.py": "import torch.nn as nn\nimport numpy\nclass Block(nn.Module):\n    pass\n",
    "pkg/settings.py": "WIDTH = 24\nDEPTH = WIDTH // 8\n",
    "pkg/shared.py": "from pkg.nets import MyNet\nmodel = MyNet(width=8).eval()\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def resolve_first(root: Path, name: str, text: str, overlays: dict[str, str] | None = None) -> ModelSpec | Unresolved:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    doc = parse_document(str(path), text, 1)
    assert doc.call_sites, "the snippet has a call site"
    return resolve_model(doc, doc.call_sites[0], root, overlays=overlays)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write(tmp_path, PACKAGE)
    return tmp_path


def test_class_imported_through_a_package_reexport_is_built_from_its_defining_module(root: Path) -> None:
    spec = resolve_first(
        root, "train.py", TV + "from pkg import MyNet\ncreate_feature_extractor(MyNet(depth=3), ['x'])\n"
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.builder, spec.module, spec.callable) == ("workspace", "pkg.nets", "MyNet")
    assert spec.kwargs == (("depth", "3"),)
    assert spec.file == str(root / "pkg/nets.py")
    assert spec.workspace_root == str(root)


def test_relative_import_from_a_sibling_module(root: Path) -> None:
    spec = resolve_first(
        root,
        "pkg/train.py",
        TV + "from .nets import build\nfrom . import settings\n"
        "create_feature_extractor(build(settings.DEPTH + 1), ['x'])\n",
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.module, spec.callable, spec.args) == ("pkg.nets", "MyNet", ("4",))  # build(width) returns MyNet(width)


def test_module_attribute_access_to_a_workspace_class(root: Path) -> None:
    spec = resolve_first(
        root, "train.py", TV + "import pkg.nets as nets\ncreate_feature_extractor(nets.MyNet(), ['x'])\n"
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.module, spec.callable) == ("pkg.nets", "MyNet")


def test_model_instance_imported_from_another_module(root: Path) -> None:
    spec = resolve_first(
        root, "train.py", TV + "from pkg.shared import model\ncreate_feature_extractor(model, ['x'])\n"
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.module, spec.callable, spec.kwargs) == ("pkg.nets", "MyNet", (("width", "8"),))


def test_constant_imported_from_another_module_is_folded(root: Path) -> None:
    spec = resolve_first(
        root,
        "train.py",
        TV + "from pkg import MyNet\nfrom pkg.settings import WIDTH\n"
        "create_feature_extractor(MyNet(width=WIDTH * 2), ['x'])\n",
    )
    assert isinstance(spec, ModelSpec)
    assert spec.kwargs == (("width", "48"),)


def test_leaf_module_from_the_workspace_is_named_module_colon_class(root: Path) -> None:
    spec = resolve_first(
        root,
        "train.py",
        TV + "from pkg import MyNet\nfrom pkg.blocks import Block\n"
        "create_feature_extractor(MyNet(), ['x'], tracer_kwargs={'leaf_modules': [Block]})\n",
    )
    assert isinstance(spec, ModelSpec)
    assert spec.tracer.leaf_modules == ("pkg.blocks:Block",)


def test_src_layout(tmp_path: Path) -> None:
    write(tmp_path, {"src/lib/__init__.py": "", "src/lib/model.py": "class Net:\n    pass\n"})
    spec = resolve_first(
        tmp_path, "scripts/run.py", TV + "from lib.model import Net\ncreate_feature_extractor(Net(), ['x'])\n"
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.module, spec.file) == ("lib.model", str(tmp_path / "src/lib/model.py"))


def test_unsaved_editor_text_wins_over_the_disk(root: Path) -> None:
    overlay = {str(root / "pkg/nets.py"): "class Renamed:\n    pass\n"}
    spec = resolve_first(
        root,
        "train.py",
        TV + "from pkg.nets import Renamed\ncreate_feature_extractor(Renamed(), ['x'])\n",
        overlays=overlay,
    )
    assert isinstance(spec, ModelSpec)
    assert spec.callable == "Renamed"


def test_name_missing_from_the_imported_module_is_unresolved(root: Path) -> None:
    result = resolve_first(
        root, "train.py", TV + "from pkg.nets import Missing\ncreate_feature_extractor(Missing(), ['x'])\n"
    )
    assert isinstance(result, Unresolved)
    assert "neither torchvision, timm nor a module of this workspace" in result.reason


def test_import_cycle_between_reexports_is_reported_not_hung(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "from b import Net\n", "b.py": "from a import Net\n"})
    result = resolve_first(tmp_path, "train.py", TV + "from a import Net\ncreate_feature_extractor(Net(), ['x'])\n")
    assert isinstance(result, Unresolved)
    assert "cycle" in result.reason


def test_dependencies_are_the_workspace_files_imported_transitively(root: Path) -> None:
    spec = resolve_first(root, "train.py", TV + "from pkg import MyNet\ncreate_feature_extractor(MyNet(), ['x'])\n")
    assert isinstance(spec, ModelSpec)
    files = workspace_dependencies(spec, root)
    assert files[0] == str(root / "pkg/nets.py")
    assert set(files) == {str(root / p) for p in ("pkg/nets.py", "pkg/blocks.py", "pkg/settings.py", "pkg/__init__.py")}


def test_dependencies_follow_overlays_and_exclude_third_party(root: Path) -> None:
    overlay = {str(root / "pkg/blocks.py"): "import torch\nfrom pkg import settings\n"}
    files = workspace_dependencies(root / "pkg/blocks.py", root, overlay)
    assert files[0] == str(root / "pkg/blocks.py")
    assert set(files) == {str(root / p) for p in ("pkg/blocks.py", "pkg/settings.py", "pkg/__init__.py", "pkg/nets.py")}


def test_torchvision_models_depend_on_no_workspace_file(root: Path) -> None:
    spec = resolve_first(
        root, "train.py", TV + "from torchvision.models import resnet18\ncreate_feature_extractor(resnet18(), ['x'])\n"
    )
    assert isinstance(spec, ModelSpec)
    assert workspace_dependencies(spec, root) == []


def test_workspace_reparses_a_file_only_when_its_text_changed(root: Path) -> None:
    workspace = Workspace(root)
    first = workspace.document(str(root / "pkg/nets.py"))
    assert workspace.document(str(root / "pkg/nets.py")) is first
    workspace.overlays[str(root / "pkg/nets.py")] = "x = 1\n"
    assert workspace.document(str(root / "pkg/nets.py")) is not first


def test_workspace_config_is_read_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.fxlens]\ninput-shape = [2, 3, 32, 32]\n"})
    spec = resolve_first(
        tmp_path,
        "train.py",
        TV + "from torchvision.models import resnet18\ncreate_feature_extractor(resnet18(), ['x'])\n",
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.example_input.shapes, spec.example_input.origin) == (((2, 3, 32, 32),), "config")


def test_a_script_folder_that_is_not_a_package_resolves_sibling_imports_first(tmp_path: Path) -> None:
    write(tmp_path, {
        "model.py": "class Net:\n    pass\n",  # shadowed for scripts/train.py, as when Python runs it
        "scripts/model.py": "import torch.nn as nn\nfrom layers import Block\nclass Net(nn.Module):\n    pass\n",
        "scripts/layers.py": "class Block:\n    pass\n",
    })  # fmt: skip
    spec = resolve_first(
        tmp_path, "scripts/train.py", TV + "from model import Net\ncreate_feature_extractor(Net(), ['x'])\n"
    )
    assert isinstance(spec, ModelSpec)
    assert (spec.module, spec.file) == ("scripts.model", str(tmp_path / "scripts/model.py"))
    assert workspace_dependencies(spec, tmp_path) == [
        str(tmp_path / "scripts/model.py"),
        str(tmp_path / "scripts/layers.py"),
    ]


def test_a_package_folder_does_not_search_its_own_folder_for_absolute_imports(root: Path) -> None:
    write(root, {"pkg/other.py": "class Other:\n    pass\n"})
    spec = resolve_first(root, "pkg/run.py", TV + "from other import Other\ncreate_feature_extractor(Other(), ['x'])\n")
    assert isinstance(spec, Unresolved)


def test_a_module_changed_on_disk_after_resolving_through_it_is_read_again(root: Path) -> None:
    workspace = Workspace(root)
    text = TV + "from pkg import MyNet\ncreate_feature_extractor(MyNet(depth=3), ['x'])\n"
    doc = parse_document(str(root / "train.py"), text, 1)
    first = resolve_model(doc, doc.call_sites[0], workspace)
    assert isinstance(first, ModelSpec) and (first.module, first.callable) == ("pkg.nets", "MyNet")
    (root / "pkg/__init__.py").write_text("from .blocks import Block as MyNet\n")
    second = resolve_model(doc, doc.call_sites[0], workspace)
    assert isinstance(second, ModelSpec) and (second.module, second.callable) == ("pkg.blocks", "Block")
    assert workspace.overlays == {}  # resolving reads the workspace; it froze no file as an overlay


def test_resolving_leaves_the_workspace_as_it_was(root: Path) -> None:
    """An unsaved document is seen by its own resolution, but resolving it adds it to nothing."""
    workspace = Workspace(root)
    text = TV + "import torch.nn as nn\nclass Local(nn.Module):\n    pass\ncreate_feature_extractor(Local(), ['x'])\n"
    doc = parse_document(str(root / "never_saved.py"), text, 1)
    spec = resolve_model(doc, doc.call_sites[0], workspace)
    assert isinstance(spec, ModelSpec) and (spec.module, spec.callable) == ("never_saved", "Local")
    assert workspace.overlays == {}
    assert workspace.module_file("never_saved") is None
    assert workspace.document(str(root / "never_saved.py")) is None


def test_an_open_document_added_to_the_workspace_is_seen_by_other_files(root: Path) -> None:
    workspace = Workspace(root)
    workspace.add(parse_document(str(root / "unsaved.py"), "import torch.nn as nn\nclass Net(nn.Module):\n    pass\n"))
    text = TV + "from unsaved import Net\ncreate_feature_extractor(Net(), ['x'])\n"
    doc = parse_document(str(root / "train.py"), text, 1)
    spec = resolve_model(doc, doc.call_sites[0], workspace)
    assert isinstance(spec, ModelSpec) and (spec.module, spec.file) == ("unsaved", str(root / "unsaved.py"))


def test_a_file_rewritten_with_text_of_the_same_size_is_read_again(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    path = tmp_path / "nets.py"
    path.write_text("A = 1\n")
    assert workspace.read(str(path)) == "A = 1\n"
    path.write_text("B = 2\n")  # same size, likely the same coarse mtime: still read again
    assert workspace.read(str(path)) == "B = 2\n"


def test_an_old_file_is_read_from_the_cache_until_it_changes(tmp_path: Path) -> None:
    import os

    workspace = Workspace(tmp_path)
    path = tmp_path / "nets.py"
    path.write_text("A = 1\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert workspace.read(str(path)) == "A = 1\n"
    assert workspace.read(str(path)) is workspace.read(str(path))  # one text, not read twice
    path.write_text("A = 22\n")
    assert workspace.read(str(path)) == "A = 22\n"
