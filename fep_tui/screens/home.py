"""Home: the sessions browser. Filter, sort, open, start a trial, delete with confirmation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from fep_tui import keys
from fep_tui.running import RunningTrials
from fep_tui.session_filter import FilterError, SessionFilter, field_values, parse_filter
from fep_tui.widgets.key_bar import KeyBar
from fep_tui.write_guard import WriteGuard
from sessions import SessionSummary, list_sessions
from sessions.index_cache import cache_path
from sessions.store import SummaryCache, summary_of
from sessions.timeline import Timeline

COLUMNS = ("started", "arm", "task", "seed", "outcome", "lead", "calls", "cost $", "source")
_SORT_KEYS = {
    "started": lambda s: s.started_at,
    "arm": lambda s: s.arm,
    "task": lambda s: s.task,
    "seed": lambda s: s.seed,
    "outcome": lambda s: s.outcome,
    "lead": lambda s: s.lead_turns,
    "calls": lambda s: s.model_calls,
    "cost $": lambda s: -1.0 if s.cost_usd is None else s.cost_usd,
    "source": lambda s: s.source,
}


def summary_row(summary: SessionSummary, years: bool = False) -> tuple[str, ...]:
    """`lead` is lead turns (the orchestrator's or solo model's calls), `calls` every
    role's model calls; a cut-off session shows both, and its cost, as far as it got.
    `years`: the sessions span more than one year, so each date says which."""
    started = summary.started_at.replace("+00:00", "")
    return (
        started[0 if years else 5 : 16].replace("T", " "),
        summary.arm,
        summary.task,
        str(summary.seed),
        _running(summary) if summary.status == "running" else summary.outcome,
        str(summary.lead_turns),
        str(summary.model_calls),
        "unknown" if summary.cost_usd is None else f"{summary.cost_usd:.4f}",
        summary.source,
    )


def _running(summary: SessionSummary) -> str:
    # A trial on a Ray cluster says where it runs.
    return f"running@{summary.node}" if summary.node else "running"


class Cell:
    """A home table cell: one line of plain text. DataTable measures every cell of every
    row it is given, through Rich's measure protocol where a cell has one, and that costs
    a `console.options` each: 105 ms for 1,000 sessions, on every refresh, which comes
    every 2 s while a trial runs. A Cell has no measure; the columns get their widths from
    `column_widths`. It is not parsed as markup either (an arm named "[b]x")."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(self.text, no_wrap=True, end="")


def column_widths(rows: list[tuple[str, ...]]) -> list[int]:
    """Each column as wide as its header or its widest value."""
    return [
        max([cell_len(label), *(cell_len(row[index]) for row in rows)])
        for index, label in enumerate(COLUMNS)
    ]


@dataclass(frozen=True)
class Shown:
    """What the table holds: each session's path and its cells, in order."""

    paths: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @cached_property
    def widths(self) -> list[int]:
        return column_widths(list(self.rows))


@dataclass(frozen=True)
class Order:
    column: str = "started"
    descending: bool = True


class HomeScreen(Screen[None]):
    # What the list shows; changing either redraws it (the watchers below).
    order: reactive[Order] = reactive(Order, init=False)
    filter_text: reactive[str] = reactive("", init=False)
    BINDINGS: ClassVar[list[BindingType]] = keys.HOME

    class OpenSession(Message):
        """Open a session: live if its trial is running here, else as a replay."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class ShowTraces(Message):
        """List the user's Claude Code sessions (imported into `directory`)."""

        def __init__(self, directory: Path) -> None:
            super().__init__()
            self.directory = directory

    class CompareSessions(Message):
        def __init__(self, directory: Path) -> None:
            super().__init__()
            self.directory = directory

    def __init__(
        self,
        sessions_dir: Path,
        running: RunningTrials | None = None,
        writes: WriteGuard | None = None,
    ) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.writes = writes or WriteGuard()
        self.running = running or RunningTrials()
        self.summaries: list[SessionSummary] = []
        self._read = SummaryCache()
        # None until the table's columns are first added; then the columns' widths, which
        # stay until a value needs more room.
        self._shown: Shown | None = None
        self._widths: list[int] = []
        self._was_running = False
        # The session the cursor goes to on the next refresh (a trial started from here).
        self._cursor_to: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="home-title")
        yield Input(placeholder="filter: words, or arm:A task:T1 status:failed  (/)", id="filter")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(id="home-hint")
        yield KeyBar()

    def action_compare(self) -> None:
        self.post_message(self.CompareSessions(self.sessions_dir))

    def action_traces(self) -> None:
        self.post_message(self.ShowTraces(self.sessions_dir))

    def on_mount(self) -> None:
        # The list is read when the screen resumes, which it also does when first shown.
        self.query_one(DataTable).focus()
        self.set_interval(2.0, self._follow_live_trials)

    def _live_folds(self) -> dict[str, Timeline]:
        """Each running trial's file and its live fold."""
        folds = {}
        for trial in self.running.running():
            trial.pull()
            folds[str(trial.path)] = trial.timeline
        return folds

    def _follow_live_trials(self) -> None:
        if not self.app.is_running:
            return  # the app is ending (see TrialScreen.frame)
        # Trials started here keep running; refresh while any runs and once after.
        running = self._live_folds()
        if running or self._was_running:
            self.action_refresh()
        self._was_running = bool(running)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        running = self._live_folds()
        self.summaries, rejected = list_sessions(self.sessions_dir, running, self._read)
        listed = {s.path for s in self.summaries}
        # A trial still preparing (workspace, simulator, checks) has no file yet; it is
        # listed all the same, so that it can be opened live from here.
        preparing = [
            summary_of(trial.path, trial.header, None, trial.timeline)
            for trial in self.running.running()
            if str(trial.path) not in listed and trial.path.parent == self.sessions_dir
        ]
        self.summaries = [
            replace(s, status="running") if s.path in running else s
            for s in [*preparing, *self.summaries]
        ]
        skipped = f" · {len(rejected)} unreadable file(s) skipped" if rejected else ""
        read_only = "" if self.writes.why is None else " · read-only"
        self.query_one("#home-title", Static).update(
            f"fep-tui · {len(self.summaries)} session(s) in {self.sessions_dir}{skipped}{read_only}"
        )
        self._fill()

    def _visible(self) -> Shown:
        """The sessions the filter keeps, in the chosen order, with their cells (each row
        made once: the filter reads its outcome cell)."""
        wanted = self._parsed()
        if isinstance(wanted, str):
            return Shown((), ())
        years = len({s.started_at[:4] for s in self.summaries}) > 1
        rows = {s.path: summary_row(s, years) for s in self.summaries}
        kept = [s for s in self.summaries if wanted.matches(field_values(s, rows[s.path][4]))]
        kept.sort(key=_SORT_KEYS[self.order.column], reverse=self.order.descending)
        return Shown(tuple(s.path for s in kept), tuple(rows[s.path] for s in kept))

    def _parsed(self) -> SessionFilter | str:
        try:
            return parse_filter(self.filter_text)
        except FilterError as exc:
            return str(exc)

    def watch_order(self) -> None:
        self._fill()

    def watch_filter_text(self) -> None:
        self._fill()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            # Offered only where there is a filter to leave: typing in it, or one applied.
            return bool(self.filter_text) or self.query_one("#filter", Input).has_focus
        return True

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        # The cursor stays on its session when the list refreshes, wherever it moved to.
        selected, self._cursor_to = self._cursor_to or self._selected(), None
        shown = self._visible()
        last = self._shown
        fits = all(new <= old for new, old in zip(shown.widths, self._widths, strict=False))
        if last is not None and last.paths == shown.paths and fits:
            # The same sessions in the same order, as on each refresh while a trial runs:
            # only the cells that changed are drawn again (its calls, cost and outcome).
            # Building a thousand rows again took 0.13 s of the loop that answers keys.
            for path, old, new in zip(shown.paths, last.rows, shown.rows, strict=True):
                for column, was, now in zip(COLUMNS, old, new, strict=True):
                    if was != now:
                        table.update_cell(path, column, Cell(now))
        else:
            # Columns are added again with widths that fit what they now hold.
            table.clear(columns=True)
            self._widths = shown.widths
            for column, width in zip(COLUMNS, self._widths, strict=True):
                table.add_column(column, key=column, width=width)
            for path, row in zip(shown.paths, shown.rows, strict=True):
                table.add_row(*(Cell(value) for value in row), key=path)
        self._shown = shown
        if selected is not None and selected in table.rows and selected != self._selected():
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        hint = self.query_one("#home-hint", Static)
        problem = self._parsed()
        if isinstance(problem, str):
            hint.update(problem)
        elif not self.summaries:
            hint.update("No sessions yet. Press n to start a simulated trial.")
        elif not shown.paths:
            hint.update("No session matches the filter; esc clears it.")
        else:
            order = "descending" if self.order.descending else "ascending"
            hint.update(
                f"{len(shown.paths)} of {len(self.summaries)} match · esc clears the filter"
                f" · sorted by {self.order.column}, {order} (s, S)"
                if self.filter_text
                else f"sorted by {self.order.column} ({order}; s sorts, S reverses) · enter opens"
            )

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        same = column == self.order.column
        self.order = Order(column, not self.order.descending if same else False)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.row_key.value)

    def action_sort(self) -> None:
        index = (COLUMNS.index(self.order.column) + 1) % len(COLUMNS)
        self.order = Order(COLUMNS[index], False)

    def action_reverse_sort(self) -> None:
        self.order = Order(self.order.column, not self.order.descending)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one(DataTable).focus()

    def action_open(self) -> None:
        self._open(self._selected())

    async def action_new_trial(self) -> None:
        await self.app.run_action("new_trial")

    def action_delete(self) -> None:
        path = self._selected()
        if path is None or self.writes.refused(self, "deleting sessions"):
            return
        if self.running.by_path(Path(path)) is not None:
            self.notify(
                "this trial is still running: open it and let it finish, or quit to stop it",
                title="cannot delete",
                severity="warning",
            )
            return
        from fep_tui.screens.confirm import ConfirmScreen

        def confirmed(yes: bool | None) -> None:
            if yes:
                try:
                    Path(path).unlink()
                    cache_path(Path(path)).unlink(missing_ok=True)
                except OSError as exc:
                    self.notify(
                        f"could not delete {Path(path).name}: {exc.strerror}", severity="error"
                    )
                    return
                self.notify(f"deleted {Path(path).name}")
                self.action_refresh()

        self.app.push_screen(ConfirmScreen(f"Delete session {Path(path).name}?"), confirmed)

    def select_later(self, path: Path) -> None:
        """Put the cursor on `path` when the list is next filled: a trial started from
        here is the row a user who leaves its screen wants under enter."""
        self._cursor_to = str(path)

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _open(self, path: str | None) -> None:
        if path is not None:
            self.post_message(self.OpenSession(Path(path)))
