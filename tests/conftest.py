"""Shared test configuration: the repository's ``tests`` directory is importable for helpers, and
``--test-order`` runs each module's tests reversed or shuffled, to show that none depends on another."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--test-order",
        default="given",
        help="order of the tests inside each module: given, reverse, or shuffle:SEED",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order = config.getoption("--test-order")
    if order == "given":
        return
    if order == "reverse":
        arrange = list.reverse
    elif order.startswith("shuffle:"):
        arrange = random.Random(order.removeprefix("shuffle:")).shuffle
    else:
        raise pytest.UsageError(f"--test-order must be given, reverse or shuffle:SEED, not {order!r}")
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:  # modules keep their order; module-scoped fixtures are set up once each
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    for tests in modules.values():
        arrange(tests)
    items[:] = [item for tests in modules.values() for item in tests]
