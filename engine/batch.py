"""Batch runs: a grid of arms x tasks x trials, N trials at a time, resumable.

Trial k of a cell runs with seed k, so a batch is reproducible and a resumed batch knows
which trials it already has: any (arm, task, seed) with a finished session file in the
batch directory is skipped. With `until_successes`, a cell keeps adding trials until it
has that many successes or reaches `trials`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine.arms import ArmSpec
from engine.pricing import OFFICIAL, RateCard
from engine.runners import LocalRunner, NewSinks, TrialRunner, run_once_more_if_lost
from engine.trial import BackendMode, TrialConfig, TrialOutcome
from tasks.sandbox import SandboxPolicy


@dataclass(frozen=True)
class BatchPlan:
    arms: tuple[ArmSpec, ...]
    tasks: tuple[str, ...]
    trials: int
    workers: int = 1
    backend: BackendMode = "sim"
    rate_card: RateCard | None = None
    until_successes: int | None = None
    sandbox: SandboxPolicy | None = None


@dataclass
class CellState:
    arm: str
    task: str
    done_seeds: set[int] = field(default_factory=set)
    successes: int = 0

    def satisfied(self, plan: BatchPlan) -> bool:
        if len(self.done_seeds) >= plan.trials:
            return True
        return plan.until_successes is not None and self.successes >= plan.until_successes


Finished = Callable[[str, str, int, TrialOutcome | None, str | None], None]
# Asks whether this batch may run (arm, task, seed) now: a release function, or None when
# another batch on the same directory has it (sessions/claims.py).
Claim = Callable[[str, str, int], Callable[[], None] | None]


async def run_batch(
    plan: BatchPlan,
    cells: dict[tuple[str, str], CellState],
    new_sinks: NewSinks,
    on_finished: Finished,
    runner: TrialRunner | None = None,
    claim: Claim | None = None,
) -> None:
    """Run every missing trial. `cells` holds what already exists (from resume).

    `runner` decides where trials run (engine/runners.py); this process by default.
    `claim`: each trial is run only if claimed, so two batches never run one trial twice.
    """
    runner = runner or LocalRunner()
    semaphore = asyncio.Semaphore(max(1, plan.workers))
    arms = {arm.name: arm for arm in plan.arms}

    async def one(cell: CellState, seed: int) -> None:
        async with semaphore:
            if cell.satisfied(plan):
                return
            release = claim(cell.arm, cell.task, seed) if claim is not None else None
            if claim is not None and release is None:
                return
            try:
                await run(cell, seed)
            finally:
                if release is not None:
                    release()

    async def run(cell: CellState, seed: int) -> None:
        config = TrialConfig(
            arms[cell.arm],
            cell.task,
            backend=plan.backend,
            seed=seed,
            rate_card=plan.rate_card or OFFICIAL,
            sandbox=plan.sandbox,
        )
        outcome, error = await run_once_more_if_lost(runner, config, new_sinks)
        cell.done_seeds.add(seed)
        if outcome is not None and outcome.success:
            cell.successes += 1
        on_finished(cell.arm, cell.task, seed, outcome, error)

    jobs = []
    for cell in cells.values():
        for seed in range(plan.trials):
            if seed not in cell.done_seeds:
                jobs.append(one(cell, seed))
    await asyncio.gather(*jobs)


def plan_cells(
    plan: BatchPlan, existing: Sequence[tuple[str, str, int, bool]]
) -> dict[tuple[str, str], CellState]:
    """Cells of the grid with the trials a previous run already finished."""
    cells = {(a.name, t): CellState(a.name, t) for a in plan.arms for t in plan.tasks}
    for arm, task, seed, success in existing:
        cell = cells.get((arm, task))
        if cell is not None and seed < plan.trials and seed not in cell.done_seeds:
            cell.done_seeds.add(seed)
            cell.successes += int(success)
    return cells
