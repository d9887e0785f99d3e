"""Code actions on findings: quick fixes, "Ignore CODE on this line", and source.fixAll.fxlens."""

from __future__ import annotations

from fxlens.lint import Finding, Fix, TextEdit
from fxlens.lsp.code_actions import FIX_ALL, fix_all, quick_fixes
from fxlens.lsp.diagnostics import to_diagnostic
from fxlens.workspace.callsite import Position, Range
from lsprotocol import types

LINES = ['fe = create_feature_extractor(m, ["layer1.0.relu.1", "layer5"])', "x = 1  # fxlens: ignore[FXL007]"]


def span(line: int, start: int, end: int) -> Range:
    return Range(Position(line, start), Position(line, end))


def lsp(rng: Range) -> types.Range:
    return types.Range(types.Position(rng.start.line, rng.start.column), types.Position(rng.end.line, rng.end.column))


WILDCARD = Finding(
    "FXL003", "dot-wildcard-query", "error", "wildcard", span(0, 35, 50),
    fixes=(Fix("Change to `layer1.0.relu_1`", (TextEdit(span(0, 35, 50), "layer1.0.relu_1"),), safe=True),),
)  # fmt: skip
UNKNOWN = Finding(
    "FXL001", "unknown-node", "error", "unknown", span(0, 54, 60),
    fixes=tuple(Fix(f"Change to `{s}`", (TextEdit(span(0, 54, 60), s),)) for s in ("layer4", "layer3")),
)  # fmt: skip
OVERWRITTEN = Finding("FXL005", "overlapping-queries", "warning", "overlap", span(1, 0, 1))


def edits_of(action: types.CodeAction) -> list[tuple[types.Range, str]]:
    assert action.edit is not None and action.edit.document_changes is not None
    (change,) = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 7
    return [(e.range, e.new_text) for e in change.edits]


def test_quick_fixes_come_first_then_one_ignore_action_per_finding() -> None:
    actions = quick_fixes(
        [WILDCARD, UNKNOWN], span(0, 0, 70), "file:///t.py", 7, lsp, lambda f: to_diagnostic(f, lsp), LINES
    )
    assert [(a.title, a.is_preferred) for a in actions] == [
        ("Change to `layer1.0.relu_1`", True),
        ("Change to `layer4`", False),
        ("Change to `layer3`", False),
        ("Ignore FXL003 on this line", None),
        ("Ignore FXL001 on this line", None),
    ]
    end = types.Position(0, len(LINES[0]))
    assert edits_of(actions[3]) == [(types.Range(end, end), "  # fxlens: ignore[FXL003]")]


def test_ignoring_on_a_line_that_already_ignores_adds_the_code_to_its_list() -> None:
    (ignore,) = quick_fixes(
        [OVERWRITTEN], span(1, 0, 1), "file:///t.py", 7, lsp, lambda f: to_diagnostic(f, lsp), LINES
    )
    start = LINES[1].index("FXL007")
    assert ignore.title == "Ignore FXL005 on this line"
    assert edits_of(ignore) == [(lsp(span(1, start, start + 6)), "FXL007, FXL005")]


def test_findings_outside_the_range_get_no_action() -> None:
    assert (
        quick_fixes([OVERWRITTEN], span(0, 0, 3), "file:///t.py", 7, lsp, lambda f: to_diagnostic(f, lsp), LINES) == []
    )


def test_fix_all_applies_only_the_safe_fixes() -> None:
    (action,) = fix_all([WILDCARD, UNKNOWN], "file:///t.py", 7, lsp)
    assert (action.kind, action.title) == (FIX_ALL, "fxlens: fix all") and FIX_ALL == "source.fixAll.fxlens"
    assert edits_of(action) == [(lsp(span(0, 35, 50)), "layer1.0.relu_1")]
    assert fix_all([UNKNOWN], "file:///t.py", 7, lsp) == []
