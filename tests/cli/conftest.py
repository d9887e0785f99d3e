"""Fixtures of the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trace cache shared by one test module's runs (each module starts cold)."""
    return tmp_path_factory.mktemp("cache")
