"""The table cache: keys follow file contents and versions; memory LRU; durable results on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fxlens.nodes import NodeInfo, NodeTable, Problem
from fxlens.worker.cache import TableCache, cache_key, default_cache_dir, normalize_path
from fxlens.workspace.spec import ModelSpec

VERSIONS = {"torch": "2.14.1", "torchvision": "0.29.1", "timm": None, "fxlens": "0.1.0"}
TABLE = NodeTable(
    "m.Net", train=(NodeInfo("x", "placeholder", "input"),), eval=(NodeInfo("x", "placeholder", "input"),)
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name, text in {"net.py": "from blocks import B\n", "blocks.py": "B = 1\n", "other.py": "O = 1\n"}.items():
        (tmp_path / name).write_text(text)
        paths[name] = str(tmp_path / name)
    return paths


def spec_for(files: dict[str, str]) -> ModelSpec:
    return ModelSpec(
        "workspace", "net", "Net", "Net", file=files["net.py"], workspace_root=str(Path(files["net.py"]).parent)
    )


def key(files: dict[str, str], overlays: dict[str, str] | None = None, versions=VERSIONS) -> str:
    overlays = {normalize_path(p): t for p, t in (overlays or {}).items()}
    return cache_key(spec_for(files), [files["net.py"], files["blocks.py"]], overlays, versions)


def test_editing_an_imported_file_changes_the_key_and_an_unrelated_file_does_not(files):
    before = key(files)
    Path(files["other.py"]).write_text("O = 2\n")
    assert key(files) == before
    Path(files["blocks.py"]).write_text("B = 2\n")
    assert key(files) != before


def test_unsaved_text_counts_and_saving_the_same_text_keeps_the_key(files):
    edited = key(files, overlays={files["blocks.py"]: "B = 3\n"})
    assert edited != key(files)
    Path(files["blocks.py"]).write_text("B = 3\n")
    assert key(files) == edited


def test_the_model_file_counts_even_when_not_listed(files):
    spec = spec_for(files)
    before = cache_key(spec, [], {}, VERSIONS)
    Path(files["net.py"]).write_text("class Net: pass\n")
    assert cache_key(spec, [], {}, VERSIONS) != before


def test_a_different_torch_or_fxlens_gives_a_different_key(files):
    assert key(files, versions={**VERSIONS, "torch": "2.15.0"}) != key(files)
    assert key(files, versions={**VERSIONS, "fxlens": "0.2.0"}) != key(files)


def test_memory_keeps_the_most_recently_used():
    cache = TableCache(None, capacity=2)
    cache.put("a", TABLE)
    cache.put("b", TABLE)
    assert cache.get("a") == TABLE  # now b is the least recently used
    cache.put("c", TABLE)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (TABLE, None, TABLE)


def test_tables_and_code_problems_survive_a_restart_and_environment_problems_do_not(tmp_path):
    trace_error = Problem("trace", "TraceError: control flow")
    timeout = Problem("timeout", "took longer than 30 s")
    first = TableCache(tmp_path)
    first.put("table", TABLE)
    first.put("trace", trace_error)
    first.put("timeout", timeout)
    assert first.get("timeout") == timeout
    restarted = TableCache(tmp_path)
    assert (restarted.get("table"), restarted.get("trace"), restarted.get("timeout")) == (TABLE, trace_error, None)


def test_an_unreadable_or_outdated_file_is_a_miss(tmp_path):
    (tmp_path / "garbled.json").write_text("{not json")
    (tmp_path / "old.json").write_text(json.dumps({"format": 0, "table": TABLE.to_json()}))
    cache = TableCache(tmp_path)
    assert (cache.get("garbled"), cache.get("old")) == (None, None)
    assert not (tmp_path / "garbled.json").exists()


def test_the_directory_keeps_at_most_disk_capacity_files(tmp_path):
    cache = TableCache(tmp_path, disk_capacity=3)
    for name in "abcde":
        cache.put(name, TABLE)
    assert len(list(tmp_path.glob("*.json"))) == 3
    assert not list(tmp_path.glob("*.tmp"))


def test_the_default_directory_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "fxlens" / "tables"
