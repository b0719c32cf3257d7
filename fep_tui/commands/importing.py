"""`fep-tui import NAME [PATH...]` for every TraceImporter (sessions/analysis/importers.py):
the command is made from the importer, so a new importer needs no change here."""

from __future__ import annotations

import json as json_module
from collections.abc import Callable
from pathlib import Path

from fep_tui.commands.common import say_imported
from fep_tui.commands.options import Json, SessionsDir, UsageError
from sessions.analysis.importers import (
    STATUSES,
    TraceImporter,
    TraceInputError,
    import_traces,
)
from sessions.store import resolve_sessions_dir


def import_command(importer: TraceImporter) -> Callable[..., int]:
    def run(
        paths: list[Path] | None = None,
        /,
        *,
        json: Json = False,
        sessions_dir: SessionsDir = None,
    ) -> int:
        given = paths or [importer.default_root()]
        directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
        try:
            results = import_traces(importer, given, directory)
        except TraceInputError as exc:
            raise UsageError(str(exc)) from None
        if not results:
            raise UsageError(
                f"no {importer.tool} sessions under {', '.join(map(str, given))}; pass a "
                "session file or a directory holding them"
            )
        if json:
            for result in results:
                row = {
                    "source": str(result.source),
                    "status": result.status,
                    "session_file": str(result.session_file or ""),
                }
                if result.problem:
                    row["problem"] = result.problem
                print(json_module.dumps(row))
            return 0
        say_imported(results, STATUSES, directory)
        return 0

    run.__doc__ = (
        f"Import {importer.tool} sessions as session files; an unchanged one is skipped.\n\n"
        "Parameters\n----------\npaths\n"
        f"    a session file or a directory of them (default: {shown_root(importer)})\n"
    )
    return run


def shown_root(importer: TraceImporter) -> str:
    """The importer's default directory as help shows it: under `~`, not this user's home."""
    root = str(importer.default_root())
    home = str(Path.home())
    return "~" + root[len(home) :] if root.startswith(home + "/") else root
