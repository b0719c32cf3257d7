"""The session index, kept beside its file (`NAME.jsonl.idx`) so a re-open skips the scan
(written as every cache is: sessions/cache_files.py).

The cache holds the offset and time arrays and the raw skeleton lines, which are re-parsed
on load: plain data, never pickle, since session directories get shared. It is valid only
for the exact file it was built from (size and modification time); anything else, or any
damage, means a rebuild. Failing to write it is never an error.
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path
from typing import IO, Any

from engine.events import EventFormatError, decode_event
from sessions.cache_files import replace_atomically
from sessions.format import SessionFileError
from sessions.header import parse_header
from sessions.index import SessionIndex
from sessions.timeline import Timeline

CACHE_VERSION = 2
SUFFIX = ".idx"


def cache_path(session: Path) -> Path:
    return session.with_name(session.name + SUFFIX)


def is_index_file(path: Path) -> bool:
    """Whether `path` is the index kept beside a session (`X.jsonl.idx`), which a glob
    such as `sessions/*` catches along with the sessions themselves."""
    return path.name.endswith(".jsonl" + SUFFIX)


def open_index(path: Path) -> SessionIndex:
    """The index of `path`, from its cache when that is current, else built and cached."""
    cached = load(path)
    if cached is not None:
        return cached
    index = SessionIndex.build(path)
    save(index)
    return index


def save(index: SessionIndex) -> bool:
    try:
        stat = index.path.stat()
        skeleton = index.timeline.skeleton_positions()
        lines = [line for _, line in index.raw_lines(skeleton)]
    except OSError:
        return False
    meta = {
        "version": CACHE_VERSION,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "length": index.length,
        "data_end": index.data_end,
        "problems": index.problems,
        "skeleton": len(skeleton),
    }

    def write(out: IO[bytes]) -> None:
        out.write(json.dumps(meta).encode() + b"\n")
        index.offsets.tofile(out)
        index.times.tofile(out)
        array("q", skeleton).tofile(out)
        out.write(b"\n".join(lines))

    return replace_atomically(cache_path(index.path), write)


def load(path: Path) -> SessionIndex | None:
    target = cache_path(path)
    try:
        stat = path.stat()
        with target.open("rb") as handle:
            meta: dict[str, Any] = json.loads(handle.readline())
            if (meta.get("version"), meta.get("size"), meta.get("mtime_ns")) != (
                CACHE_VERSION,
                stat.st_size,
                stat.st_mtime_ns,
            ):
                return None
            length, skeleton_count = int(meta["length"]), int(meta["skeleton"])
            offsets, times, skeleton = array("q"), array("d"), array("q")
            offsets.fromfile(handle, length)
            times.fromfile(handle, length)
            skeleton.fromfile(handle, skeleton_count)
            lines = handle.read().split(b"\n") if skeleton_count else []
        with path.open("rb") as session:
            header = parse_header(session.readline(), path)
        timeline = Timeline(header)
        for position, line in zip(skeleton, lines, strict=True):
            if not timeline.add_line(position, line):
                timeline.add(position, decode_event(line))
        timeline.length = length
        return SessionIndex(
            path, header, offsets, times, int(meta["data_end"]), timeline, list(meta["problems"])
        )
    except (OSError, ValueError, KeyError, EOFError, EventFormatError, SessionFileError, TypeError):
        return None
