"""Your Claude Code sessions, largest re-read cost of subagent results first: the list
`fep-tui traces` prints. New and grown sessions are imported by a worker on a thread (a
first import of a big projects directory takes a while); enter opens one in the trial
screen."""

from __future__ import annotations

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
from fep_tui.tables import cell
from fep_tui.trace_rows import COLUMNS, largest_first, trace_row
from fep_tui.widgets.key_bar import KeyBar
from fep_tui.write_guard import WriteGuard
from sessions.analysis.claude_code.store import (
    TraceSummary,
    import_sessions,
    summaries_under,
)


class TracesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.TRACES

    class OpenSession(Message):
        """Open an imported Claude Code session in the trial screen."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, sessions_dir: Path, root: Path, writes: WriteGuard | None = None) -> None:
        super().__init__()
        self.sessions_dir = sessions_dir
        self.root = root
        self.writes = writes or WriteGuard()

    def compose(self) -> ComposeResult:
        yield Static(id="traces-title")
        yield DataTable(id="traces", cursor_type="row", zebra_stripes=True)
        yield Static(id="traces-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column.header, key=column.key)
        table.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        if not self.root.is_dir():
            self._title(f"No Claude Code projects directory at {self.root}")
            self._hint("Claude Code keeps sessions there; run fep-tui traces --root DIR")
            return
        if self.writes.why is None:
            self._title(f"Claude Code sessions under {self.root} · importing new and grown ones…")
        self._import()

    # A failed import is a notification; left to Textual's default it ended the app.
    @work(thread=True, exclusive=True, group="traces", exit_on_error=False)
    def _import(self) -> list[TraceSummary]:
        # Read-only: the sessions imported before, as they were; nothing new is written.
        if self.writes.why is None:
            import_sessions([self.root], self.sessions_dir)
        return sorted(summaries_under(self.sessions_dir, self.root), key=largest_first)

    @on(Worker.StateChanged)
    def _imported(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "traces":
            return
        if event.state == WorkerState.ERROR:
            message = f"could not import: {event.worker.error}"
            self._hint(message + " · r tries again")
            self.notify(message, severity="error", timeout=10)
            return
        if event.state != WorkerState.SUCCESS or not isinstance(event.worker.result, list):
            return
        found: list[TraceSummary] = event.worker.result
        self._title(
            f"{len(found)} Claude Code session(s) under {self.root} · MEASURED usage, "
            "re-read split estimated"
        )
        table = self.query_one(DataTable)
        table.clear()
        for summary in found:
            row = trace_row(summary)
            cells = [Text(cell(c.kind, row[c.key]), no_wrap=True, end="") for c in COLUMNS]
            table.add_row(*cells, key=summary.session_file)
        if self.writes.why is not None:
            self._hint(
                f"read-only ({self.writes.why}): the sessions imported before; "
                "new and grown ones are not imported"
            )
        elif found:
            self._hint("largest re-read cost of subagent results first · enter opens")
        else:
            self._hint("No sessions there yet.")

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(self.OpenSession(Path(event.row_key.value)))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            self.post_message(self.OpenSession(Path(str(key))))

    def _title(self, text: str) -> None:
        self.query_one("#traces-title", Static).update(text)

    def _hint(self, text: str) -> None:
        self.query_one("#traces-hint", Static).update(text)
