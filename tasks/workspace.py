"""Fresh, throw-away copies of a task's tree: trials never touch the user's files."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tasks.model import Fix

# What the judge's tools leave behind in a tree; never part of a task or a change.
TOOL_CACHE_DIRS = ("__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache")
_IGNORED = shutil.ignore_patterns(*TOOL_CACHE_DIRS)


def fresh_workspace(task_id: str) -> Path:
    """An empty temporary directory for one trial of `task_id`."""
    return Path(tempfile.mkdtemp(prefix=f"fep-{task_id}-"))


def copy_tree(source: Path, root: Path) -> None:
    shutil.copytree(source, root, ignore=_IGNORED, dirs_exist_ok=True)


def remove_workspace(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


def tree_digest(root: Path, subdir: str) -> dict[str, str]:
    """sha256 of every file under `root/subdir`, keyed by its path relative to `root`."""
    base = root / subdir
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(base.rglob("*"))
        if path.is_file() and not set(TOOL_CACHE_DIRS).intersection(path.parts)
    }


def apply_replacement(path: Path, old: str, new: str) -> None:
    """Replace the single occurrence of `old`; a task whose anchor is not unique is a bug."""
    text = path.read_text()
    count = text.count(old)
    if count != 1:
        raise ValueError(f"{path}: expected exactly one occurrence of anchor, found {count}")
    path.write_text(text.replace(old, new))


def apply_fixes(root: Path, fixes: Iterable[Fix]) -> None:
    """Apply a task's reference edits as the scripted agents would, without an agent."""
    for fix in fixes:
        path = root / fix.path
        if not fix.broken:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fix.original)
        else:
            apply_replacement(path, fix.broken, fix.original)
