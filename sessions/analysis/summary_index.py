"""The comparison's summary index: one row per session file, kept beside the files.

Reading 10,000 sessions' heads and ends takes seconds; the index makes re-opening a stat
per file plus one JSON read. A file is parsed again only when its size or modification
time changed (or it is new), so building the index costs one pass per new or changed file.
The index is a cache: if it cannot be read it is rebuilt, and if the directory is read-only
the comparison still works, just without saving it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sessions.format import SUFFIX, SessionFileError

INDEX_NAME = ".fep-compare-index.json"
_VERSION = 1


@dataclass
class IndexedRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    parsed: int = 0  # files read this time (new or changed); the rest came from the index


def indexed_rows(directory: Path, row_of: Callable[[Path], dict[str, Any]]) -> IndexedRows:
    """Every session file's row (or its rejection reason), re-reading only what changed."""
    index_path = directory / INDEX_NAME
    old = _load(index_path)
    fresh: dict[str, dict[str, Any]] = {}
    found = IndexedRows()
    with os.scandir(directory) as entries:
        files = sorted(
            (e for e in entries if e.name.endswith(SUFFIX) and e.is_file()), key=lambda e: e.name
        )
    for entry in files:
        stat = entry.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        cached = old.get(entry.name)
        if cached is None or cached.get("stamp") != stamp:
            found.parsed += 1
            try:
                cached = {"stamp": stamp, "row": row_of(Path(entry.path))}
            except (SessionFileError, OSError, UnicodeDecodeError) as exc:
                cached = {"stamp": stamp, "rejected": str(exc)}
        fresh[entry.name] = cached
        if "row" in cached:
            found.rows.append(cached["row"])
        else:
            found.rejected.append(str(cached["rejected"]))
    if found.parsed or set(fresh) != set(old):
        _save(index_path, fresh)
    return found


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _save(path: Path, files: dict[str, dict[str, Any]]) -> None:
    # Written whole to a temporary file and renamed: a reader never sees half an index.
    with contextlib.suppress(OSError):
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".fep-index-")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump({"version": _VERSION, "files": files}, out, separators=(",", ":"))
            os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
