"""`fep-tui sessions list`: the saved sessions, as a table or one JSON object each."""

from __future__ import annotations

from json import dumps
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fep_tui.commands.options import Json, SessionsDir
from sessions import list_sessions
from sessions.store import sessions_dir_to_read

# Wide enough for any row: Rich sizes a table to its content, so nothing is padded.
PIPE_WIDTH = 1000


def list_saved(*, json: Json = False, sessions_dir: SessionsDir = None) -> int:
    """List saved sessions, newest first (a read-only directory is fine)."""
    directory = sessions_dir_to_read(str(sessions_dir) if sessions_dir else None)
    summaries, rejected = list_sessions(directory) if directory.is_dir() else ([], [])
    if json:
        for summary in summaries:
            print(dumps(summary.to_dict()))
        return 0
    console = wide_console()
    if not summaries:
        console.print(
            f"no sessions in {directory}; "
            "start one with: fep-tui run --arm B --task tiny --headless"
        )
    else:
        table = Table(title=f"sessions in {directory}", title_justify="left")
        numeric = ("seed", "lead turns", "model calls", "cost $")
        for column in (
            "started",
            "arm",
            "task",
            "seed",
            "outcome",
            "lead turns",
            "model calls",
            "cost $",
            "source",
            "file",
        ):
            table.add_column(
                column,
                justify="right" if column in numeric else "left",
                no_wrap=column in ("file", "cost $", "started"),
                overflow="fold",
            )
        for s in summaries:
            table.add_row(
                s.started_at.replace("+00:00", "Z"),
                s.arm,
                s.task,
                str(s.seed),
                s.outcome,
                f"{s.lead_turns:,}",
                f"{s.model_calls:,}",
                f"{s.cost_usd:.4f}",
                s.source,
                Path(s.path).name,
            )
        console.print(table)
    for line in rejected:
        console.print(f"[yellow]skipped[/] {line}")
    return 0


def wide_console() -> Console:
    """The terminal's width on a terminal; a pipe or a file gets every column whole."""
    terminal = Console().is_terminal
    return Console(highlight=False, width=None if terminal else PIPE_WIDTH)
