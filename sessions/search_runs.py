"""A combination search's domain, below any screen: the candidates a search weighs (arms
named by their models), which differ in one role, the trials of theirs already on file, and
a round of new trials run and recorded. `fep-tui search` and the app's search screen call
these; the rule that spends the budget is sessions/analysis/search.py's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.arms import OLLAMA_NUM_CTX, AdvisorSpec, ArmSpec, RoleSpec
from engine.events import EventSink, RoleTotals, TrialEnded
from engine.pricing import RateCard
from engine.roles import ADVISOR, is_arm_executor
from engine.runners import WORKER_LOST, TrialRunner, run_once_more_if_lost
from engine.trial import BackendMode, TrialConfig
from sessions.analysis.comparison import never_called
from sessions.analysis.search import Known
from sessions.analysis.whatif import WhatIf, reprice_file
from sessions.outcome import JUDGED
from sessions.store import SessionSummary, list_sessions, read_head_and_end
from sessions.writer import SessionWriter
from tasks.sandbox import SandboxPolicy

Say = Callable[[str], None]
RoundRunner = Callable[[list[str]], list[tuple[str, bool, float]]]

_NAME_CHARS = re.compile(r"[^A-Za-z0-9.]+")


def _short(model: str) -> str:
    return _NAME_CHARS.sub("-", model.removeprefix("claude-")).strip("-")


def _role(model: str) -> RoleSpec:
    if model.startswith("claude-"):
        return RoleSpec(model, "anthropic")
    return RoleSpec(model, "ollama", num_ctx=OLLAMA_NUM_CTX)


def candidates(
    orchestrators: tuple[str, ...],
    executors: tuple[str, ...],
    solos: tuple[str, ...],
    advisors: tuple[str, ...],
) -> dict[str, ArmSpec]:
    """Every role assignment the lists give, as arms named by their models:
    orchestrator x executor, each solo model, and each solo model with each advisor."""
    arms: dict[str, ArmSpec] = {}
    for lead in orchestrators:
        for executor in executors:
            name = f"{_short(lead)}+{_short(executor)}"
            arms[name] = ArmSpec(
                name, f"{lead} orchestrates {executor}", _role(lead), _role(executor)
            )
    for solo in solos:
        arms[f"{_short(solo)}"] = ArmSpec(_short(solo), f"{solo} alone", _role(solo))
        for advisor in advisors:
            name = f"{_short(solo)}@{_short(advisor)}"
            arms[name] = ArmSpec(
                name, f"{solo} consulting {advisor}", _role(solo), advisor=AdvisorSpec(advisor)
            )
    return arms


def neighbours(arms: dict[str, ArmSpec]) -> Callable[[str], list[str]]:
    """Hill climbing moves one role at a time: candidates that differ in one model."""

    def roles(arm: ArmSpec) -> tuple[str, str]:
        helper = arm.executor.model if arm.executor else arm.advisor.model if arm.advisor else ""
        return arm.lead.model, helper

    shape = {name: roles(arm) for name, arm in arms.items()}

    def near(name: str) -> list[str]:
        mine = shape[name]
        return [
            other
            for other, theirs in shape.items()
            if other != name and sum(a != b for a, b in zip(mine, theirs, strict=True)) == 1
        ]

    return near


@dataclass
class TrialsOnFile:
    """What a directory already holds of a search's candidates (trials_on_file)."""

    # Each candidate's trials, oldest first: (success, cost at the search's card).
    known: dict[str, list[tuple[bool, float]]]
    # How many never called their executor or advisor.
    unused: dict[str, int]
    # How many were run at another card and re-priced.
    repriced: int
    # Trials under a candidate's name whose arm was defined otherwise (a smaller context
    # window before the 64k default, an arms file's arm of that name): left out, since
    # they did not run this candidate.
    redefined: int


def trials_on_file(
    directory: Path,
    arms: dict[str, ArmSpec],
    tasks: tuple[str, ...],
    card: RateCard,
    errors: list[str],
) -> TrialsOnFile:
    """Judged and errored trials of these candidates already in the directory, by arm,
    oldest first (each error's line goes to `errors`); how many never called their executor
    or advisor; how many were re-priced; and how many ran another arm under a candidate's
    name (left out).

    A trial run at another rate card is re-priced at `card` from its recorded turns
    (sessions/analysis/whatif.py), so a finished search re-ranks under other prices
    without running anything again."""
    known: dict[str, list[tuple[bool, float]]] = {name: [] for name in arms}
    unused = dict.fromkeys(arms, 0)
    repriced = 0
    summaries, _ = list_sessions(directory)

    def run_order(summary: SessionSummary) -> tuple[int, str]:
        # A candidate's n-th trial ran task n mod len(tasks) at seed n // len(tasks)
        # (round_runner): in that order the search replays them through the same rounds.
        return summary.seed * len(tasks) + tasks.index(summary.task), summary.started_at

    # Only these can count: a trial cut off or interrupted is neither read nor counted.
    countable = {*JUDGED, "error", "never started"}
    ours = [s for s in summaries if s.arm in known and s.task in tasks and s.outcome in countable]
    definitions = {name: arm.definition() for name, arm in arms.items()}
    redefined = 0
    for summary in sorted(ours, key=run_order):
        path = Path(summary.path)
        read = read_head_and_end(path)
        ran = read.header.arm_definition
        if ran is None or ran.definition() != definitions[summary.arm]:
            redefined += 1
            continue
        if _errored(summary, read.end):
            # As while running: an errored trial spent its budget and counts as a failure
            # at what it cost; a resumed search that forgot them spent the budget again.
            known[summary.arm].append((False, summary.cost_usd or 0.0))
            errors.append(f"{summary.arm} on {summary.task} seed {summary.seed}: {summary.reason}")
            continue
        if summary.outcome in JUDGED:
            cost = summary.cost_usd or 0.0
            if read.header.card_name != card.name:
                cost = reprice_file(path, WhatIf(rate_card=card.name)).whatif_usd
                repriced += 1
            known[summary.arm].append((summary.outcome == "success", cost))
            end = read.end
            unused[summary.arm] += bool(end is not None and _helper_unused(end.roles))
    return TrialsOnFile(known, unused, repriced, redefined)


def _errored(summary: SessionSummary, end: TrialEnded | None) -> bool:
    """Ended by an error: after some model calls ("error"), or before the first one, which
    lists as "never started" (a trial cut off or stopped before it began does not count)."""
    if summary.outcome == "error":
        return True
    if summary.outcome != "never started":
        return False
    return end is not None and end.status == "error"


def _helper_unused(roles: Mapping[str, RoleTotals]) -> bool:
    """Some executor, or the advisor, of the arm made no call in the trial."""
    helpers = [role for role in roles if is_arm_executor(role) or role == ADVISOR]
    return any(never_called(roles, role) for role in helpers)


def round_runner(
    arms: dict[str, ArmSpec],
    tasks: tuple[str, ...],
    backend: BackendMode,
    card: RateCard,
    sandbox: SandboxPolicy | None,
    workers: int,
    directory: Path,
    known: Known,
    unused: dict[str, int],
    say: Say,
    runner: TrialRunner,
    lost: list[str],
) -> RoundRunner:
    """What runs one round: each named candidate's next trial (tasks in turn, then the
    next seed), `workers` at once, each recorded as a session file in `directory`; a
    trial whose worker was lost is run once more, and named in `lost` if lost again."""
    seeds = {name: len(held) for name, held in known.items()}

    def new_sinks(_config: TrialConfig) -> tuple[list[EventSink], Callable[[], None]]:
        writer = SessionWriter(directory)
        return [writer], writer.close

    def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
        jobs = []
        for name in names:
            seed = seeds[name]
            seeds[name] += 1
            # Tasks in turn: a candidate's n-th trial runs task n mod len(tasks).
            jobs.append((name, tasks[seed % len(tasks)], seed // len(tasks)))
        return asyncio.run(_run_all(jobs))

    async def _run_all(jobs: list[tuple[str, str, int]]) -> list[tuple[str, bool, float]]:
        gate = asyncio.Semaphore(workers)

        async def one(name: str, task_id: str, seed: int) -> tuple[str, bool, float]:
            async with gate:
                config = TrialConfig(
                    arms[name],
                    task_id,
                    backend=backend,
                    seed=seed,
                    rate_card=card,
                    sandbox=sandbox,
                )
                outcome, error = await run_once_more_if_lost(runner, config, new_sinks)
                if outcome is None:
                    say(f"  {name} on {task_id} seed {seed}: error {error}")
                    return name, False, 0.0
                if outcome.extras.get(WORKER_LOST):
                    lost.append(f"{name} on {task_id} seed {seed}")
                unused[name] += _helper_unused(outcome.roles)
                say(
                    f"  {name} on {task_id} seed {seed}: "
                    f"{'success' if outcome.success else outcome.status} "
                    f"${outcome.total_cost_usd:.4f}"
                )
                return name, outcome.success, outcome.total_cost_usd

        return list(await asyncio.gather(*(one(*job) for job in jobs)))

    return run_round
