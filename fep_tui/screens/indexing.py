"""The first open of a session that has no index yet: progress while a worker builds it.

A million-event session takes seconds to scan once. Rather than a blank terminal, this screen
shows at once, reports bytes read as the worker goes, and hands over to the trial screen when
the index is ready (and saved beside the file, so the next open is quick). Escape stops it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from fep_tui.widgets.key_bar import KeyBar
from sessions.index import SessionIndex
from sessions.index_cache import save


class IndexingStopped(Exception):
    """The user left the screen; the worker stops at its next block."""


class IndexingScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Stop", id="indexing.stop"),
    ]

    class Ready(Message):
        """The index of `path` is built; the app opens the trial screen on it."""

        def __init__(self, index: SessionIndex) -> None:
            super().__init__()
            self.index = index

    class Failed(Message):
        def __init__(self, path: Path, reason: str) -> None:
            super().__init__()
            self.path = path
            self.reason = reason

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._started = time.monotonic()

    def compose(self) -> ComposeResult:
        yield Static(f"{self.path.name}: first open", id="trial-title")
        with Vertical(id="indexing"):
            yield Static(
                "Reading the session once to index it; later opens are immediate.",
                id="indexing-note",
            )
            yield ProgressBar(id="indexing-progress", show_eta=True)
            yield Static("", id="indexing-read")
        yield KeyBar()

    def on_mount(self) -> None:
        self.build()

    @work(thread=True, exclusive=True, group="indexing", exit_on_error=False)
    def build(self) -> SessionIndex:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise IndexingStopped
            self.app.call_from_thread(self._show_progress, done, total)

        index = SessionIndex.build(self.path, progress)
        save(index)
        return index

    def _show_progress(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)
        seconds = time.monotonic() - self._started
        self.query_one("#indexing-read", Static).update(
            f"{done / 1e6:,.0f} of {total / 1e6:,.0f} MB read in {seconds:.1f} s"
        )

    @on(Worker.StateChanged)
    def _finished(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.state == WorkerState.SUCCESS and isinstance(worker.result, SessionIndex):
            self.post_message(self.Ready(worker.result))
        elif worker.state == WorkerState.ERROR and not isinstance(worker.error, IndexingStopped):
            self.post_message(self.Failed(self.path, str(worker.error)))

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "indexing")
