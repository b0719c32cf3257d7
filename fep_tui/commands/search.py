"""`fep-tui search`: which role assignment to run, for how much, and how sure we are.

Every candidate is an ordinary arm (its name says its models), every trial an ordinary
session file, so compare and replay work on a search's trials unchanged. Re-running the
same search resumes it: the trials already in the directory are replayed through the same
rounds (sessions/analysis/search.py), and count toward the budget too.
"""

from __future__ import annotations

import asyncio
import io
import json as json_module
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter
from rich.console import Console

from engine.arms import OLLAMA_NUM_CTX, AdvisorSpec, ArmSpec, RoleSpec
from engine.events import EventSink, RoleTotals
from engine.pricing import RateCard, get_rate_card
from engine.runners import WORKER_LOST, LocalRunner, TrialRunner, run_once_more_if_lost
from engine.trial import TrialConfig, check_config, preflight
from fep_tui.commands import terminal
from fep_tui.commands.common import parse_list, trial_runner, warn_if_uncontained
from fep_tui.commands.options import (
    Backend,
    Flag,
    Json,
    Ray,
    SandboxPolicy,
    SessionsDir,
    UsageError,
)
from fep_tui.commands.tasks import provision_tasks
from fep_tui.tables import Column, Kind, cell, console, print_table
from sessions import SessionWriter, resolve_sessions_dir
from sessions.analysis.comparison import never_called
from sessions.analysis.search import (
    Interval,
    Known,
    Method,
    SearchResult,
    interval,
    parse_objective,
    search,
)
from sessions.analysis.whatif import WhatIf, reprice_file
from sessions.outcome import JUDGED
from sessions.store import SessionSummary, list_sessions, read_head_and_end

_NAME_CHARS = re.compile(r"[^A-Za-z0-9.]+")
Models = Annotated[str | None, Parameter(help="comma-separated models")]


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


def search_command(
    *,
    task: Annotated[list[str], Parameter(negative="", help="task id (repeat for several)")],
    orchestrator: Models = None,
    executor: Models = None,
    solo: Models = None,
    advisor: Annotated[str | None, Parameter(help="advisor models for the --solo models")] = None,
    objective: Annotated[
        str, Parameter(help="success, cost-per-success or cost-at-success:RATE")
    ] = "cost-per-success",
    budget: Annotated[int, Parameter(help="trials in all, those already run included")] = 24,
    per_candidate: Annotated[
        int | None, Parameter(help="trials one candidate gets at most (default: the budget)")
    ] = None,
    method: Annotated[Method, Parameter(help="how to spend the budget")] = "elimination",
    workers: Annotated[int, Parameter(help="trials run at once")] = 2,
    backend: Backend = "sim",
    rate_card: Annotated[
        str,
        Parameter(
            name="--rate-card",
            help="price with this card: official or published; trials on file run at another "
            "card are re-priced at it, so a finished search re-ranks without new trials",
        ),
    ] = "official",
    json: Json = False,
    app: Annotated[bool, Flag, Parameter(help="watch the leaderboard shrink in the app")] = False,
    no_doctor: Annotated[
        bool, Flag, Parameter(help="with --backend live: skip `fep-tui doctor` before the search")
    ] = False,
    sandbox: SandboxPolicy = None,
    ray: Ray = None,
    sessions_dir: SessionsDir = None,
) -> int:
    """Search role assignments for the best one by the objective, by arm elimination.

    With --ray, each round's trials run as Ray tasks, --workers of them at once.
    """
    goal = parse_objective(objective)
    if budget <= 0 or workers <= 0 or (per_candidate is not None and per_candidate <= 0):
        raise UsageError("--budget, --workers and --per-candidate must be positive")
    split = [
        parse_list(text, option, example) if text else ()
        for text, option, example in (
            (orchestrator, "--orchestrator", "claude-opus-4-7,claude-haiku-4-5"),
            (executor, "--executor", "qwen3.5:9b,claude-haiku-4-5"),
            (solo, "--solo", "claude-haiku-4-5"),
            (advisor, "--advisor", "claude-opus-4-7"),
        )
    ]
    if bool(split[0]) != bool(split[1]):
        raise UsageError("--orchestrator and --executor go together (each pair is a candidate)")
    if split[3] and not split[2]:
        raise UsageError("--advisor needs --solo models for it to advise")
    arms = candidates(*split)
    if len(arms) < 2:
        raise UsageError(
            "a search needs two candidates or more: give --orchestrator and --executor "
            "lists, or --solo models"
        )
    card = get_rate_card(rate_card)
    tasks = tuple(task)
    for arm in arms.values():
        for task_id in tasks:
            config = TrialConfig(arm, task_id, backend=backend, rate_card=card, sandbox=sandbox)
            check_config(config)
            asyncio.run(preflight(config))
    if backend == "live" and not no_doctor:
        # As for a live batch: one tiny request per model before any paid trial.
        from fep_tui.commands import doctor

        failed = doctor.report(doctor.check_models(tuple(arms.values()), backend, card), backend)
        if failed is not None:
            raise UsageError(
                f"doctor: {failed.subject}: {failed.detail} (fix it, or pass --no-doctor)"
            )
    if app:
        terminal.require("drop --app to print the leaderboard instead")
    warn_if_uncontained(
        TrialConfig(next(iter(arms.values())), tasks[0], backend=backend, sandbox=sandbox)
    )
    provision_tasks(tasks)
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    errors: list[str] = []
    known, unused, repriced = _known(directory, arms, tasks, card, errors)
    already = sum(map(len, known.values()))
    err = Console(stderr=True, highlight=False)
    label = "SIMULATED" if backend == "sim" else "LIVE"
    if already:
        err.print(f"resuming: {already} trial(s) of these candidates already in {directory}")
    for error in errors:
        err.print(f"  counted as failed, it ended in an error: {error}", markup=False)
    if repriced:
        err.print(f"{repriced} of them re-priced at the {card.name} card (same turns assumed)")
    quiet = Console(file=io.StringIO())
    log = quiet if app else err
    runner = trial_runner(ray) or LocalRunner()
    try:
        lost: list[str] = []
        run_round = _runner(
            arms, tasks, backend, card, sandbox, workers, directory, known, unused, log, runner,
            lost,
        )  # fmt: skip
        if app:
            from fep_tui.app import FepApp, StartSearch
            from fep_tui.screens.search import SearchJob

            job = SearchJob(
                {name: arm.description for name, arm in arms.items()},
                goal,
                method,
                budget,
                per_candidate or budget,
                run_round,
                known,
                label,
                _neighbours(arms),
            )
            FepApp(directory, start=StartSearch(job, directory)).run()
            return 0
        fresh: list[int] = []
        result = search(
            list(arms),
            run_round,
            goal,
            method=method,
            budget=budget,
            per_candidate=per_candidate or budget,
            known=known,
            neighbours=_neighbours(arms),
            on_round=lambda report: fresh.append(report.trials - report.from_file),
        )
        new = sum(fresh)
        if json:
            cap = per_candidate or budget
            found = _json(result, arms, label, new, len(arms) * cap, unused)
            found |= {"rate_card": card.name, "repriced_trials": repriced}
            print(json_module.dumps(found))
        else:
            _print(result, arms, f"{label} at the {card.name} card", new, unused)
        if lost:
            err.print(
                f"not finished: {len(lost)} trial(s) lost on every attempt ({', '.join(lost)}); "
                "they were counted as failures: run the same command again once the nodes "
                "are back to run them",
                markup=False,
            )
            return 1
        return 0
    finally:
        runner.close()


def _neighbours(arms: dict[str, ArmSpec]) -> Callable[[str], list[str]]:
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


def _known(
    directory: Path,
    arms: dict[str, ArmSpec],
    tasks: tuple[str, ...],
    card: RateCard,
    errors: list[str],
) -> tuple[dict[str, list[tuple[bool, float]]], dict[str, int], int]:
    """Judged and errored trials of these candidates already in the directory, by arm,
    oldest first (each error's line goes to `errors`); how many never called their executor
    or advisor; and how many were re-priced.

    A trial run at another rate card is re-priced at `card` from its recorded turns
    (sessions/analysis/whatif.py), so a finished search re-ranks under other prices
    without running anything again."""
    known: dict[str, list[tuple[bool, float]]] = {name: [] for name in arms}
    unused = dict.fromkeys(arms, 0)
    repriced = 0
    summaries, _ = list_sessions(directory)

    def run_order(summary: SessionSummary) -> tuple[int, str]:
        # A candidate's n-th trial ran task n mod len(tasks) at seed n // len(tasks)
        # (_runner): in that order the search replays them through the same rounds.
        return summary.seed * len(tasks) + tasks.index(summary.task), summary.started_at

    ours = [s for s in summaries if s.arm in known and s.task in tasks]
    for summary in sorted(ours, key=run_order):
        if _errored(summary):
            # As while running: an errored trial spent its budget and counts as a failure
            # at what it cost; a resumed search that forgot them spent the budget again.
            known[summary.arm].append((False, summary.cost_usd or 0.0))
            errors.append(f"{summary.arm} on {summary.task} seed {summary.seed}: {summary.reason}")
            continue
        if summary.outcome in JUDGED:
            path = Path(summary.path)
            read = read_head_and_end(path)
            cost = summary.cost_usd or 0.0
            if read.header.rate_card.get("name") != card.name:
                cost = reprice_file(path, WhatIf(rate_card=card.name)).whatif_usd
                repriced += 1
            known[summary.arm].append((summary.outcome == "success", cost))
            end = read.end
            unused[summary.arm] += bool(end is not None and _helper_unused(end.roles))
    return known, unused, repriced


def _errored(summary: SessionSummary) -> bool:
    """Ended by an error: after some model calls ("error"), or before the first one, which
    lists as "never started" (a trial cut off or stopped before it began does not count)."""
    if summary.outcome == "error":
        return True
    if summary.outcome != "never started":
        return False
    end = read_head_and_end(Path(summary.path)).end
    return end is not None and end.status == "error"


def _helper_unused(roles: Mapping[str, RoleTotals]) -> bool:
    return any(never_called(roles, role) for role in ("executor", "advisor"))


def _runner(
    arms: dict[str, ArmSpec],
    tasks: tuple[str, ...],
    backend: Backend,
    card: RateCard,
    sandbox: SandboxPolicy,
    workers: int,
    directory: Path,
    known: Known,
    unused: dict[str, int],
    err: Console,
    runner: TrialRunner,
    lost: list[str],
) -> Callable[[list[str]], list[tuple[str, bool, float]]]:
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
                    arms[name], task_id, backend=backend, seed=seed, rate_card=card, sandbox=sandbox
                )
                outcome, error = await run_once_more_if_lost(runner, config, new_sinks)
                if outcome is None:
                    err.print(f"  {name} on {task_id} seed {seed}: error {error}")
                    return name, False, 0.0
                if outcome.extras.get(WORKER_LOST):
                    lost.append(f"{name} on {task_id} seed {seed}")
                unused[name] += _helper_unused(outcome.roles)
                err.print(
                    f"  {name} on {task_id} seed {seed}: "
                    f"{'success' if outcome.success else outcome.status} "
                    f"${outcome.total_cost_usd:.4f}"
                )
                return name, outcome.success, outcome.total_cost_usd

        return list(await asyncio.gather(*(one(*job) for job in jobs)))

    return run_round


def _rows(result: SearchResult, unused: dict[str, int]) -> list[dict[str, object]]:
    fell = {e.candidate: e for e in result.eliminated}
    rows = []
    for name, held in result.stats.items():
        span = interval(held, result.objective)
        status = (
            "best"
            if name == result.best
            else f"out, round {fell[name].round}"
            if name in fell
            else "survivor"
            if name in result.survivors
            else "not run"
        )
        rows.append(
            {
                "candidate": name,
                "trials": held.trials,
                "successes": held.successes,
                "estimate": _finite(span.estimate),
                "low": _finite(span.low),
                "high": _finite(span.high),
                "status": status,
                # Trials where the lead never called its executor or advisor.
                "helper_never_called": unused.get(name, 0),
            }
        )
    rows.sort(key=lambda r: (r["status"] != "best", r["status"] != "survivor", r["candidate"]))
    return rows


def _header(result: SearchResult) -> str:
    objective = result.objective
    if objective.kind == "cost-at-success":
        return f"$ at ≥{objective.target:.0%}"
    return "$/success" if objective.kind == "cost-per-success" else "success"


def _finite(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def _span(value: Interval) -> dict[str, float | None]:
    return {
        "estimate": _finite(value.estimate),
        "low": _finite(value.low),
        "high": _finite(value.high),
    }


def _json(
    result: SearchResult,
    arms: dict[str, ArmSpec],
    label: str,
    new: int,
    brute: int,
    unused: dict[str, int],
) -> dict[str, object]:
    best = result.best_interval()
    return {
        "source": label,
        "method": result.method,
        "objective": result.objective.label(),
        "best": result.best,
        "best_description": arms[result.best].description if result.best else None,
        "best_interval": None if best is None else _span(best),
        "stopped": result.stopped,
        "trials_used": result.trials,
        "new_trials": new,
        # Every candidate run to the per-candidate cap (not the budget): what N is.
        "brute_force_trials": brute,
        "brute_force_per_candidate": brute // max(1, len(result.stats)),
        "eliminated": [
            {
                "candidate": e.candidate,
                "round": e.round,
                "interval": _span(e.interval),
            }
            for e in result.eliminated
        ],
        "candidates": _rows(result, unused),
    }


def _print(
    result: SearchResult, arms: dict[str, ArmSpec], label: str, new: int, unused: dict[str, int]
) -> None:
    out = console()
    kind: Kind = "rate" if result.objective.kind == "success" else "usd"
    columns = [
        Column("candidate", "candidate"),
        Column("status", "status"),
        Column("trials", "n", "int"),
        Column("successes", "ok", "int", priority=2),
        Column("estimate", _header(result), kind),
        Column("interval", "99% interval", priority=1),
        Column("helper_never_called", "helper never called", "int", priority=3),
    ]
    rows = _rows(result, unused)
    for row in rows:
        low, high = row["low"], row["high"]
        row["interval"] = f"{cell(kind, low)} to {cell(kind, high)}"
    title = (
        f"{label}: search ({result.method}, {result.objective.label()}), "
        f"{result.trials} trials, {new} new"
    )
    print_table(title, columns, rows, out, "--json shows them")
    if result.best is None:
        out.print(
            result.verdict
            if result.stopped == "no success"
            else "no candidate has a judged trial yet",
            markup=False,
        )
        return
    best = f"best: {result.best} ({arms[result.best].description})"
    out.print(f"{best}; {result.verdict}", markup=False)
