"""Benchmark the workspace analysis: parse + find call sites + resolve, per file and per edit.

Run by hand: ``/work/venv/bin/python bench/bench_workspace.py``. Prints the figures that go into
the "Workspace analysis (issue 3)" section of BENCHMARKS.md. Target: ≤ 5 ms per file after
warm-up, growing linearly with file size and with the number of files.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fxlens.workspace.callsite import Position, Range
from fxlens.workspace.modules import Workspace
from fxlens.workspace.parse import TextChange, cursor_context, parse_document
from fxlens.workspace.resolve import resolve_model

HEADER = (
    "import torch\nimport torch.nn as nn\nfrom torchvision.models import resnet18\n"
    "from torchvision.models.feature_extraction import create_feature_extractor\n"
)


def block(i: int, imports: str = "", call: bool = True) -> str:
    """About 25 lines of typical model code, with one extractor call when ``call``."""
    body = (
        '    extractor = create_feature_extractor(model, return_nodes={"conv": "low", "head": "out"})\n'
        "    return extractor(torch.rand(1, 3, 32, 32))\n"
        if call
        else "    return model(torch.rand(1, 3, 32, 32))\n"
    )
    return f'''{imports}
WIDTH_{i} = {8 + i % 8}


class Net{i}(nn.Module):
    """A small convolutional network."""

    def __init__(self, width=WIDTH_{i}, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.bn = nn.BatchNorm2d(width)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = x.mean((2, 3))
        return self.head(x)


def features_{i}():
    model = Net{i}(width=WIDTH_{i} * 2).eval()
{body}'''


def big_file(lines: int, calls_every: int) -> str:
    """A file of ``lines`` lines with an extractor call in every ``calls_every``-th block."""
    text, i = HEADER, 0
    while text.count("\n") < lines:
        text += block(i, call=i % calls_every == 0)
        i += 1
    return text


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of ``function`` over ``repeat`` runs, after two warm-up runs."""
    function()
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_single_file(lines: int, calls_every: int, root: Path) -> dict[str, float]:
    text = big_file(lines, calls_every)
    path = str(root / f"big_{lines}.py")
    doc = parse_document(path, text, 1)
    sites = doc.call_sites
    last = sites[-1].node_arguments[0].queries[0].name.range.end
    edit = [TextChange("x", Range(last, last))]
    workspace = Workspace(root)

    def resolve_all() -> None:
        for site in sites:
            resolve_model(doc, site, workspace)

    return {
        "lines": text.count("\n"),
        "sites": len(sites),
        "parse+find ms": timed(lambda: parse_document(path, text, 1), 20),
        "edit+reparse ms": timed(lambda: doc.edit(edit, 2), 50),
        "half-typed edit ms": timed(lambda: doc.edit([TextChange('"', Range(last, last))], 2), 50),
        "cursor ms": timed(lambda: cursor_context(doc, Position(last.line, last.column)), 200),
        "resolve all ms": timed(resolve_all, 10),
    }


def make_workspace(root: Path, files: int) -> list[Path]:
    """``files`` modules of ~100 lines in a package; each imports a class from its predecessor."""
    package = root / "proj"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    paths = []
    for n in range(files):
        imports = f"from .mod{n - 1} import Net{(n - 1) * 4}\n" if n else ""
        text = HEADER + "".join(block(n * 4 + k, imports if k == 0 else "") for k in range(4))
        path = package / f"mod{n}.py"
        path.write_text(text)
        paths.append(path)
    return paths


def bench_workspace(files: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_workspace(root, files)
        texts = [(str(p), p.read_text()) for p in paths]

        def analyse() -> int:
            workspace = Workspace(root)
            count = 0
            for path, text in texts:
                doc = parse_document(path, text, 1)
                for site in doc.call_sites:
                    resolve_model(doc, site, workspace)
                    count += 1
            return count

        sites = analyse()
        total = timed(analyse, 5)
        return {
            "files": files,
            "lines/file": texts[0][1].count("\n"),
            "sites": sites,
            "total ms": total,
            "per file ms": total / files,
        }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for calls_every in (20, 1):  # a few calls per file, and the worst case: one every 25 lines
            for lines in (500, 1000, 2000, 4000):
                print("single file", bench_single_file(lines, calls_every, Path(tmp)))
    for files in (75, 150, 300):
        print("workspace", bench_workspace(files))


if __name__ == "__main__":
    main()
