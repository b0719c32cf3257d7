"""How often each search method finds the best candidate, and for how many trials.

Synthetic candidates, no trials run: 81 role assignments (9 planners x 9 solvers) with
success probabilities shaped like the AgentOpt grids: a few strong ones, near-ties just
below the best, and a long tail. Every repetition draws a new grid and new outcomes.
"Found" means the method picked the candidate with the highest true success rate. Brute
force gives every candidate the same `--per-candidate` trials; the budget of every method
is brute force's, and the ratio printed is the trials each used over brute force's.

Target (issue: combination search): elimination finds the best in at least 95% of
repetitions with at most 60% of brute force's trials; random and hill climbing are
printed beside it.

A second grid is scored by cost per success (issue: prices and one figure for one thing):
failures cost 1-4x a success, a tail of candidates never succeeds, and each candidate's
k-th trial has the same outcome and cost whichever method runs it ("the same draws").
Target: elimination picks what brute force picks in at least 95% of repetitions, with at
most 20% of brute force's trials.

Run: .venv/bin/python -m bench.search_budget [--repetitions 200] [--per-candidate 800]
"""

from __future__ import annotations

import argparse
import random
import time

from bench.report import report
from sessions.analysis.search import METHODS, Method, Objective, search

SIDE = 9
TARGET_FOUND = 0.95
TARGET_BUDGET = 0.60
TARGET_COST_AGREE = 0.95
TARGET_COST_BUDGET = 0.20


def grid(rng: random.Random) -> dict[str, float]:
    """True success rates: one best, two near-ties 3-6 points below it, a few strong
    ones, and a long tail (most assignments are poor, as in the study)."""
    names = [f"p{p}-s{s}" for p in range(SIDE) for s in range(SIDE)]
    rng.shuffle(names)
    best = rng.uniform(0.80, 0.92)
    rates = {names[0]: best}
    rates[names[1]] = best - rng.uniform(0.03, 0.06)
    rates[names[2]] = best - rng.uniform(0.04, 0.08)
    for name in names[3:8]:
        rates[name] = rng.uniform(0.55, best - 0.10)
    for name in names[8:]:
        rates[name] = rng.uniform(0.02, 0.5)
    return rates


def neighbours(name: str) -> list[str]:
    p, s = (int(part[1:]) for part in name.split("-"))
    return [f"p{q}-s{s}" for q in range(SIDE) if q != p] + [
        f"p{p}-s{t}" for t in range(SIDE) if t != s
    ]


def repeat(method: str, repetitions: int, per_candidate: int) -> tuple[float, float, float]:
    found = used = 0.0
    brute = SIDE * SIDE * per_candidate
    start = time.perf_counter()
    for rep in range(repetitions):
        rng = random.Random(rep)
        rates = grid(rng)
        draw = random.Random(10_000 + rep)

        def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
            return [(n, draw.random() < rates[n], 0.0) for n in names]  # noqa: B023

        result = search(
            list(rates),
            run_round,
            Objective("success"),
            method=method,  # type: ignore[arg-type]
            budget=brute,
            per_candidate=per_candidate,
            seed=rep,
            neighbours=neighbours,
        )
        truth = max(rates, key=lambda n: rates[n])
        found += result.best == truth
        used += result.trials / brute
    return found / repetitions, used / repetitions, time.perf_counter() - start


def cost_grid(rng: random.Random) -> dict[str, tuple[float, float, float]]:
    """(success rate, cost of a success, cost of a failure) per candidate: one best by
    cost per success, two near-ties 10-20% dearer, a few 30-90% dearer, a tail that rarely
    succeeds, and a quarter that never does; failures cost 1-4x a success."""
    names = [f"p{p}-s{s}" for p in range(SIDE) for s in range(SIDE)]
    rng.shuffle(names)
    best = rng.uniform(0.05, 0.20)  # dollars per success
    targets = [best, best * rng.uniform(1.10, 1.20), best * rng.uniform(1.12, 1.25)]
    targets += [best * rng.uniform(1.3, 1.9) for _ in range(5)]
    grid: dict[str, tuple[float, float, float]] = {}
    for name, target in zip(names, targets, strict=False):
        rate, failure = rng.uniform(0.5, 0.9), rng.uniform(1.0, 4.0)
        success = target * rate / (rate + (1 - rate) * failure)
        grid[name] = (rate, success, success * failure)
    never = len(names) // 4
    for name in names[len(targets) : len(names) - never]:
        rate, success = rng.uniform(0.05, 0.4), best * rng.uniform(0.5, 2.0)
        grid[name] = (rate, success, success * rng.uniform(1.0, 4.0))
    for name in names[len(names) - never :]:
        grid[name] = (0.0, 0.0, best * rng.uniform(0.2, 2.0))
    return grid


def repeat_cost(repetitions: int, per_candidate: int) -> tuple[float, float, float]:
    agree = used = 0.0
    brute = SIDE * SIDE * per_candidate
    start = time.perf_counter()
    for rep in range(repetitions):
        grid = cost_grid(random.Random(rep))
        picks = []
        methods: tuple[Method, ...] = ("brute", "elimination")
        for method in methods:
            streams = {n: random.Random(f"{rep}:{n}") for n in grid}

            def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
                out = []
                for name in names:
                    rate, success, failure = grid[name]  # noqa: B023
                    draw = streams[name]  # noqa: B023
                    won = draw.random() < rate
                    noise = draw.uniform(0.8, 1.2)
                    out.append((name, won, (success if won else failure) * noise))
                return out

            result = search(
                list(grid),
                run_round,
                Objective("cost-per-success"),
                method=method,
                budget=brute,
                per_candidate=per_candidate,
            )
            picks.append(result.best)
            if method == "elimination":
                used += result.trials / brute
        agree += picks[0] == picks[1]
    return agree / repetitions, used / repetitions, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--per-candidate", type=int, default=800)
    args = parser.parse_args()
    print(
        f"{SIDE * SIDE} candidates, {args.repetitions} repetitions, brute force "
        f"{args.per_candidate} trials each ({SIDE * SIDE * args.per_candidate:,} in all)"
    )
    for method in METHODS:
        found, used, took = repeat(method, args.repetitions, args.per_candidate)
        print(
            f"{method:<12} found the best {found:6.1%}  trials {used:6.1%} of brute force"
            f"  ({took:.1f} s)"
        )
        if method == "elimination":
            report("elimination: found the best", found, TARGET_FOUND, "", at_least=True)
            report("elimination: trials / brute force", used, TARGET_BUDGET, "")
    agree, used, took = repeat_cost(args.repetitions, args.per_candidate)
    print(
        f"cost per success (failures 1-4x, a quarter never succeed): elimination picks brute "
        f"force's pick {agree:6.1%}, trials {used:6.1%} of brute force ({took:.1f} s)"
    )
    report("cost/success: same pick as brute", agree, TARGET_COST_AGREE, "", at_least=True)
    report("cost/success: trials / brute force", used, TARGET_COST_BUDGET, "")


if __name__ == "__main__":
    main()
