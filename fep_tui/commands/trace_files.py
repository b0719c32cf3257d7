"""A trace opened directly (`replay TRANSCRIPT`, `whatif ROLLOUT`): converted into
fep-tui's cache directory, never into the sessions directory (opening imports nothing)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from fep_tui.commands.options import UsageError
from sessions.analysis.claude_code.store import import_sessions
from sessions.format import FORMAT_NAME


def trace_session(transcript: Path) -> Path:
    """The session file of a Claude Code transcript, converted into fep-tui's cache
    directory (not the sessions directory: opening a transcript imports nothing)."""
    cache = Path(platformdirs.user_cache_dir("fep-tui")) / "claude-code"
    cache.mkdir(parents=True, exist_ok=True)
    [result] = import_sessions([transcript], cache)
    if result.summary is None:
        raise UsageError(result.problem or f"{transcript}: could not be read as a transcript")
    return Path(result.summary.session_file)


def other_trace_session(path: Path) -> Path | None:
    """The session file of another agent's session (a registered importer's, such as a
    Codex rollout), converted into the cache directory; None when no importer takes it.
    A fep-tui session file, the usual case, is told by its first line, before any importer
    (and the converters they bring) is loaded."""
    with path.open("rb") as handle:
        if f'"{FORMAT_NAME}"'.encode() in handle.readline():
            return None
    from sessions.analysis.importers import import_traces, importers

    for importer in importers().values():
        if importer.problem(path) is None:
            cache = Path(platformdirs.user_cache_dir("fep-tui")) / importer.name
            cache.mkdir(parents=True, exist_ok=True)
            [result] = import_traces(importer, [path], cache)
            return result.session_file
    return None
