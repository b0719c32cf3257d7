"""Two sessions stepped together by the lead's turn number, with their cumulative cost and
re-read curves overlaid (the current turn marked on both)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from fep_tui import keys
from fep_tui.widgets.key_bar import KeyBar
from fep_tui.widgets.plot import Series, lines_area, render_lines
from fep_tui.widgets.titled import titled
from sessions.analysis.side_by_side import SessionTurns, lead_turns

STYLES = ("cyan", "magenta")


class SideBySideScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = keys.SIDE_BY_SIDE

    def __init__(self, left: Path, right: Path) -> None:
        super().__init__()
        self.sides = (lead_turns(left), lead_turns(right))
        self.last = max(side.last_turn for side in self.sides)
        self.turn = 1

    def compose(self) -> ComposeResult:
        yield Static(id="side-title")
        with Horizontal(id="side-body"):
            for index in range(2):
                with Vertical(classes="side"):
                    yield Static(id=f"side-head-{index}", classes="side-head")
                    with VerticalScroll(classes="side-scroll"):
                        yield Static(id=f"side-turn-{index}")
        with Horizontal(id="side-charts"):
            yield titled(Static(id="side-cost"), "cumulative cost $")
            yield titled(Static(id="side-reread"), "cumulative lead re-read tokens")
        yield KeyBar()

    def on_mount(self) -> None:
        for index, side in enumerate(self.sides):
            head = self.query_one(f"#side-head-{index}", Static)
            head.styles.color = STYLES[index]
            head.update(side.label + ("  SIMULATED" if side.simulated else "  live"))
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def action_step(self, delta: int) -> None:
        self.turn = min(max(1, self.turn + delta), max(1, self.last))
        self._draw()

    def action_jump(self, where: int) -> None:
        self.turn = 1 if where == 0 else max(1, self.last)
        self._draw()

    def _draw(self) -> None:
        self.query_one("#side-title", Static).update(
            f"side by side  ·  lead turn {self.turn} of {self.last}  ·  ←/→ step, home/end"
        )
        for index, side in enumerate(self.sides):
            self.query_one(f"#side-turn-{index}", Static).update(_turn_text(side, self.turn))
        for key, column, spec in (
            ("cost", "cost_usd", ".4f"),
            ("reread", "reread", ",.0f"),
        ):
            widget = self.query_one(f"#side-{key}", Static)
            series = [
                Series(
                    f"{side.label.split(' · ')[0]} at turn {self.turn}: "
                    f"{_value_at(side, self.turn, column, spec)}",
                    STYLES[index],
                    tuple(
                        (float(t), float(getattr(row, column)))
                        for t, row in sorted(side.rows.items())
                    ),
                )
                for index, side in enumerate(self.sides)
            ]
            axes, formats = ("lead turn", ""), (".0f", spec)
            chart = render_lines(series, *lines_area(widget), axes, formats, float(self.turn))
            widget.update(chart)


def _value_at(side: SessionTurns, turn: int, column: str, spec: str) -> str:
    row = side.after(turn)
    return "-" if row is None else format(getattr(row, column), spec)


def _turn_text(side: SessionTurns, turn: int) -> Text:
    data = side.turn(turn)
    if data is None:
        return Text(f"(no lead turn {turn}: finished at turn {side.last_turn})", style="dim")
    text = Text()
    text.append(f"turn {turn}: re-read {data.cache_read:,} tokens this call; ", style="bold")
    text.append(f"after it ${data.cost_after:.4f}, {data.reread_after:,} re-read in all\n")
    text.append(data.text.strip() + "\n")
    for call in data.calls:
        if call.startswith("  ←"):
            text.append(f"{call}\n", style="magenta")
        else:
            text.append(f"  → {call}\n", style="yellow")
    return text
