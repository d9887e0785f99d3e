"""``[tool.fxlens]``: valid settings are read, every problem is a message naming its key, never a crash."""

from __future__ import annotations

from pathlib import Path

from fxlens.workspace.config import FxlensConfig, ModelOverride, load_config


def load(tmp_path: Path, toml: str) -> tuple[FxlensConfig, list[str]]:
    (tmp_path / "pyproject.toml").write_text(toml)
    config, errors = load_config(tmp_path)
    return config, [f"{e.key}: {e.message}" for e in errors]


def test_no_pyproject_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == (FxlensConfig(), [])


def test_no_fxlens_table_means_defaults(tmp_path: Path) -> None:
    assert load(tmp_path, "[project]\nname = 'x'\n") == (FxlensConfig(), [])


def test_full_configuration(tmp_path: Path) -> None:
    config, errors = load(
        tmp_path,
        """
[tool.fxlens]
input-shape = [1, 3, 128, 128]
python = ".venv/bin/python"
trace_timeout = 30

[tool.fxlens.models."pkg.nets:MyNet"]
input-shape = [[1, 3, 32, 32], [1, 10]]
args = [3, "relu"]
kwargs = { width = 32, sizes = [1, 2] }
leaf-modules = ["pkg.blocks:Block"]
""",
    )
    assert errors == []
    assert config.input_shapes == ((1, 3, 128, 128),)
    assert (config.python, config.trace_timeout) == (".venv/bin/python", 30.0)
    assert config.model("missing", "pkg.nets:MyNet") == ModelOverride(
        input_shapes=((1, 3, 32, 32), (1, 10)),
        args=("3", "'relu'"),
        kwargs=(("width", "32"), ("sizes", "[1, 2]")),
        leaf_modules=("pkg.blocks:Block",),
    )


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    config, errors = load(tmp_path, "[tool.fxlens]\ninput-shap = [1]\n[tool.fxlens.models.resnet50]\nwidth = 3\n")
    assert errors == [
        "tool.fxlens.input-shap: unknown key `input-shap`; known keys: input-shape, python, trace-timeout, models,"
        " select, ignore, per-file-ignores",
        "tool.fxlens.models.resnet50.width: unknown key `width`; known keys: input-shape, args, kwargs, leaf-modules",
    ]
    assert config.model("resnet50") == ModelOverride()


def test_bad_values_are_reported_and_ignored(tmp_path: Path) -> None:
    config, errors = load(
        tmp_path,
        """
[tool.fxlens]
input-shape = [1, 3, "224"]
python = 3
trace-timeout = -1
[tool.fxlens.models.resnet18]
leaf-modules = ["Block"]
kwargs = { when = 2024-01-01 }
args = "3"
""",
    )
    assert config == FxlensConfig(models=(("resnet18", ModelOverride()),))
    assert [e.split(":")[0] for e in errors] == [
        "tool.fxlens.input-shape",
        "tool.fxlens.python",
        "tool.fxlens.trace-timeout",
        "tool.fxlens.models.resnet18.leaf-modules",
        "tool.fxlens.models.resnet18.kwargs",
        "tool.fxlens.models.resnet18.args",
    ]


def test_models_must_be_tables(tmp_path: Path) -> None:
    _, errors = load(tmp_path, "[tool.fxlens]\nmodels = 3\n")
    assert errors == ['tool.fxlens.models: must be a table of tables, e.g. [tool.fxlens.models."pkg.mod:MyNet"]']


def test_invalid_toml_is_a_message(tmp_path: Path) -> None:
    config, errors = load(tmp_path, "[tool.fxlens\n")
    assert config == FxlensConfig()
    assert len(errors) == 1 and errors[0].startswith("tool.fxlens: cannot read pyproject.toml")


def test_select_ignore_and_per_file_ignores_are_read_and_checked(tmp_path: Path) -> None:
    config, errors = load(
        tmp_path,
        '[tool.fxlens]\nselect = ["fxl00"]\nignore = ["FXL007", "E501"]\n'
        '[tool.fxlens.per-file-ignores]\n"tests/*" = ["FXL012"]\n"bad/*" = "FXL001"\n',
    )
    assert (config.select, config.ignore, config.per_file_ignores) == (("FXL00",), (), (("tests/*", ("FXL012",)),))
    assert errors == [
        'tool.fxlens.ignore: must be a list of rule codes or prefixes, such as ["FXL007", "FXL00"]',
        'tool.fxlens.per-file-ignores.bad/*: must be a list of rule codes or prefixes, such as ["FXL007", "FXL00"]',
    ]
