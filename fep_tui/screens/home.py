"""Home: the sessions browser. Filter, sort, open, start a trial, delete with confirmation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from sessions import SessionSummary, list_sessions
from sessions.index_cache import cache_path
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
    "cost $": lambda s: s.cost_usd,
    "source": lambda s: s.source,
}


def summary_row(summary: SessionSummary) -> tuple[str, ...]:
    """`lead` is lead turns (the orchestrator's or solo model's calls), `calls` every
    role's model calls; a cut-off session shows both, and its cost, as far as it got."""
    return (
        summary.started_at.replace("+00:00", "")[5:16].replace("T", " "),
        summary.arm,
        summary.task,
        str(summary.seed),
        "running" if summary.status == "running" else summary.outcome,
        str(summary.lead_turns),
        str(summary.model_calls),
        f"{summary.cost_usd:.4f}",
        summary.source,
    )


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_trial", "New trial", id="home.new"),
        Binding("enter", "open", "Open", id="home.open"),
        Binding("d", "delete", "Delete", id="home.delete"),
        Binding("s", "sort", "Sort", id="home.sort"),
        Binding("slash", "filter", "Filter", key_display="/", id="home.filter"),
        Binding("r", "refresh", "Refresh", id="home.refresh"),
        Binding("c", "compare", "Compare arms", id="home.compare"),
    ]

    def __init__(self, sessions_dir: Path) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.summaries: list[SessionSummary] = []
        self.sort_column = "started"
        self.sort_reverse = True
        self._was_running = False

    def compose(self) -> ComposeResult:
        yield Static(id="home-title")
        yield Input(placeholder="filter by arm, task, status or source  (/)", id="filter")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(id="home-hint")
        yield Footer()

    def action_compare(self) -> None:
        open_compare = getattr(self.app, "open_compare", None)
        if open_compare is not None:
            open_compare([self.sessions_dir], [])

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.action_refresh()
        table.focus()
        self.set_interval(2.0, self._follow_live_trials)

    def _live_folds(self) -> dict[str, Timeline]:
        """Each running trial's file and its live fold."""
        live = getattr(self.app, "live_trials", [])
        return {
            str(t.writer.path): t.timeline
            for t in live
            if not t.finished and t.writer.path is not None
        }

    def _follow_live_trials(self) -> None:
        # Trials started here keep running; refresh while any runs and once after.
        running = self._live_folds()
        if running or self._was_running:
            self.action_refresh()
        self._was_running = bool(running)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        running = self._live_folds()
        self.summaries, rejected = list_sessions(self.sessions_dir, running)
        self.summaries = [
            replace(s, status="running") if s.path in running else s for s in self.summaries
        ]
        skipped = f" · {len(rejected)} unreadable file(s) skipped" if rejected else ""
        self.query_one("#home-title", Static).update(
            f"fep-tui · {len(self.summaries)} session(s) in {self.sessions_dir}{skipped}"
        )
        self._fill()

    def _visible(self) -> list[SessionSummary]:
        needle = self.query_one("#filter", Input).value.strip().lower()
        rows = [
            s for s in self.summaries if not needle or needle in " ".join(summary_row(s)).lower()
        ]
        return sorted(rows, key=_SORT_KEYS[self.sort_column], reverse=self.sort_reverse)

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        visible = self._visible()
        for summary in visible:
            table.add_row(*summary_row(summary), key=summary.path)
        hint = self.query_one("#home-hint", Static)
        if not self.summaries:
            hint.update("No sessions yet. Press n to start a simulated trial.")
        elif not visible:
            hint.update("No session matches the filter.")
        else:
            order = "descending" if self.sort_reverse else "ascending"
            hint.update(f"sorted by {self.sort_column} ({order}) · enter opens · d deletes")

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        self.sort_reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column = column
        self._fill()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.row_key.value)

    def action_sort(self) -> None:
        index = (COLUMNS.index(self.sort_column) + 1) % len(COLUMNS)
        self.sort_column, self.sort_reverse = COLUMNS[index], False
        self._fill()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_open(self) -> None:
        self._open(self._selected())

    async def action_new_trial(self) -> None:
        await self.app.run_action("new_trial")

    def action_delete(self) -> None:
        path = self._selected()
        if path is None:
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

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _open(self, path: str | None) -> None:
        if path is not None:
            self.app.call_later(self.app.open_replay, Path(path))  # type: ignore[attr-defined]
