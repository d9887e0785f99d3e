"""The verified fix written into a call, without torch: a wrapped function merged into the call's
``tracer_kwargs``, a concrete argument as a new keyword, and the import a class or function from another
module needs — after the file's imports, once, and never over a name the file binds to something else."""

from __future__ import annotations

import json

from fxlens.edits import apply_edits
from fxlens.lint.fix_imports import fix_in_reach
from fxlens.lint.leaf_fix import leaf_fix_offer
from fxlens.nodes import Problem
from fxlens.workspace.parse import parse_document
from fxlens.workspace.spec import ModelSpec

IMPORTS = "from torch import nn\nfrom torchvision.models.feature_extraction import create_feature_extractor\n"
SPEC = ModelSpec("workspace", "pkg.nets", "Net", "Net()", file="/w/pkg/nets.py")
WRAP = Problem("trace", "control flow on a traced value: ...", wrap_fix=("pkg.ops:gated",))
LEAF = Problem("trace", "len() of a traced value: ...", leaf_fix=("pkg.blocks:Gate",), leaf_paths=("gate",))
CONCRETE = Problem("trace", "control flow on a non-tensor argument of forward: ...", concrete_fix=(("flip", "False"),))


def fixed(text: str, problem: Problem) -> str | None:
    """``text`` (a file calling ``Net()`` of ``pkg.nets``) after the offered fix; None when none is offered."""
    doc = parse_document("file:///w/train.py", text)
    state = fix_in_reach(problem, SPEC, doc)
    offer = leaf_fix_offer(doc.call_sites[0], state) if isinstance(state, Problem) else None
    return None if offer is None or offer.fix is None else apply_edits(text, offer.fix.edits)


def script(body: str, imports: str = IMPORTS) -> str:
    return f"{imports}from pkg.nets import Net\n\n{body}\n"


def test_a_wrapped_function_is_merged_into_the_calls_tracer_kwargs_and_imported() -> None:
    before = script('e = create_feature_extractor(Net(), ["head"], tracer_kwargs={"leaf_modules": [nn.Identity]})')
    assert fixed(before, WRAP) == (
        f"{IMPORTS}from pkg.nets import Net\nfrom pkg.ops import gated\n\n"
        'e = create_feature_extractor(Net(), ["head"], tracer_kwargs={"leaf_modules": [nn.Identity], '
        '"autowrap_functions": [gated]})\n'
    )


def test_a_function_already_in_the_calls_autowrap_list_is_appended_to_it() -> None:
    before = script('e = create_feature_extractor(Net(), ["head"], tracer_kwargs={"autowrap_functions": []})')
    after = fixed(before, WRAP)
    assert after is not None and 'tracer_kwargs={"autowrap_functions": [gated]})' in after


def test_a_concrete_argument_is_a_new_keyword_and_none_is_offered_over_a_written_concrete_args() -> None:
    before = script('e = create_feature_extractor(Net(), return_nodes=["head"])')
    after = fixed(before, CONCRETE)
    assert after == script('e = create_feature_extractor(Net(), concrete_args={"flip": False}, return_nodes=["head"])')
    given = script('e = create_feature_extractor(Net(), return_nodes=["head"], concrete_args={"other": 1})')
    assert fixed(given, CONCRETE) is None


def test_the_import_goes_after_the_last_import_and_not_again_when_the_file_has_it() -> None:
    before = script('e = create_feature_extractor(Net(), return_nodes=["gate"])')
    after = fixed(before, LEAF)
    assert after is not None
    lines = after.splitlines()
    assert lines[:4] == [*IMPORTS.splitlines(), "from pkg.nets import Net", "from pkg.blocks import Gate"]
    again = script(
        'e = create_feature_extractor(Net(), return_nodes=["gate"])', f"{IMPORTS}from pkg.blocks import Gate\n"
    )
    assert fixed(again, LEAF) == again.replace("Net(), return", 'Net(), tracer_kwargs={"leaf_modules": [Gate]}, return')


def test_the_import_goes_after_a_block_of_imports_or_else_after_the_module_docstring() -> None:
    guarded = (
        "try:\n    from torchvision.models.feature_extraction import create_feature_extractor\n"
        "except ImportError:\n    raise\nfrom pkg.nets import Net\n"
        'if True:\n    import torch\n\ne = create_feature_extractor(Net(), return_nodes=["gate"])\n'
    )
    after = fixed(guarded, LEAF)
    assert after is not None and "    import torch\nfrom pkg.blocks import Gate\n\ne = " in after
    local = (
        '"""Train."""\n\n\ndef build():\n'
        "    from torchvision.models.feature_extraction import create_feature_extractor\n\n"
        "    from pkg.nets import Net\n\n"
        '    return create_feature_extractor(Net(), return_nodes=["gate"])\n'
    )
    after = fixed(local, LEAF)
    assert after is not None and after.startswith('"""Train."""\nfrom pkg.blocks import Gate\n\n\ndef build():')


def test_no_fix_when_the_file_binds_the_name_to_something_else() -> None:
    before = script('Gate = None\ne = create_feature_extractor(Net(), return_nodes=["gate"])')
    assert fixed(before, LEAF) is None
    other = script('e = create_feature_extractor(Net(), return_nodes=["gate"])', f"{IMPORTS}from other import Gate\n")
    assert fixed(other, LEAF) is None


def test_the_fix_fields_round_trip_through_json() -> None:
    problem = Problem(
        "trace", "m", leaf_fix=("a:B",), leaf_paths=("b",), wrap_fix=("a:f",), concrete_fix=(("flip", "False"),),
        fix_imports=("from a import B",), fix_import_line=3,
    )  # fmt: skip
    assert Problem.from_json(json.loads(json.dumps(problem.to_json()))) == problem
