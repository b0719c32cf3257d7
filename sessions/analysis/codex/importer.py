"""Codex CLI as a TraceImporter (sessions/analysis/importers.py): rollouts under
`$CODEX_HOME/sessions`, else `~/.codex/sessions`."""

from __future__ import annotations

import os
from pathlib import Path

from sessions.analysis.claude_code.convert import Converted
from sessions.analysis.claude_code.layout import TraceInputError
from sessions.analysis.codex.rollout import convert_rollout, rollout_problem
from sessions.analysis.importers import register


class CodexImporter:
    name = "codex"
    tool = "Codex CLI"

    def default_root(self) -> Path:
        home = os.environ.get("CODEX_HOME")
        return (Path(home) if home else Path.home() / ".codex") / "sessions"

    def sessions_under(self, path: Path) -> list[Path]:
        path = path.expanduser()
        if path.is_file():
            problem = rollout_problem(path)
            if problem is not None:
                raise TraceInputError(problem)
            return [path]
        if not path.is_dir():
            raise TraceInputError(f"{path}: no such file or directory")
        return sorted(path.rglob("rollout-*.jsonl"))

    def problem(self, path: Path) -> str | None:
        return rollout_problem(path)

    def convert(self, path: Path) -> Converted:
        return convert_rollout(path)


CODEX = register(CodexImporter())
