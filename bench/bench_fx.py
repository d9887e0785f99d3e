"""fxlens.fx against torchvision, side by side in one run (by hand; results go to BENCHMARKS.md).

    python bench/bench_fx.py            # both parts
    python bench/bench_fx.py names      # get_graph_node_names timing only
    python bench/bench_fx.py table      # node table (meta) vs the torchvision way, time and peak RSS
    python bench/bench_fx.py shapes     # node table when shapes fail or need fake tensors / a real run

Each "table" measurement runs in a fresh subprocess so that peak RSS (ru_maxrss) belongs to it alone.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import warnings

NAMES_MODELS = ["resnet50", "vit_b_16", "convnext_tiny", "densenet121"]
TABLE_MODELS = ["vit_l_16", "vit_h_14"]
REPEATS = 7


def bench_names() -> None:
    import torchvision
    from fxlens.fx import build_model, get_graph_node_names
    from torchvision.models import feature_extraction as tv_fe

    print(f"get_graph_node_names, median of {REPEATS} (train + eval traces), same meta-built model")
    print(f"{'model':<16}{'torchvision':>14}{'fxlens':>10}{'ratio':>8}")
    for name in NAMES_MODELS:
        model = build_model(torchvision.models.get_model, name, weights=None).model
        timings = {}
        for label, fn in (("torchvision", tv_fe.get_graph_node_names), ("fxlens", get_graph_node_names)):
            fn(model, suppress_diff_warning=True)  # warm-up
            runs = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                fn(model, suppress_diff_warning=True)
                runs.append(time.perf_counter() - start)
            timings[label] = statistics.median(runs)
        tv, fl = timings["torchvision"], timings["fxlens"]
        print(f"{name:<16}{tv * 1000:>12.1f}ms{fl * 1000:>8.1f}ms{fl / tv:>7.2f}x")


def _table_child(path: str, name: str) -> dict:
    """Runs in a subprocess: one way of getting every node's output shape for ``name``."""
    import torch
    import torchvision

    start = time.perf_counter()
    if path == "fxlens":
        from fxlens.fx import build_model, node_table

        built = build_model(torchvision.models.get_model, name, weights=None)
        table = node_table(built.model, [(1, 3, 224, 224)])
        count = len(table.eval)
    else:
        from torchvision.models import feature_extraction as tv_fe

        model = torchvision.models.get_model(name, weights=None).eval()
        nodes = tv_fe.get_graph_node_names(model)[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            extractor = tv_fe.create_feature_extractor(model, return_nodes=nodes)
        with torch.no_grad():
            count = len(extractor(torch.rand(1, 3, 224, 224)))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "nodes": count,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench_table() -> None:
    print("every node's output shape: fxlens node_table on meta vs torchvision (real build + extractor + forward)")
    print("(wall time excludes interpreter start and imports; peak RSS includes them)")
    print(f"{'model':<10}{'path':<13}{'seconds':>9}{'peak RSS':>11}{'nodes':>7}")
    for name in TABLE_MODELS:
        results = {}
        for path in ("torchvision", "fxlens"):
            out = subprocess.run(
                [sys.executable, __file__, "_child", path, name], capture_output=True, text=True, check=True
            )
            results[path] = json.loads(out.stdout.strip().splitlines()[-1])
            r = results[path]
            print(f"{name:<10}{path:<13}{r['seconds']:>8.2f}s{r['peak_rss_mb']:>8.0f} MB{r['nodes']:>7}")
        print(f"{'':<10}{'speed-up':<13}{results['torchvision']['seconds'] / results['fxlens']['seconds']:>8.1f}x")


def _shape_cases() -> list[tuple[str, object, list, dict]]:
    """(label, model, example inputs or None, tracer kwargs) for the shape paths."""
    import torch
    import torchvision
    from fxlens.fx import build_model
    from torch import nn

    class Gate(nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x

    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.gate = nn.Conv2d(3, 16, 3), Gate()

        def forward(self, x):
            return self.gate(self.conv(x)).mean()

    class CpuArange(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(64, 64)

        def forward(self, x):
            return self.proj(x) + torch.arange(64.0)

    inception = build_model(torchvision.models.inception_v3, weights=None, init_weights=False).model
    return [
        ("inception_v3 @299 (meta, all shapes)", inception, [(1, 3, 299, 299)], {}),
        ("inception_v3 @224 (meta, aux fails)", inception, None, {}),
        ("resnet50 @224 (meta)", build_model(torchvision.models.resnet50, weights=None).model, None, {}),
        ("cpu arange (fake fallback)", build_model(CpuArange).model, [(8, 64)], {}),
        ("leaf with if (real fallback)", build_model(Gated).model, [(8, 3, 64, 64)], {"leaf_modules": [Gate]}),
    ]


def bench_shapes() -> None:
    from fxlens.fx import node_table

    print(f"node_table (train + eval traces and shapes), CPU time (process_time), median of {REPEATS}")
    print(f"{'case':<40}{'time':>10}  paths")
    for label, model, inputs, tracer_kwargs in _shape_cases():
        table = node_table(model, inputs, tracer_kwargs=tracer_kwargs)  # warm-up
        runs = []
        for _ in range(REPEATS):
            start = time.process_time()
            node_table(model, inputs, tracer_kwargs=tracer_kwargs)
            runs.append(time.process_time() - start)
        paths = ", ".join(f"{mode} {path}" for mode, path in table.shape_paths)
        failed = f"; {sum(f.missing for f in table.shape_failures)} rows without shape" if table.shape_failures else ""
        print(f"{label:<40}{statistics.median(runs) * 1000:>8.1f}ms  {paths}{failed}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        print(json.dumps(_table_child(sys.argv[2], sys.argv[3])))
    else:
        part = sys.argv[1] if len(sys.argv) > 1 else "all"
        if part in ("names", "all"):
            bench_names()
        if part in ("table", "all"):
            bench_table()
        if part in ("shapes", "all"):
            bench_shapes()
