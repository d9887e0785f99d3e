"""The editor's ``defaultInputShape`` setting: unset (null, VS Code's default) leaves each model its own
input (the file's, the weights' transforms, the first layer); set, it stands in for a missing
``[tool.fxlens] input-shape`` and never overrides one."""

from __future__ import annotations

from pathlib import Path

from fxlens.lsp.session import Hooks, Session
from fxlens.lsp.settings import Settings, parse_settings


def session_in(root: Path) -> Session:
    async def tracing(title, trace):
        return await trace

    return Session(str(root), Settings(), Hooks(lambda *_: None, lambda *_: None, tracing))


def test_null_is_the_unset_setting() -> None:
    assert parse_settings({"defaultInputShape": None}) == (Settings(), [])
    assert parse_settings({"defaultInputShape": None}, Settings(default_input_shape=(1, 3, 32, 32))) == (Settings(), [])


def test_unset_leaves_the_input_to_each_model(tmp_path: Path) -> None:
    session = session_in(tmp_path)
    session.configure(parse_settings({"defaultInputShape": None, "executeCode": True})[0])
    assert session.workspace.config.input_shapes is None


def test_set_it_stands_in_for_the_projects_input_shape(tmp_path: Path) -> None:
    session = session_in(tmp_path)
    session.configure(Settings(default_input_shape=(2, 3, 64, 64)))
    assert session.workspace.config.input_shapes == ((2, 3, 64, 64),)


def test_the_projects_input_shape_wins_over_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.fxlens]\ninput-shape = [1, 1, 28, 28]\n")
    session = session_in(tmp_path)
    session.configure(Settings(default_input_shape=(2, 3, 64, 64)))
    assert session.workspace.config.input_shapes == ((1, 1, 28, 28),)
