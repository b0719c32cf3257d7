"""Small JSON caches kept beside session files (the compare index, the Claude Code import
index): read whole, written whole to a temporary file and renamed, so a reader never sees
half of one. A cache that cannot be read is empty; one that cannot be written is skipped."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


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
    with contextlib.suppress(OSError):
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".fep-index-")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump({"version": version, key: entries}, out, separators=(",", ":"))
            os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
