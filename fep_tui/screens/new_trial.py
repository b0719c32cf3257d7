"""Start a trial: arm, task, backend and seed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from engine.arms import ArmSpec
from tasks import TASK_IDS


@dataclass(frozen=True)
class TrialRequest:
    arm: str
    task: str
    backend: str
    seed: int


class NewTrialScreen(ModalScreen[TrialRequest | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="new.cancel")]

    def __init__(self, arms: dict[str, ArmSpec]) -> None:
        super().__init__()
        self.arms = arms

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-trial"):
            yield Label("Start a trial")
            yield Select(
                [(f"{n}: {a.description}", n) for n, a in self.arms.items()],
                value="B",
                allow_blank=False,
                id="arm",
            )
            yield Select(
                [(t, t) for t in TASK_IDS], value=TASK_IDS[0], allow_blank=False, id="task"
            )
            yield Select(
                [
                    ("sim: embedded simulator (SIMULATED)", "sim"),
                    ("live: Anthropic / Ollama", "live"),
                ],
                value="sim",
                allow_blank=False,
                id="backend",
            )
            yield Input(value="0", placeholder="seed", type="integer", id="seed")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#start")
    @on(Input.Submitted, "#seed")
    def _start(self) -> None:
        seed_text = self.query_one("#seed", Input).value.strip() or "0"
        try:
            seed = int(seed_text)
        except ValueError:
            self.notify("the seed must be a whole number", severity="error")
            return
        self.dismiss(
            TrialRequest(
                str(self.query_one("#arm", Select).value),
                str(self.query_one("#task", Select).value),
                str(self.query_one("#backend", Select).value),
                seed,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
