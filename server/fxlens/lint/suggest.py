"""Did-you-mean: the names closest to one the model does not have, and the hint and fixes that offer them."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from fxlens.lint.findings import Finding, Fix, TextEdit
from fxlens.lint.registry import finding
from fxlens.nodes import MODES, ModuleEntry, NodeTable
from fxlens.workspace.callsite import Range


def did_you_mean(query: str, table: NodeTable, limit: int = 3) -> list[str]:
    """The closest node names and module prefixes to ``query``, best first: the similar ones
    (difflib), fewest edits first (``layer5`` → ``layer4`` before ``layer3.5``), then those from the
    same stage (``layer1.0.relu2`` → ``layer1.1.relu`` before ``layer4.0.relu``)."""
    candidates = list(dict.fromkeys(_names_and_prefixes(table)))
    similar = difflib.get_close_matches(query, candidates, n=max(limit, 10), cutoff=0.6)
    ranked = sorted(similar, key=lambda name: (edit_distance(query, name), -_shared_parts(query, name)))
    return ranked[:limit]  # stable: remaining ties stay by similarity


def closest_paths(path: str, entries: list[ModuleEntry], limit: int = 3) -> list[str]:
    """The paths of ``entries`` closest to ``path``, best first: similar ones (difflib), fewest edits first."""
    similar = difflib.get_close_matches(path, [e.path for e in entries], n=max(limit, 10), cutoff=0.6)
    return sorted(similar, key=lambda candidate: edit_distance(path, candidate))[:limit]


def did_you_mean_finding(code: str, message: str, range_: Range, suggestions: Sequence[str]) -> Finding:
    """Rule ``code``'s finding at ``range_``: ``message`` ending in ``; did you mean `a`, `b`?`` and a
    ``Change to`` fix per suggestion, safe (``--fix`` applies it) only when it is the only one."""
    hint = f"; did you mean {', '.join(f'`{s}`' for s in suggestions)}?" if suggestions else ""
    fixes = tuple(Fix(f"Change to `{s}`", (TextEdit(range_, s),), safe=len(suggestions) == 1) for s in suggestions)
    return finding(code, message + hint, range_, fixes=fixes)


def _shared_parts(a: str, b: str) -> int:
    """How many leading dot-separated parts ``a`` and ``b`` share."""
    shared = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        shared += 1
    return shared


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def _names_and_prefixes(table: NodeTable) -> Iterator[str]:
    for mode in MODES:
        for name in table.names(mode):
            parts = name.split(".")
            for depth in range(1, len(parts)):
                yield ".".join(parts[:depth])
            yield name
