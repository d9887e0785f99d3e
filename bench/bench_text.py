"""Benchmark the text layer on pathological documents: the cost per KB must stay flat as they grow.

Run by hand: ``python bench/bench_text.py [--max-kb 10240]``. Each case builds a document of 10 KB,
100 KB, 1 MB and 10 MB and times what the server does with it (parse with repair and call sites, or
a ``didChange``); it prints the Markdown table of the "Pathological text (issues 17 and 18)" section
of BENCHMARKS.md: milliseconds per KB, which a linear path keeps about constant.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

from fxlens.lsp.positions import client_changes
from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.parse import TextChange, parse_document
from fxlens.workspace.text import apply_changes
from lsprotocol import types

HEADER = (
    "from torchvision.models.feature_extraction import create_feature_extractor as cfe\n"
    "from torchvision.models import resnet18\n"
    "m = resnet18()\n"
)
MIXED = "😋e\u0301\u05d0\u05d1\ufeff\u202e👍🏽ß"  # astral, combining, RTL, BOM, override, modifier
KB = 1024


def statements(size: int) -> str:
    """A generated file of short statements."""
    line = "value_{} = {} + 1\n"
    return HEADER + "".join(line.format(i, i) for i in range(size // len(line.format(0, 0))))


def comment_tail(size: int) -> str:
    """1,000 statements, then comment lines to the size, then a half-typed call (issue 17's file)."""
    head = HEADER + "x = 1\n" * 1000
    comment = "# a comment line, the kind a generated file ends with\n"
    return head + comment * max((size - len(head)) // len(comment), 0) + "fe = cfe(m, ['layer1."


def mixed_line(size: int) -> str:
    """One half-typed string on one long line of emoji, combining marks, RTL and BOM characters."""
    return HEADER + "fe = cfe(m, ['" + MIXED * (size // len(MIXED.encode()))


def mixed_lines(size: int) -> str:
    """Lines of half-typed strings of mixed characters: every statement is broken."""
    line = "fe = cfe(m, ['" + MIXED * 20 + "\n"
    return HEADER + line * (size // len(line.encode()))


def nested(size: int) -> str:
    """One statement of brackets nested size/2 deep, closed."""
    return HEADER + "x = " + "[" * (size // 2) + "]" * (size // 2) + "\n"


def nested_open(size: int) -> str:
    """One half-typed statement of ``size`` open brackets."""
    return HEADER + "fe = cfe(m, " + "[" * size + "\n"


def long_list(size: int) -> str:
    """A half-typed node list of size/11 strings (100,000 items at 1 MB)."""
    items = ", ".join(f"'layer{i % 4 + 1}'" for i in range(size // 11))
    return HEADER + "fe = cfe(m, [" + items + ", 'lay"


def parse(make: Callable[[int], str]) -> Callable[[int], float]:
    def run(size: int) -> float:
        text = make(size)
        start = time.perf_counter()
        parse_document("x.py", text, 1)
        return time.perf_counter() - start

    return run


def _many_changes(size: int) -> tuple[str, list[types.TextDocumentContentChangeEvent]]:
    """A non-ASCII text and size/560 UTF-16 range changes spread over it (445 at 250 KB)."""
    line = "größe = cfe(m, {'layer1': 'ä'})  # 😋\n"
    lines = size // len(line.encode())
    count = max(size // 560, 1)
    step = max(lines // count, 1)
    changes: list[types.TextDocumentContentChangeEvent] = [
        types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(3 + i * step, 18), types.Position(3 + i * step, 24)), text="layer2"
        )
        for i in range(count)
    ]
    return HEADER + line * lines, changes


def did_change(size: int) -> float:
    """One such ``didChange``: converted, applied, reparsed incrementally and its call sites found."""
    text, changes = _many_changes(size)
    doc = parse_document("x.py", text, 1)
    start = time.perf_counter()
    doc.edit(client_changes(doc.text, changes, types.PositionEncodingKind.Utf16), 2)
    return time.perf_counter() - start


def did_change_text(size: int) -> float:
    """The text layer's part of it: converting the positions and applying the changes."""
    text, changes = _many_changes(size)
    start = time.perf_counter()
    apply_changes(text, client_changes(text, changes, types.PositionEncodingKind.Utf16))
    return time.perf_counter() - start


def paste(size: int) -> float:
    """Paste ``size`` bytes of half-typed code into a valid file: one change, many broken statements."""
    block = "def f(x):\n    y = cfe(x, ['layer1.', {'a': \n    return g(y, [1, 2\n"
    doc = parse_document("x.py", HEADER + "x = 1\n" * 100, 1)
    change = TextChange(block * (size // len(block)), Range(Position(50, 0), Position(50, 0)))
    start = time.perf_counter()
    doc.edit([change], 2)
    return time.perf_counter() - start


CASES: dict[str, Callable[[int], float]] = {
    "short statements": parse(statements),
    "comment lines at the end": parse(comment_tail),
    "one long half-typed line, mixed scripts": parse(mixed_line),
    "half-typed lines, mixed scripts": parse(mixed_lines),
    "brackets nested size/2 deep": parse(nested),
    "open brackets, half-typed": parse(nested_open),
    "half-typed list, size/11 items": parse(long_list),
    "didChange, size/560 changes, non-ASCII": did_change,
    "the same, positions and text only": did_change_text,
    "paste of half-typed code": paste,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-kb", type=int, default=10 * KB, help="largest document size (KB)")
    args = parser.parse_args()
    sizes = [kb for kb in (10, 100, KB, 10 * KB) if kb <= args.max_kb]
    print("| case | " + " | ".join(_size(kb) for kb in sizes) + " |")
    print("| --- | " + " | ".join("---:" for _ in sizes) + " |")
    for name, case in CASES.items():
        case(10 * KB)  # warm-up
        cells = []
        for kb in sizes:
            gc.collect()
            cells.append(f"{case(kb * KB) * 1000 / kb:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def _size(kb: int) -> str:
    return f"{kb // KB} MB" if kb >= KB else f"{kb} KB"


if __name__ == "__main__":
    main()
