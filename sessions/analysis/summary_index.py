"""The comparison's summary index: one row per session file, kept beside the files.

Reading 10,000 sessions' heads and ends takes seconds; the index makes re-opening a stat
per file plus one JSON read. A file is parsed again only when its size or modification
time changed (or it is new), so building the index costs one pass per new or changed file.
The index is a cache: if it cannot be read it is rebuilt, and if the directory is read-only
the comparison still works, just without saving it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from sessions.analysis.trial_row import TrialRow
from sessions.cache_files import load_cache, save_cache
from sessions.format import SUFFIX, SessionFileError

INDEX_NAME = ".fep-compare-index.json"


# 2: rows say whether the executor and the advisor were ever called.
# 3: rows carry the lead's re-read dollars and the rate card's name (fep_tui.analysis).
# 4: rows are TrialRows (roles in one mapping, no dotted columns).
# 5: a role's figures hold its usage as one object.
_VERSION = 5


@dataclass
class IndexedRows:
    rows: list[TrialRow] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    parsed: int = 0  # files read this time (new or changed); the rest came from the index


def indexed_rows(directory: Path, row_of: Callable[[Path], TrialRow]) -> IndexedRows:
    """Every session file's row (or its rejection reason), re-reading only what changed."""
    index_path = directory / INDEX_NAME
    old = load_cache(index_path, _VERSION, "files")
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
        row: TrialRow | None = None
        if cached is None or cached.get("stamp") != stamp:
            found.parsed += 1
            try:
                row = row_of(Path(entry.path))
                cached = {"stamp": stamp, "row": msgspec.to_builtins(row)}
            except (SessionFileError, OSError, UnicodeDecodeError) as exc:
                cached = {"stamp": stamp, "rejected": str(exc)}
        elif "row" in cached:
            row = msgspec.convert(cached["row"], TrialRow)
        fresh[entry.name] = cached
        if row is not None:
            found.rows.append(row)
        else:
            found.rejected.append(str(cached["rejected"]))
    if found.parsed or set(fresh) != set(old):
        save_cache(index_path, _VERSION, "files", fresh)
    return found
