"""`fep-tui sessions list`: the saved sessions, as a table or one JSON object each."""

from __future__ import annotations

from json import dumps
from pathlib import Path

from fep_tui.commands.options import Json, SessionsDir
from fep_tui.tables import Column, console, print_table
from sessions import list_sessions
from sessions.store import sessions_dir_to_read

COLUMNS = [
    # The file's name says when the trial started (and its arm, task and seed): narrow,
    # the name stays and the start time goes.
    Column("started", "started", priority=5),
    Column("arm", "arm"),
    Column("task", "task"),
    Column("seed", "seed", "int"),
    Column("outcome", "outcome"),
    Column("lead", "lead turns", "int", priority=3),
    Column("calls", "model calls", "int", priority=4),
    Column("cost", "cost $", "usd"),
    Column("source", "source", priority=1),
    Column("file", "file", priority=1),
]


def list_saved(*, json: Json = False, sessions_dir: SessionsDir = None) -> int:
    """List saved sessions, newest first (a read-only directory is fine)."""
    directory = sessions_dir_to_read(str(sessions_dir) if sessions_dir else None)
    summaries, rejected = list_sessions(directory) if directory.is_dir() else ([], [])
    if json:
        for summary in summaries:
            print(dumps(summary.to_dict()))
        return 0
    out = console()
    if not summaries:
        out.print(
            f"no sessions in {directory}; "
            "start one with: fep-tui run --arm B --task tiny --headless"
        )
    else:
        rows = [
            {
                "started": s.started_at.replace("+00:00", "Z"),
                "arm": s.arm,
                "task": s.task,
                "seed": s.seed,
                "outcome": s.outcome,
                "lead": s.lead_turns,
                "calls": s.model_calls,
                "cost": "price unknown" if s.cost_usd is None else s.cost_usd,
                "source": s.source,
                "file": Path(s.path).name,
            }
            for s in summaries
        ]
        print_table(f"sessions in {directory}", COLUMNS, rows, out, "--json shows them")
    for line in rejected:
        out.print(f"[yellow]skipped[/] {line}")
    return 0
