"""Codex CLI rollouts imported as session files (source `codex`), each once: a rollout
whose checksum is the one its session file records is not converted again."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from sessions.analysis.claude_code.layout import TraceInputError
from sessions.analysis.claude_code.store import write_session
from sessions.analysis.codex.rollout import convert_rollout, rollout_problem
from sessions.header import parse_header

PREFIX = "codex-"


def default_codex_dir() -> Path:
    """Where Codex CLI keeps sessions: `$CODEX_HOME/sessions`, else `~/.codex/sessions`."""
    home = os.environ.get("CODEX_HOME")
    return (Path(home) if home else Path.home() / ".codex") / "sessions"


def rollouts_under(path: Path) -> list[Path]:
    """A rollout file (checked), or every `rollout-*.jsonl` under a directory."""
    path = path.expanduser()
    if path.is_file():
        problem = rollout_problem(path)
        if problem is not None:
            raise TraceInputError(problem)
        return [path]
    if not path.is_dir():
        raise TraceInputError(f"{path}: no such file or directory")
    return sorted(path.rglob("rollout-*.jsonl"))


@dataclass(frozen=True)
class ImportedRollout:
    rollout: Path
    status: str  # imported, updated, unchanged, skipped
    session_file: Path | None
    problem: str = ""


def import_rollouts(paths: list[Path], directory: Path) -> list[ImportedRollout]:
    results = []
    for rollout in (r for path in paths for r in rollouts_under(path)):
        target = directory / f"{PREFIX}{rollout.stem}.jsonl"
        sha = hashlib.sha256(rollout.read_bytes()).hexdigest()
        if target.exists() and _recorded_sha(target) == sha:
            results.append(ImportedRollout(rollout, "unchanged", target))
            continue
        problem = rollout_problem(rollout)
        if problem is not None:
            results.append(ImportedRollout(rollout, "skipped", None, problem))
            continue
        status = "updated" if target.exists() else "imported"
        write_session(convert_rollout(rollout), target)
        results.append(ImportedRollout(rollout, status, target))
    return results


def _recorded_sha(session: Path) -> str:
    try:
        with session.open("rb") as handle:
            header = parse_header(handle.readline(), session)
    except (OSError, ValueError):
        return ""
    return header.trace.sha256 if header.trace is not None else ""
