"""Tracing worker latency and memory (issue 4); run by hand, figures go to BENCHMARKS.md.

    /work/venv/bin/python bench/bench_worker.py [--repeat N]

Cold: a new supervisor, spawn → first resnet50 table. Warm uncached: resnet50 with a new
``num_classes`` each time (same graph, new cache key) on a warm worker. Cached: the same request
again (memory), and from the disk cache by a fresh supervisor. Memory: the worker's peak RSS
(VmHWM) and address space (VmPeak, what the 8 GiB cap limits) after vit_h_14. Hangs: a model
spinning in ``__init__`` under a 2 s timeout, each time with new content: how long until its
timeout problem arrives, and whether it points at the hanging line (the worker's own watchdog
prints the stack).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fxlens.nodes import NodeTable, Problem
from fxlens.worker.cache import TableCache
from fxlens.worker.supervisor import Supervisor
from fxlens.workspace.spec import InputSpec, ModelSpec


def resnet50(num_classes: int = 1000) -> ModelSpec:
    return ModelSpec(
        "torchvision", "torchvision.models", "resnet50", "resnet50", kwargs=(("num_classes", str(num_classes)),)
    )


VIT_H_14 = ModelSpec("torchvision", "torchvision.models", "vit_h_14", "vit_h_14")


HANGS = textwrap.dedent("""\
    from torch import nn


    class Hangs(nn.Module):
        def __init__(self):
            super().__init__()
            while True:
                pass
""")


async def hangs(repeat: int) -> None:
    """Seconds from request to timeout problem for a spinning constructor, and the located line."""
    with tempfile.TemporaryDirectory() as root:
        model = Path(root) / "hangs.py"
        spec = ModelSpec(
            "workspace", "hangs", "Hangs", "Hangs", file=str(model), workspace_root=root,
            example_input=InputSpec(shapes=((1, 4),), origin="file"),
        )  # fmt: skip
        supervisor = Supervisor(timeout=2.0, cache=TableCache(None), log=lambda line: None)
        elapsed, located = [], 0
        for i in range(repeat):
            model.write_text(HANGS + f"# run {i}\n")
            await supervisor.start()  # the worker that replaced the last one is up
            start = time.perf_counter()
            problem = await supervisor.node_table(spec)
            elapsed.append(time.perf_counter() - start)
            assert isinstance(problem, Problem) and problem.kind == "timeout", problem
            located += problem.location is not None and problem.location.line in (7, 8)  # the loop
        await supervisor.stop()
    print(f"hang under a 2 s timeout → problem: {summary(elapsed)}; hanging line located {located}/{repeat}")


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


async def timed(request: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    result = await request()
    elapsed = time.perf_counter() - start
    assert isinstance(result, NodeTable), result
    return elapsed


def summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"median {statistics.median(ms):.2f} ms, min {ms[0]:.2f}, max {ms[-1]:.2f} (n={len(ms)})"


async def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as cache_dir:
        cold = []
        for _ in range(3):
            fresh = Supervisor(cache=TableCache(None), log=lambda line: None)
            cold.append(await timed(lambda fresh=fresh: fresh.node_table(resnet50())))
            await fresh.stop()
        print("cold spawn → first resnet50 table:", summary(cold))

        supervisor = Supervisor(cache=TableCache(Path(cache_dir)), log=lambda line: None)
        await supervisor.start()
        pid = supervisor.worker_pid
        assert pid is not None
        rss, address_space = status_kib(pid, "VmRSS") / 1024, status_kib(pid, "VmPeak") / 1024
        print(f"worker after start-up: RSS {rss:.0f} MiB, address space {address_space:.0f} MiB")
        await timed(lambda: supervisor.node_table(resnet50(1)))  # first trace pays one-time lazy imports
        warm = [await timed(lambda i=i: supervisor.node_table(resnet50(2 + i))) for i in range(repeat)]
        print("warm uncached resnet50:", summary(warm))
        memory_hits = [await timed(lambda: supervisor.node_table(resnet50(2))) for _ in range(repeat * 10)]
        print("cached resnet50 (memory):", summary(memory_hits))
        disk_hits = []
        for _ in range(repeat):
            supervisor.cache = TableCache(Path(cache_dir))  # empty memory, same directory
            disk_hits.append(await timed(lambda: supervisor.node_table(resnet50(2))))
        print("cached resnet50 (disk, as after a restart):", summary(disk_hits))
        vit = await timed(lambda: supervisor.node_table(VIT_H_14))
        print(
            f"vit_h_14 uncached: {vit * 1000:.0f} ms; worker peak RSS {status_kib(pid, 'VmHWM') / 1024:.0f} MiB, "
            f"peak address space {status_kib(pid, 'VmPeak') / 1024:.0f} MiB (cap {supervisor.memory_limit >> 20} MiB)"
        )
        print(f"traces run: {supervisor.traces_run}")
        await supervisor.stop()
    await hangs(repeat)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    asyncio.run(main(parser.parse_args().repeat))
