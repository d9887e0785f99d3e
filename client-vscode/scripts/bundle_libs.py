"""Bundles the fxlens server into ``bundled/libs`` so that the extension runs it with any CPython the
user has selected, without installing anything there (as Microsoft's Python tool extensions do).

Downloads the wheels of ``bundle-requirements.txt`` (a pinned closure) for each CPython version
(``pip download --no-deps``, binary wheels only, for this machine's platform unless ``--platform``
is given; the requirements' markers evaluated for that version), unpacks them all
into ``bundled/libs`` (a native module's builds for several versions lie side by side:
``_binding.cpython-310-….so``, ``_binding.cpython-311-….so``), and copies this checkout's
``server/fxlens`` beside them. The result goes into a platform-specific ``.vsix``. With
``--drop-caches`` it only removes the ``__pycache__`` folders that running the bundle left (the
``.vsix`` must not carry them; ``.vscodeignore`` cannot exclude them inside an included folder).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

HERE = Path(__file__).resolve().parent
CLIENT = HERE.parent
LIBS = CLIENT / "bundled" / "libs"
REQUIREMENTS = HERE / "bundle-requirements.txt"
SERVER_PACKAGE = CLIENT.parent / "server" / "fxlens"
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
MANIFEST = "fxlens-bundle.json"


def requirements_for(version: str) -> list[str]:
    """The pinned requirements whose markers hold for CPython ``version``, without their markers."""
    environment = {"python_version": version, "python_full_version": f"{version}.0", "implementation_name": "cpython"}
    lines = (line.split("#")[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    wanted = [Requirement(line) for line in lines if line]
    return [f"{r.name}{r.specifier}" for r in wanted if r.marker is None or r.marker.evaluate(environment)]


def download(version: str, platforms: list[str], into: Path) -> list[Path]:
    """The wheels of the requirements for CPython ``version`` (binary only, exactly the pinned ones)."""
    target = into / version
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:"]
    command += ["--no-deps", "--implementation", "cp", "--python-version", version, "--dest", str(target)]
    command += requirements_for(version)
    for platform in platforms:
        command += ["--platform", platform]
    subprocess.run(command, check=True)
    return sorted(target.glob("*.whl"))


def bundle(versions: list[str], platforms: list[str]) -> dict[str, object]:
    """Rebuild ``bundled/libs``; returns what it holds (also written to its ``fxlens-bundle.json``)."""
    if LIBS.exists():
        shutil.rmtree(LIBS)
    LIBS.mkdir(parents=True)
    wheels: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="fxlens-wheels-") as scratch:
        for version in versions:
            found = download(version, platforms, Path(scratch))
            wheels[version] = [wheel.name for wheel in found]
            for wheel in found:
                with zipfile.ZipFile(wheel) as archive:
                    archive.extractall(LIBS)
    shutil.copytree(SERVER_PACKAGE, LIBS / "fxlens", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    manifest = {"pythonVersions": versions, "platforms": platforms or ["this machine's"], "wheels": wheels}
    (LIBS / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def drop_caches() -> int:
    """Remove the bytecode caches under ``bundled/libs``; returns how many folders went."""
    caches = [path for path in LIBS.rglob("__pycache__") if path.is_dir()] if LIBS.exists() else []
    for cache in caches:
        shutil.rmtree(cache)
    return len(caches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-versions", nargs="+", default=list(PYTHON_VERSIONS), metavar="X.Y")
    parser.add_argument(
        "--platform", action="append", default=[], help="pip platform tag, e.g. manylinux2014_x86_64 (repeatable)"
    )
    parser.add_argument("--drop-caches", action="store_true", help="only remove __pycache__ folders from the bundle")
    args = parser.parse_args(argv)
    if args.drop_caches:
        print(f"removed {drop_caches()} __pycache__ folders from {LIBS}")
        return 0
    manifest = bundle(args.python_versions, args.platform)
    count = sum(len(names) for names in manifest["wheels"].values())  # type: ignore[union-attr]
    print(f"bundled {count} wheels for CPython {', '.join(args.python_versions)} and fxlens into {LIBS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
