"""The traceability lenses of nn.Module classes over real stdio (by hand; results go to BENCHMARKS.md).

    python bench/bench_class_lenses.py

On files of 20 and 200 small classes: the ``codeLens`` round trip (it lists the classes, tracing
nothing), the first ``codeLens/resolve`` of the 20 (each class traced in the worker), resolving them
again (cached by content), and after an edit of one class resolving all 20 (one trace).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient


def classes(count: int) -> str:
    blocks = "".join(
        f"\n\nclass Block{i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        f"        self.fc = nn.Linear(8, {i + 1})\n\n    def forward(self, x):\n        return self.fc(x).relu()\n"
        for i in range(count)
    )
    return "from torch import nn\n" + blocks


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("bench", "1")

        @self.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list:
            return [None for _ in params.items]

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            return None

        @self.feature("fxlens/status")
        def status(params: object) -> None:
            return None


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[max(int(len(ordered) * 0.99) - 1, 0)]
    return f"p50 {statistics.median(ordered):7.2f} ms  p99 {p99:7.2f} ms  (n={len(ordered)})"


async def lenses(client: Client, uri: str) -> list[types.CodeLens]:
    return list(await client.text_document_code_lens_async(types.CodeLensParams(types.TextDocumentIdentifier(uri))))


async def resolve_all(client: Client, found: list[types.CodeLens]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    done = await asyncio.gather(*(client.code_lens_resolve_async(lens) for lens in found))
    return time.perf_counter() - start, [lens.command.title for lens in done]


async def traces(client: Client) -> int:
    return (await client.protocol.send_request_async("fxlens/stats", {})).tracesRun


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="fxlens-bench-lenses-"))
    cache = tempfile.mkdtemp(prefix="fxlens-bench-cache-")
    client = Client()
    await client.start_io(
        sys.executable, "-m", "fxlens", "serve", env={"XDG_CACHE_HOME": cache, "PATH": "/usr/bin:/bin"}
    )
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri())
    )
    client.initialized(types.InitializedParams())
    for count in (20, 200):
        path = root / f"blocks{count}.py"
        text = classes(count)
        path.write_text(text)
        uri = path.as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))
        times = []
        for _ in range(50):
            start = time.perf_counter()
            found = await lenses(client, uri)
            times.append((time.perf_counter() - start) * 1000)
        print(f"codeLens, {count} classes ({len(found)} lenses, traces run: {await traces(client)}): {summary(times)}")
        if count != 20:
            continue
        before = await traces(client)
        seconds, titles = await resolve_all(client, found)
        print(f"resolve all 20, cold: {seconds:.2f} s, traces run {await traces(client) - before}; {titles[0]!r}")
        seconds, _ = await resolve_all(client, await lenses(client, uri))
        print(
            f"resolve all 20 again (cached): {seconds * 1000:.1f} ms, traces run {await traces(client) - before - 20}"
        )
        line = text.splitlines().index("        self.fc = nn.Linear(8, 6)")
        edit = types.TextDocumentContentChangePartial(
            types.Range(types.Position(line, 31), types.Position(line, 32)), "7"
        )
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(2, uri), [edit])
        )
        middle = await traces(client)
        seconds, titles = await resolve_all(client, await lenses(client, uri))
        ran = await traces(client) - middle
        print(f"resolve all 20 after editing Block5: {seconds:.2f} s, traces run {ran}; {titles[5]!r}")
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


if __name__ == "__main__":
    asyncio.run(main())
