"""`fep-tui import codex PATH...`: Codex CLI sessions as session files (source `codex`),
to list, replay, compare and re-price as any other; nothing under ~/.codex is written."""

from __future__ import annotations

import json as json_module
from pathlib import Path

from fep_tui.commands.common import say_imported
from fep_tui.commands.options import Json, SessionsDir, UsageError
from sessions.analysis.claude_code.layout import TraceInputError
from sessions.store import resolve_sessions_dir

_STATUSES = ("imported", "updated", "unchanged", "skipped")


def import_codex(
    paths: list[Path] | None = None, /, *, json: Json = False, sessions_dir: SessionsDir = None
) -> int:
    """Import Codex CLI sessions as session files; an unchanged one is skipped.

    Parameters
    ----------
    paths
        a rollout (.jsonl) or a directory of them (default: $CODEX_HOME/sessions, else
        ~/.codex/sessions)
    """
    from sessions.analysis.codex.store import default_codex_dir, import_rollouts

    given = paths or [default_codex_dir()]
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    try:
        results = import_rollouts(given, directory)
    except TraceInputError as exc:
        raise UsageError(str(exc)) from None
    if not results:
        raise UsageError(
            f"no Codex CLI sessions under {', '.join(map(str, given))}; pass a rollout-*.jsonl "
            "or a directory holding them"
        )
    if json:
        for result in results:
            row = {
                "rollout": str(result.rollout),
                "status": result.status,
                "session_file": str(result.session_file or ""),
            }
            print(json_module.dumps(row | ({"problem": result.problem} if result.problem else {})))
        return 0
    say_imported(results, _STATUSES, directory)
    return 0
