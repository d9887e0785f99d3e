"""Benchmark following node arguments to the literals bound to them (issue 11, point 1).

Run by hand: ``/work/venv/bin/python bench/bench_bindings.py``. For a 2,000-line file with an
extractor call every 25 lines, in each form the node names can be written in (inline in the call as
the baseline, a name above the call, one module constant shared by every call, ``self.taps`` from
``__init__``, a dataclass field read as ``self.cfg.taps``, a comprehension), it prints the parse
cost (what following names adds to it), the cost of an edit in a bound literal and of one in a
call, and ``cursor_context`` latency with the cursor in a literal above its call. Target for the
cursor: as inside the call (p50 ≤ 5 ms, p99 ≤ 20 ms for the whole completion request).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.callsites import find_call_sites
from fxlens.workspace.parse import ParsedDocument, TextChange, cursor_context, literal_uses, parse_document

HEADER = (
    "import torch\nimport torch.nn as nn\nfrom dataclasses import dataclass, field\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
    'SHARED = {"conv": "low", "head": "out"}\n'
)
NET = '''

class Net{i}(nn.Module):
    """A small convolutional network."""

    def __init__(self, width={w}, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).mean((2, 3)))
'''
FORMS: dict[str, str] = {
    "inline": """

def features_{i}():
    model = Net{i}().eval()
    extractor = create_feature_extractor(model, return_nodes={{"conv": "low", "head": "out"}})
    return extractor(torch.rand(1, 3, 32, 32))
""",
    "name above": """

def features_{i}():
    model = Net{i}().eval()
    taps = {{"conv": "low", "head": "out"}}
    extractor = create_feature_extractor(model, return_nodes=taps)
    return extractor(torch.rand(1, 3, 32, 32))
""",
    "shared constant": """

def features_{i}():
    model = Net{i}().eval()
    extractor = create_feature_extractor(model, return_nodes=SHARED)
    return extractor(torch.rand(1, 3, 32, 32))
""",
    "self.taps": """

class Probe{i}:
    def __init__(self):
        self.taps = {{"conv": "low", "head": "out"}}

    def extractor(self, model):
        return create_feature_extractor(model, return_nodes=self.taps)
""",
    "self.cfg.taps": """

@dataclass
class Config{i}:
    taps: dict = field(default_factory=lambda: {{"conv": "low", "head": "out"}})

class Probe{i}:
    def __init__(self, cfg: Config{i}):
        self.cfg = cfg

    def extractor(self, model):
        return create_feature_extractor(model, return_nodes=self.cfg.taps)
""",
    "comprehension": """

def features_{i}():
    model = Net{i}().eval()
    taps = {{f"layer{{k}}": f"c{{k}}" for k in range(1, 5)}}
    extractor = create_feature_extractor(model, return_nodes=taps)
    return extractor(torch.rand(1, 3, 32, 32))
""",
}


def big_file(form: str, lines: int = 2000, every: int = 25) -> str:
    """``lines`` lines with one call per ``every`` lines, its node names written in ``form``."""
    text, i = HEADER, 0
    while text.count("\n") < lines:
        block = NET.format(i=i, w=8 + i % 8) + FORMS[form].format(i=i)
        text += block + "\n" * max(every - block.count("\n"), 0)
        i += 1
    return text


def samples(function: Callable[[], object], repeat: int) -> list[float]:
    """CPU milliseconds of each of ``repeat`` runs, after two warm-up runs.

    CPU time of this process, not wall time: on a shared machine, wall time mostly measures the
    other processes (``--wall`` measures wall time instead).
    """
    clock = time.perf_counter if "--wall" in sys.argv else time.process_time
    function()
    function()
    result = []
    for _ in range(repeat):
        start = clock()
        function()
        result.append((clock() - start) * 1000)
    return result


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def literal_position(doc: ParsedDocument) -> tuple[Position, Position]:
    """Inside the first string of the middle call's literal, and at the end of that literal's line."""
    argument = doc.call_sites[len(doc.call_sites) // 2].node_arguments[0]
    name = argument.queries[0].name
    return Position(name.range.start.line, name.range.start.column + 2), name.range.end


def bench(form: str) -> dict[str, object]:
    text = big_file(form)
    doc = parse_document("big.py", text, 1)
    cursor, inside = literal_position(doc)
    call = doc.call_sites[len(doc.call_sites) // 2].range.start
    in_literal = [TextChange("x", Range(inside, inside))]
    in_call = [TextChange(" ", Range(Position(call.line, call.column + 25), Position(call.line, call.column + 25)))]
    context = cursor_context(doc, cursor)
    assert (context is not None and context.string is not None) or form == "comprehension", form
    known = dict(zip(doc.site_keys, doc.call_sites, strict=True))
    cursor_times = samples(lambda: cursor_context(doc, cursor), 300)

    def ms(function: Callable[[], object], repeat: int) -> str:
        """Fastest / median of the runs."""
        values = samples(function, repeat)
        return f"{min(values):.2f} / {statistics.median(values):.2f}"

    return {
        "form": form,
        "lines": text.count("\n"),
        "calls": len(doc.call_sites),
        "uses of the cursor's literal": len(context.uses) if context is not None else 0,
        "parse ms": ms(lambda: parse_document("big.py", text, 1), 20),
        "find sites, none reused ms": ms(lambda: find_call_sites(doc.syntax, doc.symbols, None), 20),
        "find sites, all reused ms": ms(lambda: find_call_sites(doc.syntax, doc.symbols, known), 50),
        "edit in literal ms": ms(lambda: doc.edit(in_literal, 2), 50),
        "edit in a call ms": ms(lambda: doc.edit(in_call, 2), 50),
        "literal index ms": ms(lambda: literal_uses(doc.call_sites), 50),
        "cursor p50 ms": round(p(cursor_times, 0.5), 3),
        "cursor p99 ms": round(p(cursor_times, 0.99), 3),
    }


def main() -> None:
    for form in FORMS:
        print(bench(form))


if __name__ == "__main__":
    main()
