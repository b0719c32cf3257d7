"""The comparison's charts as SVG and PNG files (matplotlib, headless Agg backend).

The same data as the compare screen's terminal charts (sessions/analysis/charts.py), drawn for a
paper: the Pareto view of cost against wall time with the medians and their frontier, and
the lead's cumulative re-read per turn by arm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from sessions.analysis.charts import (
    Curves,
    arm_medians,
    median_growth,
    pareto_frontier,
    trial_points,
)
from sessions.analysis.table import group_by
from sessions.analysis.trial_row import TrialRow

FORMATS = ("svg", "png")


def export_charts(
    rows: Sequence[TrialRow],
    growth: dict[str, dict[str, list[Curves]]],
    directory: Path,
    simulated: bool,
    whatif: str | None = None,
) -> list[Path]:
    """One Pareto and one growth chart per task, each as SVG and PNG; the paths written.
    `whatif` names the what-if whose medians are drawn as diamonds, if any."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    directory.mkdir(parents=True, exist_ok=True)
    note = "SIMULATED, not measurements of real models" if simulated else "live trials"
    written: list[Path] = []
    arms = sorted({row.arm for row in rows})
    colours = {arm: f"C{index % 10}" for index, arm in enumerate(arms)}
    for task in sorted({row.task for row in rows}):
        figure, axes = plt.subplots(figsize=(7, 4.5))
        for (arm,), group in group_by(trial_points(rows, task), ("arm",)).items():
            won = [point for point in group if point.success]
            lost = [point for point in group if not point.success]
            axes.scatter(
                [point.wall for point in won],
                [point.cost for point in won],
                color=colours[str(arm)],
                alpha=0.5,
                label=f"{arm} trials",
            )
            axes.scatter(
                [point.wall for point in lost],
                [point.cost for point in lost],
                color=colours[str(arm)],
                marker="x",
            )
        medians = arm_medians(rows, task)
        for number, point in enumerate(medians):
            axes.scatter(
                [point.wall],
                [point.cost],
                color=colours[point.arm],
                s=160,
                edgecolors="black",
                linewidths=1.5,
                zorder=3,
                label="arm median (success only)" if number == 0 else None,
            )
            axes.annotate(
                point.arm,
                (point.wall, point.cost),
                textcoords="offset points",
                xytext=(8, 6),
                weight="bold",
            )
            if not math.isnan(point.whatif_cost):
                axes.scatter(
                    [point.wall],
                    [point.whatif_cost],
                    color=colours[point.arm],
                    marker="D",
                    s=60,
                    zorder=3,
                    label=f"what-if median: {whatif}" if number == 0 and whatif else None,
                )
        # The frontier as a staircase through the medians no other median beats on both
        # cost and time, each ringed: one median that beats all others is a frontier too.
        frontier = sorted(pareto_frontier(medians), key=lambda p: p.wall)
        if frontier:
            walls = [p.wall for p in frontier]
            costs = [p.cost for p in frontier]
            axes.step(
                walls,
                costs,
                "k--",
                where="post",
                lw=1.2,
                zorder=4,
                marker="o",
                markersize=17,
                markerfacecolor="none",
                label="Pareto frontier (ringed medians)",
            )
        title = f"{task}: cost vs wall time ({note})"
        if whatif:
            title += f"\nwhat-if: {whatif}"
        axes.set(xlabel="wall time (s)", ylabel="cost (USD)", title=title)
        # Beside the plot, never over a marker.
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        written += _save(figure, directory / f"pareto-{task}")
        plt.close(figure)

        figure, axes = plt.subplots(figsize=(7, 4.5))
        for arm, curves in sorted(growth.get(task, {}).items()):
            line = median_growth(curves)
            axes.plot(
                [t for t, _ in line],
                [v for _, v in line],
                color=colours.get(arm),
                marker="o",
                ms=3,
                label=f"{arm} (median of {len(curves)})",
            )
        axes.set(
            xlabel="lead turn",
            ylabel="cumulative re-read tokens",
            title=f"{task}: re-read context growth ({note})",
        )
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend(
            fontsize="small",
            title="median; a curve ends where fewer than half its trials reach",
            title_fontsize="x-small",
        )
        written += _save(figure, directory / f"growth-{task}")
        plt.close(figure)
    return written


def _save(figure: Figure, stem: Path) -> list[Path]:
    paths = []
    for suffix in FORMATS:
        path = stem.with_suffix(f".{suffix}")
        figure.savefig(path, dpi=120, bbox_inches="tight")
        paths.append(path)
    return paths
