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

Run: .venv/bin/python -m bench.search_budget [--repetitions 200] [--per-candidate 800]
"""

from __future__ import annotations

import argparse
import random
import time

from bench.report import report
from sessions.analysis.search import METHODS, Objective, Outcomes, search

SIDE = 9
TARGET_FOUND = 0.95
TARGET_BUDGET = 0.60


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
            known={n: Outcomes() for n in rates},
        )
        truth = max(rates, key=lambda n: rates[n])
        found += result.best == truth
        used += result.trials / brute
    return found / repetitions, used / repetitions, time.perf_counter() - start


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


if __name__ == "__main__":
    main()
