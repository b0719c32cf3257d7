"""Fresh, throw-away copies of a task's tree: trials never touch the user's files."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from tasks.model import Fix
from tasks.processes import process_alive
from tasks.workspace_files import Skipped, UnsafeEntry, read_bytes, regular_files

# What the judge's tools leave behind in a tree; never part of a task or a change.
TOOL_CACHE_DIRS = ("__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache")
_IGNORED = shutil.ignore_patterns(*TOOL_CACHE_DIRS)


def fresh_workspace(task_id: str) -> Path:
    """An empty temporary directory for one trial of `task_id`, named with this process's
    pid so that what a killed fep-tui left behind can be found and removed."""
    sweep_leftover_workspaces()
    return Path(tempfile.mkdtemp(prefix=f"fep-{task_id}-{os.getpid()}-"))


_WORKSPACE_NAME = re.compile(r"^fep-[A-Za-z0-9_]+-(\d+)-[^/]+$")


def sweep_leftover_workspaces(directory: Path | None = None) -> list[Path]:
    """Remove the workspaces (and their private HOMEs) of fep-tui processes that are gone:
    kill -9 or a crash skips the trial's own clean-up. Those of live processes, and names
    that are not ours, are left alone."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory or tempfile.gettempdir()):
            match = _WORKSPACE_NAME.match(entry.name)
            if match is None or not entry.is_dir(follow_symlinks=False):
                continue
            if process_alive(int(match.group(1))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def copy_tree(source: Path, root: Path) -> None:
    shutil.copytree(source, root, ignore=_IGNORED, dirs_exist_ok=True)


def remove_workspace(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


def tree_digest(root: Path, subdir: str) -> dict[str, str]:
    """sha256 of every file under `root/subdir`, keyed by its path relative to `root`.
    Read without following links (the agent made the tree): a link, FIFO or device is
    digested as what it is, never as what it points to."""
    if not (root / subdir).is_dir() or (root / subdir).is_symlink():
        return {subdir: "not a directory"}
    odd: list[Skipped] = []
    digests = {}
    for relative in regular_files(root / subdir, TOOL_CACHE_DIRS, odd):
        try:
            data = read_bytes(root / subdir, relative)
        except (UnsafeEntry, OSError) as exc:
            data = f"unreadable: {exc}".encode()
        digests[f"{subdir}/{relative}"] = hashlib.sha256(data).hexdigest()
    for entry in odd:
        digests[f"{subdir}/{entry.path}"] = entry.why
    return dict(sorted(digests.items()))


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
