"""Plain-data types survive the JSON round trip that the worker channel and the cache rely on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pytest
from fxlens.jsondata import from_json, to_json
from fxlens.nodes import (
    InputInfo,
    NodeInfo,
    NodeTable,
    OutputDesc,
    Problem,
    ShapeFailure,
    SourceLocation,
    TensorMeta,
)
from fxlens.workspace.spec import InputSpec, ModelSpec, TracerSettings
from hypothesis import given
from hypothesis import strategies as st

text = st.text(max_size=12)
shape = st.tuples(*[st.integers(0, 4096)] * 3) | st.tuples(st.integers(1, 8))
locations = st.none() | st.builds(SourceLocation, file=text, line=st.integers(1, 10_000), text=text)
outputs = st.none() | st.builds(
    OutputDesc,
    kind=st.sampled_from(["tensor", "sequence", "other"]),
    tensors=st.lists(st.builds(TensorMeta, shape=shape, dtype=st.sampled_from(["float32", "int64"])), max_size=3).map(
        tuple
    ),
    type_name=text,
)
nodes = st.builds(
    NodeInfo,
    name=text,
    op=text,
    target=text,
    module_path=text,
    module_type=text,
    source=locations,
    output=outputs,
    overwritten_by=text,
    inputs=st.lists(st.integers(0, 5000), max_size=3).map(tuple),
    writes=st.integers(-1, 5000),
    shares=st.integers(-1, 5000),
    kept=st.booleans(),
)
modes = st.sampled_from(["train", "eval"])
paths = st.sampled_from(["meta", "fake", "real"])
failures = st.builds(
    ShapeFailure,
    mode=modes,
    node=text,
    message=text,
    location=locations,
    tried=st.lists(paths, max_size=3).map(tuple),
    missing=st.integers(0, 5000),
)
tables = st.builds(
    NodeTable,
    model_type=text,
    train=st.lists(nodes, max_size=4).map(tuple),
    eval=st.lists(nodes, max_size=4).map(tuple),
    example_input=st.none()
    | st.builds(
        InputInfo,
        shapes=st.lists(shape, min_size=1, max_size=2).map(tuple),
        origin=st.sampled_from(["given", "file", "config", "metadata", "first-layer", "default"]),
        location=locations,
        detail=text,
    ),
    built_on=st.sampled_from(["meta", "cpu", "given"]),
    notes=st.lists(text, max_size=2).map(tuple),
    shape_paths=st.lists(st.tuples(modes, paths), max_size=2).map(tuple),
    shape_failures=st.lists(failures, max_size=2).map(tuple),
)


@given(tables)
def test_node_tables_round_trip_through_json_text(table: NodeTable) -> None:
    assert NodeTable.from_json(json.loads(json.dumps(table.to_json()))) == table


@given(
    st.builds(
        Problem,
        kind=st.sampled_from(["trace", "shape", "timeout"]),
        message=text,
        location=locations,
        hint=text,
        node=text,
        mode=st.sampled_from(["", "train", "eval"]),
        details=st.lists(text, max_size=2).map(tuple),
        leaf_fix=st.lists(text, max_size=2).map(tuple),
        leaf_paths=st.lists(text, max_size=2).map(tuple),
    )
)
def test_problems_round_trip(problem: Problem) -> None:
    assert Problem.from_json(json.loads(json.dumps(problem.to_json()))) == problem


def test_model_specs_round_trip_and_their_key_ignores_where_the_input_was_written() -> None:
    spec = ModelSpec(
        builder="workspace", module="pkg.nets", callable="MyNet", display_name="MyNet(width=32)",
        args=("[2, 2]",), kwargs=(("width", "32"),), attributes=("backbone",), file="/w/pkg/nets.py",
        tracer=TracerSettings(
            library="timm", leaf_modules=("pkg.nets:Block",), other=(("param_shapes_constant", "True"),)
        ),
        example_input=InputSpec(shapes=((1, 3, 64, 64),), origin="file", location=SourceLocation("/w/a.py", 3, "x")),
    )  # fmt: skip
    assert ModelSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
    moved = ModelSpec.from_json(
        {**spec.to_json(), "example_input": {**spec.to_json()["example_input"], "location": None}}
    )
    assert moved.key() == spec.key()
    assert ModelSpec.from_json({**spec.to_json(), "kwargs": [["width", "64"]]}).key() != spec.key()


@dataclass(frozen=True)
class _Tree:
    label: Literal["leaf", "branch"]
    weight: float
    children: tuple[_Tree, ...] = ()
    note: int | str | None = None


def test_a_dataclass_holding_itself_decodes_and_ints_become_floats() -> None:
    tree = _Tree("branch", 1.0, (_Tree("leaf", 2.5, note="x"), _Tree("leaf", 3.0, note=7)))
    data = json.loads(json.dumps(to_json(tree)))
    data["children"][1]["weight"] = 3  # JSON writers may drop ".0"
    decoded = from_json(_Tree, data)
    assert decoded == tree
    assert isinstance(decoded.children[1].weight, float)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"label": "root", "weight": 1.0}, ValueError),  # not one of the Literal's values
        ({"label": "leaf", "weight": "heavy"}, TypeError),  # a string where a float goes
        ({"label": "leaf", "weight": True}, TypeError),  # a bool is not a number here
        ({"label": "leaf", "weight": 1.0, "note": 1.5}, ValueError),  # matches no member of the union
        (["leaf", 1.0], TypeError),  # a list where an object goes
    ],
)
def test_data_of_the_wrong_type_is_refused_with_a_type_or_value_error(data: object, error: type) -> None:
    with pytest.raises(error):
        from_json(_Tree, data)
