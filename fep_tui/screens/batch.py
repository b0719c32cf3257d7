"""The batch screen: a grid of trials running in the app, any of which opens live.

The batch itself is engine/batch.py, as on the command line: same seeds, same resume
(trials already finished in the directory are listed as done and not run again), same
"until n successes" stop. Each trial feeds a LiveTrial, so opening a running one shows the
ordinary trial screen, caught up and streaming.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, ProgressBar, Static

from engine.batch import BatchPlan, CellState, plan_cells, run_batch
from engine.events import EventSink
from engine.runners import TrialRunner
from engine.trial import TrialConfig, TrialOutcome
from fep_tui import keys
from fep_tui.running import RunningTrials
from fep_tui.sources import LiveTrial
from fep_tui.widgets.key_bar import KeyBar
from sessions.claims import TrialClaims
from sessions.store import SessionSummary, judged_sessions, trial_results

COLUMNS = ("arm", "task", "seed", "status", "turns", "cost $")
# With trials on Ray, the machine each one runs on.
NODE = "node"
# (arm, task, seed)
TrialKey = tuple[str, str, int]


class BatchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.BATCH

    class TrialAdded(Message):
        """The engine started a trial of the batch (posted from the engine's thread)."""

        def __init__(self, key: TrialKey, trial: LiveTrial) -> None:
            super().__init__()
            self.key, self.trial = key, trial

    class OpenTrial(Message):
        """Show a trial of the batch on its own screen (the app keeps one per trial)."""

        def __init__(self, trial: LiveTrial) -> None:
            super().__init__()
            self.trial = trial

    class TrialDone(Message):
        """A trial of the batch ended (posted from the engine's thread)."""

        def __init__(self, key: TrialKey, outcome: TrialOutcome | None, error: str | None) -> None:
            super().__init__()
            self.key, self.outcome, self.error = key, outcome, error

    def __init__(
        self,
        plan: BatchPlan,
        directory: Path,
        running: RunningTrials,
        runner: TrialRunner | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.directory = directory
        self.running = running
        self.runner = runner
        self.headings = (*COLUMNS, NODE) if runner is not None else COLUMNS
        self.cells: dict[tuple[str, str], CellState] = {}
        self.trials: dict[TrialKey, LiveTrial] = {}
        # Trials a previous run finished, with what their sessions say.
        self.earlier: dict[TrialKey, SessionSummary] = {}
        self.errors: dict[TrialKey, str] = {}
        self.done = 0
        self.total = 0
        self.cost = 0.0
        self.started = time.monotonic()
        self.finished = False

    def compose(self) -> ComposeResult:
        yield Static(id="batch-title")
        yield ProgressBar(id="batch-progress", show_eta=False)
        yield DataTable(id="batch-trials", cursor_type="row", zebra_stripes=True)
        yield Static(
            "enter opens a trial (live while it runs) · escape keeps it running", id="batch-hint"
        )
        yield KeyBar()

    def on_mount(self) -> None:
        judged = judged_sessions(self.directory)
        self.cells = plan_cells(self.plan, trial_results(judged))
        # The first of each, as plan_cells counts it: it shows its turns and cost.
        on_file: dict[TrialKey, SessionSummary] = {}
        for summary in judged:
            on_file.setdefault((summary.arm, summary.task, summary.seed), summary)
        table = self.query_one(DataTable)
        widths = {"status": 12, "turns": 5, "cost $": 8, NODE: 12}
        for column in self.headings:
            table.add_column(column, key=column, width=widths.get(column))
        for cell in self.cells.values():
            for seed in range(self.plan.trials):
                key = (cell.arm, cell.task, seed)
                if seed in cell.done_seeds:
                    self.earlier[key] = on_file[key]
                table.add_row(*self._cells(key), key=_row_key(key))
        self.total = len(self.cells) * self.plan.trials
        self.done = len(self.earlier)
        self.query_one(ProgressBar).update(total=self.total, progress=self.done)
        self.app.run_worker(
            self.running.engine.run(
                run_batch(
                    self.plan,
                    self.cells,
                    self._new_sinks,
                    self._finished,
                    self.runner,
                    TrialClaims(self.directory).claim,
                )
            ),
            name="batch",
            group="batch",
            exit_on_error=False,
        )
        self.set_interval(0.5, self._refresh)
        self._refresh()
        table.focus()

    def _new_sinks(self, config: TrialConfig) -> tuple[list[EventSink], Callable[[], None]]:
        """Called on the engine's thread: the grid learns of the trial by a message."""
        live = LiveTrial(config, self.directory)
        live.started = time.monotonic()
        self.post_message(self.TrialAdded((config.arm.name, config.task_id, config.seed), live))
        return [live.writer, live], live.writer.close

    def _finished(
        self, arm: str, task: str, seed: int, outcome: TrialOutcome | None, error: str | None
    ) -> None:
        self.post_message(self.TrialDone((arm, task, seed), outcome, error))

    def on_batch_screen_trial_added(self, message: TrialAdded) -> None:
        earlier = self.trials.get(message.key)
        if earlier is not None and not earlier.finished:
            # Run again because its worker was lost (engine/runners.py): the lost run's file
            # is closed and ends in an error; this new run takes its row.
            earlier.finish(None, "worker lost; running it again")
        self.trials[message.key] = message.trial
        self.running.add(message.trial)

    def on_batch_screen_trial_done(self, message: TrialDone) -> None:
        live = self.trials.get(message.key)
        if live is not None:
            live.finish(message.outcome, message.error)
        if message.error is not None:
            self.errors[message.key] = message.error
        if message.outcome is not None:
            self.cost += message.outcome.total_cost_usd
        self.done += 1

    def _status(self, key: tuple[str, str, int]) -> str:
        live = self.trials.get(key)
        if key in self.earlier:
            return "done earlier"
        if live is None:
            cell = self.cells.get(key[:2])
            if self.finished or (cell is not None and cell.satisfied(self.plan)):
                return "not needed"
            return "queued"
        if key in self.errors or (live.outcome is not None and live.outcome.status == "error"):
            return "error"
        if live.outcome is not None:
            return "success" if live.outcome.success else "failed"
        return "running"

    def _cells(self, key: tuple[str, str, int]) -> tuple[str, ...]:
        live = self.trials.get(key)
        turns, cost, node = "-", "-", ""
        earlier = self.earlier.get(key)
        if earlier is not None:
            turns = str(earlier.lead_turns)
            cost = "?" if earlier.cost_usd is None else f"{earlier.cost_usd:.4f}"
        if live is not None:
            live.pull()
            snapshot = live.timeline.snapshot(live.length)
            turns = str(snapshot.lead_turn)
            cost = f"{snapshot.total_cost_usd:.4f}"
            node = live.header.node or ("waiting" if live.length == 0 else "")
        cells = (key[0], key[1], str(key[2]), self._status(key), turns, cost)
        return (*cells, node) if self.runner is not None else cells

    def _refresh(self) -> None:
        if not self.app.is_running:
            return  # the app is ending (see TrialScreen.frame)
        table = self.query_one(DataTable)
        for key in [*self.trials, *self.earlier]:
            for column, value in zip(self.headings, self._cells(key), strict=True):
                table.update_cell(_row_key(key), column, value)
        if not self.finished and self.done >= self.total - self._not_needed():
            self.finished = all(t.finished for t in self.trials.values())
        running = sum(1 for t in self.trials.values() if not t.finished)
        label = "SIMULATED" if self.plan.backend == "sim" else "LIVE"
        if self.runner is not None:
            label += f" on {self.runner.where}"
        state = "finished" if self.finished else f"{running} running"
        # What running trials have spent so far counts too: a live batch's first trials can
        # run for many minutes, and the header said $0.0000 all that time.
        spent = self.cost + sum(
            t.timeline.snapshot(t.length).total_cost_usd
            for t in self.trials.values()
            if not t.finished and t.outcome is None
        )
        self.query_one("#batch-title", Static).update(
            f"batch · {self.done}/{self.total} trials · ${spent:.4f} this run · {label} · "
            f"{state} · {self._eta()}"
        )
        self.query_one(ProgressBar).update(total=self.total, progress=self.done)

    def _not_needed(self) -> int:
        return sum(
            self.plan.trials - len(c.done_seeds)
            for c in self.cells.values()
            if c.satisfied(self.plan)
        )

    def _eta(self) -> str:
        ran = self.done - len(self.earlier)
        left = self.total - self.done - self._not_needed()
        if self.finished or left <= 0:
            return "done"
        if ran <= 0:
            return "ETA after the first trial"
        per_trial = (time.monotonic() - self.started) / ran
        return f"ETA ~{per_trial * left:.0f} s"

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        row = table.get_row_at(table.cursor_row)
        key = (str(row[0]), str(row[1]), int(row[2]))
        live = self.trials.get(key)
        if live is not None:
            self.post_message(self.OpenTrial(live))
            return
        if key in self.earlier:
            self.notify("finished in an earlier run: open it from the sessions list", timeout=4)
        else:
            self.notify("not started yet", timeout=3)


def _row_key(key: tuple[str, str, int]) -> str:
    return f"{key[0]}|{key[1]}|{key[2]}"
