"""`fep-tui batch`: run a grid of trials with a progress bar; re-running resumes it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from engine.batch import BatchPlan, plan_cells, run_batch
from engine.events import EventSink
from engine.trial import TrialConfig, TrialOutcome
from sessions import SessionWriter
from sessions.store import finished_trials


def run_batch_command(plan: BatchPlan, directory: Path) -> int:
    cells = plan_cells(plan, finished_trials(directory))
    already = sum(len(c.done_seeds) for c in cells.values())
    total = len(cells) * plan.trials
    console = Console(highlight=False, stderr=True)
    if already:
        console.print(f"resuming: {already} of {total} trials already finished in {directory}")
    cost = 0.0
    failures: list[str] = []
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("trials · ${task.fields[cost]:.4f} · {task.fields[label]}"),
        TimeRemainingColumn(),
    )
    label = "SIMULATED" if plan.backend == "sim" else "LIVE"
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("batch", total=total, completed=already, cost=0.0, label=label)

        def new_sinks(config: TrialConfig) -> tuple[list[EventSink], Callable[[], None]]:
            writer = SessionWriter(directory)
            return [writer], writer.close

        def finished(
            arm: str, task: str, seed: int, outcome: TrialOutcome | None, error: str | None
        ) -> None:
            nonlocal cost
            if outcome is not None:
                cost += outcome.total_cost_usd
                if outcome.status == "error":
                    failures.append(f"{arm}/{task} seed {seed}: {outcome.reason}")
            if error is not None:
                failures.append(f"{arm}/{task} seed {seed}: {error}")
            progress.update(bar, advance=1, cost=cost)

        try:
            asyncio.run(run_batch(plan, cells, new_sinks, finished))
        except KeyboardInterrupt:
            console.print("interrupted: finished trials are kept; run the same command to resume")
            return 130
        # Cells that stopped early (enough successes) never run their remaining trials.
        progress.update(bar, total=progress.tasks[0].completed)
    for failure in failures:
        console.print(f"[red]failed[/] {failure}")
    print(f"{label} batch done: ${cost:.4f} this run; compare with: fep-tui compare {directory}")
    return 0
