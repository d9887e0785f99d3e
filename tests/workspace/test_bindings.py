"""Node arguments follow names to the literal bound to them: every form real code writes them in.

For each form the call's ``NodeArgument`` holds the queries of that literal, with the ranges of the
strings where they are written (above the call, in ``__init__``, in a dataclass), so every rule
and every editor feature acts on that text.
"""

from __future__ import annotations

from fxlens.workspace.callsite import CallSite, NodeArgument, Position, Range
from fxlens.workspace.parse import ParsedDocument, cursor_context, parse_document

TV = "from torchvision.models.feature_extraction import create_feature_extractor\n"
HEAD = TV + "from torchvision.models import resnet18\nfrom dataclasses import dataclass, field\n"


def _argument(source: str, site: int = 0) -> tuple[ParsedDocument, NodeArgument]:
    doc = parse_document("main.py", HEAD + source, 1)
    (argument,) = doc.call_sites[site].node_arguments
    return doc, argument


def _names(argument: NodeArgument) -> list[str]:
    return [q.name.value + (f"->{q.output.value}" if q.output else "") for q in argument.queries]


def _assert_written_where_they_are(doc: ParsedDocument, argument: NodeArgument) -> None:
    """Each string's range holds exactly its value, inside the literal the argument was read from."""
    assert argument.literal_range is not None
    for query in argument.queries:
        for string in (query.name, query.output):
            if string is not None:
                assert doc.lines.slice(string.range) == string.value
                assert argument.literal_range.start <= string.range.start <= argument.literal_range.end


def _line_of(doc: ParsedDocument, text: str) -> int:
    return next(i for i, line in enumerate(doc.text.split("\n")) if text in line)


def test_a_name_bound_above_the_call_in_the_same_function() -> None:
    doc, argument = _argument(
        "def build():\n"
        '    return_nodes = {"layer2": "c3", "layer3": "c4"}\n'
        "    return create_feature_extractor(resnet18(), return_nodes=return_nodes)\n"
    )
    assert (argument.form, _names(argument), argument.via) == ("dict", ["layer2->c3", "layer3->c4"], "return_nodes")
    assert argument.literal_range is not None and argument.literal_range.start.line == _line_of(doc, "c3")
    _assert_written_where_they_are(doc, argument)


def test_the_last_binding_before_the_call_wins() -> None:
    _, argument = _argument(
        'def build():\n    taps = ["fc"]\n    taps = ["layer4"]\n    m = create_feature_extractor(resnet18(), taps)\n'
        '    taps = ["avgpool"]\n'
    )
    assert _names(argument) == ["layer4"]


def test_a_name_bound_in_an_enclosing_function() -> None:
    doc, argument = _argument(
        "def outer():\n"
        '    taps = ["layer1", "layer4"]\n'
        "    def inner(model):\n"
        "        return create_feature_extractor(model, return_nodes=taps)\n"
        "    return inner\n"
    )
    assert (_names(argument), argument.via) == (["layer1", "layer4"], "taps")
    _assert_written_where_they_are(doc, argument)


def test_a_module_constant_used_in_a_function() -> None:
    doc, argument = _argument(
        'TAPS = ("layer2", "layer3")\n\ndef build(m):\n    return create_feature_extractor(m, return_nodes=TAPS)\n'
    )
    assert (argument.form, _names(argument), argument.via) == ("tuple", ["layer2", "layer3"], "TAPS")
    _assert_written_where_they_are(doc, argument)


def test_a_constant_bound_to_another_constant() -> None:
    _, argument = _argument('BASE = ["layer1"]\nTAPS = BASE\ncreate_feature_extractor(resnet18(), TAPS)\n')
    assert (_names(argument), argument.via) == (["layer1"], "TAPS")


def test_self_attribute_assigned_in_init_and_used_in_another_method() -> None:
    doc, argument = _argument(
        "class Probe:\n"
        "    def __init__(self, backbone):\n"
        "        self.backbone = backbone\n"
        '        self.taps = ["layer1.0.relu_1", "layer4"]\n'
        "\n"
        "    def extractor(self):\n"
        "        return create_feature_extractor(self.backbone, return_nodes=self.taps)\n"
    )
    assert (_names(argument), argument.via) == (["layer1.0.relu_1", "layer4"], "self.taps")
    _assert_written_where_they_are(doc, argument)


def test_self_attribute_assigned_in_a_setup_method() -> None:
    _, argument = _argument(
        "class Probe:\n"
        "    def configure(self):\n"
        '        self.taps = {"layer3": "mid"}\n'
        "    def run(self, m):\n"
        "        return create_feature_extractor(m, self.taps)\n"
    )
    assert _names(argument) == ["layer3->mid"]


def test_self_attribute_assigned_earlier_in_the_same_method_wins_over_init() -> None:
    _, argument = _argument(
        "class Probe:\n"
        '    def __init__(self):\n        self.taps = ["fc"]\n'
        "    def run(self, m):\n"
        '        self.taps = ["layer2"]\n'
        "        return create_feature_extractor(m, self.taps)\n"
    )
    assert _names(argument) == ["layer2"]


def test_a_class_attribute_read_through_self() -> None:
    _, argument = _argument(
        'class Probe:\n    TAPS = ["layer1"]\n'
        "    def run(self, m):\n        return create_feature_extractor(m, self.TAPS)\n"
    )
    assert _names(argument) == ["layer1"]


def test_a_dataclass_field_with_a_default_factory() -> None:
    doc, argument = _argument(
        "@dataclass\n"
        "class Probe:\n"
        '    taps: list[str] = field(default_factory=lambda: ["layer2", "layer3"])\n'
        "    def run(self, m):\n"
        "        return create_feature_extractor(m, return_nodes=self.taps)\n"
    )
    assert (_names(argument), argument.via) == (["layer2", "layer3"], "self.taps")
    _assert_written_where_they_are(doc, argument)


def test_a_dataclass_field_with_a_plain_default() -> None:
    _, argument = _argument(
        "@dataclass\nclass Probe:\n"
        '    taps: tuple[str, ...] = ("layer4",)\n'
        "    def run(self, m):\n        return create_feature_extractor(m, self.taps)\n"
    )
    assert (argument.form, _names(argument)) == ("tuple", ["layer4"])


def test_a_dataclass_field_default_keyword() -> None:
    _, argument = _argument(
        '@dataclass\nclass Probe:\n    taps: tuple = field(default=("fc",))\n'
        "    def run(self, m):\n        return create_feature_extractor(m, self.taps)\n"
    )
    assert _names(argument) == ["fc"]


def test_a_factory_that_is_not_a_lambda_has_no_literal() -> None:
    _, argument = _argument(
        "@dataclass\nclass Probe:\n    taps: list = field(default_factory=list)\n"
        "    def run(self, m):\n        return create_feature_extractor(m, self.taps)\n"
    )
    assert (argument.form, argument.queries, argument.literal_range, argument.via) == ("other", (), None, "")


CONFIG = '@dataclass\nclass Config:\n    taps: list[str] = field(default_factory=lambda: ["layer1", "layer2"])\n\n'


def test_a_config_dataclass_read_through_self_cfg() -> None:
    doc, argument = _argument(
        CONFIG + "class Probe:\n"
        "    def __init__(self, cfg: Config):\n        self.cfg = cfg\n"
        "    def run(self, m):\n        return create_feature_extractor(m, return_nodes=self.cfg.taps)\n"
    )
    assert (_names(argument), argument.via) == (["layer1", "layer2"], "self.cfg.taps")
    _assert_written_where_they_are(doc, argument)


def test_a_config_instance_built_with_the_field_given_uses_that_value() -> None:
    _, argument = _argument(
        CONFIG + 'cfg = Config(taps=["layer4"])\ncreate_feature_extractor(resnet18(), return_nodes=cfg.taps)\n'
    )
    assert _names(argument) == ["layer4"]


def test_a_config_instance_built_without_the_field_uses_the_default() -> None:
    _, argument = _argument(
        CONFIG + "def build(cfg=Config()):\n    return create_feature_extractor(resnet18(), cfg.taps)\n"
    )
    assert _names(argument) == ["layer1", "layer2"]


def test_a_dict_comprehension_over_a_range() -> None:
    doc, argument = _argument(
        'taps = {f"layer{i}": f"c{i}" for i in range(1, 5)}\ncreate_feature_extractor(resnet18(), taps)\n'
    )
    assert (argument.form, _names(argument)) == ("dict", ["layer1->c1", "layer2->c2", "layer3->c3", "layer4->c4"])
    line = _line_of(doc, "range(1, 5)")
    name = argument.queries[0].name
    assert (name.computed, name.range) == (True, Range(Position(line, 10), Position(line, 18)))
    assert {q.name.range for q in argument.queries} == {name.range}  # every value is placed at its template
    assert doc.lines.slice(name.literal_range) == 'f"layer{i}"'


def test_a_list_comprehension_over_a_tuple_with_a_condition() -> None:
    _, argument = _argument('create_feature_extractor(resnet18(), [f"layer{i}" for i in (1, 2, 3, 4) if i % 2 == 0])\n')
    assert (argument.form, _names(argument), argument.via) == ("list", ["layer2", "layer4"], "")


def test_a_comprehension_over_something_not_literal_is_not_read() -> None:
    _, argument = _argument("create_feature_extractor(resnet18(), [name for name in names()])\n")
    assert (argument.form, argument.queries, argument.literal_range) == ("other", (), None)


def test_a_comprehension_condition_compares_identity_with_none() -> None:
    _, argument = _argument(
        'create_feature_extractor(resnet18(), [n for n in ("layer1", None, "fc") if n is not None])\n'
    )
    assert (argument.form, _names(argument)) == ("list", ["layer1", "fc"])


def test_a_comprehension_whose_condition_python_would_reject_is_not_read() -> None:
    _, argument = _argument('create_feature_extractor(resnet18(), [n for n in ("layer1", 1) if n < "m"])\n')
    assert (argument.form, argument.queries, argument.literal_range) == ("other", (), None)


def test_a_bound_name_passed_positionally() -> None:
    doc, argument = _argument('taps = ["layer3"]\nextractor = create_feature_extractor(resnet18(), taps)\n')
    assert (argument.by_keyword, argument.keyword_range, _names(argument)) == (False, None, ["layer3"])
    _assert_written_where_they_are(doc, argument)


def test_the_keyword_range_runs_from_the_keyword_to_the_value_end() -> None:
    doc, argument = _argument("create_feature_extractor(resnet18(),\n    train_return_nodes=[\n        'fc'],\n)\n")
    assert argument.keyword_range is not None and argument.by_keyword
    assert doc.lines.slice(argument.keyword_range) == "train_return_nodes=[\n        'fc']"
    assert argument.keyword_range.end == argument.range.end


def test_names_that_lead_to_no_literal_stay_unread() -> None:
    source = (
        "def build(m, taps):\n    return create_feature_extractor(m, taps)\n"
        "for nodes in ([], []):\n    create_feature_extractor(resnet18(), nodes)\n"
    )
    doc = parse_document("main.py", HEAD + source, 1)
    arguments = [site.node_arguments[0] for site in doc.call_sites]
    assert [(a.form, a.queries, a.literal_range, a.imported) for a in arguments] == [("other", (), None, "")] * 2


def test_a_name_imported_from_another_module_records_the_import() -> None:
    source = (
        "from .config import TAPS\nfrom . import settings\n"
        "create_feature_extractor(resnet18(), TAPS)\n"
        "create_feature_extractor(resnet18(), settings.NODES)\n"
    )
    doc = parse_document("main.py", HEAD + source, 1)
    arguments = [site.node_arguments[0] for site in doc.call_sites]
    assert [(a.form, a.literal_range, a.imported) for a in arguments] == [
        ("other", None, ".config.TAPS"),
        ("other", None, ".settings.NODES"),
    ]


def test_a_name_bound_under_the_main_guard() -> None:
    _, argument = _argument(
        'if __name__ == "__main__":\n    taps = ["layer2"]\n    create_feature_extractor(resnet18(), taps)\n'
    )
    assert _names(argument) == ["layer2"]


def test_a_loop_variable_hides_the_module_constant_and_a_comprehension_variable_does_not() -> None:
    source = (
        'taps = ["layer1"]\n'
        "def loop(m):\n    for taps in ([],):\n        pass\n    return create_feature_extractor(m, taps)\n"
        "def comprehension(m):\n    names = [taps for taps in ('a',)]\n    return create_feature_extractor(m, taps)\n"
    )
    doc = parse_document("main.py", HEAD + source, 1)
    assert [_names(site.node_arguments[0]) for site in doc.call_sites] == [[], ["layer1"]]


def test_a_parameter_default() -> None:
    _, argument = _argument('def build(m, taps=("layer1", "fc")):\n    return create_feature_extractor(m, taps)\n')
    assert (argument.form, _names(argument)) == ("tuple", ["layer1", "fc"])


def test_a_site_read_through_a_binding_survives_a_json_round_trip() -> None:
    doc = parse_document(
        "main.py", HEAD + 'taps = {f"layer{i}": "x" for i in (1, 2)}\ncreate_feature_extractor(resnet18(), taps)\n', 1
    )
    site = doc.call_sites[0]
    assert CallSite.from_json(site.to_json()) == site


def test_a_config_dataclass_built_with_the_field_given_by_position() -> None:
    _, argument = _argument(
        "@dataclass\nclass Config:\n    name: str\n    taps: list = field(default_factory=list)\n\n"
        'cfg = Config("probe", ["layer3"])\ncreate_feature_extractor(resnet18(), cfg.taps)\n'
    )
    assert _names(argument) == ["layer3"]


def test_a_class_with_its_own_init_maps_no_positional_argument_to_a_field() -> None:
    _, argument = _argument(
        "class Config:\n    taps: tuple = ('fc',)\n    def __init__(self, name):\n        self.name = name\n\n"
        'cfg = Config(["layer3"])\ncreate_feature_extractor(resnet18(), cfg.taps)\n'
    )
    assert _names(argument) == ["fc"]


def test_names_iterated_from_a_literal_list_are_the_strings_as_written() -> None:
    """``{name: name.replace(".", "_") for name in [...]}``: each name is the list's string, so it is
    completed, hovered and fixed there; the output names are computed."""
    text = (
        "from torchvision.models.feature_extraction import create_feature_extractor\n"
        'NODES = {name: name.replace(".", "_") for name in ["Mixed_6e", "layer1.0"]}\n'
        "create_feature_extractor(model, return_nodes=NODES)\n"
    )
    doc = parse_document("file:///t.py", text)
    (site,) = doc.call_sites
    queries = site.node_arguments[0].queries
    line = text.splitlines()[1]
    assert [(q.name.value, q.name.computed, q.name.range.start.column) for q in queries] == [
        ("Mixed_6e", False, line.index("Mixed_6e")),
        ("layer1.0", False, line.index("layer1.0")),
    ]
    assert [(q.output.value, q.output.computed) for q in queries] == [("Mixed_6e", True), ("layer1_0", True)]
    context = cursor_context(doc, Position(1, line.index("Mixed_6e") + 3))
    assert context is not None and (context.string.value, context.prefix) == ("Mixed_6e", "Mix")
