"""Loading workspace code: the editor's text, definitions only for scripts, no trace left behind."""

from __future__ import annotations

import ast
import importlib
import sys
import textwrap

import pytest
from fxlens.worker.loader import WorkspaceImporter, definitions_only, is_definition


def kept_source(source: str) -> tuple[str, bool]:
    tree, is_script = definitions_only(ast.parse(textwrap.dedent(source)))
    return ast.unparse(tree), is_script


@pytest.mark.parametrize(
    "statement",
    [
        "import torch",
        "from torch import nn as tnn",
        "def f(x):\n    return x",
        "@torch.no_grad()\ndef g():\n    pass",
        "class Net(nn.Module):\n    width = 3",
        '"""docstring"""',
        "WIDTH = 64",
        "SIZES: tuple = (1, 2, 3)",
        "Norm = nn.BatchNorm2d",
        "HIDDEN = WIDTH * 4",
        "act = lambda x: relu(x)",
        "torch.fx.wrap('my_function')",
        "try:\n    import timm\nexcept ImportError:\n    timm = None",
        "if TYPE_CHECKING:\n    from typing import Any",
        "if __name__ == '__main__':\n    main()",  # kept, and never entered by an import
    ],
)
def test_imports_definitions_and_simple_constants_are_executed(statement):
    assert is_definition(ast.parse(statement).body[0])


@pytest.mark.parametrize(
    "statement",
    [
        "model = Net()",
        "for epoch in range(10):\n    train()",
        "if __name__ != '__main__':\n    main()",
        "with open('x') as f:\n    pass",
        "torch.backends.cudnn.benchmark = True",
        "data = [x for x in range(3)]",
        "print('training')",
        "try:\n    import timm\nexcept ImportError:\n    download()",
    ],
)
def test_calls_loops_and_main_blocks_are_not(statement):
    assert not is_definition(ast.parse(statement).body[0])


def test_a_module_of_definitions_and_a_main_block_runs_unchanged():
    source = """
        import torch
        def f():
            pass
        if __name__ == "__main__":
            f()
    """
    assert kept_source(source) == (ast.unparse(ast.parse(textwrap.dedent(source))), False)


def test_a_constant_computed_from_dropped_code_is_dropped_too():
    source = """
        import torch
        data = load()
        n = len(data)
        half = n // 2
        WIDTH = 8
        DOUBLE = WIDTH * 2
    """
    assert kept_source(source) == ("import torch\nWIDTH = 8\nDOUBLE = WIDTH * 2", True)


def test_after_a_star_import_any_name_may_be_defined():
    kept, _ = kept_source("from math import *\nrun()\nTAU2 = tau * 2\n")
    assert kept == "from math import *\nTAU2 = tau * 2"


def test_unsaved_text_wins_over_the_file_and_the_module_is_forgotten_afterwards(tmp_path):
    (tmp_path / "overlaid.py").write_text("VALUE = 'disk'\n")
    with WorkspaceImporter([str(tmp_path)], {str(tmp_path / "overlaid.py"): "VALUE = 'editor'\n"}):
        assert importlib.import_module("overlaid").VALUE == "editor"
    assert "overlaid" not in sys.modules
    assert str(tmp_path) not in sys.path
    with WorkspaceImporter([str(tmp_path)], {}):
        assert importlib.import_module("overlaid").VALUE == "disk"


def test_a_script_is_loaded_definitions_only_and_leaves_no_bytecode(tmp_path):
    sentinel = tmp_path / "trained"
    (tmp_path / "train.py").write_text(
        textwrap.dedent(f"""
            import pathlib
            EPOCHS = 3
            class Net:
                pass
            for epoch in range(EPOCHS):
                pathlib.Path({str(sentinel)!r}).write_text("trained")
        """)
    )
    with WorkspaceImporter([str(tmp_path)], {}) as importer:
        module = importlib.import_module("train")
        assert (module.EPOCHS, module.Net.__name__) == (3, "Net")
    assert importer.scripts == [str(tmp_path / "train.py")]
    assert not sentinel.exists()
    assert not (tmp_path / "__pycache__").exists()


def test_src_layouts_and_packages_with_relative_imports_load(tmp_path):
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "blocks.py").write_text("SIZE = 5\n")
    (package / "net.py").write_text("from .blocks import SIZE\nDOUBLE = SIZE * 2\n")
    with WorkspaceImporter([str(tmp_path)], {}):
        assert importlib.import_module("pkg.net").DOUBLE == 10
    assert not any(name == "pkg" or name.startswith("pkg.") for name in sys.modules)


def test_files_of_a_virtual_environment_inside_the_workspace_are_not_workspace_code(tmp_path):
    importer = WorkspaceImporter([str(tmp_path)], {})
    assert importer.owns(str(tmp_path / "models" / "net.py"))
    assert not importer.owns(str(tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "x.py"))
    assert not importer.owns("/usr/lib/python3.11/os.py")
