"""timm's ``AttentionExtract(model, names=[...])``: each call is made with the real class, and fxlens
flags (FXL026) exactly the patterns that keep nothing, saying "raises" exactly when the real call raises."""

from __future__ import annotations

import fnmatch

import pytest
from fxlens.workspace.spec import ModelSpec, TracerSettings
from helpers import findings_by_line

timm = pytest.importorskip("timm")
from fxlens.worker.build import build_table  # noqa: E402
from timm.utils import AttentionExtract  # noqa: E402

CASES = (
    {},
    {"names": ["*attn.qkv", "*softmax*"]},
    {"names": ["*attn.softmax"]},
    {"names": ["blocks.0.attn.proj", "blocks.99.*"]},
    {"names": ["*attn_drop"], "method": "hook"},
    {"names": ["*attn.qkv", "*attn_drop"], "method": "hook"},
    {"names": ["blocks.1.attn.q_norm", "nothing"], "method": "hook", "mode": "train"},
)


@pytest.fixture(scope="module")
def table():
    """The table the worker builds for the model, traced with timm's settings (as the site asks)."""
    spec = ModelSpec("timm", "timm", "create_model", "vit_tiny_patch16_224", args=("'vit_tiny_patch16_224'",),
                     tracer=TracerSettings(library="timm"))  # fmt: skip
    return build_table(spec, {}, lambda phase: None)


def test_patterns_are_flagged_exactly_when_they_keep_nothing(table) -> None:
    header = "import timm\nfrom timm.utils import AttentionExtract\nmodel = timm.create_model('vit_tiny_patch16_224')\n"
    calls = [f"extract = AttentionExtract(model{''.join(f', {k}={v!r}' for k, v in case.items())})" for case in CASES]
    found = findings_by_line(header + "\n".join(calls) + "\n", table)
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False)
    for line, case in enumerate(CASES, start=3):
        messages = [f.message for f in found.get(line, []) if f.code == "FXL026"]
        try:
            kept = AttentionExtract(model, **case).names
        except RuntimeError:
            assert messages and all("raises RuntimeError" in m for m in messages), case
            continue
        patterns = case.get("names", [])
        missing = [p for p in patterns if not any(fnmatch.fnmatch(n, p) for n in kept)]
        assert [m.split("`")[1] for m in messages] == missing, case
        assert all(m.endswith("it is skipped") for m in messages), case
