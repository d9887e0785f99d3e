"""``fxlens/nodeTable``: the node table of the call at the cursor as data, with what the call selects per mode."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from recording_client import RecordingClient

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

MODEL = textwrap.dedent("""
    import torch
    from torch import nn
    from torchvision.models.feature_extraction import create_feature_extractor

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(4, 8)
            self.head = nn.Linear(8, 2)
            self.aux = nn.Linear(8, 2)

        def forward(self, x):
            y = self.stem(x).relu_()
            if self.training:
                return self.head(y) + self.aux(y)
            return self.head(y)

    """)
BOTH_MODES = MODEL + 'both = create_feature_extractor(TwoHeads(), return_nodes=["stem", "head"])\n'
PER_MODE = MODEL + (
    'per_mode = create_feature_extractor(TwoHeads(), train_return_nodes={"aux": "a"}, eval_return_nodes=["head"])\n'
)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("node-table")))
    yield
    await lsp_client.shutdown_session()


async def node_table(client: RecordingClient, uri: str, position: types.Position) -> Any:
    return await client.protocol.send_request_async(
        "fxlens/nodeTable",
        {"textDocument": {"uri": uri}, "position": {"line": position.line, "character": position.character}},
    )


def plain(value: Any) -> Any:
    """The reply as JSON values (pygls hands custom replies over as named tuples)."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


async def test_the_reply_holds_every_node_per_mode_and_what_return_nodes_selects_in_both(
    client: RecordingClient, documents: Documents
) -> None:
    uri = documents.open(documents.write("both.py", BOTH_MODES))
    reply = plain(await node_table(client, uri, position_of(BOTH_MODES, '"head"')))

    assert reply["title"] == "Nodes of TwoHeads" and reply["model"] == "TwoHeads"
    train = [node["name"] for node in reply["table"]["train"]]
    evaluation = [node["name"] for node in reply["table"]["eval"]]
    assert train == ["x", "stem", "relu_", "head", "aux", "add"]
    assert evaluation == ["x", "stem", "relu_", "head"]
    stem = reply["table"]["eval"][1]
    assert stem["op"] == "call_module" and stem["module_path"] == "stem"
    assert stem["module_type"].endswith("Linear")
    assert stem["output"]["kind"] == "tensor" and stem["output"]["tensors"][0]["shape"][-1] == 8
    assert stem["overwritten_by"] == "relu_"  # the in-place relu_ overwrites stem's output
    assert reply["selected"] == {"train": ["stem", "head"], "eval": ["stem", "head"]}
    assert reply["input"]  # the example input the shapes were computed for, described


async def test_train_and_eval_return_nodes_select_in_their_own_mode_and_the_literals_are_located(
    client: RecordingClient, documents: Documents
) -> None:
    uri = documents.open(documents.write("per_mode.py", PER_MODE))
    reply = plain(await node_table(client, uri, position_of(PER_MODE, "per_mode")))

    assert reply["selected"] == {"train": ["aux"], "eval": ["head"]}
    dict_start = position_of(PER_MODE, '{"aux"')
    list_start = position_of(PER_MODE, '["head"]')
    assert reply["arguments"] == [
        {
            "kind": "train_return_nodes",
            "form": "dict",
            "range": {
                "start": {"line": dict_start.line, "character": dict_start.character},
                "end": {"line": dict_start.line, "character": dict_start.character + len('{"aux": "a"}')},
            },
        },
        {
            "kind": "eval_return_nodes",
            "form": "list",
            "range": {
                "start": {"line": list_start.line, "character": list_start.character},
                "end": {"line": list_start.line, "character": list_start.character + len('["head"]')},
            },
        },
    ]


async def test_a_document_without_a_call_gets_a_clear_error_and_the_server_keeps_serving(
    client: RecordingClient, documents: Documents
) -> None:
    uri = documents.open(documents.write("plain.py", "import torch\nx = 1\n"))
    with pytest.raises(JsonRpcException, match="no create_feature_extractor"):
        await node_table(client, uri, types.Position(1, 0))
    shown = await client.protocol.send_request_async(
        "fxlens/showNodes", {"textDocument": {"uri": documents.open(documents.write("again.py", BOTH_MODES))},
                             "position": {"line": 0, "character": 0}}
    )  # fmt: skip
    assert shown.title == "Nodes of TwoHeads"
