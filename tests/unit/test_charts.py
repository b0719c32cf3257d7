"""Chart data and exported charts: where a median curve stops, and what the legend and
title say."""

from __future__ import annotations

import re
from pathlib import Path

from fep_tui.chart_export import export_charts
from sessions.analysis.charts import Curves, growth_curves, median_growth
from sessions.analysis.comparison import add_whatif, collect
from sessions.analysis.whatif import WhatIf
from tests.compare_fixtures import make_compare_dir


def _curve(turns: int) -> Curves:
    return Curves("x", tuple(range(1, turns + 1)), (0.0,) * turns, tuple(range(turns)))


def test_a_median_curve_stops_where_fewer_than_half_the_trials_reach() -> None:
    """Trials of 3, 4, 5 and 12 turns: turn 5 is reached by two of four (half: drawn),
    turn 6 by one (stop). The one long trial's tail used to be drawn as the arm's median."""
    line = median_growth([_curve(3), _curve(4), _curve(5), _curve(12)])
    assert [turn for turn, _ in line] == [1, 2, 3, 4, 5]
    line = median_growth([_curve(3), _curve(5), _curve(9), _curve(9)])
    assert [turn for turn, _ in line] == list(range(1, 10)), "two of four reach turn 9"


def test_exported_charts_name_the_what_if_and_draw_the_frontier(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    rows = add_whatif(collect([directory]).labelled(), WhatIf(caching=False))
    export_charts(rows, growth_curves(rows), tmp_path / "charts", True, "caching off")
    pareto = re.findall(r"<!-- (.*?) -->", (tmp_path / "charts" / "pareto-tiny.svg").read_text())
    assert "what-if: caching off" in pareto, "the title names the what-if"
    assert "what-if median: caching off" in pareto, "the diamonds have a legend entry"
    assert "Pareto frontier (ringed medians)" in pareto
    growth = re.findall(r"<!-- (.*?) -->", (tmp_path / "charts" / "growth-tiny.svg").read_text())
    ticks = growth[: growth.index("lead turn")]
    assert ticks and all(re.fullmatch(r"\d+", tick) for tick in ticks), ticks
    assert "median; a curve ends where fewer than half its trials reach" in growth


def test_axis_labels_of_a_narrow_range_tell_the_ticks_apart() -> None:
    """Nineteen trials costing $0.0656-0.0657 labelled all three y ticks 0.066, and wall
    times of 5.1-5.4 s read 5 at both ends of the x axis."""
    from fep_tui.widgets.plot import Mark, render_scatter

    marks = [Mark(5.1 + i * 0.015, 0.06560 + i * 0.00001, "●", "") for i in range(19)]
    lines = render_scatter(marks, [], [], 40, 9, ("wall s", "cost $")).plain.splitlines()
    y_labels = [line.split("│")[0].strip() for line in lines if "│" in line]
    ticks = [label for label in y_labels if label]
    assert len(ticks) == 3 and len(set(ticks)) == 3, ticks
    x_axis = lines[-1].split()
    assert x_axis[0] != x_axis[-2], x_axis
