"""Code actions: each ``Fix`` of a finding under the cursor, "Ignore CODE on this line", and
``source.fixAll.fxlens`` (every safe fix of the document, as ``fxlens check --fix`` applies them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from lsprotocol import types

from fxlens.edits import safe_fixes
from fxlens.lint import Finding
from fxlens.lint.findings import TextEdit
from fxlens.workspace.callsite import Position, Range

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.fxlens"
_IGNORE = re.compile(r"#\s*fxlens:\s*ignore\[(?P<codes>[^\]]*)\]")

ToRange = Callable[[Range], types.Range]


def quick_fixes(
    findings: Iterable[Finding],
    wanted: Range,
    uri: str,
    version: int | None,
    to_range: ToRange,
    to_diagnostic: Callable[[Finding], types.Diagnostic],
    lines: Sequence[str] = (),
) -> list[types.CodeAction]:
    """The fixes of findings overlapping ``wanted``, then an action that silences each one's code on
    its line; edits carry the document version they fit."""
    actions, ignores = [], []
    for finding in findings:
        if finding.range.end < wanted.start or wanted.end < finding.range.start:
            continue
        for number, fix in enumerate(finding.fixes):
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[to_diagnostic(finding)],
                    edit=_edit(uri, version, fix.edits, to_range),
                    is_preferred=number == 0 and (fix.safe or len(finding.fixes) == 1),
                )
            )
        if lines and finding.range.start.line < len(lines):
            ignore = _ignore_edit(lines, finding.range.start.line, finding.code)
            ignores.append(
                types.CodeAction(
                    title=f"Ignore {finding.code} on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[to_diagnostic(finding)],
                    edit=_edit(uri, version, (ignore,), to_range),
                )
            )
    return actions + ignores


def fix_all(findings: Iterable[Finding], uri: str, version: int | None, to_range: ToRange) -> list[types.CodeAction]:
    """One ``source.fixAll.fxlens`` action with every safe fix that does not overlap another."""
    fixes = safe_fixes(findings)
    if not fixes:
        return []
    edits = tuple(edit for fix in fixes for edit in fix.edits)
    return [types.CodeAction(title="fxlens: fix all", kind=FIX_ALL, edit=_edit(uri, version, edits, to_range))]


def _ignore_edit(lines: Sequence[str], line: int, code: str) -> TextEdit:
    """Add ``code`` to the line's ``# fxlens: ignore[...]`` comment, or append one."""
    text = lines[line]
    match = _IGNORE.search(text)
    if match is not None:
        codes = [c.strip() for c in match.group("codes").split(",") if c.strip()]
        where = Range(Position(line, match.start("codes")), Position(line, match.end("codes")))
        return TextEdit(where, ", ".join([*codes, code]))
    end = Position(line, len(text))
    return TextEdit(Range(end, end), f"  # fxlens: ignore[{code}]")


def _edit(uri: str, version: int | None, edits: Iterable[TextEdit], to_range: ToRange) -> types.WorkspaceEdit:
    document = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
        edits=[types.TextEdit(to_range(e.range), e.new_text) for e in edits],
    )
    return types.WorkspaceEdit(document_changes=[document])
