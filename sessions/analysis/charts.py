"""The data behind the comparison's charts, free of any drawing: the Pareto view of cost
against wall time, the frontier of arm medians, and per-turn growth curves."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sessions.analysis.table import group_by, median
from sessions.analysis.trial_row import TrialRow
from sessions.index_cache import open_index


@dataclass(frozen=True)
class ArmPoint:
    """An arm's success-only medians on one task; `whatif_cost` when a what-if is on."""

    arm: str
    cost: float
    wall: float
    whatif_cost: float = math.nan


@dataclass(frozen=True)
class Curves:
    """One session's lead turns with the running totals after each."""

    label: str
    turns: tuple[int, ...]
    cost: tuple[float, ...]
    reread: tuple[int, ...]


@dataclass(frozen=True)
class TrialPoint:
    """One trial in the scatter."""

    arm: str
    cost: float
    wall: float
    success: bool


def trial_points(rows: Sequence[TrialRow], task: str) -> list[TrialPoint]:
    """Every judged trial of `task`: arm, cost, wall time, success (the scatter)."""
    return [
        TrialPoint(row.arm, row.cost_usd, row.wall_s, bool(row.success))
        for row in rows
        if row.task == task and row.cost_usd is not None and row.wall_s is not None
    ]


def arm_medians(rows: Sequence[TrialRow], task: str) -> list[ArmPoint]:
    """Each arm's success-only medians on `task`."""
    won = [row for row in rows if row.task == task and row.success]
    return [
        ArmPoint(
            str(arm),
            median(group, "cost_usd"),
            median(group, "wall_s"),
            median(group, "whatif_cost_usd"),
        )
        for (arm,), group in group_by(won, ("arm",)).items()
    ]


def pareto_frontier(points: list[ArmPoint]) -> list[ArmPoint]:
    """The arms no other arm beats on both cost and wall time, cheapest first."""
    frontier: list[ArmPoint] = []
    for point in sorted(points, key=lambda p: (p.cost, p.wall)):
        if not frontier or point.wall < frontier[-1].wall:
            frontier.append(point)
    return frontier


def session_curves(path: Path, label: str = "") -> Curves:
    """Cumulative trial cost and lead re-read after each lead turn, from the index's rows."""
    rows = open_index(path).timeline.lead_rows()
    return Curves(
        label or path.stem,
        tuple(r.turn for r in rows),
        tuple(r.cost_usd for r in rows),
        tuple(r.reread for r in rows),
    )


def median_growth(curves: list[Curves]) -> list[tuple[int, float]]:
    """Median cumulative lead re-read at each turn, over the sessions that reached it. The
    curve stops at the first turn fewer than half the sessions reach: past it, a "median"
    of the few long trials would look like the arm's typical growth."""
    by_turn: dict[int, list[int]] = {}
    for curve in curves:
        for turn, value in zip(curve.turns, curve.reread, strict=True):
            by_turn.setdefault(turn, []).append(value)
    half = len(curves) / 2
    line = []
    for turn, values in sorted(by_turn.items()):
        if len(values) < half:
            break
        line.append((turn, float(statistics.median(values))))
    return line


def growth_curves(
    rows: Sequence[TrialRow], per_arm: int = 50
) -> dict[str, dict[str, list[Curves]]]:
    """Per task and arm, the curves of up to `per_arm` sessions (imported published rows
    have no turns). Reading whole sessions is the slow part, hence the cap."""
    out: dict[str, dict[str, list[Curves]]] = {}
    sessions = [row for row in rows if row.origin == "session"]
    for (task, arm), group in group_by(sessions, ("task", "arm")).items():
        paths = [row.path for row in group][:per_arm]
        out.setdefault(str(task), {})[str(arm)] = [session_curves(Path(p)) for p in paths]
    return out
