"""End to end over LSP: completion and hover in each kind of module-path string, from a real server
that traces the real model — the items come from the module-path namespace and say so."""

from __future__ import annotations

import textwrap

import pytest
import pytest_lsp
from conftest_lsp import SERVER, initialize_params, position_of
from isolation import Documents
from lsprotocol import types
from recording_client import RecordingClient
from waiting import diagnostics_of, wait_for

pytest.importorskip("torchvision")
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

SCRIPT = textwrap.dedent("""
    from torchvision.models import resnet18
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.detection.backbone_utils import BackboneWithFPN

    model = resnet18()
    block = model.get_submodule("layer3.1")
    weight = model.get_parameter("layer1.0.conv1.weight")
    mean = model.get_buffer("layer1.0.bn1.running_mean")
    hooked = model.get_submodule("layer4").register_forward_hook(lambda m, i, o: None)
    found = dict(model.named_modules())["layer2.0"]
    body = IntermediateLayerGetter(model, return_layers={"layer4.1": "out"})
    fpn = BackboneWithFPN(model, {"layer3": "0", "layer4": "1"}, [128, 512], 256)
""")


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: RecordingClient, tmp_path_factory: pytest.TempPathFactory):
    await lsp_client.start_session(initialize_params(tmp_path_factory.mktemp("sites")))
    yield
    await lsp_client.shutdown_session()


async def opened(client: RecordingClient, documents: Documents) -> str:
    """Open the script and wait until its traced findings (FXL018, FXL020) arrive."""
    uri = documents.open(documents.write("sites.py", SCRIPT))
    await diagnostics_of(client, uri, lambda d: {"FXL018", "FXL020"} <= {str(x.code) for x in d}, what="traced")
    return uri


async def complete(client: RecordingClient, uri: str, needle: str, offset: int) -> dict[str, types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position_of(SCRIPT, needle, offset))
    )
    return {item.label: item for item in result.items}


async def hover(client: RecordingClient, uri: str, needle: str) -> str:
    found = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position_of(SCRIPT, needle, 2))
    )
    assert found is not None, needle
    return found.contents.value


async def test_get_submodule_completes_module_paths_not_node_names(client: RecordingClient, documents: Documents):
    uri = await opened(client, documents)
    everything = await complete(client, uri, '"layer3.1"', 1)
    assert "layer1.0.relu" in everything and "layer1.0.relu_1" not in everything  # a module, not a node name
    assert "layer1.0.conv1.weight" not in everything  # a parameter: not what get_submodule returns
    items = await complete(client, uri, '"layer3.1"', len('"layer3.'))
    assert set(items) == {"layer3.0", "layer3.1", *(p for p in everything if p.startswith("layer3."))}
    item = items["layer3.1"]
    assert item.detail == "module path · BasicBlock · 1,180,672 parameters · 1×256×14×14"
    assert item.label_details.description == "module path"
    resolved = await client.completion_item_resolve_async(item)
    assert "submodule `torchvision.models.resnet.BasicBlock`" in resolved.documentation.value


async def test_hover_on_a_submodule_shows_type_parameters_and_output_per_mode(
    client: RecordingClient, documents: Documents
):
    uri = await opened(client, documents)
    text = await hover(client, uri, '"layer3.1"')
    assert text.startswith("**`layer3.1`** — submodule `torchvision.models.resnet.BasicBlock`")
    assert "1,180,672 parameters" in text
    assert "| train | 1×256×14×14 (`layer3.1.relu_1`) |" in text
    assert "| eval | 1×256×14×14 (`layer3.1.relu_1`) |" in text


async def test_parameters_buffers_and_hooks_complete_and_hover_in_their_namespace(
    client: RecordingClient, documents: Documents
):
    uri = await opened(client, documents)
    parameters = await complete(client, uri, '"layer1.0.conv1.weight"', 1)
    assert "layer1.0.conv1.weight" in parameters and "layer1.0.conv1" not in parameters
    assert parameters["fc.bias"].detail == "module path · parameter 1000"
    buffers = await complete(client, uri, '"layer1.0.bn1.running_mean"', 1)
    assert "layer1.0.bn1.running_mean" in buffers and "fc.bias" not in buffers
    assert "shape 64×64×3×3, 36,864 elements" in await hover(client, uri, '"layer1.0.conv1.weight"')
    assert "submodule `torch.nn.Sequential`" in await hover(client, uri, '"layer4"')
    assert "submodule `torchvision.models.resnet.BasicBlock`" in await hover(client, uri, '"layer2.0"')


async def test_return_layers_complete_direct_children_only(client: RecordingClient, documents: Documents):
    uri = await opened(client, documents)
    items = await complete(client, uri, '"layer4.1": "out"', 1)
    assert list(items)[:4] == ["conv1", "bn1", "relu", "maxpool"]
    assert "layer4" in items and "layer4.1" not in items
    assert items["layer4"].detail == "module path · Sequential · 8,393,728 parameters · 1×512×7×7"
    assert "submodule `torch.nn.Sequential`" in await hover(client, uri, '"layer3": "0"')


async def test_node_name_completion_items_name_their_namespace(client: RecordingClient, documents: Documents):
    text = SCRIPT + (
        "from torchvision.models.feature_extraction import create_feature_extractor\n"
        'extractor = create_feature_extractor(model, return_nodes=["layer1"])\n'
    )
    uri = documents.open(documents.write("nodes.py", text))
    await diagnostics_of(client, uri, lambda d: "FXL018" in {str(x.code) for x in d}, what="traced")
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position_of(text, '["layer1"]', 2))
    )
    items = {item.label: item for item in result.items}
    assert items["layer1.0.relu_1"].label_details.description == "fx node"


LOOKUPS = textwrap.dedent("""
    from torchvision.models import resnet18
    from torchvision.models.feature_extraction import get_graph_node_names

    model = resnet18()
    train_nodes, eval_nodes = get_graph_node_names(model)
    has_relu = "layer1.0.relu2" in eval_nodes
    for name, module in model.named_modules():
        if name == "layer4.0":
            print(module)
""")


async def test_names_looked_up_in_listed_names_complete_hover_and_are_checked(
    client: RecordingClient, documents: Documents
):
    uri = documents.open(documents.write("lookups.py", LOOKUPS))
    found = await diagnostics_of(client, uri, lambda d: "FXL023" in {str(x.code) for x in d}, what="traced")
    assert [str(d.code) for d in found] == ["FXL023"]
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position_of(LOOKUPS, '"layer1.0.relu2"', 1))
    )
    nodes = {item.label: item for item in result.items}
    assert "layer1.0.relu_1" in nodes and "layer1" not in nodes  # exact names only: a prefix is not listed
    assert nodes["layer1.0.relu_1"].label_details.description == "fx node"
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position_of(LOOKUPS, '"layer4.0"', 1))
    )
    paths = {item.label: item for item in result.items}
    assert "layer4.0" in paths and paths["layer4.0"].label_details.description == "module path"
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position_of(LOOKUPS, '"layer4.0"', 2))
    )
    assert hover.contents.value.startswith("**`layer4.0`** — submodule `torchvision.models.resnet.BasicBlock`")


ATTENTION = textwrap.dedent("""
    import timm
    from timm.utils import AttentionExtract

    model = timm.create_model("vit_tiny_patch16_224", pretrained=False)
    extract = AttentionExtract(model, names=["blocks.0.attn.qkv", "*softmax*"])
""")


async def test_attention_extract_names_complete_fx_nodes_and_are_checked(client: RecordingClient, documents: Documents):
    uri = documents.open(documents.write("attention.py", ATTENTION))
    found = await diagnostics_of(client, uri, lambda d: "FXL026" in {str(x.code) for x in d}, what="traced")
    assert [(str(d.code), d.message) for d in found] == [
        ("FXL026", "`*softmax*` matches no eval-mode node name of VisionTransformer: it is skipped")
    ]
    result = await client.text_document_completion_async(
        types.CompletionParams(
            types.TextDocumentIdentifier(uri), position_of(ATTENTION, '"blocks.0.attn.qkv"', len('"blocks.0.attn.'))
        )
    )
    items = {item.label: item for item in result.items}
    assert "blocks.0.attn.qkv" in items and items["blocks.0.attn.qkv"].label_details.description == "fx node"
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position_of(ATTENTION, '"blocks.0.attn.qkv"', 2))
    )
    assert hover.contents.value.startswith("**`blocks.0.attn.qkv`** — call_module")


HOOKED = textwrap.dedent("""
    import timm
    from timm.utils import AttentionExtract

    model = timm.create_model("vit_tiny_patch16_224", pretrained=False)
    extract = AttentionExtract(model, names=["blocks.0.attn.attn_drop"], method="hook")
""")


async def test_attention_extract_hook_names_complete_module_paths(client: RecordingClient, documents: Documents):
    uri = documents.open(documents.write("hooked.py", HOOKED))
    position = position_of(HOOKED, '"blocks.0.attn.attn_drop"', len('"blocks.0.attn.'))

    async def completion() -> types.CompletionList:
        return await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), position)
        )

    result = await wait_for(client, completion, lambda found: not found.is_incomplete, what="the traced completion")
    items = {item.label: item for item in result.items}
    assert "blocks.0.attn.attn_drop" in items
    assert items["blocks.0.attn.attn_drop"].label_details.description == "module path"
    assert not any(label.endswith("_1") for label in items)  # module paths, not renumbered node names
