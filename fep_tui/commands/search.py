"""`fep-tui search`: which role assignment to run, for how much, and how sure we are.

Every candidate is an ordinary arm (its name says its models), every trial an ordinary
session file, so compare and replay work on a search's trials unchanged. Re-running the
same search resumes it: the trials already in the directory are replayed through the same
rounds (sessions/analysis/search.py), and count toward the budget too.
"""

from __future__ import annotations

import io
import json as json_module
import math
from typing import Annotated

from cyclopts import Parameter
from rich.console import Console

from engine.arms import ArmSpec
from engine.pricing import get_rate_card
from engine.runners import LocalRunner
from engine.trial import TrialConfig
from fep_tui.commands import terminal
from fep_tui.commands.common import parse_list, trial_runner
from fep_tui.commands.options import (
    Backend,
    Flag,
    Json,
    Ray,
    SandboxPolicy,
    SessionsDir,
    UsageError,
)
from fep_tui.commands.prepare import check_trials, ready_tasks
from fep_tui.tables import Column, Kind, cell, console, print_table
from sessions import resolve_sessions_dir
from sessions.analysis.search import (
    Interval,
    Method,
    SearchResult,
    interval,
    parse_objective,
    search,
)
from sessions.search_runs import candidates, neighbours, round_runner, trials_on_file

Models = Annotated[str | None, Parameter(help="comma-separated models")]


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
    configs = [
        TrialConfig(arm, task_id, backend=backend, rate_card=card, sandbox=sandbox)
        for arm in arms.values()
        for task_id in tasks
    ]
    check_trials(configs, doctor=not no_doctor)
    if app:
        terminal.require("drop --app to print the leaderboard instead")
    ready_tasks(configs)
    directory = resolve_sessions_dir(str(sessions_dir) if sessions_dir else None)
    errors: list[str] = []
    on_file = trials_on_file(directory, arms, tasks, card, errors)
    known, unused, repriced = on_file.known, on_file.unused, on_file.repriced
    already = sum(map(len, known.values()))
    err = Console(stderr=True, highlight=False)
    label = "SIMULATED" if backend == "sim" else "LIVE"
    if already:
        err.print(f"resuming: {already} trial(s) of these candidates already in {directory}")
    for error in errors:
        err.print(f"  counted as failed, it ended in an error: {error}", markup=False)
    if repriced:
        err.print(f"{repriced} of them re-priced at the {card.name} card (same turns assumed)")
    if on_file.redefined:
        err.print(
            f"left out: {on_file.redefined} trial(s) under a candidate's name whose arm was "
            "defined otherwise (see `fep-tui compare`, which groups them apart)"
        )
    quiet = Console(file=io.StringIO())
    log = quiet if app else err
    runner = trial_runner(ray) or LocalRunner()
    try:
        lost: list[str] = []
        run_round = round_runner(
            arms, tasks, backend, card, sandbox, workers, directory, known, unused,
            lambda line: log.print(line, markup=False), runner, lost,
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
                neighbours(arms),
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
            neighbours=neighbours(arms),
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
