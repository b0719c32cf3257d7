"""The bounded executor return: what changed, the judge's status line, a capped diff.

Nothing the executor wrote in prose reaches the orchestrator, so what the orchestrator
re-reads on every later turn is bounded by the cap, not by how talkative the executor is.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from engine.tokens import count_text, truncate_to_tokens
from tasks.workspace import TOOL_CACHE_DIRS
from tasks.workspace_files import UnsafeEntry, read_text, regular_files

_SKIP_PARTS = {*TOOL_CACHE_DIRS, ".git", ".venv"}
_MAX_FILE_BYTES = 512 * 1024


def snapshot_tree(root: Path) -> dict[str, str]:
    """Text of every small regular file under `root`, keyed by relative path. The executor
    made this tree: links are never followed (one to `~/.ssh` would put the key in the
    summary), and a FIFO, device or huge file is left out, never read."""
    files = {}
    for relative in regular_files(root, _SKIP_PARTS):
        try:
            files[relative] = read_text(root, relative, _MAX_FILE_BYTES)
        except (UnsafeEntry, OSError):
            continue
    return files


def bounded_result(
    before: dict[str, str], after: dict[str, str], status: str, cap_tokens: int
) -> str:
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    diff = "".join(
        "".join(
            difflib.unified_diff(
                before.get(p, "").splitlines(keepends=True),
                after.get(p, "").splitlines(keepends=True),
                fromfile=f"a/{p}",
                tofile=f"b/{p}",
                n=1,
            )
        )
        for p in changed
    )
    shown = truncate_to_tokens(diff, cap_tokens)
    note = "" if shown == diff else f"\n[diff cut to {cap_tokens} tokens of {count_text(diff)}]"
    files = ", ".join(changed) if changed else "(none)"
    return f"files changed: {files}\njudge: {status}\ndiff:\n{shown}{note}"
