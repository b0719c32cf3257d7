"""Ask for a turn number to jump to."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class GotoTurnScreen(ModalScreen[int | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="goto.cancel")
    ]

    def __init__(self, turns: int) -> None:
        super().__init__()
        self.turns = turns

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Go to turn (1-{self.turns}):")
            yield Input(placeholder="turn number", type="integer", id="turn-number")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            turn = int(event.value)
        except ValueError:
            self.notify("type a whole number", severity="warning")
            return
        if not 1 <= turn <= max(1, self.turns):
            self.notify(f"turn {turn} is outside 1-{self.turns}", severity="warning")
            return
        self.dismiss(turn)

    def action_cancel(self) -> None:
        self.dismiss(None)
