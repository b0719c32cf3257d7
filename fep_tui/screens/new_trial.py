"""Start a trial: arm, task, backend, seed, rate card and return cap, each with its label.

The dialog stays open until the trial can start: a problem (an unknown model, Ollama not
running for a live trial) is shown here, with every choice kept, instead of after the
dialog has gone. The app keeps one dialog, so it opens again with the last choices.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Select, Static

from engine.arms import ArmSpec
from engine.pricing import DEFAULT_RATE_CARD, RATE_CARDS
from fep_tui.widgets.key_bar import KeyBar
from tasks import TASK_IDS


@dataclass(frozen=True)
class TrialRequest:
    arm: str
    task: str
    backend: str
    seed: int
    rate_card: str = DEFAULT_RATE_CARD
    # None: the arm's own cap.
    return_cap: int | None = None


# Checks a request and starts its trial; returns a problem to show, or None once started.
Starter = Callable[[TrialRequest], Awaitable[str | None]]


class NewTrialScreen(Screen[TrialRequest | None]):
    """A whole screen, not a dialog over the one below: over a live trial a dialog is
    composited with the trial's panes on every frame, which held the stream back by up to
    0.2 s with both cores busy (bench/live_stream.py)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="new.cancel")]

    def __init__(self, arms: dict[str, ArmSpec], start: Starter) -> None:
        super().__init__()
        self.arms = arms
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-trial") as dialog:
            dialog.border_title = "Start a trial"
            yield Label("Arm (who leads, who executes)")
            yield Select(
                [(f"{n}: {a.description}", n) for n, a in self.arms.items()],
                value="B",
                allow_blank=False,
                id="arm",
            )
            # The other fields in one grid of rows of set heights: a row and a column
            # container around each label and field were more widgets to style and lay out
            # on each opening.
            with Grid(id="new-trial-fields"):
                yield Label("Task", classes="half")
                yield Label("Backend", classes="half")
                yield Select(
                    [(t, t) for t in TASK_IDS],
                    value=TASK_IDS[0],
                    allow_blank=False,
                    id="task",
                    classes="half",
                )
                yield Select(
                    [("sim (SIMULATED)", "sim"), ("live (billed)", "live")],
                    value="sim",
                    allow_blank=False,
                    id="backend",
                    classes="half",
                )
                yield Label("Seed")
                yield Label("Rate card")
                yield Label("Return cap (chars)")
                yield Input(value="0", type="integer", id="seed")
                yield Select(
                    [(name, name) for name in RATE_CARDS],
                    value=DEFAULT_RATE_CARD,
                    allow_blank=False,
                    id="card",
                )
                yield Input(placeholder="arm's own", type="integer", id="cap")
            yield Static("", id="new-trial-problem")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")
        yield KeyBar()

    def on_screen_resume(self) -> None:
        # The last opening's problem no longer applies; its choices still do.
        self.query_one("#new-trial-problem", Static).display = False
        self.query_one("#arm", Select).focus()

    def request(self) -> TrialRequest | str:
        """The choices as a request, or what is wrong with them."""
        seed_text = self.query_one("#seed", Input).value.strip() or "0"
        cap_text = self.query_one("#cap", Input).value.strip()
        try:
            seed = int(seed_text)
            cap = int(cap_text) if cap_text else None
        except ValueError:
            return "the seed and the return cap must be whole numbers"
        if seed < 0:
            return "the seed must be 0 or more"
        if cap is not None and cap <= 0:
            return "the return cap must be a positive number of characters"
        return TrialRequest(
            str(self.query_one("#arm", Select).value),
            str(self.query_one("#task", Select).value),
            str(self.query_one("#backend", Select).value),
            seed,
            str(self.query_one("#card", Select).value),
            cap,
        )

    @on(Button.Pressed, "#start")
    @on(Input.Submitted)
    async def _start(self) -> None:
        request = self.request()
        problem = request if isinstance(request, str) else await self.start(request)
        if problem is not None:
            shown = self.query_one("#new-trial-problem", Static)
            shown.update(f"[red]{problem}[/]")
            shown.display = True
            self.notify(problem, title="cannot start the trial", severity="error", timeout=8)
            return
        self.dismiss(request if not isinstance(request, str) else None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
