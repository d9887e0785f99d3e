"""Benchmark: completion latency in one document while large documents are opened in others.

Opens a small script, waits for its model, then opens (a) a 10 MB document (over the default size
limit: one FXL015, never parsed) and (b) a 4 MB one (under it: parsed in the background thread),
and measures completion round trips in the small script during each. Target: p99 ≤ 20 ms.
Run by hand: ``python bench/bench_large_documents.py``; results go in BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench_lsp import NODE_COLUMN, NODE_LINE, SCRIPT, open_script, start_server, stop, summary, until_traced
from lsprotocol import types


def filler(size: int) -> str:
    line = "value = compute(1, 2, 3)  # a generated line\n"
    return line * (size // len(line))


async def completions_while(client, document: types.TextDocumentIdentifier, busy: asyncio.Future, least: int) -> list:
    at = types.CompletionParams(document, types.Position(NODE_LINE, NODE_COLUMN))
    times: list[float] = []
    while not busy.done() or len(times) < least:
        start = time.perf_counter()
        await client.text_document_completion_async(at)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="fxlens-bench-large-"))
    (root / "train.py").write_text(SCRIPT)
    uri = (root / "train.py").as_uri()
    env = {"XDG_CACHE_HOME": tempfile.mkdtemp(prefix="fxlens-bench-cache-"), "PATH": "/usr/bin:/bin"}
    client = await start_server([sys.executable, "-m", "fxlens", "serve"], root, env)
    open_script(client, uri)
    await until_traced(client)
    document = types.TextDocumentIdentifier(uri)
    for label, size in (
        ("10 MB document (over the limit)", 10_000_000),
        ("4 MB document (background parse)", 4_000_000),
    ):
        big = (root / f"big_{size}.py").as_uri()
        text = filler(size) + SCRIPT
        start = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(big, "python", 1, text)))
        busy = asyncio.ensure_future(asyncio.sleep(3.0))  # completions for 3 s after the didOpen
        times = await completions_while(client, document, busy, 50)
        print(f"completion while opening a {label}: {summary(times)}  ({time.perf_counter() - start:.1f} s)")
    await stop(client)


if __name__ == "__main__":
    asyncio.run(main())
