"""Quick fixes: each ``Fix`` of a finding under the cursor as a versioned workspace edit."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lsprotocol import types

from fxlens.lint import Finding
from fxlens.workspace.callsite import Range


def quick_fixes(
    findings: Iterable[Finding],
    wanted: Range,
    uri: str,
    version: int | None,
    to_range: Callable[[Range], types.Range],
    to_diagnostic: Callable[[Finding], types.Diagnostic],
) -> list[types.CodeAction]:
    """The fixes of findings overlapping ``wanted``; edits carry the document version they fit."""
    actions = []
    for finding in findings:
        if finding.range.end < wanted.start or wanted.end < finding.range.start:
            continue
        for number, fix in enumerate(finding.fixes):
            edit = types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=[types.TextEdit(to_range(e.range), e.new_text) for e in fix.edits],
            )
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[to_diagnostic(finding)],
                    edit=types.WorkspaceEdit(document_changes=[edit]),
                    is_preferred=number == 0 and len(finding.fixes) == 1,
                )
            )
    return actions
