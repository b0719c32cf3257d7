"""What the judge trusts: the task's own configuration and tests, never the agent's copy.

An agent that cannot fix a task can still try to make the judge say it did: a
`conftest.py` hook that turns failures into passes, `ignore_errors = true` for mypy, an
exclude for ruff, a `.pyi` stub that hides the real signatures, a `.pth` or a module named
`pytest.py` that runs first, a poisoned `__pycache__` or mypy cache. Before every judge run
the protected files are put back as the task provided them and the tools' caches are
removed, and each protected file that differed is named in the verdict.

Protected: every file outside the paths the task lets the agent edit, and inside them every
file that configures or extends the tools (`PROTECTED_NAMES`, `PROTECTED_SUFFIXES`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from pathlib import Path

from tasks.workspace import TOOL_CACHE_DIRS
from tasks.workspace_files import (
    Skipped,
    UnsafeEntry,
    entry_kind,
    read_bytes,
    regular_files,
    remove,
    write_bytes,
)

PROTECTED_NAMES = frozenset(
    {
        "conftest.py",
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "mypy.ini",
        ".mypy.ini",
        "ruff.toml",
        ".ruff.toml",
        "pytest.ini",
        ".pytest.ini",
        "tox.ini",
        "sitecustomize.py",
        "usercustomize.py",
        "py.typed",
    }
)
# A .pth runs code when Python starts; a stub replaces the module it sits beside for mypy.
PROTECTED_SUFFIXES = (".pth", ".pyi")


def is_protected(relative: str, editable: Collection[str]) -> bool:
    top, _, _ = relative.partition("/")
    name = relative.rsplit("/", 1)[-1]
    return top not in editable or name in PROTECTED_NAMES or name.endswith(PROTECTED_SUFFIXES)


def clear_tool_caches(root: Path) -> None:
    """Remove every `__pycache__`, `.mypy_cache`, `.pytest_cache` and `.ruff_cache` below
    `root`: a compiled module or a cache entry the agent wrote would be believed."""
    for parent, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            if name in TOOL_CACHE_DIRS:
                remove(root, os.path.relpath(os.path.join(parent, name), root))
        dirs[:] = [d for d in dirs if d not in TOOL_CACHE_DIRS]


# A file no task tree holds: the judge's tools would spend minutes or gigabytes on it.
MAX_JUDGED_FILE_BYTES = 16 << 20


def remove_unjudgeable(root: Path, skip: Collection[str] = ()) -> list[str]:
    """Remove what would hang or flood the judge's tools: FIFOs (mypy blocks reading one),
    sockets, devices, links that leave the workspace or end anywhere but a file or
    directory inside it, and files over MAX_JUDGED_FILE_BYTES. One problem line for each."""
    problems = []
    base = root.resolve()
    for parent, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in skip and d not in TOOL_CACHE_DIRS]
        for name in [*files, *dirs]:
            path = Path(parent) / name
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            why = None
            if stat.S_ISLNK(info.st_mode):
                target = path.resolve()
                if not target.is_relative_to(base) or not (target.is_file() or target.is_dir()):
                    why = "a symbolic link out of the workspace or to no file"
            elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                why = entry_kind(info.st_mode)
            elif stat.S_ISREG(info.st_mode) and info.st_size > MAX_JUDGED_FILE_BYTES:
                why = f"{info.st_size:,} bytes"
            if why is not None:
                remove(root, relative)
                problems.append(f"{relative} ({why}) was removed before judging")
                if name in dirs:
                    dirs.remove(name)
    return sorted(problems)


def restore_protected(
    root: Path,
    base: Path,
    editable: Collection[str],
    skip: Collection[str] = (),
    owner: tuple[int, int] | None = None,
) -> tuple[str, ...]:
    """Make every protected file of `root` what `base` holds (adding, rewriting or
    removing); the relative paths of those that differed, sorted."""
    skip_names = {*TOOL_CACHE_DIRS, *skip}
    odd: list[Skipped] = []
    present = set(regular_files(root, skip_names, odd))
    provided = set(regular_files(base, skip_names))
    changed = []
    for relative in sorted(present | provided):
        if not is_protected(relative, editable):
            continue
        if relative not in provided:
            remove(root, relative)
            changed.append(relative)
            continue
        wanted = (base / relative).read_bytes()
        try:
            have: bytes | None = read_bytes(root, relative)
        except (UnsafeEntry, OSError):
            have = None
        if have != wanted:
            remove(root, relative)
            mode = stat.S_IMODE((base / relative).stat().st_mode)
            write_bytes(root, relative, wanted, owner, mode)
            changed.append(relative)
    for entry in odd:
        if is_protected(entry.path, editable) or entry.path.rsplit("/", 1)[-1] in PROTECTED_NAMES:
            remove(root, entry.path)
            if entry.path in provided:
                write_bytes(root, entry.path, (base / entry.path).read_bytes(), owner)
            changed.append(entry.path)
    return tuple(sorted(set(changed)))
