"""Completion in a literal read by calls on different models offers each model's names once."""

from __future__ import annotations

from fxlens.lsp.shared_completion import merged
from lsprotocol import types


def listing(names: list[str], table: str, incomplete: bool = False) -> types.CompletionList:
    return types.CompletionList(
        is_incomplete=incomplete,
        items=[types.CompletionItem(label=n, detail="node", data={"table": table}) for n in names],
    )


def test_the_first_models_names_come_first_and_the_others_say_whose_they_are() -> None:
    found = merged([("ResNet", listing(["x", "layer4"], "r")), ("MobileNetV3", listing(["x", "features"], "m"))])
    assert [(i.label, i.detail, i.data, i.sort_text) for i in found.items] == [
        ("x", "node", {"table": "r"}, "000000"),
        ("layer4", "node", {"table": "r"}, "000001"),
        ("features", "MobileNetV3 only · node", {"table": "m"}, "000002"),
    ]
    assert not found.is_incomplete


def test_the_merged_list_is_incomplete_while_one_is() -> None:
    assert merged([("A", listing(["x"], "a")), ("B", listing([], "b", incomplete=True))]).is_incomplete
