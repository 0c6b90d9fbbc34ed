"""Load a repository script (``benchmarks/``, ``scripts/``) as a module for a test.

They are not part of the package (some download, some drive a browser), so tests load them by
path instead of importing them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relpath: str) -> ModuleType:
    """The module at ``ROOT / relpath``, executed once per call (e.g. ``"benchmarks/bench_degrees.py"``)."""
    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
