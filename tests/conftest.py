"""Shared test configuration: the repository's ``tests`` directory is importable for helpers."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
