"""One Claude Code session's context, item by item: what re-reading each tool result,
subagent result, user message, the system prompt and the lead's own turns cost. The
trial screen's `i`; the same columns as `fep-tui traces SESSION` (fep_tui/trace_rows.py).

The items are read from the session's transcript on a worker (the converter rebuilds the
lead's prompt call by call); a transcript that has gone since the import is a notification.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from fep_tui import keys
from fep_tui.tables import fit, screen_cells
from fep_tui.trace_rows import ITEM_COLUMNS, item_row
from fep_tui.widgets.key_bar import KeyBar
from sessions.analysis.claude_code.context_items import ContextItem


class ContextItemsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.ITEMS

    def __init__(self, transcript: Path) -> None:
        super().__init__()
        self.transcript = transcript

    def compose(self) -> ComposeResult:
        yield Static(f"{self.transcript.name}: reading its items…", id="items-title")
        yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
        yield Static(id="items-hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._read()

    # A transcript gone or unreadable is a notification; left to Textual it ended the app.
    @work(thread=True, exclusive=True, group="items", exit_on_error=False)
    def _read(self) -> list[ContextItem]:
        from sessions.analysis.claude_code.convert import context_items

        return context_items(self.transcript)

    @on(Worker.StateChanged)
    def _read_done(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "items":
            return
        if event.state == WorkerState.ERROR:
            message = f"cannot read the items of {self.transcript}: {event.worker.error}"
            self.query_one("#items-hint", Static).update(message)
            self.notify(message, severity="error", timeout=10)
            return
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, list):
            self._fill(event.worker.result)

    def _fill(self, items: list[ContextItem]) -> None:
        spent = sum(i.reread_usd for i in items)
        self.query_one("#items-title", Static).update(
            f"{self.transcript.name}: each item of the lead's context, ${spent:.4f} of "
            "re-reads in all · MEASURED usage, split by item estimated"
        )
        rows = [item_row(item) for item in items]
        table = self.query_one(DataTable)
        # The table's border takes 2 columns of the screen.
        kept, left_out = fit(ITEM_COLUMNS, rows, self.app.size.width - 2, framed=False)
        for column in kept:
            table.add_column(column.header, key=column.key)
        for row in rows:
            table.add_row(*screen_cells(kept, row))
        hint = "costliest re-read first"
        if any(c.key == "turns" for c in kept):
            hint += " · turns: the lead turns that re-read it"
        if left_out:
            hint += f" · +{len(left_out)} columns when wider"
        self.query_one("#items-hint", Static).update(hint)
