"""Record `truth.json`: run every file of `workspace/` with real torch, torchvision and timm on CPU.

    python3 tests/realworld/record_truth.py [--check]

Each top-level statement of each workspace file runs on its own (a statement that raises, as the
workspace's deliberate mistakes do, is reported and the next one runs), with a time limit, as
`__main__` (so `if __name__ == "__main__":` blocks run too, statement by statement). Nothing is
downloaded: `torch.hub.load("pytorch/vision", ...)` is mapped to torchvision's builder and a weights
enum builds the architecture without loading its weights (see PATCHES). `--check` compares with the
committed `truth.json` instead of writing it.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import platform
import re
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE / "workspace"
TRUTH = HERE / "truth.json"
STATEMENT_SECONDS = 120
SCALAR_LIST = re.compile(r'\[\n(?:\s*(?:"(?:[^"\\\n]|\\.)*"|-?[\d.e+-]+|true|false|null),?\n)+\s*\]')

PATCHES = [
    "torch.hub.load('pytorch/vision[:ref]', NAME, **kwargs) calls torchvision.models.get_model(NAME, **kwargs); "
    "any other repository raises",
    "torchvision.models._api.WeightsEnum.get_state_dict returns an empty marker and nn.Module.load_state_dict "
    "ignores that marker: a weights enum builds its architecture with random parameters, nothing is downloaded",
    "torchvision's NodePathTracer is a subclass that remembers its instances (to name the node behind each key)",
    "create_feature_extractor / get_graph_node_names of torchvision and timm are wrapped: the originals run unchanged",
]


class _NotDownloaded(dict):
    """What a weights enum gives instead of downloaded weights."""


def install_patches(recorder_factory: Any) -> Any:
    """Apply PATCHES (timm is imported first, so its own calls reach torchvision's originals)."""
    import timm.models
    import timm.models._features_fx as timm_fx
    import torch
    import torchvision
    import torchvision.models._api as weights_api
    import torchvision.models.feature_extraction as tv_fx
    from recorder import RecordingTracer
    from torch import nn

    def hub_load(repo: str, model: str, *args: Any, **kwargs: Any) -> nn.Module:
        if repo.split(":")[0] != "pytorch/vision":
            raise RuntimeError(f"the recorder has no network: torch.hub.load({repo!r}) cannot be recorded")
        return torchvision.models.get_model(model, *args, **kwargs)

    original_load = nn.Module.load_state_dict

    def load_state_dict(self: nn.Module, state_dict: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(state_dict, _NotDownloaded):
            return nn.modules.module._IncompatibleKeys([], [])
        return original_load(self, state_dict, *args, **kwargs)

    torch.hub.load = hub_load
    weights_api.WeightsEnum.get_state_dict = lambda self, *args, **kwargs: _NotDownloaded()
    nn.Module.load_state_dict = load_state_dict
    tv_fx.NodePathTracer = RecordingTracer

    recorder = recorder_factory(tv_fx.create_feature_extractor, tv_fx.get_graph_node_names)

    def timm_kwargs() -> dict:
        return {
            "leaf_modules": list(timm_fx.get_notrace_modules()),
            "autowrap_functions": list(timm_fx.get_notrace_functions()),
        }

    for module, library, kwargs in ((tv_fx, "torchvision", lambda: None), (timm_fx, "timm", timm_kwargs)):
        for name in ("create_feature_extractor", "get_graph_node_names"):
            wrapped = recorder.wrap(getattr(module, name), library, kwargs)
            setattr(module, name, wrapped)
            if module is timm_fx:
                setattr(timm.models, name, wrapped)
    return recorder


def run_file(path: Path) -> None:
    """Run ``path`` as ``__main__``, one top-level statement at a time."""
    import torch

    torch.manual_seed(0)
    tree = ast.parse(path.read_text(), filename=str(path))
    scope = {"__name__": "__main__", "__file__": str(path), "__builtins__": builtins}
    for statement in _statements(tree.body):
        code = compile(ast.Module(body=[statement], type_ignores=[]), str(path), "exec")
        signal.alarm(STATEMENT_SECONDS)
        try:
            exec(code, scope)
        except Exception as error:  # noqa: BLE001 - the workspace's mistakes raise anything; the next statement runs
            where = f"{path.relative_to(WORKSPACE)}:{statement.lineno}"
            print(f"  {where}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        finally:
            signal.alarm(0)


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, with the body of `if __name__ == "__main__":` spliced in."""
    found = []
    for statement in body:
        if isinstance(statement, ast.If) and ast.unparse(statement.test) in ("__name__ == '__main__'",):
            found += _statements(statement.body)
        else:
            found.append(statement)
    return found


def _timeout(signum: int, frame: Any) -> None:
    raise TimeoutError(f"a statement ran longer than {STATEMENT_SECONDS} s")


def record() -> dict:
    """Run the workspace and return the truth (raises when a marked call or extractor never ran)."""
    sys.path[:0] = [str(HERE), str(WORKSPACE)]
    sys.dont_write_bytecode = True
    from markers import read_markers, workspace_files
    from recorder import Recorder

    markers = read_markers(WORKSPACE)
    recorder = install_patches(lambda create, names: Recorder(markers, str(WORKSPACE), create, names))
    signal.signal(signal.SIGALRM, _timeout)
    warnings.simplefilter("ignore")
    for path in workspace_files(WORKSPACE):
        if path.parent == WORKSPACE or path.parent.name != "pkg":
            started = time.perf_counter()
            run_file(path)
            print(f"{path.relative_to(WORKSPACE)}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    problems = recorder.unfinished()
    if problems:
        raise SystemExit("the recording is incomplete:\n  " + "\n  ".join(problems))
    for call_id, span in markers.literals.items():
        recorder.calls[call_id]["literals"] = [s.to_json() for s in span]
    return {
        "recorded_with": _versions(),
        "patches": PATCHES,
        "calls": {i: recorder.calls[i] for i in markers.calls},
        "models": dict(sorted(recorder.models.items())),
    }


def _versions() -> dict[str, str]:
    import timm
    import torch
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "timm": timm.__version__,
    }


def dump(truth: dict) -> str:
    """JSON with one field per line and each list of plain values (names, shapes) on one line."""
    return SCALAR_LIST.sub(lambda m: json.dumps(json.loads(m.group(0))), json.dumps(truth, indent=1)) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with truth.json instead of writing it")
    args = parser.parse_args()
    started = time.perf_counter()
    text = dump(record())
    print(f"recorded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.check:
        same = TRUTH.exists() and TRUTH.read_text() == text
        print("truth.json is up to date" if same else "truth.json differs from a fresh recording", file=sys.stderr)
        return 0 if same else 1
    TRUTH.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
