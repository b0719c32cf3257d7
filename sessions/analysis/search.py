"""Finding the best role assignment without running every one to the end: arm elimination.

A search runs every surviving candidate in rounds. After each round each candidate gets a
99% interval for the objective: a Wilson interval for its success rate, the comparison's own
bootstrap CI of the median cost for costs (cost per success divides it by the Wilson bounds
of the rate). A candidate whose interval lies wholly on the wrong side of the best
candidate's is eliminated. The search stops when one is left, when the budget is spent, or
when every survivor has had its full share of trials and they still cannot be told apart
(and says so).

`brute` (the same trials for everyone), `random` (half the candidates at random, brute on
them) and
`hill-climb` (move to the best neighbour, one role changed at a time) exist to compare
against, as in the AgentOpt study.

Pure functions over outcomes: the caller runs trials (`run_round`), so the same code drives
real trials, simulated ones and the synthetic bench.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from engine.errors import FepError
from sessions.analysis.statistics import bootstrap_median_ci

ObjectiveKind = Literal["success", "cost-per-success", "cost-at-success"]
Method = Literal["elimination", "brute", "random", "hill-climb"]
METHODS: tuple[Method, ...] = ("elimination", "brute", "random", "hill-climb")
# 99% intervals, not 95%: a candidate is tested after every round, and with 95% the true
# best of 81 fell to a lucky rival in about 1 search in 10 (bench/search_budget.py).
LEVEL = 0.99
Z = 2.5758293035489004


class SearchError(FepError, ValueError):
    pass


@dataclass(frozen=True)
class Objective:
    kind: ObjectiveKind
    # cost-at-success: the success rate a candidate must reach to count.
    target: float = 0.0

    @property
    def maximise(self) -> bool:
        return self.kind == "success"

    def label(self) -> str:
        return f"cost at success {self.target:.0%}" if self.kind == "cost-at-success" else self.kind


def parse_objective(text: str) -> Objective:
    """`success`, `cost-per-success` or `cost-at-success:0.9`."""
    kind, _, target = text.partition(":")
    if kind in ("success", "cost-per-success") and not target:
        return Objective(kind)  # type: ignore[arg-type]
    if kind == "cost-at-success":
        try:
            rate = float(target)
        except ValueError:
            rate = -1.0
        if 0 < rate <= 1:
            return Objective("cost-at-success", rate)
    raise SearchError(
        f"--objective {text!r}: use success, cost-per-success or cost-at-success:RATE "
        "(RATE between 0 and 1, e.g. cost-at-success:0.9)"
    )


@dataclass
class Outcomes:
    """One candidate's trials so far: success and cost of each."""

    successes: int = 0
    costs: list[float] = field(default_factory=list)
    success_costs: list[float] = field(default_factory=list)

    @property
    def trials(self) -> int:
        return len(self.costs)

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else math.nan

    def add(self, success: bool, cost: float) -> None:
        self.costs.append(cost)
        if success:
            self.successes += 1
            self.success_costs.append(cost)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def wilson(successes: int, trials: int, z: float = Z) -> Interval:
    """The Wilson score interval of a success rate (sound at 0 or n successes)."""
    if trials == 0:
        return Interval(math.nan, 0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def interval(outcomes: Outcomes, objective: Objective) -> Interval:
    """The candidate's objective and its interval; costs are in dollars (lower is better).

    Cost per success is every trial's spend over the successes (failures cost money too,
    often more than a success), bounded by the mean spend per trial's interval over the
    success rate's Wilson bounds. A candidate with no success yet has no estimate, but a
    lower bound (its spend per trial over the upper Wilson bound), so a candidate that
    keeps failing can still be eliminated."""
    rate = wilson(outcomes.successes, outcomes.trials)
    if objective.kind == "success":
        return rate
    if objective.kind == "cost-per-success":
        if not outcomes.trials:
            return Interval(math.inf, 0.0, math.inf)
        low, high = _mean_interval(outcomes.costs)
        estimate = sum(outcomes.costs) / outcomes.successes if outcomes.successes else math.inf
        return Interval(
            estimate,
            low / rate.high if rate.high else math.inf,
            high / rate.low if rate.low else math.inf,
        )
    if not outcomes.success_costs:
        return Interval(math.inf, 0.0, math.inf)
    # The same median as compare's (the middle two averaged): the upper middle it took
    # before made search's figure differ from compare's by up to 10% for one set of trials.
    median = statistics.median(outcomes.success_costs)
    low, high = bootstrap_median_ci(outcomes.success_costs, level=LEVEL)
    if rate.high < objective.target:
        # It cannot reach the target rate: no cost makes it a candidate.
        return Interval(math.inf, math.inf, math.inf)
    return Interval(median, low, high)


def _mean_interval(costs: Sequence[float]) -> tuple[float, float]:
    """The mean spend per trial and its normal-approximation interval at LEVEL (never
    below zero); a single trial's interval is the value itself."""
    mean = statistics.fmean(costs)
    if len(costs) < 2:
        return mean, mean
    half = Z * statistics.stdev(costs) / math.sqrt(len(costs))
    return max(0.0, mean - half), mean + half


def eliminated(
    stats: dict[str, Outcomes], survivors: Sequence[str], objective: Objective
) -> list[str]:
    """The survivors whose interval lies wholly on the wrong side of the best one's.

    Best is the best estimate; for costs, only a candidate that cannot reach the target
    (cost-at-success) or whose whole interval is above the best's upper bound goes."""
    intervals = {name: interval(stats[name], objective) for name in survivors}
    known = {n: i for n, i in intervals.items() if not math.isnan(i.estimate)}
    if not known:
        return []
    if objective.maximise:
        best = max(known, key=lambda n: known[n].estimate)
        return [n for n in survivors if n != best and intervals[n].high < known[best].low]
    best = min(known, key=lambda n: known[n].estimate)
    bound = known[best].high
    return [
        n
        for n in survivors
        if n != best
        and (intervals[n].low > bound or (math.isinf(intervals[n].low) and not math.isinf(bound)))
    ]


@dataclass(frozen=True)
class Elimination:
    candidate: str
    round: int
    interval: Interval


@dataclass
class SearchResult:
    method: Method
    objective: Objective
    best: str | None
    trials: int
    rounds: int
    stats: dict[str, Outcomes]
    eliminated: list[Elimination]
    survivors: list[str]
    # Why it stopped: "one left", "budget spent", "cannot tell apart", "done".
    stopped: str

    @property
    def verdict(self) -> str:
        """Why the search stopped, in words for a person."""
        return STOPPED_WORDS[self.stopped]

    def best_interval(self) -> Interval | None:
        return interval(self.stats[self.best], self.objective) if self.best else None


STOPPED_WORDS = {
    "one left": "one candidate left",
    "budget spent": "budget spent: the best so far",
    "cannot tell apart": "the survivors cannot be told apart at this budget",
    "done": "every candidate run",
    "no success": "no candidate succeeded: none can be named best",
}


# Runs one trial of each named candidate and returns (name, success, cost) per trial.
RunRound = Callable[[list[str]], list[tuple[str, bool, float]]]
# Trials already run, by candidate, oldest first: (success, cost) each.
Known = Mapping[str, Sequence[tuple[bool, float]]]


@dataclass(frozen=True)
class RoundReport:
    """After each round: its number, every candidate's trials so far, the names it ran
    (this round's survivors) and how many of its trials came from file."""

    round: int
    stats: dict[str, Outcomes]
    ran: list[str]
    trials: int
    from_file: int


def search(
    candidates: Sequence[str],
    run_round: RunRound,
    objective: Objective,
    *,
    method: Method = "elimination",
    budget: int,
    per_candidate: int,
    seed: int = 0,
    neighbours: Callable[[str], list[str]] | None = None,
    known: Known | None = None,
    on_round: Callable[[RoundReport], None] | None = None,
) -> SearchResult:
    """Search `candidates` with at most `budget` trials in all and at most `per_candidate`
    each. `known` holds trials already run, oldest first: a resumed search replays them
    through the same rounds, a candidate's next trial on file standing in for a new one
    each time the search asks for one, so it takes the same decisions in the same rounds
    (a candidate that fell in round 3 is out in round 3 again) and runs only what is left.
    `on_round` hears of every round, replayed ones included."""
    if not candidates:
        raise SearchError("no candidates to search")
    stats = {name: Outcomes() for name in candidates}
    on_file = {name: deque(known[name]) for name in candidates if known and name in known}
    state = _State(list(candidates), stats, budget, per_candidate, run_round, on_file, on_round)
    if method == "elimination":
        return _elimination(state, objective)
    if method == "brute":
        return _finish(state, objective, "brute", list(candidates), "done")
    rng = random.Random(seed)
    if method == "random":
        # Half the candidates, drawn at random, each given its full share (within budget).
        take = max(1, min(len(candidates) // 2 or 1, budget // max(1, per_candidate)))
        picked = rng.sample(list(candidates), take)
        return _finish(state, objective, "random", picked, "done")
    if neighbours is None:
        raise SearchError("hill-climb needs the candidates' neighbours")
    return _hill_climb(state, objective, neighbours, rng)


@dataclass
class _State:
    candidates: list[str]
    stats: dict[str, Outcomes]
    budget: int
    per_candidate: int
    run_round: RunRound
    on_file: dict[str, deque[tuple[bool, float]]]
    on_round: Callable[[RoundReport], None] | None
    used: int = 0
    rounds: int = 0

    def run(self, names: list[str], each: int = 1) -> bool:
        """One round: up to `each` more trials for each name, within the budget and the
        per-candidate cap, each from file while that name has one left. False when nothing
        could run."""
        wanted = [
            n for n in names for _ in range(min(each, self.per_candidate - self.stats[n].trials))
        ]
        wanted = wanted[: max(0, self.budget - self.used)]
        if not wanted:
            return False
        self.rounds += 1
        replayed: list[tuple[str, bool, float]] = []
        fresh: list[str] = []
        for name in wanted:
            queue = self.on_file.get(name)
            if queue:
                replayed.append((name, *queue.popleft()))
            else:
                fresh.append(name)
        results = replayed + (self.run_round(fresh) if fresh else [])
        for name, success, cost in results:
            self.stats[name].add(success, cost)
            self.used += 1
        if self.on_round is not None:
            snapshot = {n: _copy(held) for n, held in self.stats.items()}
            report = RoundReport(self.rounds, snapshot, list(names), len(results), len(replayed))
            self.on_round(report)
        return True


def _copy(held: Outcomes) -> Outcomes:
    return Outcomes(held.successes, list(held.costs), list(held.success_costs))


def _best(stats: dict[str, Outcomes], names: Sequence[str], objective: Objective) -> str | None:
    """The best of `names`; None when none has a success: naming the first of candidates
    that all failed as best said something the trials do not."""
    if not any(stats[n].successes for n in names):
        return None
    scored = [(interval(stats[n], objective).estimate, n) for n in names if stats[n].trials]
    scored = [(value, n) for value, n in scored if not math.isnan(value)]
    if not scored:
        return None
    pick = max if objective.maximise else min
    return pick(scored, key=lambda pair: pair[0])[1]


def _elimination(state: _State, objective: Objective) -> SearchResult:
    survivors = list(state.candidates)
    gone: list[Elimination] = []
    stopped = "budget spent"
    while True:
        # Before each round, so a resumed search first judges the trials it already has.
        for name in eliminated(state.stats, survivors, objective):
            gone.append(Elimination(name, state.rounds, interval(state.stats[name], objective)))
            survivors.remove(name)
        if len(survivors) == 1:
            stopped = "one left"
            break
        # Best first, then those whose intervals overlap it: when the budget cannot give
        # every survivor its round, it goes where the answer is still open, not in list order.
        survivors.sort(key=lambda name: _rank(state.stats[name], objective))
        if not state.run(survivors, each=ROUND_TRIALS):
            full = all(state.stats[n].trials >= state.per_candidate for n in survivors)
            stopped = "cannot tell apart" if full and len(survivors) > 1 else "budget spent"
            break
    result = _finish(state, objective, "elimination", survivors, stopped, run=False)
    result.eliminated = gone
    return result


def _rank(outcomes: Outcomes, objective: Objective) -> tuple[float, float]:
    """Sort key, best first: the estimate, then the bound facing the best."""
    found = interval(outcomes, objective)
    if objective.maximise:
        return (-found.estimate if not math.isnan(found.estimate) else math.inf, -found.high)
    return (found.estimate, found.low)


# Trials per survivor per round: two keeps rounds short and eliminations early.
ROUND_TRIALS = 2


def _finish(
    state: _State,
    objective: Objective,
    method: Method,
    names: list[str],
    stopped: str,
    *,
    run: bool = True,
) -> SearchResult:
    if run:
        while state.run(names, each=ROUND_TRIALS):
            pass
    best = _best(state.stats, names, objective)
    return SearchResult(
        method,
        objective,
        best,
        state.used,
        state.rounds,
        state.stats,
        [],
        names,
        stopped if best is not None or not state.used else "no success",
    )


def _hill_climb(
    state: _State,
    objective: Objective,
    neighbours: Callable[[str], list[str]],
    rng: random.Random,
) -> SearchResult:
    current = rng.choice(state.candidates)
    visited = [current]
    while True:
        ring = [n for n in neighbours(current) if n not in visited]
        visited += ring
        for _ in range(state.per_candidate):
            if not state.run([current, *ring]):
                break
        best = _best(state.stats, [current, *ring], objective)
        if best is None or best == current:
            break
        current = best
        if state.used >= state.budget:
            break
    return SearchResult(
        "hill-climb",
        objective,
        current,
        state.used,
        state.rounds,
        state.stats,
        [],
        visited,
        "done",
    )
