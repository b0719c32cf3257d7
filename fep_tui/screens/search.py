"""The search screen: a leaderboard of role assignments that shrinks as trials come in.

The search (sessions/analysis/search.py) runs on a worker thread; after every round the
screen gets the candidates' outcomes in a message and redraws. Each candidate shows its
99% interval as a bar on one scale, eliminated ones are dimmed with the round they fell
in, and the title shows the budget spent and the saving over brute force so far.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from fep_tui import keys
from fep_tui.widgets.key_bar import KeyBar
from sessions.analysis.search import (
    Interval,
    Known,
    Method,
    Objective,
    Outcomes,
    RoundReport,
    RunRound,
    SearchResult,
    interval,
    search,
)

BAR = 24
COLUMNS = ("candidate", "status", "n", "estimate", "99% interval")


@dataclass
class SearchJob:
    """What to search: the candidates (name -> description), the objective and budget,
    the trials already on file, and how to run a round of trials."""

    candidates: dict[str, str]
    objective: Objective
    method: Method
    budget: int
    per_candidate: int
    run_round: RunRound
    known: Known = field(default_factory=dict)
    label: str = "SIMULATED"
    neighbours: Callable[[str], list[str]] | None = None


class SearchScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.SEARCH

    class RoundDone(Message):
        """A round of trials came back, or was replayed from file (posted from the search's
        thread)."""

        def __init__(self, report: RoundReport) -> None:
            super().__init__()
            self.report = report

    class CompareTrials(Message):
        """Open the search's trials in compare."""

        def __init__(self, directory: Path, arms: frozenset[str]) -> None:
            super().__init__()
            self.directory, self.arms = directory, arms

    def __init__(self, job: SearchJob, directory: Path) -> None:
        super().__init__()
        self.job = job
        self.directory = directory
        # The trials on file arrive as replayed rounds, in the rounds they were run in.
        self.stats = {name: Outcomes() for name in job.candidates}
        self.round = 0
        self.used = 0
        self.out_in: dict[str, int] = {}
        self.last_running = list(job.candidates)
        self.result: SearchResult | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="search-title")
        yield DataTable(id="search-board", cursor_type="row", zebra_stripes=True)
        yield Static(id="search-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Fixed widths: the rows are redrawn every round, and a width fitted to the first
        # round ("0" trials, "running") would cut "40" and "out, round 12" later.
        names = max(len(name) for name in self.job.candidates)
        widths = (max(9, names), 13, 4, 8, BAR)
        for column, width in zip(COLUMNS, widths, strict=True):
            table.add_column(column, key=column, width=width)
        table.focus()
        self._draw()
        self._search()

    # A failed round is a notification; left to Textual's default it ended the app.
    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self) -> SearchResult:
        job = self.job
        return search(
            list(job.candidates),
            job.run_round,
            job.objective,
            method=job.method,
            budget=job.budget,
            per_candidate=job.per_candidate,
            known=job.known,
            neighbours=job.neighbours,
            on_round=self._report,
        )

    def _report(self, report: RoundReport) -> None:
        # On the search's thread: post_message is the thread-safe way to the screen.
        self.post_message(self.RoundDone(report))

    @on(RoundDone)
    def _round(self, message: RoundDone) -> None:
        if self.result is not None:
            # The worker's result can be handled before its last rounds' messages.
            return
        report = message.report
        self.round = report.round
        # The names a round asks for are its survivors: the screen learns who fell.
        for name in self.last_running:
            if name not in report.ran and name not in self.out_in:
                self.out_in[name] = self.round - 1
        self.last_running = report.ran
        self.stats = report.stats
        self.used += report.trials
        self._draw()

    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "search":
            return
        if event.state == WorkerState.ERROR:
            self.notify(f"the search stopped: {event.worker.error}", severity="error")
        elif event.state == WorkerState.SUCCESS and isinstance(event.worker.result, SearchResult):
            self.result = event.worker.result
            self.stats = self.result.stats
            self.used = self.result.trials
            # The search's own account: a candidate that only reached its cap is not out.
            self.out_in = {e.candidate: e.round for e in self.result.eliminated}
            self._draw()

    def _draw(self) -> None:
        job = self.job
        brute = len(job.candidates) * job.per_candidate
        if self.result is None:
            state = f"round {self.round} · {self.used}/{job.budget} trials"
        else:
            saved = 1 - self.used / brute if brute else 0.0
            state = f"done · {self.used} trials, {saved:.0%} fewer"
        # Brute force is every candidate at its cap: say so, since it is not the budget.
        every = f"brute force {len(job.candidates)}x{job.per_candidate}"
        self.query_one("#search-title", Static).update(
            f"{job.label} search · {job.objective.label()} · {state} · {every}"
        )
        spans = {n: interval(self.stats[n], job.objective) for n in job.candidates}
        top = max(
            (s.high for s in spans.values() if math.isfinite(s.high)),
            default=1.0,
        )
        table = self.query_one(DataTable)
        table.clear()
        for name in self._order(spans):
            table.add_row(*self._row(name, spans[name], top), key=name)
        self.query_one("#search-hint", Static).update(self._hint())

    def _order(self, spans: dict[str, Interval]) -> list[str]:
        def key(name: str) -> tuple[int, float]:
            estimate = spans[name].estimate
            value = estimate if math.isfinite(estimate) else math.inf
            return (name in self.out_in, -value if self.job.objective.maximise else value)

        return sorted(self.job.candidates, key=key)

    def _row(self, name: str, span: Interval, top: float) -> list[Text]:
        held = self.stats[name]
        out = name in self.out_in
        best = self.result is not None and name == self.result.best
        status = (
            "best"
            if best
            else f"out, round {self.out_in[name]}"
            if out
            else "running"
            if self.result is None
            else "survivor"
        )
        style = "dim" if out else "bold green" if best else ""
        money = not self.job.objective.maximise
        estimate = _figure(span.estimate, money)
        cells = [
            Text(name, style=style),
            Text(status, style=style),
            Text(f"{held.trials}", style=style, justify="right"),
            Text(estimate, style=style, justify="right"),
            _bar(span, top, style or "cyan"),
        ]
        return cells

    def _hint(self) -> str:
        if self.result is None:
            return "trials are running · escape leaves it running · enter: compare its trials"
        if self.result.best is None:
            return f"{self.result.verdict} · enter: compare"
        best = self.result.best
        described = self.job.candidates.get(best, "")
        return f"best: {best} ({described}) · {self.result.verdict} · enter: compare"

    def action_compare(self) -> None:
        self.post_message(self.CompareTrials(self.directory, frozenset(self.job.candidates)))

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_compare()


def _figure(value: float, money: bool) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value:.4f}" if money else f"{value:.0%}"


def _bar(span: Interval, top: float, style: str) -> Text:
    """The interval on one scale for all candidates: ─ over it, ● at the estimate."""
    if not math.isfinite(span.estimate) or top <= 0:
        return Text(" " * BAR)

    def at(value: float) -> int:
        return max(0, min(BAR - 1, round(value / top * (BAR - 1))))

    low = at(span.low)
    high = at(span.high) if math.isfinite(span.high) else BAR - 1
    cells = [" "] * BAR
    for i in range(low, high + 1):
        cells[i] = "─"
    cells[at(span.estimate)] = "●"
    return Text("".join(cells), style=style)
