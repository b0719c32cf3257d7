"""Where another agent's sessions come in: the `TraceImporter` protocol, the registry the
CLI reads (`fep-tui import NAME`), and the import every importer shares.

An importer finds its agent's session files under a path, says why a file is not one, and
converts one into a trial (a header and events, sessions/analysis/claude_code/convert.py's
`Converted`). Everything after that is fep-tui's own: the session file (secrets masked,
written whole), listing, replay, compare and what-if, none of which asks which agent it
was. Codex CLI is one (sessions/analysis/codex/importer.py). Claude Code keeps an import
of its own (a session is several files, imported on a process pool with an index of
summaries for `traces`), and converts through the same `Converted`.

A new importer is a module that calls `register`; a built-in one is listed in BUILTINS.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sessions.analysis.claude_code.convert import Converted
from sessions.analysis.claude_code.layout import TraceInputError
from sessions.analysis.claude_code.store import write_session
from sessions.header import parse_header

BUILTINS = ("sessions.analysis.codex.importer",)
STATUSES = ("imported", "updated", "unchanged", "skipped")


class TraceImporter(Protocol):
    @property
    def name(self) -> str:
        """The command's name and the session files' prefix: `codex`."""
        ...

    @property
    def tool(self) -> str:
        """The agent as people call it: `Codex CLI`."""
        ...

    def default_root(self) -> Path:
        """Where the agent keeps its sessions."""
        ...

    def sessions_under(self, path: Path) -> list[Path]:
        """One session file (checked: TraceInputError if it is not one), or every one in a
        directory."""
        ...

    def problem(self, path: Path) -> str | None:
        """Why `path` is not one of the agent's sessions, in a sentence; None if it is."""
        ...

    def convert(self, path: Path) -> Converted: ...


_REGISTRY: dict[str, TraceImporter] = {}


def register(importer: TraceImporter) -> TraceImporter:
    _REGISTRY[importer.name] = importer
    return importer


def importers() -> dict[str, TraceImporter]:
    """Every importer: the built-in ones, and any a module registered."""
    for module in BUILTINS:
        importlib.import_module(module)
    return dict(_REGISTRY)


@dataclass(frozen=True)
class ImportedTrace:
    source: Path
    status: str  # one of STATUSES
    session_file: Path | None
    problem: str = ""


def import_traces(
    importer: TraceImporter, paths: list[Path], directory: Path
) -> list[ImportedTrace]:
    """Every session under `paths` as a session file in `directory`, each converted once:
    one whose checksum its session file records is left as it is."""
    results = []
    for source in (s for path in paths for s in importer.sessions_under(path)):
        target = directory / f"{importer.name}-{source.stem}.jsonl"
        sha = hashlib.sha256(source.read_bytes()).hexdigest()
        if target.exists() and _recorded_sha(target) == sha:
            results.append(ImportedTrace(source, "unchanged", target))
            continue
        problem = importer.problem(source)
        if problem is not None:
            results.append(ImportedTrace(source, "skipped", None, problem))
            continue
        status = "updated" if target.exists() else "imported"
        write_session(importer.convert(source), target)
        results.append(ImportedTrace(source, status, target))
    return results


def _recorded_sha(session: Path) -> str:
    try:
        with session.open("rb") as handle:
            header = parse_header(handle.readline(), session)
    except (OSError, ValueError):
        return ""
    return header.trace.sha256 if header.trace is not None else ""


__all__ = ["ImportedTrace", "TraceImporter", "TraceInputError", "import_traces", "register"]
