"""Which classes get a traceability lens, and how each is built: read statically from real files of a
workspace (nothing imported), with ``[tool.fxlens.models]`` giving constructor arguments."""

from __future__ import annotations

import textwrap
from pathlib import Path

from fxlens.nodes import NodeInfo, NodeTable, OutputDesc, Problem, SourceLocation, TensorMeta
from fxlens.traceability import summarize
from fxlens.workspace.module_classes import ModuleClass, NeedsArguments, module_classes
from fxlens.workspace.modules import Workspace
from fxlens.workspace.parse import parse_document
from fxlens.workspace.spec import ModelSpec

NETS = textwrap.dedent("""\
    import torch
    import torch.nn as tnn
    from torch import nn
    from torch.nn import Module as Base


    class Plain(nn.Module):
        def forward(self, x):
            return x


    class Abstract(nn.Module):
        def describe(self):
            return "no forward: nothing to trace"


    class Concrete(Abstract):
        def __init__(self, width, depth=2, *, scale):
            super().__init__()

        def forward(self, x):
            return x


    class Inherits(Plain):
        pass


    class Aliased(Base):
        def forward(self, x):
            return x


    class Dotted(tnn.Module):
        def forward(self, x):
            return x


    @torch.no_grad()
    class Decorated(torch.nn.Module):
        def forward(self, x):
            return x


    class NotAModule:
        def forward(self, x):
            return x
""")
OTHER = textwrap.dedent("""\
    from pkg.nets import Concrete, Plain


    class FromElsewhere(Plain):
        def __init__(self, n):
            super().__init__()


    class Configured(Concrete):
        pass
""")
PYPROJECT = textwrap.dedent("""\
    [tool.fxlens.models."pkg.other:Configured"]
    kwargs = { width = 8, scale = 0.5 }
    input-shape = [1, 4]
""")


def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "nets.py").write_text(NETS)
    (tmp_path / "pkg" / "other.py").write_text(OTHER)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return Workspace(tmp_path)


def classes(tmp_path: Path, name: str) -> dict[str, ModuleClass]:
    project = workspace(tmp_path)
    path = tmp_path / "pkg" / name
    doc = parse_document(str(path), path.read_text())
    return {c.name: c for c in module_classes(doc, project)}


def test_every_module_subclass_with_a_forward_has_a_lens_however_torch_is_imported(tmp_path: Path) -> None:
    found = classes(tmp_path, "nets.py")
    assert list(found) == ["Plain", "Concrete", "Inherits", "Aliased", "Dotted", "Decorated"]
    assert (found["Plain"].line, found["Plain"].name_range.start.column) == (6, 6)
    assert found["Decorated"].line == NETS.splitlines().index("class Decorated(torch.nn.Module):")


def test_a_class_is_built_without_arguments_as_a_workspace_model(tmp_path: Path) -> None:
    spec = classes(tmp_path, "nets.py")["Plain"].build
    assert isinstance(spec, ModelSpec)
    assert (spec.builder, spec.module, spec.callable, spec.display_name) == ("workspace", "pkg.nets", "Plain", "Plain")
    assert (spec.args, spec.kwargs, spec.file) == ((), (), str(tmp_path / "pkg" / "nets.py"))
    assert spec.workspace_root == str(tmp_path)


def test_required_parameters_are_named_with_the_table_that_gives_them(tmp_path: Path) -> None:
    needs = classes(tmp_path, "nets.py")["Concrete"].build
    assert needs == NeedsArguments(("width", "scale"), "pkg.nets:Concrete")
    assert needs.describe() == (
        'needs arguments `width`, `scale`: set them under [tool.fxlens.models."pkg.nets:Concrete"]'
        " as kwargs = { width = ..., scale = ... }"
    )


def test_bases_and_constructors_are_followed_into_other_workspace_modules(tmp_path: Path) -> None:
    found = classes(tmp_path, "other.py")
    assert found["FromElsewhere"].build == NeedsArguments(("n",), "pkg.other:FromElsewhere")
    configured = found["Configured"].build  # Concrete's __init__, its arguments from pyproject
    assert isinstance(configured, ModelSpec)
    assert configured.kwargs == (("width", "8"), ("scale", "0.5"))
    assert configured.display_name == "Configured(width=8, scale=0.5)"
    assert configured.example_input.shapes == ((1, 4),) and configured.example_input.origin == "config"


def test_the_summary_of_a_table_a_failure_and_missing_arguments(tmp_path: Path) -> None:
    found = classes(tmp_path, "nets.py")
    output = OutputDesc("tensor", (TensorMeta((1, 10), "float32"),))
    rows = (NodeInfo("x", "placeholder", "x"), NodeInfo("fc", "call_module", "torch.nn.Linear", output=output))
    table = NodeTable("pkg.nets.Plain", rows, rows, returns=(("train", output), ("eval", output)))
    assert summarize(found["Plain"], table).title == "fx: traceable · 2 nodes · output 1×10"
    failure = Problem(
        "trace",
        "len() of a traced value: len() needs a real number (TypeError: 'len' is not supported in symbolic tracing)",
        SourceLocation(str(tmp_path / "pkg" / "nets.py"), 9, "return len(x)"),
        leaf_fix=("pkg.nets:Gate",),
    )
    summary = summarize(found["Plain"], failure)
    assert summary.title == "fx: not traceable — line 9: len() of a traced value · make `Gate` a leaf"
    assert (summary.verdict, summary.line, summary.leaves) == ("not traceable", 9, ("Gate",))
    elsewhere = Problem("construction", "RuntimeError: boom", SourceLocation("/x/blocks.py", 3, "raise"))
    assert (
        summarize(found["Plain"], elsewhere).text
        == "not traceable — construction error at blocks.py line 3: RuntimeError: boom"
    )
    assert summarize(found["Concrete"], None).verdict == "needs arguments"
    assert summarize(found["Plain"], None, "tracing is off").title == "fx: tracing is off"
