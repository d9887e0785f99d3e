"""The snippet corpus: what fxlens finds in a file, what a cursor is in, and which model a call builds.

Each case is one file as a user might have it open (``‸`` marks the cursor; about a third are
half-typed) with the call sites expected, the cursor context expected, and the model spec (or the
reason it cannot be resolved) expected for the first call site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fxlens.workspace.callsite import CallSite, Position
from fxlens.workspace.config import FxlensConfig, ModelOverride
from fxlens.workspace.parse import cursor_context, parse_document
from fxlens.workspace.resolve import resolve_model
from fxlens.workspace.spec import Unresolved

CURSOR = "‸"
TV = "from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names\n"
R18 = "from torchvision.models import resnet18\n"


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    # per call site: "function library model_expr | kind: name->output, name ..." (compact, readable)
    sites: tuple[str, ...] = ()
    cursor: str | None = None  # "kind role prefix" ("-" for an empty prefix), None: no context
    spec: str | None = None  # "builder module:callable args kwargs attrs [weights] input" or "unresolved: words"
    half_typed: bool = False
    config: FxlensConfig = field(default_factory=FxlensConfig)


CASES = [
    # ---- import forms --------------------------------------------------------------------------
    Case(
        "plain-list",
        TV + R18 + 'm = resnet18()\ncreate_feature_extractor(m, return_nodes=["layer1", "lay‸er4"])\n',
        ("create_feature_extractor torchvision m | return_nodes: layer1, layer4",),
        "return_nodes node lay",
        "torchvision torchvision.models:resnet18 () () () default",
    ),
    Case(
        "alias",
        "from torchvision.models.feature_extraction import create_feature_extractor as cfe\n"
        + R18
        + 'cfe(resnet18(), {"layer1": "low"})\n',
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->low",),
    ),
    Case(
        "module-alias",
        "import torchvision.models.feature_extraction as fe\n"
        + R18
        + 'fe.create_feature_extractor(resnet18(), ["fc"])\n',
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
    ),
    Case(
        "from-models-import-module",
        "from torchvision.models import feature_extraction as fx\n" + R18 + "fx.get_graph_node_names(resnet18())\n",
        ("get_graph_node_names torchvision resnet18() |",),
    ),
    Case(
        "fully-qualified",
        "import torchvision\n" + "torchvision.models.feature_extraction.create_feature_extractor("
        'torchvision.models.resnet50(num_classes=10), ["fc"])\n',
        ("create_feature_extractor torchvision torchvision.models.resnet50(num_classes=10) | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet50 () (num_classes=10) () default",
    ),
    Case(
        "timm",
        "import timm\nfrom timm.models import create_feature_extractor\n"
        + 'create_feature_extractor(timm.create_model("resnet50", pretrained=True), ["layer1"])\n',
        ('create_feature_extractor timm timm.create_model("resnet50", pretrained=True) | return_nodes: layer1',),
        spec="timm timm:create_model ('resnet50') () () weights default",
    ),
    Case(
        "timm-layers",
        "from timm.layers import get_graph_node_names\nimport timm\n"
        "get_graph_node_names(timm.create_model('vit_small_patch16_224'))\n",
        ("get_graph_node_names timm timm.create_model('vit_small_patch16_224') |",),
        spec="timm timm:create_model ('vit_small_patch16_224') () () default",
    ),
    Case(
        "fxlens",
        "from fxlens.fx import create_feature_extractor\n" + R18 + 'create_feature_extractor(resnet18(), ["fc"])\n',
        ("create_feature_extractor fxlens resnet18() | return_nodes: fc",),
    ),
    Case(
        "fxlens-submodule",
        "import fxlens.fx.extractor as ex\n" + R18 + "ex.get_graph_node_names(resnet18())\n",
        ("get_graph_node_names fxlens resnet18() |",),
    ),
    Case("unrelated-same-name", "from mylib import create_feature_extractor\ncreate_feature_extractor(m, ['a'])\n"),
    Case(
        "local-def-same-name",
        "def create_feature_extractor(m, nodes):\n    return m\ncreate_feature_extractor(m, ['a'])\n",
    ),
    Case("not-imported", "create_feature_extractor(m, ['a'])\n"),
    Case(
        "import-in-function",
        R18 + "def main():\n    from torchvision.models.feature_extraction import create_feature_extractor\n"
        "    return create_feature_extractor(resnet18(), ['fc'])\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
    ),
    Case(
        "shadowed-later",
        TV + "create_feature_extractor(a, ['x'])\nfrom other import create_feature_extractor\n"
        "create_feature_extractor(b, ['y'])\n",
        ("create_feature_extractor torchvision a | return_nodes: x",),
    ),
    # ---- arguments ------------------------------------------------------------------------------
    Case(
        "train-eval",
        TV + R18 + "create_feature_extractor(resnet18(), train_return_nodes=['a', 'b'], eval_return_nodes=('a',))\n",
        ("create_feature_extractor torchvision resnet18() | train_return_nodes: a, b | eval_return_nodes: a",),
    ),
    Case(
        "positional-train-eval",
        TV + R18 + "create_feature_extractor(resnet18(), None, ['a'], {'b'})\n",
        (
            "create_feature_extractor torchvision resnet18() | return_nodes: other | train_return_nodes: a | "
            "eval_return_nodes: b",
        ),
    ),
    Case(
        "nodes-from-constant",
        TV + R18 + "NODES = {'layer1': 'x', 'fc': 'y'}\ncreate_feature_extractor(resnet18(), NODES)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->x, fc->y",),
    ),
    Case(
        "dict-with-non-string-value",
        TV + R18 + "create_feature_extractor(resnet18(), {'layer1': name, 'fc': 'y'})\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->?, fc->y",),
    ),
    Case(
        "escaped-string",
        TV + R18 + "create_feature_extractor(resnet18(), ['lay\\x65r1'])\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1",),
    ),
    Case(
        "multi-line-call",
        TV
        + R18
        + "fe = create_feature_extractor(\n    resnet18(),\n    return_nodes={\n        'layer1': 'a',  # low\n"
        "        'layer4': 'b',\n    },\n)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->a, layer4->b",),
    ),
    Case(
        "output-cursor",
        TV + R18 + "create_feature_extractor(resnet18(), {'layer1': 'lo‸w'})\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->low",),
        "return_nodes output lo",
    ),
    Case(
        "cursor-outside-strings",
        TV + R18 + "create_feature_extractor(resnet18(), ['layer1', ‸])\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1",),
        "return_nodes node -",
    ),
    Case(
        "cursor-on-model",
        TV + R18 + "create_feature_extractor(res‸net18(), ['layer1'])\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1",),
        None,
    ),
    Case(
        "tracer-kwargs",
        TV + R18 + "import math\nfrom torchvision.ops import Permute\n"
        "create_feature_extractor(resnet18(), ['fc'], tracer_kwargs={'leaf_modules': [Permute], "
        "'autowrap_modules': [math], 'param_shapes_constant': True})\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () default leaf=torchvision.ops:Permute wrap=math "
        "other=param_shapes_constant:True",
    ),
    Case(
        "suppress-and-concrete",
        TV
        + R18
        + "create_feature_extractor(resnet18(), ['fc'], suppress_diff_warning=True, concrete_args={'x': None})\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () default concrete={'x': None}",
    ),
    # ---- model resolution ---------------------------------------------------------------------
    Case(
        "method-chain",
        TV + R18 + "m = resnet18(num_classes=5).eval().to('cpu')\ncreate_feature_extractor(m.float(), ['fc'])\n",
        ("create_feature_extractor torchvision m.float() | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () (num_classes=5) () default",
    ),
    Case(
        "attribute-chain",
        TV + "from torchvision.models.detection import fasterrcnn_resnet50_fpn\n"
        "create_feature_extractor(fasterrcnn_resnet50_fpn(weights_backbone=None).backbone.body, ['layer1'])\n",
        (
            "create_feature_extractor torchvision fasterrcnn_resnet50_fpn(weights_backbone=None).backbone.body "
            "| return_nodes: layer1",
        ),
        spec="torchvision torchvision.models.detection:fasterrcnn_resnet50_fpn () () (backbone,body) default",
    ),
    Case(
        "get-model",
        TV + "from torchvision import models\nget_graph_node_names(models.get_model('vit_b_16', image_size=224))\n",
        ("get_graph_node_names torchvision models.get_model('vit_b_16', image_size=224) |",),
        spec="torchvision torchvision.models:get_model ('vit_b_16') (image_size=224) () default",
    ),
    Case(
        "weights-dropped",
        TV + "from torchvision.models import resnet50, ResNet50_Weights\n"
        "create_feature_extractor(resnet50(weights=ResNet50_Weights.DEFAULT), ['fc'])\n",
        ("create_feature_extractor torchvision resnet50(weights=ResNet50_Weights.DEFAULT) | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet50 () () () weights default",
    ),
    Case(
        "weights-none",
        TV + R18 + "create_feature_extractor(resnet18(weights=None), ['fc'])\n",
        ("create_feature_extractor torchvision resnet18(weights=None) | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () default",
    ),
    Case(
        "constants-arithmetic",
        TV + "import torch.nn as nn\nBASE = 8\nDEPTH = (BASE * 2, BASE // 2)\n"
        "class Net(nn.Module):\n    def __init__(self, widths, act='relu'):\n        super().__init__()\n"
        "create_feature_extractor(Net(DEPTH, act='gelu' + ''), ['x'])\n",
        ("create_feature_extractor torchvision Net(DEPTH, act='gelu' + '') | return_nodes: x",),
        spec="workspace main:Net ((16, 4)) (act='gelu') () default",
    ),
    Case(
        "same-file-class-in-function",
        TV + "import torch, torch.nn as nn\nclass Net(nn.Module):\n    pass\n"
        "def main():\n    model = Net()\n    fe = create_feature_extractor(model, ['x'])\n"
        "    fe(torch.randn(2, 3, 32, 32))\n",
        ("create_feature_extractor torchvision model | return_nodes: x",),
        spec="workspace main:Net () () () file:2x3x32x32",
    ),
    Case(
        "last-assignment-wins",
        TV + R18 + "from torchvision.models import resnet50\nm = resnet18()\nm = resnet50()\n"
        "create_feature_extractor(m, ['fc'])\nm = resnet18()\n",
        ("create_feature_extractor torchvision m | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet50 () () () default",
    ),
    Case(
        "self-reassignment",
        TV + R18 + "m = resnet18()\nm = m.eval()\ncreate_feature_extractor(m, ['fc'])\n",
        ("create_feature_extractor torchvision m | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () default",
    ),
    Case(
        "main-guard",
        TV + R18 + "if __name__ == '__main__':\n    net = resnet18()\n    get_graph_node_names(net)\n",
        ("get_graph_node_names torchvision net |",),
        spec="torchvision torchvision.models:resnet18 () () () default",
    ),
    Case(
        "index",
        TV + "from torchvision.models import vgg11\ncreate_feature_extractor(vgg11().features[3], ['0'])\n",
        ("create_feature_extractor torchvision vgg11().features[3] | return_nodes: 0",),
        spec="torchvision torchvision.models:vgg11 () () (features,3) default",
    ),
    Case(
        "default-parameter",
        TV + R18 + "def f(model=resnet18()):\n    create_feature_extractor(model, ['fc'])\n",
        ("create_feature_extractor torchvision model | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () default",
    ),
    Case(
        "untyped-parameter",
        TV + "def train(model):\n    create_feature_extractor(model, ['fc'])\n",
        ("create_feature_extractor torchvision model | return_nodes: fc",),
        spec="unresolved: parameter of `train()` without a type annotation",
    ),
    Case(
        "annotated-parameter",
        TV
        + "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, width=3):\n        super().__init__()\n"
        "def train(model: Net):\n    create_feature_extractor(model, ['fc'])\n",
        ("create_feature_extractor torchvision model | return_nodes: fc",),
        spec="workspace main:Net () () () default",
    ),
    Case(
        "annotated-needs-args",
        TV
        + "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, width):\n        super().__init__()\n"
        "def train(model: Net):\n    create_feature_extractor(model, ['fc'])\n",
        ("create_feature_extractor torchvision model | return_nodes: fc",),
        spec="unresolved: constructor needs `width`",
    ),
    Case(
        "non-literal-argument",
        TV + "import torch, torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, w):\n"
        "        super().__init__()\n"
        "create_feature_extractor(Net(torch.ones(3)), ['fc'])\n",
        ("create_feature_extractor torchvision Net(torch.ones(3)) | return_nodes: fc",),
        spec='unresolved: set `args` under [tool.fxlens.models."main:Net"]',
    ),
    Case(
        "non-literal-argument-configured",
        TV + "import torch, torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self, w):\n"
        "        super().__init__()\n"
        "create_feature_extractor(Net(torch.ones(3)), ['fc'])\n",
        ("create_feature_extractor torchvision Net(torch.ones(3)) | return_nodes: fc",),
        spec="workspace main:Net (3) () () config:1x3x8x8",
        config=FxlensConfig(models=(("main:Net", ModelOverride(input_shapes=((1, 3, 8, 8),), args=("3",))),)),
    ),
    Case(
        "third-party-model",
        TV + "import segmentation_models_pytorch as smp\ncreate_feature_extractor(smp.Unet(), ['x'])\n",
        ("create_feature_extractor torchvision smp.Unet() | return_nodes: x",),
        spec="unresolved: comes from `segmentation_models_pytorch`",
    ),
    Case(
        "unpacked",
        TV + "model, opt = build()\ncreate_feature_extractor(model, ['x'])\n",
        ("create_feature_extractor torchvision model | return_nodes: x",),
        spec="unresolved: assigned by unpacking",
    ),
    Case(
        "undefined-name",
        TV + "create_feature_extractor(model, ['x'])\n",
        ("create_feature_extractor torchvision model | return_nodes: x",),
        spec="unresolved: `model` is not defined",
    ),
    Case(
        "config-input",
        TV + R18 + "create_feature_extractor(resnet18(), ['fc'])\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () config:1x3x64x64",
        config=FxlensConfig(input_shapes=((1, 3, 64, 64),)),
    ),
    # ---- example input --------------------------------------------------------------------------
    Case(
        "input-through-variable",
        TV + R18 + "import torch\nH = 96\nx = torch.zeros((1, 3, H, H), dtype=torch.half)\n"
        "fe = create_feature_extractor(resnet18(), ['fc'])\nout = fe(x)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () file:1x3x96x96 float16",
    ),
    Case(
        "input-size-keyword",
        TV + R18 + "import torch as T\nm = resnet18()\nfe = create_feature_extractor(m, ['fc'])\n"
        "m(T.rand(size=(4, 3, 50, 60)))\n",
        ("create_feature_extractor torchvision m | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () file:4x3x50x60",
    ),
    Case(
        "input-inline-call",
        TV + R18 + "import torch\ncreate_feature_extractor(resnet18(), ['fc'])(torch.ones(1, 3, 32, 32))\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
        spec="torchvision torchvision.models:resnet18 () () () file:1x3x32x32",
    ),
    # ---- half-typed ---------------------------------------------------------------------------
    Case(
        "ht-unterminated-string",
        TV + R18 + "create_feature_extractor(resnet18(), return_nodes=[\"layer1.‸\nprint('done')\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1.*",),
        "return_nodes node layer1.",
        "torchvision torchvision.models:resnet18 () () () default",
        half_typed=True,
    ),
    Case(
        "ht-just-a-quote",
        TV + R18 + 'create_feature_extractor(resnet18(), return_nodes=["‸\n',
        ("create_feature_extractor torchvision resnet18() | return_nodes: *",),
        "return_nodes node -",
        half_typed=True,
    ),
    Case(
        "ht-open-bracket",
        TV + R18 + "create_feature_extractor(resnet18(), return_nodes=[‸\nx = 1\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes:",),
        "return_nodes node -",
        half_typed=True,
    ),
    Case(
        "ht-missing-brackets",
        TV + R18 + 'fe = create_feature_extractor(resnet18(), ["layer1", "lay‸"\nfe2 = 3\n',
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1, lay",),
        "return_nodes node lay",
        half_typed=True,
    ),
    Case(
        "ht-trailing-comma",
        TV + R18 + "fe = create_feature_extractor(resnet18(), ['layer1', ‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1",),
        "return_nodes node -",
        half_typed=True,
    ),
    Case(
        "ht-dict-key",
        TV + R18 + "fe = create_feature_extractor(resnet18(), {'layer1': 'a', 'layer4.‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->a, layer4.*->?",),
        "return_nodes node layer4.",
        half_typed=True,
    ),
    Case(
        "ht-dict-value",
        TV + R18 + "fe = create_feature_extractor(resnet18(), {'layer1': 'fe‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->fe*",),
        "return_nodes output fe",
        half_typed=True,
    ),
    Case(
        "ht-after-colon",
        TV + R18 + "fe = create_feature_extractor(resnet18(), {'layer1': ‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->?",),
        "return_nodes output -",
        half_typed=True,
    ),
    Case(
        "ht-in-function-next-statement",
        TV + R18 + "def main():\n    m = resnet18()\n"
        "    fe = create_feature_extractor(m, train_return_nodes=['a'], eval_return_nodes=['l‸\n    return fe\n",
        ("create_feature_extractor torchvision m | train_return_nodes: a | eval_return_nodes: l*",),
        "eval_return_nodes node l",
        "torchvision torchvision.models:resnet18 () () () default",
        half_typed=True,
    ),
    Case(
        "ht-multiline-open",
        TV + R18 + "fe = create_feature_extractor(\n    resnet18(),\n    return_nodes={\n"
        "        'layer1': 'a',\n        'lay‸\n    },\n)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->a, lay*->?",),
        "return_nodes node lay",
        half_typed=True,
    ),
    Case(
        "ht-closing-dedented",
        TV + R18 + "fe = create_feature_extractor(\n    resnet18(),\n    return_nodes=['layer1.0‸\n)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1.0*",),
        "return_nodes node layer1.0",
        half_typed=True,
    ),
    Case(
        "ht-error-elsewhere",
        TV + R18 + "def broken(:\n    pass\nfe = create_feature_extractor(resnet18(), ['layer‸1'])\nx = (\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1",),
        "return_nodes node layer",
        "torchvision torchvision.models:resnet18 () () () default",
        half_typed=True,
    ),
    Case(
        "ht-missing-paren-only",
        TV + R18 + "fe = create_feature_extractor(resnet18(), ['layer1']‸\nprint(fe)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1",),
        None,
        half_typed=True,
    ),
    Case(
        "ht-model-typed-so-far",
        TV + R18 + "fe = create_feature_extractor(resnet18().‸\n",
        ("create_feature_extractor torchvision resnet18()._ |",),
        None,
        half_typed=True,
    ),
    Case(
        "ht-keyword-no-value",
        TV + R18 + "fe = create_feature_extractor(resnet18(), return_nodes=‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: other",),
        "return_nodes node -",
        half_typed=True,
    ),
    Case(
        "ht-raw-prefix",
        TV + R18 + "fe = create_feature_extractor(resnet18(), ['layer1', r'lay‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1, lay*",),
        "return_nodes node lay",
        half_typed=True,
    ),
    Case(
        "ht-quote-inside-auto-closed",
        TV + R18 + 'fe = create_feature_extractor(resnet18(), ["‸])\n',
        ("create_feature_extractor torchvision resnet18() | return_nodes: ])*",),
        "return_nodes node -",
        half_typed=True,
    ),
    Case(
        "ht-builder-call-open",
        TV + R18 + "names = get_graph_node_names(resnet18(‸\n",
        ("get_graph_node_names torchvision resnet18() |",),
        None,
        "torchvision torchvision.models:resnet18 () () () default",
        half_typed=True,
    ),
    Case(
        "ht-tuple",
        TV + R18 + "fe = create_feature_extractor(resnet18(), ('layer1', 'fc‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1, fc*",),
        "return_nodes node fc",
        half_typed=True,
    ),
    Case(
        "ht-brace-first-key",
        TV + R18 + "fe = create_feature_extractor(resnet18(), {'layer1‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1*",),
        "return_nodes node layer1",
        half_typed=True,
    ),
    Case(
        "ht-input-line-open",
        TV + R18 + "import torch\nfe = create_feature_extractor(resnet18(), ['fc'])\nfe(torch.rand(1, 3, 32, 32)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: fc",),
        None,
        "torchvision torchvision.models:resnet18 () () () file:1x3x32x32",
        half_typed=True,
    ),
    Case(
        "ht-multiline-at-eof",
        TV + R18 + "fe = create_feature_extractor(resnet18(), [\n    'layer1',\n    'lay‸",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1, lay*",),
        "return_nodes node lay",
        half_typed=True,
    ),
    Case(
        "ht-keyword-being-typed",
        TV + R18 + "fe = create_feature_extractor(resnet18(), return_no‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: other",),
        None,
        half_typed=True,
    ),
    Case(
        "ht-second-call-typing",
        TV + R18 + "a = create_feature_extractor(resnet18(), ['fc'])\nb = get_graph_node_names(resnet18()\n"
        "c = create_feature_extractor(resnet18(), ['la‸\n",
        (
            "create_feature_extractor torchvision resnet18() | return_nodes: fc",
            "get_graph_node_names torchvision resnet18() |",
            "create_feature_extractor torchvision resnet18() | return_nodes: la*",
        ),
        "return_nodes node la",
        half_typed=True,
    ),
    Case(
        "ht-unicode-before",
        TV + R18 + "fe = create_feature_extractor(resnet18(), {'layer1': 'größe', 'lä‸\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->größe, lä*->?",),
        "return_nodes node lä",
        half_typed=True,
    ),
    # ---- node names bound elsewhere in the file --------------------------------------------------
    Case(
        "bound-comprehension",
        TV + R18 + 'taps = {f"layer{i}": f"c{i}" for i in range(1, 3)}\n'
        "fe = create_feature_extractor(resnet18(), return_nodes=taps)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1->c1, layer2->c2",),
    ),
    Case(
        "ht-bound-above-the-call",
        TV + R18 + "taps = ['layer1', 'lay‸\nfe = create_feature_extractor(resnet18(), return_nodes=taps)\n",
        ("create_feature_extractor torchvision resnet18() | return_nodes: layer1, lay*",),
        "return_nodes node lay",
        half_typed=True,
    ),
    Case(
        "ht-self-attribute-in-init",
        TV
        + R18
        + "class Probe:\n    def __init__(self):\n        self.model = resnet18()\n"
        + "        self.taps = {'layer1': 'lo‸\n"
        + "    def run(self):\n        return create_feature_extractor(self.model, self.taps)\n",
        ("create_feature_extractor torchvision self.model | return_nodes: layer1->lo*",),
        "return_nodes output lo",
        half_typed=True,
    ),
]


def _split_cursor(source: str) -> tuple[str, Position | None]:
    if CURSOR not in source:
        return source, None
    before = source[: source.index(CURSOR)]
    return source.replace(CURSOR, ""), Position(before.count("\n"), len(before) - before.rfind("\n") - 1)


def describe_site(site: CallSite) -> str:
    """The compact form the corpus writes expectations in; ``*`` marks an unterminated string."""
    head = f"{site.function} {site.library} {site.model_expr}"
    arguments = []
    for argument in site.node_arguments:
        names = []
        for query in argument.queries:
            name = query.name.value + ("" if query.name.terminated else "*")
            if argument.form == "dict":
                output = "?" if query.output is None else query.output.value + ("" if query.output.terminated else "*")
                name += f"->{output}"
            names.append(name)
        text = "other" if argument.form == "other" else ", ".join(names)
        arguments.append(f"{argument.kind}: {text}".rstrip())
    return " | ".join([head, *arguments]) if arguments else f"{head} |"


def describe_spec(spec: object) -> str:
    if isinstance(spec, Unresolved):
        return f"unresolved: {spec.reason}"
    args = "(" + ", ".join(spec.args) + ")"
    kwargs = "(" + ", ".join(f"{k}={v}" for k, v in spec.kwargs) + ")"
    attrs = "(" + ",".join(spec.attributes) + ")"
    words = [spec.builder, f"{spec.module}:{spec.callable}", args, kwargs, attrs]
    if spec.weights_requested:
        words.append("weights")
    shape = "x".join(str(d) for d in spec.example_input.shapes[0])
    words.append("default" if spec.example_input.origin == "default" else f"{spec.example_input.origin}:{shape}")
    if spec.example_input.dtype != "float32":
        words.append(spec.example_input.dtype)
    if spec.tracer.leaf_modules:
        words.append("leaf=" + ",".join(spec.tracer.leaf_modules))
    if spec.tracer.autowrap_modules:
        words.append("wrap=" + ",".join(spec.tracer.autowrap_modules))
    if spec.tracer.other:
        words.append("other=" + ",".join(f"{k}:{v}" for k, v in spec.tracer.other))
    if spec.concrete_args:
        words.append(f"concrete={spec.concrete_args}")
    return " ".join(words)


def test_corpus_is_big_enough_and_a_third_half_typed() -> None:
    assert len(CASES) >= 50
    assert sum(c.half_typed for c in CASES) * 3 >= len(CASES)
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_call_sites(case: Case) -> None:
    source, _ = _split_cursor(case.source)
    doc = parse_document("main.py", source, 1)
    assert tuple(describe_site(s) for s in doc.call_sites) == case.sites


@pytest.mark.parametrize("case", [c for c in CASES if CURSOR in c.source], ids=lambda c: c.id)
def test_cursor_context(case: Case) -> None:
    source, cursor = _split_cursor(case.source)
    assert cursor is not None
    context = cursor_context(parse_document("main.py", source, 1), cursor)
    if case.cursor is None:
        assert context is None
        return
    assert context is not None
    assert f"{context.kind} {context.role} {context.prefix or '-'}" == case.cursor


@pytest.mark.parametrize("case", [c for c in CASES if c.spec is not None], ids=lambda c: c.id)
def test_model_spec(case: Case, tmp_path: Path) -> None:
    source, _ = _split_cursor(case.source)
    doc = parse_document(str(tmp_path / "main.py"), source, 1)
    spec = resolve_model(doc, doc.call_sites[0], tmp_path, case.config)
    described = describe_spec(spec)
    if case.spec is not None and case.spec.startswith("unresolved:"):
        assert described.startswith("unresolved:")
        assert case.spec.removeprefix("unresolved:").strip() in described
    else:
        assert described == case.spec


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_string_ranges_cover_exactly_what_was_typed(case: Case) -> None:
    """Every string's content range holds its raw text; its literal range starts with the quote."""
    source, _ = _split_cursor(case.source)
    doc = parse_document("main.py", source, 1)
    for site in doc.call_sites:
        for argument in site.node_arguments:
            for query in argument.queries:
                for string in (query.name, query.output):
                    if string is None:
                        continue
                    if string.computed:  # a comprehension's value: placed at the f-string that yields it
                        assert doc.lines.slice(string.literal_range).startswith("f")
                        assert string.literal_range.start < string.range.start < string.literal_range.end
                        continue
                    raw = doc.lines.slice(string.range)
                    assert raw.encode().decode("unicode_escape") == string.value or raw == string.value
                    literal = doc.lines.slice(string.literal_range)
                    quote = literal.lstrip("rRuU")[0]
                    assert quote in "'\""
                    if string.terminated:
                        assert literal.lstrip("rRuU") == quote + raw + quote
                    else:
                        assert literal.lstrip("rRuU") == quote + raw
