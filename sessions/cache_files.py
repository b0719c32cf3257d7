"""Caches kept beside session files: the compare index and the Claude Code import index
(JSON), and each session's byte-offset index (`NAME.jsonl.idx`, sessions/index_cache.py).

One mechanism for all: each records a version and is thrown away on any other; each is
written whole to a temporary file of its own in the same directory and renamed over the
old one, so a reader never sees half of one and two writers never share a temporary file.
A cache that cannot be read is empty; one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def replace_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> bool:
    """`write` fills a new file that then replaces `path`; False (and `path` untouched)
    when the directory cannot be written."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError:
        return False
    try:
        # mkstemp makes it private (0600); a cache beside shared sessions is read by
        # whoever may read the sessions, as before.
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, path)
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def load_cache(path: Path, version: int, key: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != version:
        return {}
    entries = data.get(key)
    return entries if isinstance(entries, dict) else {}


def save_cache(path: Path, version: int, key: str, entries: dict[str, dict[str, Any]]) -> None:
    document = json.dumps({"version": version, key: entries}, separators=(",", ":"))
    replace_atomically(path, lambda out: out.write(document.encode()))
