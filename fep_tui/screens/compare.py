"""The compare screen: arms side by side per task with the statistics a paper needs.

The table and tests come from sessions/analysis/comparison.py (the same numbers `fep-tui compare`
prints), the charts from sessions/analysis/charts.py. Loading, what-if re-simulation and the growth
curves read session files, so they run in worker threads and the screen redraws when done.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from fep_tui import keys
from fep_tui.compare_output import arm_columns
from fep_tui.tables import fit, screen_cells
from fep_tui.widgets.key_bar import KeyBar
from fep_tui.widgets.plot import (
    Mark,
    Series,
    arm_style,
    lines_area,
    render_lines,
    render_scatter,
)
from fep_tui.widgets.titled import titled
from fep_tui.write_guard import WriteGuard
from sessions.analysis.charts import (
    Curves,
    arm_medians,
    median_growth,
    pareto_frontier,
    trial_points,
)
from sessions.analysis.comparison import (
    TrialRows,
    add_whatif,
    arm_table,
    collect,
    pairwise,
    source_labels,
    whatif_note,
)
from sessions.analysis.groups import split_note
from sessions.analysis.statistics import MIN_TRIALS_FOR_SIZE, TOO_FEW
from sessions.analysis.table import Row, group_by, missing
from sessions.analysis.trial_row import TrialRow
from sessions.analysis.whatif import WhatIf
from sessions.format import SessionFileError

WHATIF_PRESETS: tuple[WhatIf | None, ...] = (
    None,
    WhatIf(caching=False),
    WhatIf(write_ttl="1h"),
    WhatIf(summary_cap=500),
    WhatIf(summary_cap=100),
    WhatIf(rate_card="published"),
)
SORTS = (
    ("arm", "arm"),
    ("median $", "median_cost_usd"),
    ("rate", "success_rate"),
    ("wall s", "median_wall_s"),
    ("re-read", "median_lead_cache_read"),
)
_GROWTH_PER_ARM = 30
FAILED = "\u00d7"  # a multiplication sign marks a failed trial


@dataclass(frozen=True)
class Loaded:
    """What one load of the comparison found, and the what-if it was made with."""

    whatif: WhatIf | None
    found: TrialRows
    rows: list[TrialRow]
    problem: str = ""


class CompareScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.COMPARE
    # Which task, sort and what-if are shown; the watchers redraw or reload.
    task_index: reactive[int] = reactive(0, init=False)
    sort_index: reactive[int] = reactive(0, init=False)
    preset: reactive[int] = reactive(0, init=False)
    # `c`: the charts alone over the whole body.
    charts_only: reactive[bool] = reactive(False, init=False)

    def __init__(
        self,
        directories: list[Path],
        imports: list[Path] | None = None,
        whatif: WhatIf | None = None,
        baseline: str = "A",
        arms: frozenset[str] | None = None,
        writes: WriteGuard | None = None,
    ) -> None:
        super().__init__()
        self.directories = directories
        self.writes = writes or WriteGuard()
        self.imports = imports or []
        # Only these arms' trials (a search's candidates), when given.
        self.only_arms = arms
        self.baseline = baseline
        presets = list(WHATIF_PRESETS)
        if whatif not in presets:
            presets.insert(1, whatif)
        self.presets = presets
        self.set_reactive(CompareScreen.preset, presets.index(whatif))
        self.found: TrialRows | None = None
        self.rows: list[TrialRow] = []
        self.tasks: list[str] = []
        self.growth: dict[tuple[str, str], list[Curves]] = {}

    @property
    def whatif(self) -> WhatIf | None:
        return self.presets[self.preset]

    @property
    def current_task(self) -> str | None:
        return self.tasks[self.task_index] if self.tasks else None

    def compose(self) -> ComposeResult:
        yield Static("compare: loading sessions...", id="compare-title")
        with Vertical(id="compare-body"):
            arms: DataTable[Any] = DataTable(id="arm-table", cursor_type="row", zebra_stripes=True)
            yield titled(arms, "arms")
            pairwise: DataTable[Any] = DataTable(id="pairwise", cursor_type="none")
            yield titled(pairwise, "pairwise on success-only cost")
            yield Static(id="compare-notes")
            with Horizontal(id="compare-charts"):
                yield titled(Static(id="pareto"), "cost vs wall time")
                yield titled(Static(id="growth"), "lead re-read growth")
        yield KeyBar()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, group="compare-load", exit_on_error=False)
    def _load(self) -> Loaded:
        """Read the sessions and apply the what-if chosen when this load began; the result
        says which what-if it holds, so a late one never lands under another's title."""
        whatif = self.whatif
        found = collect(self.directories, self.imports)
        if self.only_arms is not None:
            found.rows = [r for r in found.rows if r.arm_name in self.only_arms]
            found.excluded = [e for e in found.excluded if e.arm in self.only_arms]
        rows = found.labelled()
        problem = ""
        if whatif is not None and rows:
            try:
                rows = add_whatif(rows, whatif)
            except (SessionFileError, OSError, ValueError, KeyError) as exc:
                problem = f"what-if not applied: {exc}"
        return Loaded(whatif, found, rows, problem)

    def _loaded(self, loaded: Loaded) -> None:
        if loaded.whatif != self.whatif:
            return  # `w` was pressed again: a newer load is on its way
        if loaded.problem:
            self.notify(loaded.problem, severity="error", timeout=10)
            self.set_reactive(CompareScreen.preset, 0)
        self.found, self.rows = loaded.found, loaded.rows
        self.tasks = sorted({row.task for row in self.rows})
        self.set_reactive(
            CompareScreen.task_index, min(self.task_index, max(0, len(self.tasks) - 1))
        )
        self._redraw()

    def on_resize(self) -> None:
        # Which columns fit depends on the width.
        self._draw_table()
        self._draw_charts()

    def _redraw(self) -> None:
        self._draw_title()
        self._draw_table()
        self._draw_pairwise()
        self._draw_notes()
        self._draw_charts()
        if self.current_task is not None and not self._growth_ready(self.current_task):
            self._load_growth(self.current_task)

    def _draw_title(self) -> None:
        title = self.query_one("#compare-title", Static)
        if self.found is None:
            return
        if not self.rows:
            title.update("compare: no finished sessions or imported results here")
            return
        sources = source_labels(self.rows)
        trials = sum(row.task == self.current_task for row in self.rows)
        whatif = f"  ·  what-if: {self.whatif.label()}" if self.whatif else ""
        title.update(
            f"compare  ·  task {self.current_task} ({self.task_index + 1}/{len(self.tasks)}, "
            f"{trials} trials)  ·  {' + '.join(sources)}{whatif}"
        )

    def _table(self) -> list[Row]:
        table = arm_table(self.rows, self.baseline)
        rows = [row for row in table if row["task"] == self.current_task]
        column = SORTS[self.sort_index][1]
        # Missing figures last, as they are not smaller than any.
        present = [row for row in rows if not missing(row[column])]
        return sorted(present, key=lambda row: row[column]) + [
            row for row in rows if missing(row[column])
        ]

    def _draw_table(self) -> None:
        table = self.query_one("#arm-table", DataTable)
        table.clear(columns=True)
        if not self.rows:
            return
        # The columns, labels and formats `fep-tui compare` prints (fep_tui/compare_output.py),
        # and, as there, the least important left out (and named) when the screen is too
        # narrow, rather than put behind a sideways scroll. The title names the task, and
        # the source when there is one.
        rows = self._table()
        mixed = len(source_labels(self.rows)) > 1
        specs = [
            c
            for c in arm_columns(self.baseline, self.whatif is not None)
            if c.key != "task" and (c.key != "source" or mixed)
        ]
        # The table's border takes 2 columns of the screen.
        width = self.app.size.width - 2
        kept, left_out = fit(specs, rows, width, framed=False)
        for column in kept:
            table.add_column(column.header, key=column.key)
        for row in rows:
            table.add_row(*screen_cells(kept, row), key=str(row["arm"]))
        label = SORTS[self.sort_index][0]
        subtitle = f"medians over successful trials · sorted by {label} (s)"
        if left_out:
            subtitle += f" · +{len(left_out)} columns when wider"
        table.border_subtitle = subtitle

    def _draw_pairwise(self) -> None:
        grid = self.query_one("#pairwise", DataTable)
        grid.clear(columns=True)
        if not self.rows:
            return
        pairs = [pair for pair in pairwise(self.rows) if pair["task"] == self.current_task]
        arms = sorted({row.arm for row in self.rows if row.task == self.current_task})
        grid.add_column("", key="arm")
        for arm in arms:
            grid.add_column(arm, key=arm)
        cells: dict[tuple[str, str], str] = {}
        methods = set()
        for pair in pairs:
            methods.add(str(pair["method"]))
            p, magnitude = _number(pair["p"], ".3f"), str(pair["magnitude"])[:1].upper()
            if pair["magnitude"] == TOO_FEW:
                magnitude = "?"
            # Cliff's d is row against column, so the mirrored cell has the opposite sign.
            for row, column, sign in (
                (pair["arm_a"], pair["arm_b"], 1),
                (pair["arm_b"], pair["arm_a"], -1),
            ):
                delta = _number(sign * pair["cliffs_delta"], "+.2f")
                cells[(str(row), str(column))] = f"p={p} d={delta} {magnitude}"
        for arm in arms:
            grid.add_row(arm, *(cells.get((arm, other), "·") for other in arms))
        method = "/".join(sorted(str(m) for m in methods)) or "-"
        grid.border_subtitle = (
            f"Mann-Whitney U ({method}); Cliff's d row vs column: N/S/M/L magnitude, "
            f"? under {MIN_TRIALS_FOR_SIZE} trials"
        )

    def _draw_notes(self) -> None:
        notes = self.query_one("#compare-notes", Static)
        if self.found is None:
            return
        split = split_note(self.rows)
        lines = [split] if split else []
        lines += self.found.notes()
        if self.whatif is not None:
            lines.append(whatif_note(self.rows, self.whatif))
        notes.update("\n".join(lines))

    def _draw_charts(self) -> None:
        if self.current_task is None:
            return
        pareto = self.query_one("#pareto", Static)
        width, height = pareto.size.width - 2, max(4, pareto.size.height - 3)
        arms = list(dict.fromkeys(row.arm for row in self.rows))
        points = trial_points(self.rows, self.current_task)
        marks = [
            Mark(p.wall, p.cost, "●" if p.success else FAILED, arm_style(arms, p.arm))
            for p in points
        ]
        medians = arm_medians(self.rows, self.current_task)
        highlights = [Mark(m.wall, m.cost, m.arm[:1], arm_style(arms, m.arm)) for m in medians]
        highlights += [
            Mark(m.wall, m.whatif_cost, "◆", arm_style(arms, m.arm))
            for m in medians
            if not math.isnan(m.whatif_cost)
        ]
        frontier = [(m.wall, m.cost) for m in pareto_frontier(medians)]
        pareto.update(
            render_scatter(marks, highlights, frontier, width, height, ("wall s", "cost $"))
        )
        # Short enough for half of 80 columns; the what-if diamond adds to it when shown.
        pareto.border_subtitle = f"● ok {FAILED} fail A-Z median ·· Pareto" + (
            " ◆ what-if" if self.whatif else ""
        )
        growth = self.query_one("#growth", Static)
        series = [
            Series(arm, arm_style(arms, arm), tuple(median_growth(curves)))
            for (task, arm), curves in sorted(self.growth.items())
            if task == self.current_task and curves
        ]
        if not series:
            growth.update("(growth curves: loading, or no saved sessions for this task)")
            return
        growth.update(render_lines(series, *lines_area(growth), ("lead turn", "tokens")))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        result = event.worker.result
        if event.state == WorkerState.SUCCESS and isinstance(result, Loaded):
            self._loaded(result)
            return
        # A worker's unexpected error would otherwise leave "loading..." up for good.
        if event.state == WorkerState.ERROR and event.worker.group.startswith("compare-"):
            action = event.worker.group.removeprefix("compare-")
            message = f"compare {action} failed: {event.worker.error}"
            if self.found is None:
                self.query_one("#compare-title", Static).update(message)
            self.notify(message, severity="error", timeout=10)

    def _growth_ready(self, task: str) -> bool:
        return any(key[0] == task for key in self.growth)

    @work(thread=True, group="compare-growth", exit_on_error=False)
    def _load_growth(self, task: str) -> None:
        from sessions.analysis.charts import session_curves

        rows = [row for row in self.rows if row.task == task and row.origin == "session"]
        loaded: dict[tuple[str, str], list[Curves]] = {}
        for (arm,), group in group_by(rows, ("arm",)).items():
            curves = []
            for path in [row.path for row in group][:_GROWTH_PER_ARM]:
                # A file removed or damaged since the table was read drops out of the chart.
                with contextlib.suppress(SessionFileError, OSError):
                    curves.append(session_curves(Path(path)))
            loaded[(task, str(arm))] = curves
        self.app.call_from_thread(self._growth_loaded, loaded)

    def _growth_loaded(self, loaded: dict[tuple[str, str], list[Curves]]) -> None:
        self.growth.update(loaded)
        self._draw_charts()

    def action_next_task(self) -> None:
        if self.tasks:
            self.task_index = (self.task_index + 1) % len(self.tasks)

    def watch_task_index(self) -> None:
        self._redraw()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)

    def watch_sort_index(self) -> None:
        self._draw_table()

    def action_whatif(self) -> None:
        if not self.rows:
            self.notify("nothing to re-price: no finished trials here", severity="warning")
            return
        self.preset = (self.preset + 1) % len(self.presets)

    def watch_preset(self) -> None:
        label = self.whatif.label() if self.whatif else "off"
        self.notify(f"what-if: {label} (re-simulating...)", timeout=3)
        self._load()

    def action_charts(self) -> None:
        """The charts alone, over the whole body (at 80x24 the tables left them 4 lines),
        and back."""
        self.charts_only = not self.charts_only

    def watch_charts_only(self, charts_only: bool) -> None:
        for selector in ("#arm-table", "#pairwise", "#compare-notes"):
            self.query_one(selector).display = not charts_only
        # Drawn again once the new layout has sized them.
        self.call_after_refresh(self._draw_charts)

    def action_side_by_side(self) -> None:
        from fep_tui.screens.pick_sessions import PickSessionsScreen
        from fep_tui.screens.side_by_side import SideBySideScreen

        if self.current_task is None:
            return
        rows = [
            row for row in self.rows if row.task == self.current_task and row.origin == "session"
        ]
        if len(rows) < 2:
            self.notify(
                "side by side needs two saved sessions of this task",
                severity="warning",
            )
            return

        def chosen(paths: tuple[Path, Path] | None) -> None:
            if paths is None:
                return
            try:
                side_by_side = SideBySideScreen(*paths)
            except SessionFileError as exc:
                self.notify(str(exc), title="cannot open", severity="error", timeout=8)
                return
            self.app.push_screen(side_by_side)

        self.app.push_screen(PickSessionsScreen(rows), chosen)

    def action_export(self) -> None:
        if self.writes.refused(self, "exporting charts"):
            return
        if not self.rows:
            self.notify("nothing to export", severity="warning")
            return
        from fep_tui.screens.ask_path import AskPathScreen

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        # Beside the compared files: the first directory, or the first import's folder.
        near = self.directories[0] if self.directories else self.imports[0].parent
        default = near / f"charts-{stamp}"

        def chosen(target: Path | None) -> None:
            if target is not None:
                self.notify(f"exporting charts to {target} ...", timeout=3)
                self._export(target)

        self.app.push_screen(AskPathScreen("Write the charts (SVG + PNG) to:", default), chosen)

    @work(thread=True, group="compare-export", exit_on_error=False)
    def _export(self, target: Path) -> None:
        from fep_tui.chart_export import export_charts
        from sessions.analysis.charts import growth_curves

        try:
            written = export_charts(
                self.rows,
                growth_curves(self.rows),
                target,
                any(row.simulated for row in self.rows),
                self.whatif.label() if self.whatif else None,
            )
        except OSError as exc:
            self.app.call_from_thread(
                self.notify, f"cannot write charts: {exc}", severity="error", timeout=8
            )
            return
        self.app.call_from_thread(
            self.notify, f"{len(written)} chart files (SVG + PNG) in {target}", timeout=8
        )


def _number(value: float, spec: str) -> str:
    return "-" if missing(value) else format(value, spec)
