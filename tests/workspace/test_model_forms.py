"""The model forms real projects use, each resolved statically to the ``ModelSpec`` the worker builds.

Every case is a file as it is written in public code; what cannot be resolved says, for that case,
what to write or configure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fxlens.workspace.parse import parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import ModelSpec, Unresolved

TV = "from torchvision.models.feature_extraction import create_feature_extractor\n"
NN = "import torch.nn as nn\n"


def resolve(
    root: Path, text: str, name: str = "main.py", files: dict[str, str] | None = None
) -> ModelSpec | Unresolved:
    for other, content in (files or {}).items():
        (root / other).parent.mkdir(parents=True, exist_ok=True)
        (root / other).write_text(content)
    doc = parse_document(str(root / name), text, 1)
    assert doc.call_sites, "the snippet has a call site"
    return resolve_model(doc, doc.call_sites[-1], root)


def built(spec: ModelSpec | Unresolved) -> tuple:
    assert isinstance(spec, ModelSpec), spec
    return (spec.builder, spec.module, spec.callable, spec.args, spec.kwargs, spec.attributes)


def reason(spec: ModelSpec | Unresolved) -> str:
    assert isinstance(spec, Unresolved), spec
    return spec.reason


# -- copies and parallel wrappers -------------------------------------------------------------------


def test_a_deep_copy_is_the_model_it_copies(tmp_path: Path) -> None:
    text = TV + "import copy\nfrom torchvision.models import resnet18\nm = resnet18(num_classes=5)\n"
    text += "create_feature_extractor(copy.deepcopy(m).eval(), ['fc'])\n"
    assert built(resolve(tmp_path, text)) == (
        "torchvision",
        "torchvision.models",
        "resnet18",
        (),
        (("num_classes", "5"),),
        (),
    )


@pytest.mark.parametrize(
    "wrapper",
    ["nn.DataParallel(net)", "nn.parallel.DistributedDataParallel(net, device_ids=[0])", "nn.DataParallel(module=net)"],
)
def test_the_module_of_a_parallel_wrapper_is_the_wrapped_model(tmp_path: Path, wrapper: str) -> None:
    text = TV + NN + "from torchvision.models import resnet18\nnet = resnet18()\n"
    text += f"create_feature_extractor({wrapper}.module, ['fc'])\n"
    assert built(resolve(tmp_path, text))[:3] == ("torchvision", "torchvision.models", "resnet18")


def test_model_module_of_a_variable_holding_the_wrapper(tmp_path: Path) -> None:
    text = TV + "import torch\nfrom torchvision.models import vgg11\nmodel = torch.nn.DataParallel(vgg11())\n"
    text += "create_feature_extractor(model.module.features, ['0'])\n"
    assert built(resolve(tmp_path, text))[2:] == ("vgg11", (), (), ("features",))


def test_the_wrapper_itself_says_to_pass_its_module(tmp_path: Path) -> None:
    text = TV + NN + "from torchvision.models import resnet18\nmodel = nn.DataParallel(resnet18())\n"
    text += "create_feature_extractor(model, ['fc'])\n"
    assert "pass the model inside: `model.module`" in reason(resolve(tmp_path, text))


# -- weights --------------------------------------------------------------------------------------


def test_a_weights_enum_passed_positionally_is_dropped_and_noted(tmp_path: Path) -> None:
    text = TV + "from torchvision.models import mobilenet_v3_small, MobileNet_V3_Small_Weights\n"
    text += "create_feature_extractor(mobilenet_v3_small(MobileNet_V3_Small_Weights.DEFAULT), ['features'])\n"
    spec = resolve(tmp_path, text)
    assert built(spec) == ("torchvision", "torchvision.models", "mobilenet_v3_small", (), (), ())
    assert isinstance(spec, ModelSpec) and spec.weights_requested


@pytest.mark.parametrize(
    "call",
    [
        "resnet50(weights=ResNet50_Weights.DEFAULT if pretrained else None)",
        "resnet50(ResNet50_Weights.IMAGENET1K_V2 if pretrained else None, True)",
    ],
)
def test_weights_chosen_by_a_conditional_expression(tmp_path: Path, call: str) -> None:
    text = TV + "from torchvision.models import resnet50, ResNet50_Weights\npretrained = True\n"
    text += f"create_feature_extractor({call}, ['fc'])\n"
    spec = resolve(tmp_path, text)
    assert built(spec)[:3] == ("torchvision", "torchvision.models", "resnet50")
    assert isinstance(spec, ModelSpec) and spec.weights_requested and spec.args == ()


# -- constructor parameters with defaults ------------------------------------------------------------


def test_constructor_parameters_with_defaults_are_their_values(tmp_path: Path) -> None:
    text = TV + NN + "from torchvision.models import VisionTransformer\n"
    text += (
        "class Encoder(nn.Module):\n"
        "    def __init__(self, image_size: int = 256, layers=2):\n"
        "        super().__init__()\n"
        "        vit = VisionTransformer(image_size=image_size, patch_size=32, num_layers=layers,\n"
        "                                num_heads=2, hidden_dim=64, mlp_dim=128)\n"
        "        self.body = create_feature_extractor(vit, ['encoder'])\n"
    )
    assert built(resolve(tmp_path, text))[2:5] == (
        "VisionTransformer",
        (),
        (
            ("image_size", "256"),
            ("patch_size", "32"),
            ("num_layers", "2"),
            ("num_heads", "2"),
            ("hidden_dim", "64"),
            ("mlp_dim", "128"),
        ),
    )


def test_a_model_assigned_to_self_in_init_is_followed_from_another_method(tmp_path: Path) -> None:
    text = TV + NN + "from torchvision.models import resnet18\n"
    text += (
        "class Probe(nn.Module):\n"
        "    def __init__(self, classes: int = 7):\n"
        "        super().__init__()\n"
        "        self.backbone = resnet18(num_classes=classes)\n"
        "    def extractor(self):\n"
        "        return create_feature_extractor(self.backbone, ['layer4'])\n"
    )
    assert built(resolve(tmp_path, text))[2:5] == ("resnet18", (), (("num_classes", "7"),))


def test_a_parameter_without_default_says_so(tmp_path: Path) -> None:
    text = TV + NN + "from torchvision.models import resnet18\n"
    text += "def build(classes):\n    return create_feature_extractor(resnet18(num_classes=classes), ['fc'])\n"
    assert "`classes` is a parameter of `build()` without a default" in reason(resolve(tmp_path, text))


# -- builders looked up by name ------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [
        "{'resnet18': resnet18, 'resnet50': resnet50}[ARCH]",
        "BUILDERS[ARCH]",
        "BUILDERS['resnet50']",
        "getattr(torchvision.models, 'resnet50')",
        "getattr(torchvision.models, ARCH)",
        "models.__dict__['resnet50']",
        "vars(models)[ARCH]",
    ],
)
def test_a_builder_looked_up_by_a_constant(tmp_path: Path, lookup: str) -> None:
    text = (
        TV + "import torchvision\nfrom torchvision import models\nfrom torchvision.models import resnet18, resnet50\n"
    )
    text += "ARCH = 'resnet50'\nBUILDERS = {'resnet18': resnet18, 'resnet50': resnet50}\n"
    text += f"create_feature_extractor({lookup}(num_classes=10), ['fc'])\n"
    assert built(resolve(tmp_path, text))[2:5] == ("resnet50", (), (("num_classes", "10"),))


def test_a_builder_looked_up_by_a_parameter_default(tmp_path: Path) -> None:
    text = TV + "from torchvision.models import resnet18, resnet50\n"
    text += "MODELS = {'resnet18': resnet18, 'resnet50': resnet50}\n"
    text += "def features(arch='resnet18'):\n    builder = MODELS[arch]\n"
    text += "    return create_feature_extractor(builder(), ['fc'])\n"
    assert built(resolve(tmp_path, text))[2] == "resnet18"


def test_a_key_missing_from_the_dict_names_the_key(tmp_path: Path) -> None:
    text = TV + "from torchvision.models import resnet18\n"
    text += "create_feature_extractor({'resnet18': resnet18}['vgg'](), ['fc'])\n"
    assert "has no entry 'vgg'" in reason(resolve(tmp_path, text))


def test_a_key_that_is_not_a_constant_says_to_write_it(tmp_path: Path) -> None:
    text = TV + "import sys\nfrom torchvision import models\n"
    text += "create_feature_extractor(getattr(models, sys.argv[1])(), ['fc'])\n"
    assert "the attribute name `sys.argv[1]` is not a constant" in reason(resolve(tmp_path, text))


FACTORY = (
    "import torch.nn as nn\nfrom torchvision.models import resnet18, resnet50\n"
    "def build(arch, classes=10):\n"
    "    if arch == 'resnet18':\n        return resnet18(num_classes=classes)\n"
    "    elif arch in ('resnet50', 'r50'):\n        return resnet50(num_classes=classes)\n"
    "    raise ValueError(arch)\n"
    "def tuned(arch):\n"
    "    model = resnet18() if arch == 'small' else resnet50()\n"
    "    model.fc = nn.Linear(model.fc.in_features, 3)\n"
    "    return model\n"
    "def branches(arch='r50'):\n"
    "    if arch == 'r18':\n        net = resnet18()\n    else:\n        net = resnet50()\n"
    "    return net\n"
)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("build('resnet18')", ("torchvision", "torchvision.models", "resnet18", (), (("num_classes", "10"),), ())),
        ("build('r50', classes=3)", ("torchvision", "torchvision.models", "resnet50", (), (("num_classes", "3"),), ())),
        (
            "build(ARCH).layer1",
            ("torchvision", "torchvision.models", "resnet18", (), (("num_classes", "10"),), ("layer1",)),
        ),
        ("branches()", ("torchvision", "torchvision.models", "resnet50", (), (), ())),
        ("branches('r18')", ("torchvision", "torchvision.models", "resnet18", (), (), ())),
    ],
)
def test_a_factory_is_followed_into_the_return_its_literal_arguments_select(
    tmp_path: Path, call: str, expected: tuple
) -> None:
    text = TV + f"from factory import build, branches\nARCH = 'resnet18'\ncreate_feature_extractor({call}, ['fc'])\n"
    assert built(resolve(tmp_path, text, files={"factory.py": FACTORY})) == expected


@pytest.mark.parametrize("call", ["tuned('small')", "build(NAME)", "build('vgg')"])
def test_a_factory_fxlens_cannot_follow_is_built_by_calling_it(tmp_path: Path, call: str) -> None:
    """A model changed after it is built, an argument that is not a literal, no return taken."""
    text = TV + "import os\nfrom factory import build, tuned\nNAME = os.environ['ARCH']\n"
    text += f"create_feature_extractor({call}, ['fc'])\n"
    spec = resolve(tmp_path, text, files={"factory.py": FACTORY})
    if call == "build(NAME)":
        assert "argument 1 `NAME` is not a literal" in reason(spec)
    else:
        assert built(spec)[:3] == ("workspace", "factory", call.partition("(")[0])


# -- parameters with one caller ------------------------------------------------------------------------


def test_a_model_parameter_with_one_caller_in_the_file(tmp_path: Path) -> None:
    text = TV + "from torchvision.models import resnet34\n"
    text += "def extract(model, nodes):\n    return create_feature_extractor(model, nodes)\n"
    text += "extract(resnet34().eval(), ['fc'])\n"
    doc = parse_document(str(tmp_path / "main.py"), text, 1)
    assert built(resolve_model(doc, doc.call_sites[0], tmp_path))[2] == "resnet34"


def test_a_model_parameter_with_one_caller_in_another_file(tmp_path: Path) -> None:
    files = {
        "lib/__init__.py": "",
        "lib/probe.py": TV + "def probe(model):\n    return create_feature_extractor(model, ['fc'])\n",
        "train.py": "from torchvision.models import resnet18\nfrom lib.probe import probe\nprobe(model=resnet18())\n",
    }
    text = files.pop("lib/probe.py")
    spec = resolve(tmp_path, text, "lib/probe.py", files)
    assert built(spec)[2] == "resnet18"


def test_callers_passing_different_models_are_named(tmp_path: Path) -> None:
    text = TV + "from torchvision.models import resnet18, resnet50\n"
    text += "def extract(model):\n    return create_feature_extractor(model, ['fc'])\n"
    text += "extract(resnet18())\nextract(resnet50())\n"
    doc = parse_document(str(tmp_path / "main.py"), text, 1)
    message = reason(resolve_model(doc, doc.call_sites[0], tmp_path))
    assert "whose calls pass different models (line 5 of main.py, line 6 of main.py)" in message


def test_a_parameter_nobody_passes_says_how_to_annotate_it(tmp_path: Path) -> None:
    text = TV + "def extract(model):\n    return create_feature_extractor(model, ['fc'])\n"
    message = reason(resolve(tmp_path, text))
    assert "no single call of it in the workspace passes a model" in message
    assert "annotate it with a model class" in message


# -- torch.hub -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        "torch.hub.load('pytorch/vision', 'resnet50', weights=None)",
        "torch.hub.load('pytorch/vision:v0.10.0', 'resnet50', pretrained=True, num_classes=10)",
        "torch.hub.load(repo_or_dir='pytorch/vision', model='resnet50', source='github', num_classes=10)",
    ],
)
def test_torch_hub_load_of_torchvision_is_its_builder(tmp_path: Path, call: str) -> None:
    text = TV + f"import torch\ncreate_feature_extractor({call}, ['fc'])\n"
    spec = resolve(tmp_path, text)
    assert built(spec)[:4] == ("torchvision", "torchvision.models", "get_model", ("'resnet50'",))
    assert isinstance(spec, ModelSpec) and spec.display_name.startswith("resnet50")
    assert dict(spec.kwargs).keys() <= {"num_classes"}


def test_torch_hub_load_of_another_repository_says_it_is_not_downloaded(tmp_path: Path) -> None:
    text = (
        TV + "import torch\ncreate_feature_extractor(torch.hub.load('facebookresearch/dino:main', 'dino_vits16'), [])\n"
    )
    assert "torch.hub repository fxlens does not download" in reason(resolve(tmp_path, text))


# -- a Sequential of children -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "children"),
    [
        ("nn.Sequential(*list(resnet18().children())[:-2])", (None, -2)),
        ("nn.Sequential(*list(m.children())[1:3])", (1, 3)),
        ("torch.nn.Sequential(*m.children())", (None, None)),
    ],
)
def test_a_sequential_of_a_models_children_keeps_the_slice(
    tmp_path: Path, expression: str, children: tuple[int | None, int | None]
) -> None:
    text = TV + NN + "import torch\nfrom torchvision.models import resnet18\nm = resnet18()\n"
    text += f"create_feature_extractor({expression}, ['0'])\n"
    spec = resolve(tmp_path, text)
    assert built(spec)[2] == "resnet18"
    assert isinstance(spec, ModelSpec) and spec.children == children
    assert spec.display_name.startswith("Sequential(*list(resnet18")


def test_a_sequential_written_in_place_says_to_define_it_in_a_module(tmp_path: Path) -> None:
    text = TV + NN + "create_feature_extractor(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()), ['0'])\n"
    assert "define the network in a function or class of a module" in reason(resolve(tmp_path, text))


def test_an_attribute_after_slicing_children_says_to_slice_the_part(tmp_path: Path) -> None:
    text = TV + NN + "from torchvision.models import resnet18\n"
    text += "create_feature_extractor(nn.Sequential(*list(resnet18().children())[:-2])[0], ['0'])\n"
    assert "slice the part you want" in reason(resolve(tmp_path, text))


def test_the_worker_builds_the_sequential_of_children_the_spec_names(tmp_path: Path) -> None:
    """The names are those torchvision gives the Sequential, not those of the original model."""
    pytest.importorskip("torch")
    from fxlens.worker.build import build_table
    from torch import nn
    from torchvision.models import resnet18
    from torchvision.models.feature_extraction import get_graph_node_names

    text = TV + NN + "from torchvision.models import resnet18\n"
    text += "create_feature_extractor(nn.Sequential(*list(resnet18().children())[:-2]), ['7'])\n"
    spec = resolve(tmp_path, text)
    assert isinstance(spec, ModelSpec)
    table = build_table(spec, {}, lambda phase: None)
    expected_train, expected_eval = get_graph_node_names(nn.Sequential(*list(resnet18().children())[:-2]))
    assert [n.name for n in table.eval] == expected_eval
    assert [n.name for n in table.train] == expected_train
    assert table.model_type == "torch.nn.Sequential"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("def features(arch='resnet18'):\n{body}    return create_feature_extractor(model, ['fc'])\n", "resnet18"),
        ("def features(arch='vgg'):\n{body}    return create_feature_extractor(model, ['fc'])\n", "resnet50"),
        ("arch = ARCH\n{body}create_feature_extractor(model, ['fc'])\n", "resnet18"),
    ],
)
def test_of_models_assigned_in_branches_the_one_whose_condition_holds(
    tmp_path: Path, where: str, expected: str
) -> None:
    body = "if arch == 'resnet18':\n    model = resnet18()\nelse:\n    model = resnet50()\n"
    indent = "" if where.startswith("arch") else "    "
    text = TV + "from torchvision.models import resnet18, resnet50\nARCH = 'resnet18'\n"
    text += where.format(body="".join(indent + line + "\n" for line in body.splitlines()))
    assert built(resolve(tmp_path, text))[2] == expected


def test_of_models_assigned_in_branches_an_unknown_condition_keeps_the_last(tmp_path: Path) -> None:
    text = TV + "import sys\nfrom torchvision.models import resnet18, resnet50\n"
    text += "if sys.argv[1] == 'small':\n    model = resnet18()\nelse:\n    model = resnet50()\n"
    text += "create_feature_extractor(model, ['fc'])\n"
    assert built(resolve(tmp_path, text))[2] == "resnet50"


# -- self, annotations, and what stays unresolved -------------------------------------------------------


def test_self_in_a_method_is_its_class_built_without_arguments(tmp_path: Path) -> None:
    text = TV + NN + "class Net(nn.Module):\n    def __init__(self, width=8):\n        super().__init__()\n"
    text += "    def taps(self):\n        return create_feature_extractor(self, ['x'])\n"
    assert built(resolve(tmp_path, text)) == ("workspace", "main", "Net", (), (), ())


def test_self_of_a_class_with_required_arguments_asks_for_configuration(tmp_path: Path) -> None:
    text = TV + NN + "class Net(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n"
    text += "    def taps(self):\n        return create_feature_extractor(self, ['x'])\n"
    message = reason(resolve(tmp_path, text))
    assert message.startswith("`self` is a `Net`, whose constructor needs `width`")
    assert message.endswith('or set `kwargs` under [tool.fxlens.models."main:Net"]')


def test_an_annotated_parameter_gets_required_arguments_from_configuration(tmp_path: Path) -> None:
    from fxlens.workspace.config import FxlensConfig, ModelOverride

    text = TV + NN + "class Net(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n"
    text += "def taps(model: Net):\n    return create_feature_extractor(model, ['x'])\n"
    doc = parse_document(str(tmp_path / "main.py"), text, 1)
    config = FxlensConfig(models=(("main:Net", ModelOverride(kwargs=(("width", "16"),))),))
    assert built(resolve_model(doc, doc.call_sites[0], tmp_path, config)) == (
        "workspace",
        "main",
        "Net",
        (),
        (("width", "16"),),
        (),
    )


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("torch.load('model.pt')", "loads a saved model, which fxlens does not open"),
        ("torch.compile(resnet18())", "pass the model before it is compiled or scripted"),
        ("torch.jit.script(resnet18())", "pass the model before it is compiled or scripted"),
        ("nn.Conv2d(3, 8, 3)", "builds a torch module in place"),
        ("smp.Unet()", "wrap it in a function of a workspace module and call that"),
    ],
)
def test_what_stays_unresolved_says_what_to_write_for_its_case(tmp_path: Path, model: str, words: str) -> None:
    text = (
        TV + NN + "import torch\nimport segmentation_models_pytorch as smp\nfrom torchvision.models import resnet18\n"
    )
    text += f"create_feature_extractor({model}, ['x'])\n"
    assert words in reason(resolve(tmp_path, text))


def test_a_third_party_model_wrapped_in_a_workspace_function_is_built_by_calling_it(tmp_path: Path) -> None:
    files = {"nets.py": "import segmentation_models_pytorch as smp\ndef unet():\n    return smp.Unet()\n"}
    text = TV + "from nets import unet\ncreate_feature_extractor(unet(), ['x'])\n"
    assert built(resolve(tmp_path, text, files=files)) == ("workspace", "nets", "unet", (), (), ())


def test_callers_passing_the_same_model_agree(tmp_path: Path) -> None:
    text = TV + NN + "class Net(nn.Module):\n    def __init__(self, w):\n        super().__init__()\n"
    text += "def extract(model):\n    return create_feature_extractor(model, ['x'])\n"
    text += "extract(Net(W))\nextract(Net(W))\n"
    doc = parse_document(str(tmp_path / "main.py"), text, 1)
    message = reason(resolve_model(doc, doc.call_sites[0], tmp_path))
    assert (
        "argument 1 `W` is not a literal" in message and 'set `args` under [tool.fxlens.models."main:Net"]' in message
    )


@pytest.mark.parametrize(
    "model",
    [
        "mobilenet_v3_small(MobileNet_V3_Small_Weights.DEFAULT)",
        "torch.hub.load('pytorch/vision', 'mobilenet_v3_small', weights=None)",
        "copy.deepcopy(nn.DataParallel(getattr(models, 'mobilenet_v3_small')()).module)",
    ],
)
def test_the_worker_builds_these_forms_with_torchvisions_names(tmp_path: Path, model: str) -> None:
    """Nothing is downloaded: the builder runs with weights=None and gives the same names."""
    pytest.importorskip("torch")
    from fxlens.worker.build import build_table
    from torchvision.models import mobilenet_v3_small
    from torchvision.models.feature_extraction import get_graph_node_names

    text = TV + NN + "import copy, torch\nfrom torchvision import models\n"
    text += "from torchvision.models import mobilenet_v3_small, MobileNet_V3_Small_Weights\n"
    text += f"create_feature_extractor({model}, ['features'])\n"
    spec = resolve(tmp_path, text)
    assert isinstance(spec, ModelSpec)
    table = build_table(spec, {}, lambda phase: None)
    assert [n.name for n in table.eval] == get_graph_node_names(mobilenet_v3_small())[1]


@pytest.mark.parametrize(
    "model",
    ["[resnet18(), resnet50()][1]", "MODELS[-1]", "ZOO['big']", "(resnet50(),)[0].eval()"],
)
def test_a_model_picked_from_a_list_or_dict_display(tmp_path: Path, model: str) -> None:
    text = TV + "from torchvision.models import resnet18, resnet50\n"
    text += "MODELS = [resnet18(), resnet50()]\nZOO = {'small': resnet18(), 'big': resnet50()}\n"
    text += f"create_feature_extractor({model}, ['fc'])\n"
    assert built(resolve(tmp_path, text))[2] == "resnet50"
