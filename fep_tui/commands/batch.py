"""`fep-tui batch`: run a grid of trials with a progress bar; re-running resumes it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from engine.arms import resolve_arm
from engine.batch import BatchPlan, plan_cells, run_batch
from engine.events import EventSink
from engine.pricing import get_rate_card
from engine.runners import WORKER_LOST, TrialRunner
from engine.trial import TrialConfig, TrialOutcome
from fep_tui.commands import terminal
from fep_tui.commands.common import (
    OtelEndpoint,
    extra_arms,
    live_spans,
    parse_list,
    stop_on_signals,
    trial_runner,
)
from fep_tui.commands.options import (
    ArmsFile,
    Backend,
    Flag,
    PricesFile,
    RateCardName,
    Ray,
    SandboxPolicy,
    SessionsDir,
    UsageError,
    use_prices_file,
)
from fep_tui.commands.prepare import check_trials, ready_tasks
from sessions import SessionWriter, resolve_sessions_dir
from sessions.claims import TrialClaims
from sessions.store import finished_trials


def batch(
    *,
    arms: Annotated[str, Parameter(help="comma-separated arms, e.g. A,B,C,D")],
    tasks: Annotated[str, Parameter(help="comma-separated task ids, e.g. tiny,T1")],
    trials: Annotated[int, Parameter(help="trials per arm and task (seeds 0..N-1)")],
    workers: Annotated[int, Parameter(help="trials run at once")] = 2,
    until_successes: Annotated[
        int | None,
        Parameter(help="stop a cell once it has N successes (--trials is then the most)"),
    ] = None,
    backend: Backend = "sim",
    rate_card: RateCardName = "official",
    prices: PricesFile = None,
    app: Annotated[bool, Flag, Parameter(help="run the batch in the app's batch screen")] = False,
    no_doctor: Annotated[
        bool, Flag, Parameter(help="with --backend live: skip `fep-tui doctor` before the batch")
    ] = False,
    sandbox: SandboxPolicy = None,
    ray: Ray = None,
    sessions_dir: SessionsDir = None,
    arms_file: ArmsFile = None,
    otel_endpoint: OtelEndpoint = None,
) -> int:
    """Run arms x tasks x trials; running the same command again resumes.

    With --ray, --workers is how many trials are in flight at once; Ray starts each when a
    node has the CPUs its task asks for (typer tasks two, tiny one).
    """
    if trials <= 0 or workers <= 0:
        raise UsageError("--trials and --workers must be positive")
    if until_successes is not None and not 0 < until_successes <= trials:
        raise UsageError(
            f"--until-successes must be between 1 and --trials ({trials}); got {until_successes}"
        )
    use_prices_file(prices)
    extra = extra_arms(arms_file)
    chosen = tuple(resolve_arm(name, extra) for name in parse_list(arms, "--arms", "A,B"))
    task_ids = parse_list(tasks, "--tasks", "tiny")
    card = get_rate_card(rate_card)
    plan = BatchPlan(chosen, task_ids, trials, workers, backend, card, until_successes, sandbox)
    configs = [
        TrialConfig(arm, task, backend=backend, rate_card=card, sandbox=sandbox)
        for arm in chosen
        for task in task_ids
    ]
    check_trials(configs, doctor=not no_doctor)
    if app:
        terminal.require("drop --app to print the batch's progress instead")
        if otel_endpoint is not None:
            raise UsageError("--otel-endpoint streams a batch run without --app; drop --app")
    spans = live_spans(otel_endpoint)  # checked to answer before any trial starts
    if spans is not None:
        spans.close()
    ready_tasks(configs)
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    runner = trial_runner(ray)
    try:
        if app:
            from fep_tui.app import FepApp, StartBatch

            FepApp(directory, extra, StartBatch(plan, directory, runner)).run()
            return 0
        return _run_with_progress(plan, directory, runner, otel_endpoint)
    finally:
        if runner is not None:
            runner.close()


def _run_with_progress(
    plan: BatchPlan, directory: Path, runner: TrialRunner | None, otel_endpoint: str | None = None
) -> int:
    cells = plan_cells(plan, finished_trials(directory))
    already = sum(len(c.done_seeds) for c in cells.values())
    total = len(cells) * plan.trials
    console = Console(highlight=False, stderr=True)
    if already:
        console.print(f"resuming: {already} of {total} trials already finished in {directory}")
    cost = 0.0
    failures: list[str] = []
    # Trials that never ran to an end of their own (a lost node on every re-run, or the
    # runner failed them): the batch is not done until they are.
    unfinished: list[str] = []
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("trials · ${task.fields[cost]:.4f} · {task.fields[label]}"),
        TimeRemainingColumn(),
    )
    label = "SIMULATED" if plan.backend == "sim" else "LIVE"
    where = f" · on {runner.where}" if runner is not None else ""
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(
            "batch", total=total, completed=already, cost=0.0, label=label + where
        )

        def new_sinks(config: TrialConfig) -> tuple[list[EventSink], Callable[[], None]]:
            writer = SessionWriter(directory)
            spans = live_spans(otel_endpoint)
            if spans is None:
                return [writer], writer.close

            def close() -> None:
                writer.close()
                spans.close()

            return [writer, spans], close

        def finished(
            arm: str, task: str, seed: int, outcome: TrialOutcome | None, error: str | None
        ) -> None:
            nonlocal cost
            if outcome is not None:
                cost += outcome.total_cost_usd
                if outcome.status == "error":
                    failures.append(f"{arm}/{task} seed {seed}: {outcome.reason}")
                if outcome.extras.get(WORKER_LOST):
                    unfinished.append(f"{arm}/{task} seed {seed}")
            if error is not None:
                failures.append(f"{arm}/{task} seed {seed}: {error}")
                unfinished.append(f"{arm}/{task} seed {seed}")
            progress.update(bar, advance=1, cost=cost)

        claims = TrialClaims(directory)
        caught: list[signal.Signals] = []

        async def batch_run() -> None:
            task = asyncio.ensure_future(
                run_batch(plan, cells, new_sinks, finished, runner, claims.claim)
            )
            stop_on_signals(task, caught)
            await task

        try:
            asyncio.run(batch_run())
        except KeyboardInterrupt:
            console.print("interrupted: finished trials are kept; run the same command to resume")
            return 130
        except asyncio.CancelledError:
            if not caught:
                raise
            console.print(
                f"stopped by {caught[0].name}: finished trials are kept, running ones saved as "
                "interrupted; run the same command to resume"
            )
            return 128 + caught[0]
        # Cells that stopped early (enough successes) never run their remaining trials.
        progress.update(bar, total=progress.tasks[0].completed)
    if claims.others:
        pids = ", ".join(str(p) for p in sorted(claims.others))
        console.print(
            f"another batch (pid {pids}) is running trials in {directory}: they were left to "
            "it; run this command again once it ends to finish any it did not"
        )
    for failure in failures:
        console.print(f"[red]failed[/] {failure}")
    if unfinished:
        console.print(
            f"[red]not finished[/]: {len(unfinished)} trial(s) lost on every attempt "
            f"({', '.join(unfinished)}); run the same command again to finish them"
        )
        return 1
    print(f"{label} batch done: ${cost:.4f} this run; compare with: fep-tui compare {directory}")
    return 0
