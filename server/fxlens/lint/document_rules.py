"""Rules about a document as a whole: one too large to analyse is said so once, and left alone."""

from __future__ import annotations

from collections.abc import Iterator

from fxlens.lint.findings import Finding
from fxlens.lint.registry import Scope, finding, rule
from fxlens.workspace.callsite import Position, Range


@rule(
    "FXL015",
    "file-not-analysed",
    "information",
    Scope.DOCUMENT,
    "the file is larger than fxlens analyses (the max-file-size setting)",
)
def file_not_analysed(size: int, limit: int) -> Iterator[Finding]:
    """A file over the size limit gets this one finding and nothing else: parsing it would hold
    everything else up."""
    if size > limit:
        start = Position(0, 0)
        yield finding(
            "FXL015",
            f"fxlens did not analyse this file: it is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.1f} MB "
            "(raise max-file-size in [tool.fxlens] or the fxlens.maxFileSize setting to analyse it)",
            Range(start, start),
        )
