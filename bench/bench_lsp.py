"""The language server over real stdio (by hand; results go to BENCHMARKS.md).

    python bench/bench_lsp.py [--jedi /path/to/jedi-language-server]

Measures, on a resnet50 script: didOpen -> first traced diagnostics (cold: empty cache and a new
worker; warm: a new server answering from the disk cache), completion and hover round trips with a
warm cache and an idle worker (p50/p99; inside ``layer1.0.`` and at the start of the string, where
every name is offered), completion every 20 ms during a cold trace (what it answers, and how fast),
jedi-language-server's completion on the same file when given, the server's RSS, and completion
latency plus traces caused while 200 didChange notifications arrive in 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

SCRIPT = """import torch
from torchvision.models import resnet50
from torchvision.models.feature_extraction import create_feature_extractor

model = resnet50(weights=None, num_classes=10)
extractor = create_feature_extractor(model, return_nodes=["layer1.0.relu2", "layer4"])
features = extractor(torch.rand(1, 3, 224, 224))
torch.
"""
NODE_LINE, NODE_COLUMN = 5, SCRIPT.splitlines()[5].index("layer1.0.relu2") + len("layer1.0.")
BOUND = """import torch
from torchvision.models import resnet50
from torchvision.models.feature_extraction import create_feature_extractor

TAPS = {"layer1.0.relu2": "low", "layer4": "high"}


def build():
    model = resnet50(weights=None, num_classes=10)
    return create_feature_extractor(model, return_nodes=TAPS)
"""
BOUND_LINE, BOUND_COLUMN = 4, BOUND.splitlines()[4].index("layer1.0.relu2") + len("layer1.0.")
TORCH_LINE, TORCH_COLUMN = 7, len("torch.")


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("bench", "1")
        self.published: asyncio.Queue[types.PublishDiagnosticsParams] = asyncio.Queue()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.published.put_nowait(params)

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.feature(types.WORKSPACE_CONFIGURATION)
        def configuration(params: types.ConfigurationParams) -> list:
            return [None for _ in params.items]


async def start_server(command: list[str], root: Path, env: dict[str, str] | None = None) -> Client:
    client = Client()
    await client.start_io(*command, env=env)
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True),
        text_document=types.TextDocumentClientCapabilities(  # as VS Code's client declares it
            completion=types.CompletionClientCapabilities(
                completion_list=types.CompletionListCapabilities(item_defaults=["editRange", "data"])
            )
        ),
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities, root_uri=root.as_uri()))
    client.initialized(types.InitializedParams())
    return client


async def stop(client: Client) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


def open_script(client: Client, uri: str, text: str = SCRIPT) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text)))


async def until_traced(client: Client) -> float:
    """Seconds until diagnostics that need the traced table (FXL001) arrive."""
    start = time.perf_counter()
    while True:
        params = await client.published.get()
        if any(d.code == "FXL001" for d in params.diagnostics):
            return time.perf_counter() - start


async def until_worker_ready(client: Client) -> float:
    """Seconds until the server's worker has imported torch and is idle (it competes for the CPU before)."""
    start = time.perf_counter()
    for _ in range(2400):  # two minutes
        if (await client.protocol.send_request_async("fxlens/stats", {})).workerState == "ready":
            return time.perf_counter() - start
        await asyncio.sleep(0.05)
    raise TimeoutError("the worker did not become ready in two minutes")


async def round_trips(request, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await request()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"p50 {statistics.median(ordered):6.2f} ms  p99 {p99:6.2f} ms  (n={len(ordered)})"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def completion_during_cold_trace(client: Client, uri: str, period: float = 0.02) -> None:
    """Open the script on a new server and ask for completion every ``period`` seconds until the names
    come and for 2 s more: the latency of each answer, empty incomplete lists first, then names."""
    document = types.TextDocumentIdentifier(uri)
    at = types.CompletionParams(document, types.Position(NODE_LINE, NODE_COLUMN))
    opened = time.perf_counter()
    open_script(client, uri)
    waiting: list[float] = []
    named: list[float] = []
    other: list[str] = []
    when: list[tuple[float, float]] = []  # (ms, s after didOpen) of every answer
    first_names = None
    while first_names is None or time.perf_counter() < first_names + 2.0:
        tick = time.perf_counter()
        found = await client.text_document_completion_async(at)
        elapsed = (time.perf_counter() - tick) * 1000
        when.append((elapsed, tick - opened))
        if isinstance(found, types.CompletionList) and found.is_incomplete and not found.items:
            waiting.append(elapsed)
        elif isinstance(found, types.CompletionList) and any(i.label == "layer1.0.relu" for i in found.items):
            named.append(elapsed)
            first_names = first_names or time.perf_counter()
        else:
            other.append(repr(found)[:200])
        if time.perf_counter() - opened > 120:
            raise TimeoutError(f"no names 120 s after didOpen; other answers: {other[:3]}")
        await asyncio.sleep(max(0.0, tick + period - time.perf_counter()))
    print(f"cold trace: didOpen -> names in completion {first_names - opened:.2f} s")
    print(f"cold trace: completion while traced (empty, isIncomplete): {summary(waiting)}")
    print(f"cold trace: completion once traced (names):                {summary(named)}")
    every = waiting + named
    print(f"cold trace: every answer: {summary(every)}, max {max(every):.2f} ms")
    slowest = ", ".join(f"{ms:.1f} ms at +{at:.2f} s" for ms, at in sorted(when, reverse=True)[:4])
    print(f"cold trace: slowest answers (s after didOpen; names from +{first_names - opened:.2f} s): {slowest}")
    if other:
        print(f"cold trace: {len(other)} other answers, e.g. {other[0]}")


async def main(jedi: str | None) -> None:
    root = Path(tempfile.mkdtemp(prefix="fxlens-bench-"))
    (root / "train.py").write_text(SCRIPT)
    uri = (root / "train.py").as_uri()
    cache = tempfile.mkdtemp(prefix="fxlens-bench-cache-")
    server = [sys.executable, "-m", "fxlens", "serve"]
    env = {"XDG_CACHE_HOME": cache, "PATH": "/usr/bin:/bin"}

    client = await start_server(server, root, env)
    open_script(client, uri)
    print(f"didOpen -> traced diagnostics, cold (new worker, empty cache): {await until_traced(client):.2f} s")
    await stop(client)

    client = await start_server(server, root, {**env, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="fxlens-bench-cache-")})
    await completion_during_cold_trace(client, uri)
    await stop(client)

    client = await start_server(server, root, env)
    open_script(client, uri)
    print(f"didOpen -> traced diagnostics, warm (new server, disk cache):  {await until_traced(client):.3f} s")
    idle = await until_worker_ready(client)
    print(f"(then {idle:.1f} s until its worker imported torch: the figures below are without that load)")
    document = types.TextDocumentIdentifier(uri)
    completion = types.CompletionParams(document, types.Position(NODE_LINE, NODE_COLUMN))
    hover = types.HoverParams(document, types.Position(NODE_LINE, NODE_COLUMN + 30))
    await client.text_document_completion_async(completion)
    in_string = await round_trips(lambda: client.text_document_completion_async(completion), 300)
    print(f"fxlens completion in a node string: {summary(in_string)}")
    every = types.CompletionParams(
        document, types.Position(NODE_LINE, SCRIPT.splitlines()[NODE_LINE].index("layer1.0.relu2"))
    )
    every_name = await round_trips(lambda: client.text_document_completion_async(every), 300)
    print(f"fxlens completion of every name:    {summary(every_name)}")
    hovers = await round_trips(lambda: client.text_document_hover_async(hover), 300)
    print(f"fxlens hover on a node string:      {summary(hovers)}")
    (root / "bound.py").write_text(BOUND)
    bound_uri = (root / "bound.py").as_uri()
    open_script(client, bound_uri, BOUND)
    in_literal = types.CompletionParams(
        types.TextDocumentIdentifier(bound_uri), types.Position(BOUND_LINE, BOUND_COLUMN)
    )
    for _ in range(600):  # the same model as before: its table is known once the document is parsed
        if (await client.text_document_completion_async(in_literal)).items:
            break
        await asyncio.sleep(0.05)
    above = await round_trips(lambda: client.text_document_completion_async(in_literal), 300)
    print(f"fxlens completion in a literal above its call: {summary(above)}")
    pid = client._server.pid  # type: ignore[union-attr]
    print(f"fxlens server RSS: {rss_mb(pid):.0f} MB")

    before = (await client.protocol.send_request_async("fxlens/stats", {})).tracesRun
    template = SCRIPT.splitlines()[NODE_LINE]
    latencies: list[float] = []
    start = time.perf_counter()
    for version in range(2, 202):  # retype the node name, one keystroke every 10 ms
        name = "layer1.0.relu_1"[: (version % 15) + 1]
        text = template.replace("layer1.0.relu2", name)  # the line as typed so far, from the original line
        edit = types.TextDocumentContentChangePartial(
            types.Range(types.Position(NODE_LINE, 0), types.Position(NODE_LINE, 10_000)), text
        )
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(version=version, uri=uri), [edit])
        )
        if version % 10 == 0:
            at = types.CompletionParams(document, types.Position(NODE_LINE, text.index('"') + 1 + len(name)))
            t0 = time.perf_counter()
            await client.text_document_completion_async(at)
            latencies.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(max(0.0, start + version * 0.01 - time.perf_counter()))
    await asyncio.sleep(2)
    after = (await client.protocol.send_request_async("fxlens/stats", {})).tracesRun
    print(
        f"storm: 200 didChange in {time.perf_counter() - start - 2:.2f} s; completion during it: {summary(latencies)}"
    )
    print(f"storm: traces run {after - before} (the model's content never changed: target 0 new traces)")
    await stop(client)

    if jedi:
        client = await start_server([jedi], root)
        open_script(client, uri)
        at = types.CompletionParams(document, types.Position(TORCH_LINE, TORCH_COLUMN))
        await client.text_document_completion_async(at)
        jedi_times = await round_trips(lambda: client.text_document_completion_async(at), 100)
        print(f"jedi-language-server completion after `torch.`: {summary(jedi_times)}")
        await stop(client)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jedi", help="the jedi-language-server executable, for the side-by-side figure")
    asyncio.run(main(parser.parse_args().jedi))
