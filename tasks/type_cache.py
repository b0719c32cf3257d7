"""A mypy cache of a task's clean tree, built once per machine and copied into each trial.

A fresh workspace has no `.mypy_cache`, so the first `mypy` of every trial type-checked
the standard library's stubs again: 1.0 s on the small task, 0.25 s from a copied cache.
mypy's cache is
keyed by each file's content, so a copy made from the clean tree is only ever a head start:
files the task broke, or the agent changed, are checked again, and the output is the same
as from a cold run. A cache that cannot be built is skipped: mypy then runs cold, as before.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from filelock import FileLock

from tasks.data import data_dir
from tasks.workspace import copy_tree, tree_digest

CACHE_DIR = ".mypy_cache"


def seed_mypy_cache(root: Path, clean: Path, packages: tuple[str, ...]) -> None:
    """Give `root` (a copy of `clean`) the mypy cache of `clean`'s `packages`."""
    cache = _built(clean, packages)
    if cache is not None:
        shutil.copytree(cache, root / CACHE_DIR, dirs_exist_ok=True)


def _built(clean: Path, packages: tuple[str, ...]) -> Path | None:
    key = hashlib.sha256(
        repr(
            (sys.version, version("mypy"), packages, [tree_digest(clean, p) for p in packages])
        ).encode()
    ).hexdigest()[:16]
    target = data_dir() / "mypy-caches" / f"{clean.name}-{key}"
    if target.is_dir():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(target.parent / f"{target.name}.lock"):
            if target.is_dir():  # built by another trial while this one waited
                return target
            with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
                tree = Path(scratch) / "tree"
                copy_tree(clean, tree)
                subprocess.run(
                    [sys.executable, "-m", "mypy", *packages],
                    cwd=tree,
                    capture_output=True,
                    timeout=300,
                    check=False,
                )
                if not (tree / CACHE_DIR).is_dir():
                    return None
                (tree / CACHE_DIR).rename(target)
    except (OSError, subprocess.SubprocessError):
        return None
    return target
