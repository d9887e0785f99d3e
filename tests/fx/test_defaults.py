"""torchvision's default tracer settings, discovered from the installed torchvision."""

from __future__ import annotations

import math

import pytest
from fxlens.fx.defaults import default_autowrap_modules, default_leaf_modules, with_defaults

tv_fe = pytest.importorskip("torchvision.models.feature_extraction", reason="compared against torchvision")


def test_defaults_are_torchvisions_own() -> None:
    import torchvision

    assert set(default_leaf_modules()) == set(tv_fe._get_leaf_modules_for_ops())
    assert default_autowrap_modules() == (math, torchvision.ops)


def test_user_settings_are_merged_without_mutating_them() -> None:
    class Leaf:
        pass

    given = {"leaf_modules": [Leaf], "autowrap_modules": (math,), "param_shapes_constant": True}
    merged = with_defaults(given)
    assert given == {"leaf_modules": [Leaf], "autowrap_modules": (math,), "param_shapes_constant": True}
    assert merged["leaf_modules"][0] is Leaf and set(merged["leaf_modules"][1:]) == set(default_leaf_modules())
    assert merged["autowrap_modules"] == default_autowrap_modules()
    assert merged["param_shapes_constant"] is True
