"""Reading and writing a workspace from fep-tui's own process, where the agent made the tree.

fep-tui runs as the user (or root) outside the sandbox, so anything it reads there on the
agent's behalf must not follow what the agent planted: a link to `~/.ssh/id_ed25519` or
`/proc/self/environ` would carry the user's secrets into a summary and a session file, a
link to `/dev/zero` would fill memory, and a FIFO would hang the read forever. Every path
is opened one component at a time below the workspace with O_NOFOLLOW, only regular files
are read, never past a size cap, and bytes are decoded with replacement. What is skipped is
named, so a report can say so.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# No file the judge or a summary needs is larger; the agent's 1 GiB file is not read.
MAX_READ_BYTES = 4 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafeEntry(OSError):
    """Not a regular file inside the workspace: a link, FIFO, device, socket or directory
    where a file was expected, or a file over the cap."""


@dataclass(frozen=True)
class Skipped:
    path: str
    why: str


def _parts(relative: str | PurePosixPath) -> tuple[str, ...]:
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] == "/" or ".." in parts:
        raise UnsafeEntry(f"{relative}: not a path inside the workspace")
    return tuple(p for p in parts if p != ".")


def _open_parent(root: Path, parts: tuple[str, ...], make: bool, mode: int = 0o755) -> int:
    """A descriptor of the directory holding the last of `parts`, reached without links."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            if make:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, mode, dir_fd=fd)
            try:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise UnsafeEntry(f"{part}: not a directory inside the workspace") from exc
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def entry_kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return word
    return "not a regular file"


def read_bytes(root: Path, relative: str | PurePosixPath, cap: int = MAX_READ_BYTES) -> bytes:
    """The bytes of a regular file below `root`; UnsafeEntry for anything else."""
    parts = _parts(relative)
    parent = _open_parent(root, parts, make=False)
    try:
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=parent)  # fmt: skip
        except OSError as exc:
            if exc.errno == 40:  # ELOOP: the last component is a link
                raise UnsafeEntry(f"{relative} is a symbolic link") from exc
            raise
    finally:
        os.close(parent)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeEntry(f"{relative} is {entry_kind(info.st_mode)}")
        if info.st_size > cap:
            raise UnsafeEntry(f"{relative} is {info.st_size:,} bytes, over {cap:,}")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise UnsafeEntry(f"{relative} is over {cap:,} bytes")
    return data


def read_text(root: Path, relative: str | PurePosixPath, cap: int = MAX_READ_BYTES) -> str:
    return read_bytes(root, relative, cap).decode(errors="replace")


def write_bytes(
    root: Path,
    relative: str | PurePosixPath,
    data: bytes,
    owner: tuple[int, int] | None = None,
    mode: int | None = None,
) -> None:
    """Write a regular file below `root`, making its directories; never through a link.
    `owner`: who gets what this makes (the sandbox's user, when root runs fep-tui)."""
    parts = _parts(relative)
    parent = _open_parent(root, parts, make=True)
    try:
        if owner is not None:
            _chown_made(root, parts, owner)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            fd = os.open(parts[-1], flags | os.O_CLOEXEC, 0o644, dir_fd=parent)
        except OSError as exc:
            if exc.errno == 40:
                raise UnsafeEntry(f"{relative} is a symbolic link") from exc
            raise
        with os.fdopen(fd, "wb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise UnsafeEntry(f"{relative} is {entry_kind(info.st_mode)}")
            handle.write(data)
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            if owner is not None:
                os.fchown(handle.fileno(), *owner)
    finally:
        os.close(parent)


def _chown_made(root: Path, parts: tuple[str, ...], owner: tuple[int, int]) -> None:
    for depth in range(1, len(parts)):
        os.chown(root.joinpath(*parts[:depth]), *owner, follow_symlinks=False)


def regular_files(
    root: Path, skip_names: Collection[str] = (), skipped: list[Skipped] | None = None
) -> Iterator[str]:
    """Every regular file below `root` as a relative POSIX path, sorted per directory.
    Links are never followed; they and every other kind of entry go to `skipped`."""
    stack = [""]
    while stack:
        prefix = stack.pop()
        try:
            entries = sorted(os.scandir(root / prefix if prefix else root), key=lambda e: e.name)
        except OSError:
            continue
        directories = []
        for entry in entries:
            relative = f"{prefix}{entry.name}"
            if entry.name in skip_names:
                continue
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                directories.append(relative + "/")
            elif stat.S_ISREG(mode):
                yield relative
            elif skipped is not None:
                skipped.append(Skipped(relative, entry_kind(mode)))
        stack.extend(reversed(directories))


def remove(root: Path, relative: str | PurePosixPath) -> None:
    """Remove a file, link or tree below `root` without following links."""
    parts = _parts(relative)
    parent = _open_parent(root, parts, make=False)
    try:
        try:
            info = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(root.joinpath(*parts), ignore_errors=True)
        else:
            os.unlink(parts[-1], dir_fd=parent)
    finally:
        os.close(parent)
